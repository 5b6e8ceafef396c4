"""What a :func:`darkroom.style.transfer.stylize` run returns, and the recorder that builds it.

:class:`StyleResult` holds the best image, its loss, the per-iteration history, frames and each
stage's timing. ``_Recorder`` is what the optimisers (:mod:`darkroom.style.solvers`) report every
iteration to, across all stages: it keeps the history and the best image, draws the progress bar
and applies the stopping rule (:mod:`darkroom.style.stopping`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from darkroom.core.progress import progress as progress_bar
from darkroom.style.stopping import relative_change_stop

__all__ = ["StyleResult"]


@dataclass
class StyleResult:
    """What :func:`darkroom.style.transfer.stylize` returns.

    ``image`` is the best-loss image (float32 RGB [0, 1]); ``history`` has one entry per
    iteration across all stages ("loss", "content", "style", "tv", "seconds" since the
    start, "stage"), the loss of the image each step started from, plus (Adam) one entry
    per stage for the image after its last step; ``frames`` are (iteration, image) every ``checkpoint_iterations``;
    ``stopped_at`` is the iteration (1-based, counting all stages) where the stopping
    rule fired in the last stage, or None if it ran its full budget.
    """

    image: np.ndarray
    loss: float
    history: dict[str, list[float]]
    frames: list[tuple[int, np.ndarray]]
    stopped_at: int | None
    iterations: int
    seconds: float
    seconds_per_iteration: float
    weights: str
    stages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def caption(self) -> str:
        """A short line naming the weights (VGG19) or the features (anything else), for figure captions."""
        name = self.weights.split(" (")[0].split(" --")[0]
        return ("weights: " if "VGG19" in name else "features: ") + name


_PARTS = ("loss", "content", "style", "tv")


class _Recorder:
    """What every iteration reports, kept across stages: history, frames, each stage's best image, the bar.

    Called by the optimiser loops as ``recorder(x, total, content, style, tv, final=False)``; returns
    True when the stage should stop (its budget spent, or the stopping rule fired).
    """

    def __init__(
        self,
        to_rgb,
        total_budget: int,
        *,
        tol: float | None,
        tol_window: int,
        checkpoint_iterations: int | None,
        progress: bool,
    ):
        self.t_start = time.perf_counter()
        self.to_rgb, self.tol, self.tol_window = to_rgb, tol, tol_window
        self.checkpoint_iterations = checkpoint_iterations
        self.history: dict[str, list[float]] = {k: [] for k in (*_PARTS, "seconds", "stage")}
        self.frames: list[tuple[int, np.ndarray]] = []
        self.stages: list[dict[str, Any]] = []
        self.iteration = 0
        self.best_x = None
        self.bar = progress_bar(total_budget, "style transfer") if progress else None

    def start_stage(self, stage: int, hw: tuple[int, int], budget: int) -> None:
        self.stage, self.hw, self.budget = stage, hw, budget
        self.losses: list[float] = []
        self.best_loss, self.best_x, self.stopped = math.inf, None, None
        self.t_stage = self.t_first = self.t_last = time.perf_counter()

    def _record(self, values: Sequence[float]) -> None:
        for k, val in zip(_PARTS, values):
            self.history[k].append(val)
        self.history["seconds"].append(time.perf_counter() - self.t_start)
        self.history["stage"].append(self.stage)

    def __call__(self, x, total: float, c: float, s: float, tv: float, final: bool = False) -> bool:
        import tensorflow as tf

        if total < self.best_loss:
            self.best_loss, self.best_x = total, tf.identity(x)
        self._record((total, c, s, tv))
        if final:  # the image after the last update: recorded, not counted as an iteration
            return False
        if self.checkpoint_iterations and self.iteration % self.checkpoint_iterations == 0:
            self.frames.append((self.iteration, self.to_rgb(x)))
        self.losses.append(total)
        self.iteration += 1
        if len(self.losses) == 1:
            self.t_first = time.perf_counter()
        else:
            self.t_last = time.perf_counter()
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{total:.4g}", size=f"{self.hw[1]}x{self.hw[0]}", refresh=False)
        if relative_change_stop(self.losses, self.tol, self.tol_window):
            self.stopped = self.iteration
            return True
        return len(self.losses) >= self.budget

    def end_stage(self) -> None:
        iters = len(self.losses)
        if self.bar is not None and self.stopped is not None:
            self.bar.total -= self.budget - iters  # an early stop shrinks the bar, not a gap
            self.bar.refresh()
        seconds = time.perf_counter() - self.t_stage
        # Per-iteration time excludes the first step, which pays for tracing and compiling.
        steady = (self.t_last - self.t_first) / (iters - 1) if iters > 1 else seconds
        self.stages.append(
            dict(
                size=self.hw,
                iterations=iters,
                stopped_at=self.stopped,
                seconds=seconds,
                seconds_per_iteration=steady,
                best_loss=self.best_loss,
            )
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def result(self, weights: str) -> StyleResult:
        image = self.to_rgb(self.best_x.numpy())
        if self.checkpoint_iterations:
            self.frames.append((self.iteration, image))
        last = self.stages[-1]
        return StyleResult(
            image=image,
            loss=float(self.best_loss),
            history=self.history,
            frames=self.frames,
            stopped_at=last["stopped_at"],
            iterations=self.iteration,
            seconds=time.perf_counter() - self.t_start,
            seconds_per_iteration=last["seconds_per_iteration"],
            weights=weights,
            stages=self.stages,
        )
