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


def test_every_fit_refuses_a_constant_x():
    # fit_exact used to divide by zero and return a line
    x, y = np.full(5, 3.0), np.arange(5.0)
    fits = [
        reg.fit_exact,
        reg.fit_lstsq,
        reg.fit_quadratic,
        reg.fit_robust,
        lambda x, y: reg.fit_gd(x, y, epochs=2),
        lambda x, y: reg.fit_sgd_per_sample(x, y, epochs=1),
    ]
    for fit in fits:
        with pytest.raises(ValueError, match=r"x is constant \(3 for all 5 points\); a line needs x to vary"):
            fit(x, y)
