"""Experiments on :func:`darkroom.style.transfer.stylize` runs: judging feature sets, convergence, timing.

:func:`feature_trial` scores a feature set by a texture and a transfer it makes; :func:`time_to_reach`
and :func:`plot_convergence` compare runs by wall-clock time to a loss; :func:`seconds_per_iteration`
times a step at several sizes and :func:`projected_hours` turns that into a write-up's hours.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from darkroom.core import metrics, synthetic
from darkroom.style.results import StyleResult
from darkroom.style.transfer import stylize

__all__ = [
    "FeatureTrial",
    "feature_trial",
    "plot_convergence",
    "projected_hours",
    "seconds_per_iteration",
    "settled_at",
    "spaced_frames",
    "time_to_reach",
]


@dataclass
class FeatureTrial:
    """What :func:`feature_trial` returns: two runs with one feature set and how close each came to the transfer."""

    weights: str
    texture: StyleResult
    transfer: StyleResult
    texture_distance: float
    transfer_distance: float


def feature_trial(
    content: Any,
    style_image: Any,
    weights: str | os.PathLike | None,
    *,
    iterations: int = 100,
    width: int = 128,
    optimizer: str = "lbfgs",
    seed: int = 0,
) -> FeatureTrial:
    """Judge a feature set by what it makes: a texture from noise and a transfer from the photo.

    The texture run has content weight 0, so only the features' style statistics shape it; the
    transfer run uses neural-style's default weights starting from ``content``.  Each result is
    scored with :func:`darkroom.core.metrics.style_distance`, which uses a filter bank of its own, so feature sets can
    be compared without any of them judging itself.
    """
    common = dict(
        iterations=iterations, width=width, optimizer=optimizer, weights=weights, seed=seed, progress=False
    )
    texture = stylize(content, style_image, initial=None, content_weight=0.0, **common)
    transfer = stylize(content, style_image, initial=content, **common)
    return FeatureTrial(
        weights=transfer.weights,
        texture=texture,
        transfer=transfer,
        texture_distance=metrics.style_distance(style_image, texture.image),
        transfer_distance=metrics.style_distance(style_image, transfer.image),
    )


def time_to_reach(result: StyleResult, loss: float) -> float | None:
    """Seconds from the start of ``result``'s run until its final-size loss first fell to ``loss`` (None: never).

    Only the last stage counts: earlier, smaller stages measure a different (smaller-image) loss.
    """
    last = max(result.history["stage"]) if result.history["stage"] else 0
    for value, stage, seconds in zip(
        result.history["loss"], result.history["stage"], result.history["seconds"]
    ):
        if stage == last and value <= loss:
            return float(seconds)
    return None


def plot_convergence(
    runs: dict[str, StyleResult], target: float | None = None, ax: Any = None, title: str | None = None
) -> Any:
    """Full-size loss against wall-clock seconds for each named run (log scale); returns the Axes.

    Seconds, not iterations, on the x axis: an L-BFGS iteration and an Adam iteration cost different amounts.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for name, r in runs.items():
        last = max(r.history["stage"])
        pts = [
            (t, v)
            for v, st, t in zip(r.history["loss"], r.history["stage"], r.history["seconds"])
            if st == last
        ]
        ax.plot([t for t, _ in pts], [v for _, v in pts], label=name)
    if target is not None:
        ax.axhline(target, color="k", ls="--", lw=1, label=f"loss {target:.3g}")
    ax.set(xlabel="seconds", ylabel="loss", yscale="log")
    ax.grid(alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def seconds_per_iteration(
    sizes: Sequence[int] = (128, 256, 512),
    *,
    iterations: int = 5,
    weights: str | os.PathLike | None = "auto",
    optimizer: str = "adam",
    jit_compile: bool = False,
) -> dict[int, float]:
    """Seconds per optimisation step at each square size on this machine (the compiling first step excluded)."""
    rng = np.random.default_rng(0)
    out = {}
    for size in sizes:
        content = rng.random((size, size, 3)).astype(np.float32)
        style = synthetic.procedural_style("swirls", size)
        res = stylize(
            content,
            style,
            iterations=iterations,
            weights=weights,
            optimizer=optimizer,
            progress=False,
            jit_compile=jit_compile,
        )
        out[int(size)] = res.seconds_per_iteration
    return out


def projected_hours(
    seconds_per_iteration: Mapping[int, float], size: int, iterations: int = 1000
) -> str | None:
    """How long ``iterations`` steps at ``size`` px take at the timed rate, in hours, as a phrase
    for setting beside a write-up's time; None when ``size`` was not timed."""
    if iterations < 1:
        raise ValueError(f"iterations: expected >= 1, received {iterations}")
    t = seconds_per_iteration.get(size)
    return f"{t * iterations / 3600:.2g} hours: {iterations} VGG19 iterations at {size} px" if t else None


def spaced_frames(
    frames: Sequence[tuple[int, np.ndarray]], num_frames: int = 6
) -> list[tuple[int, np.ndarray]]:
    """About ``num_frames`` of ``frames``, closer together early on (log-spaced iterations), and the last.

    An optimisation changes the image most in its first iterations, so evenly spaced frames show
    one change and then copies of the result.
    """
    if not frames:
        raise ValueError("spaced_frames needs at least one (iteration, image) frame; received none")
    if num_frames < 2:
        raise ValueError(f"num_frames must be >= 2; received {num_frames}")
    if len(frames) <= num_frames:
        return list(frames)
    its = np.array([it for it, _ in frames], float)
    targets = np.geomspace(max(its[1], 1.0), its[-1], num_frames - 1)
    picks = {0, len(frames) - 1} | {int(np.argmin(np.abs(its - t))) for t in targets}
    return [frames[i] for i in sorted(picks)]


def settled_at(frames: Sequence[tuple[int, np.ndarray]], threshold: float = 2 / 255) -> int | None:
    """The first iteration from which every later frame is within ``threshold`` of the last frame
    (mean absolute difference per channel on [0, 1]); ``None`` if only the last frame is."""
    if not frames:
        raise ValueError("settled_at needs at least one (iteration, image) frame; received none")
    last = np.asarray(frames[-1][1], np.float32)
    close = [float(np.mean(np.abs(np.asarray(f, np.float32) - last))) < threshold for _, f in frames[:-1]]
    settled = None
    for (it, _), ok in zip(reversed(frames[:-1]), reversed(close)):
        if not ok:
            break
        settled = it
    return settled
