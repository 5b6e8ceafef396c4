"""darkroom.regression as a package: every fit, whichever module holds it, refuses bad input clearly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from darkroom import regression as reg
from darkroom.regression import fire_theft

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def xy() -> tuple[np.ndarray, np.ndarray]:
    return fire_theft.load_fire_theft(REPO / "data" / "fire_theft.xls")


def test_bad_inputs_raise_clear_errors(xy):
    with pytest.raises(ValueError, match="same length"):
        reg.fit_lstsq(np.arange(3.0), np.arange(4.0))
    with pytest.raises(ValueError, match="finite"):
        reg.fit_exact(np.array([1.0, np.nan]), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="learning_rate"):
        reg.fit_sgd_per_sample(*xy, learning_rate=0.0)
    with pytest.raises(ValueError, match=r"'newton'.*sgd, momentum, rmsprop, adadelta"):
        reg.fit_gd(*xy, optimizer="newton")
    with pytest.raises(ValueError, match="huber"):
        reg.fit_robust(*xy, loss="l3")
