"""Tests for darkroom.regression.plots: every figure draws what it promises."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from darkroom import regression as reg
from darkroom.regression import fire_theft, plots

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def xy() -> tuple[np.ndarray, np.ndarray]:
    return fire_theft.load_fire_theft(REPO / "data" / "fire_theft.xls")


def test_plots_draw(xy):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fits = {"exact": reg.fit_lstsq(*xy), "quadratic": reg.fit_quadratic(*xy)}
    ax = plots.plot_fits(*xy, fits, highlight=fire_theft.OUTLIER)
    assert len(ax.lines) == 4
    sweep = reg.sweep_sgd(*xy, learning_rates=(1e-2, 1e-3), epochs=(10, 20))
    assert plots.plot_sweep(sweep).images
    ax = plots.plot_loss_curves({"sgd": [3.0, 2.0, 1.0]}, floor=0.5)
    assert len(ax.lines) == 2
    path = reg.sgd_path(*xy, epochs=2)
    assert plots.plot_sgd_path(*xy, path, {"exact": fits["exact"]}).lines
    plt.close("all")


def test_plot_steps_sweep_draws_every_sweep_and_mark(xy):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sweep = reg.sweep_steps(*xy, steps=(5, 10))
    fig = plots.plot_steps_sweep({"ftrl": sweep}, marks={"write-up": (10, 1.5, 13.0)})
    assert len(fig.axes) == 2 and all(len(ax.lines) == 3 for ax in fig.axes)
    with pytest.raises(ValueError, match="empty"):
        plots.plot_steps_sweep({})
    plt.close("all")
