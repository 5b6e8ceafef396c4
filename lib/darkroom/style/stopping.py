"""When to stop an optimisation: the relative-change rule on the running best loss.

:func:`relative_change_stop` is asked after every iteration of :func:`darkroom.style.transfer.stylize`
(its ``tol`` and ``tol_window``); :func:`stopping_iteration` replays the same rule on a finished run's
loss history, to see what it would have saved.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["relative_change_stop", "stopping_iteration"]


def _stalled(losses: Sequence[float], tol: float, window: int) -> np.ndarray:
    """For iterations ``window + 1 .. len(losses)``: did the running best improve by at most ``tol`` over ``window``?"""
    best = np.minimum.accumulate(np.asarray(losses, np.float64))
    then, now = best[:-window], best[window:]
    return then - now <= tol * np.abs(then)


def relative_change_stop(losses: Sequence[float], tol: float | None, window: int) -> bool:
    """True when the best loss so far improved by less than ``tol`` (relative) over ``window`` iterations.

    Using the running best makes the rule immune to Adam's small oscillations.
    """
    if tol is None or len(losses) <= window:
        return False
    return bool(_stalled(losses, tol, window)[-1])


def stopping_iteration(losses: Sequence[float], tol: float | None, window: int) -> int | None:
    """The number of iterations after which ``relative_change_stop`` would have stopped ``losses`` (None: never).

    The rule looks only at the loss history, so it can be replayed on a finished run to see what it saves.
    """
    if tol is None or len(losses) <= window:
        return None
    fired = np.flatnonzero(_stalled(losses, tol, window))
    return int(fired[0]) + window + 1 if fired.size else None
