"""Figures for the fire-and-theft regression: the data with fitted lines, loss curves, the
per-sample SGD sweep as a heat map, the SGD path over the loss surface, and the steps sweep.

Each function draws the results of :mod:`darkroom.regression` (types in :mod:`darkroom.regression.fire_theft`)
on a Matplotlib Axes (or Figure) and returns it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from darkroom.regression import fire_theft

__all__ = ["plot_fits", "plot_loss_curves", "plot_sgd_path", "plot_steps_sweep", "plot_sweep"]


def plot_fits(
    x: np.ndarray,
    y: np.ndarray,
    fits: Mapping[str, fire_theft.LineFit | fire_theft.QuadFit],
    ax: Any = None,
    title: str | None = None,
    highlight: tuple[float, float] | None = None,
) -> Any:
    """Scatter the data and draw each fit over ``[0, 1.05 max x]``; returns the Axes."""
    import matplotlib.pyplot as plt

    x, y = fire_theft.check_xy(x, y)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    ax.plot(x, y, "o", color="0.3", ms=4, label="data")
    if highlight is not None:
        ax.plot(*highlight, "o", color="crimson", ms=11, mfc="none", mew=1.5, label="outlier")
    grid = np.linspace(0, 1.05 * x.max(), 200)
    for label, fit in fits.items():
        ax.plot(grid, fit.predict(grid), lw=2, label=label)
    ax.set_xlabel("fires per 1000 housing units (X)")
    ax.set_ylabel("thefts per 1000 population (Y)")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def plot_loss_curves(
    histories: Mapping[str, Sequence[float]],
    floor: float | None = None,
    ax: Any = None,
    logy: bool = True,
    title: str | None = None,
) -> Any:
    """Loss against epoch for several runs; ``floor`` draws the exact fit's loss as a line."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for label, history in histories.items():
        h = np.asarray(history, dtype=np.float64)
        ax.plot(np.arange(1, h.size + 1), h, label=label)
    if floor is not None:
        ax.axhline(floor, color="k", ls="--", lw=1, label="exact least squares")
    ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean squared error")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


_VERDICT_COLOURS = {
    "diverged": "#d62728",
    "circling": "#ff7f0e",
    "crawling": "#1f77b4",
    "converged": "#2ca02c",
}


def plot_sweep(sweep: fire_theft.SweepResult, ax: Any = None, title: str | None = None) -> Any:
    """Heat map of the sweep: colour = verdict, text = slope / intercept reached."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    if ax is None:
        _, ax = plt.subplots(figsize=(1.8 * len(sweep.epochs) + 2, 0.7 * len(sweep.learning_rates) + 1.5))
    names = list(_VERDICT_COLOURS)
    codes = np.vectorize(names.index)(sweep.verdict)
    ax.imshow(
        codes,
        cmap=ListedColormap(list(_VERDICT_COLOURS.values())),
        vmin=0,
        vmax=len(names) - 1,
        aspect="auto",
        alpha=0.75,
    )
    for i in range(len(sweep.learning_rates)):
        for j in range(len(sweep.epochs)):
            if sweep.verdict[i, j] == "diverged":
                text = "diverged"
            else:
                text = f"{sweep.slope[i, j]:.3f} / {sweep.intercept[i, j]:.2f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(sweep.epochs)), [f"{e:,}" for e in sweep.epochs])
    ax.set_yticks(range(len(sweep.learning_rates)), [f"{lr:g}" for lr in sweep.learning_rates])
    ax.set_xlabel("epochs")
    ax.set_ylabel("learning rate")
    ax.set_title(
        title
        or f"per-sample SGD: slope / intercept (exact {sweep.exact.slope:.3f} / {sweep.exact.intercept:.2f})"
    )
    ax.legend(
        handles=[Patch(color=c, alpha=0.75, label=n) for n, c in _VERDICT_COLOURS.items()],
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        fontsize=8,
    )
    return ax


def plot_sgd_path(
    x: np.ndarray,
    y: np.ndarray,
    path: np.ndarray,
    fits: Mapping[str, fire_theft.LineFit] | None = None,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """The per-step ``(slope, intercept)`` path over contours of the MSE, with fits marked."""
    import matplotlib.pyplot as plt

    x, y = fire_theft.check_xy(x, y)
    path = np.asarray(path, dtype=np.float64)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    points = [path] + [np.array([[f.slope, f.intercept]]) for f in (fits or {}).values()]
    allp = np.concatenate(points)
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    pad = 0.25 * np.maximum(hi - lo, [0.2, 2.0])
    ws = np.linspace(lo[0] - pad[0], hi[0] + pad[0], 150)
    bs = np.linspace(lo[1] - pad[1], hi[1] + pad[1], 150)
    W, B = np.meshgrid(ws, bs)
    loss = fire_theft.line_mse(x, y, W, B)
    ax.contour(W, B, loss, levels=20, colors="0.7", linewidths=0.7)
    ax.plot(path[:, 0], path[:, 1], "-", color="tab:orange", lw=1, label="SGD steps")
    ax.plot(path[-1, 0], path[-1, 1], "o", color="tab:orange", label="end of run")
    for (label, fit), marker in zip((fits or {}).items(), "*sD^v"):
        ax.plot(fit.slope, fit.intercept, marker, ms=10, label=label)
    ax.set_xlabel("slope w")
    ax.set_ylabel("intercept b")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def plot_steps_sweep(
    sweeps: Mapping[str, fire_theft.StepsSweep],
    marks: Mapping[str, tuple[int, float, float]] | None = None,
    title: str | None = None,
) -> Any:
    """Slope and intercept against steps (log axis) for each sweep, least squares dashed.

    ``marks`` adds single points ``label -> (steps, slope, intercept)``, e.g. a write-up's result.
    Returns the Figure.
    """
    import matplotlib.pyplot as plt

    if not sweeps:
        raise ValueError("sweeps is empty: expected at least one fire_theft.StepsSweep to draw")
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    exact = next(iter(sweeps.values())).exact
    for ax, name, target in zip(axes, ("slope", "intercept"), (exact.slope, exact.intercept)):
        for label, sweep in sweeps.items():
            ax.plot(sweep.steps, getattr(sweep, name), "o-", ms=4, label=label)
        for (label, point), marker in zip((marks or {}).items(), "*Dsv"):
            ax.plot(point[0], point[1 if name == "slope" else 2], marker, ms=12, color="k", label=label)
        ax.axhline(target, color="k", ls="--", lw=1, label="least squares")
        ax.set_xscale("log")
        ax.set_xlabel("steps")
        ax.set_ylabel(name)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
