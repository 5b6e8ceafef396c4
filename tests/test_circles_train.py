"""darkroom.circles.train: a tiny training run, its steps and budget, saving and reloading."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from darkroom import circles
from darkroom.core import saving


def test_train_autoencoder_runs_saves_and_reloads(tmp_path) -> None:
    train, val = circles.circle_splits(16, 8, batch_size=8, height=24, width=24, radius=(4, 8), seed=0)

    def build():
        return circles.post_autoencoder(
            (24, 24, 1),
            filters=(4, 1),
            kernel_sizes=(3, 3),
            output_activation="sigmoid",
        )

    result = circles.train_autoencoder(build, train, val, epochs=2, learning_rate=1e-2, target_iou=0.0)
    assert {"loss", "mse", "iou", "val_loss", "val_mse", "val_iou"} <= set(result.history)
    assert len(result.history["loss"]) == 2 and result.epochs_to_target == 1
    assert result.examples_per_second and result.examples_per_second > 0
    scores = circles.evaluate_autoencoder(result.model, val)
    assert 0 <= scores["iou"] <= 1 and scores["mse"] >= 0
    path = saving.save_model(result.model, "test_circles")
    loaded = keras.models.load_model(path)
    x = next(iter(val))[0]
    np.testing.assert_allclose(loaded(x).numpy(), result.model(x).numpy(), atol=1e-6)


def test_train_autoencoder_counts_steps_and_times_the_first_apart() -> None:
    train, val = circles.circle_splits(24, 8, batch_size=8, height=24, width=24, radius=(4, 8), seed=0)

    def build():
        return circles.post_autoencoder(
            (24, 24, 1),
            filters=(4, 1),
            kernel_sizes=(3, 3),
            output_activation="sigmoid",
        )

    result = circles.train_autoencoder(build, train, val, epochs=2, learning_rate=1e-2)
    assert result.steps == 6  # 3 batches per epoch, 2 epochs, no clock to stop it early
    assert result.first_step_seconds > 0 and result.step_seconds > 0
    columns = circles.budget_columns(result)
    assert columns["steps"] == 6 and columns["later steps (ms)"] == pytest.approx(1000 * result.step_seconds)


def test_train_autoencoder_goes_through_training_fit() -> None:
    # Every optimizer of optimizers.OPTIMIZERS and fit's time budget reach the autoencoder trainer.
    train, val = circles.circle_splits(24, 8, batch_size=8, height=24, width=24, radius=(4, 8), seed=0)
    build = lambda: circles.post_autoencoder((24, 24, 1), filters=(4, 1), kernel_sizes=(3, 3))  # noqa: E731
    result = circles.train_autoencoder(build, train, val, optimizer="adadelta", epochs=5, time_budget_s=0.0)
    assert result.steps == 1 and result.epochs_run == 1 and result.stop_reason == "time budget"
    assert isinstance(result.model.optimizer, keras.optimizers.Adadelta)
    with pytest.raises(ValueError, match="'nadam'"):
        circles.train_autoencoder(build, train, val, optimizer="nadam", epochs=1)


def test_train_autoencoder_counts_a_short_last_batch_exactly() -> None:
    train, _ = circles.circle_splits(20, 8, batch_size=8, height=24, width=24, radius=(4, 8), seed=0)
    build = lambda: circles.post_autoencoder((24, 24, 1), filters=(4, 1), kernel_sizes=(3, 3))  # noqa: E731
    result = circles.train_autoencoder(build, train, epochs=2)
    assert result.steps == 6  # 8 + 8 + 4 examples per epoch
    assert result.examples_per_second == pytest.approx(40 / result.seconds)


def _result(steps: int) -> circles.AutoencoderResult:
    return circles.AutoencoderResult(model=None, steps=steps, first_step_seconds=1.5, step_seconds=0.02)


def test_budget_note_says_when_budgets_differ() -> None:
    assert circles.budget_note({"a": _result(192), "b": _result(192)}).startswith(
        "Every run took the same 192 optimizer steps"
    )
    note = circles.budget_note({"MSE": _result(192), "Huber": _result(32)})
    assert "differ" in note and "Huber 32" in note
    with pytest.raises(ValueError, match="at least one run"):
        circles.budget_note({})
