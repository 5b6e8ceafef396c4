"""Keras callbacks for any training loop: a wall-time budget and a target reached.

:func:`darkroom.core.training.fit` adds :class:`TimeBudget` itself (``time_budget_s``); a custom
loop (pix2pix's) drives it by hand. :class:`TargetReached` notes when a metric first reaches a value.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import keras

__all__ = ["TargetReached", "TimeBudget"]


class TimeBudget(keras.callbacks.Callback):
    """Stop training once ``seconds`` of wall time have passed, checked after every batch or epoch.

    ``stopped`` is True only if the budget cut training short (not when it ran out on the last step).
    """

    def __init__(self, seconds: float | None, check: str = "batch") -> None:
        super().__init__()
        if check not in ("batch", "epoch"):
            raise ValueError(f"TimeBudget: check must be 'batch' or 'epoch'; received {check!r}")
        if seconds is not None and not seconds >= 0:
            raise ValueError(f"TimeBudget: seconds must be None or >= 0; received {seconds!r}")
        self.seconds, self.check = seconds, check
        self.stopped = False
        self._start = 0.0
        self._epoch = 0

    def on_train_begin(self, logs: Mapping[str, float] | None = None) -> None:
        """Start the clock."""
        self._start, self.stopped = time.perf_counter(), False

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, float] | None = None) -> None:
        """Remember which epoch is running."""
        self._epoch = epoch

    def _spent(self) -> bool:
        return self.seconds is not None and time.perf_counter() - self._start > self.seconds

    def _stop(self, last: bool) -> None:
        self.model.stop_training = True
        self.stopped = self.stopped or not last

    def on_train_batch_end(self, batch: int, logs: Mapping[str, float] | None = None) -> None:
        """Stop if the budget is spent (``check='batch'``)."""
        if self.check == "batch" and self._spent():
            steps = self.params.get("steps")
            last_epoch = self._epoch + 1 >= self.params.get("epochs", 1)
            self._stop(last_epoch and steps is not None and batch + 1 >= steps)

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float] | None = None) -> None:
        """Stop if the budget is spent (``check='epoch'``)."""
        if self.check == "epoch" and self._spent():
            self._stop(epoch + 1 >= self.params.get("epochs", 1))


class TargetReached(keras.callbacks.Callback):
    """Note the first epoch whose ``monitor`` reaches ``target`` (and, with ``stop=True``, stop there).

    ``mode="max"`` means reaching is ``value >= target`` (accuracy, IoU); ``"min"`` means
    ``value <= target`` (a loss). ``epoch`` (1-based) and ``seconds`` (since training began) stay
    ``None`` until it happens.
    """

    def __init__(self, monitor: str, target: float, mode: str = "max", stop: bool = False) -> None:
        super().__init__()
        if mode not in ("max", "min"):
            raise ValueError(f"TargetReached: mode must be 'max' or 'min'; received {mode!r}")
        self.monitor, self.target, self.mode, self.stop = monitor, float(target), mode, stop
        self.epoch: int | None = None
        self.seconds: float | None = None
        self._start = 0.0

    def on_train_begin(self, logs: Mapping[str, float] | None = None) -> None:
        """Start the clock and forget any earlier run's hit."""
        self._start, self.epoch, self.seconds = time.perf_counter(), None, None

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float] | None = None) -> None:
        """Note the first epoch whose ``monitor`` reaches the target."""
        value = (logs or {}).get(self.monitor)
        if self.epoch is not None or value is None:
            return
        if (value >= self.target) if self.mode == "max" else (value <= self.target):
            self.epoch, self.seconds = epoch + 1, time.perf_counter() - self._start
            if self.stop:
                self.model.stop_training = True
