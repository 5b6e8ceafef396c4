"""darkroom.circles.reports: the architecture sweep's rows and inpainting scored in the hole."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from darkroom import circles


def test_architecture_sweep_rows() -> None:
    train, val = circles.circle_splits(16, 8, batch_size=8, height=24, width=24, radius=(4, 8), seed=0)
    builds = {"tiny": lambda: circles.post_autoencoder((24, 24, 1), filters=(4, 1), kernel_sizes=(3, 3))}
    rows = circles.architecture_sweep(builds, train, val, [1e-3, 1e-2], epochs=1)
    assert [r["learning rate"] for r in rows] == [1e-3, 1e-2]
    assert all(r["images/s"] > 0 and r["architecture"] == "tiny" for r in rows)


class _Fill(keras.Model):
    """Returns the clean images whatever it is given: a perfect inpainter for one fixed batch."""

    def __init__(self, clean: np.ndarray) -> None:
        super().__init__()
        self.clean = clean

    def call(self, x, training=False):
        return self.clean[: x.shape[0]]


def test_inpainting_report_scores_only_the_hole() -> None:
    damaged, clean, hole = circles.masked_examples(
        6, 0.5, height=30, width=20, radius=(4, 8), num_discs=(2, 4)
    )
    copier = keras.Sequential([keras.Input((30, 20, 1)), keras.layers.Identity()])
    as_input, copied = circles.inpainting_report(copier, damaged, clean, hole)
    assert as_input["what"].startswith("input") and copied == {**as_input, "what": "model output"}
    assert as_input["MSE in hole"] == pytest.approx(float(np.mean(clean[hole])))  # hole is black, truth 0/1
    _, perfect = circles.inpainting_report(_Fill(clean), damaged, clean, hole, batch_size=6)
    assert perfect["MSE in hole"] == 0 and perfect["disc IoU in hole"] == 1
    with pytest.raises(ValueError, match="non-empty hole"):
        circles.inpainting_report(copier, damaged, clean, np.zeros_like(hole))
