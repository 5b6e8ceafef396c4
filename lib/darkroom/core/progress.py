"""What a run prints while it works: progress bars, and nothing that clutters a saved notebook.

:func:`progress` is a tqdm bar, live in JupyterLab; in a headless run (:func:`headless`, set by
the runner) it prints one summary line when it closes, and Keras' own bars are off.
:func:`keras_progress` is the same bar as a Keras callback over epochs.
:func:`quiet_first_xla_compile` hides the one line XLA writes to stderr on its first compile.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import keras
from tqdm.std import tqdm as tqdm_std

__all__ = ["headless", "keras_progress", "progress", "quiet_first_xla_compile"]


def headless() -> bool:
    """True in a run nobody watches live (``DARKROOM_HEADLESS=1``, set by the runner)."""
    return os.environ.get("DARKROOM_HEADLESS") == "1"


class _SummaryBar(tqdm_std):
    """A tqdm bar that draws nothing while it runs and writes one summary line to stdout when closed.

    A saved notebook keeps every redraw of a text bar, and tqdm writes to stderr, which
    renders as a pink block; a reader of the page needs only the final count, time and rate.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("file", sys.stdout)
        kwargs.setdefault("ascii", True)  # plain characters read the same in every font
        self._closing = False
        super().__init__(*args, **kwargs)

    def display(self, msg: str | None = None, pos: int | None = None) -> bool:
        # tqdm calls display(pos=0) once while closing a bar it leaves on screen; only that draws.
        # A bar closed with leave=False asks for msg="": it leaves nothing, not even a "\r".
        if self._closing and msg is None:
            self.fp.write(self.__str__())
        return msg != ""

    def close(self) -> None:
        self._closing = True
        super().close()


def _tqdm_class() -> Any:
    """tqdm's notebook widget when ipywidgets is present and a user is watching; text otherwise.

    Headless runs get :class:`_SummaryBar`: one line per bar in the saved notebook.
    """
    if headless():
        return _SummaryBar
    if importlib.util.find_spec("ipywidgets"):
        from tqdm.auto import tqdm

        return tqdm
    return tqdm_std


def progress(iterable: Iterable[Any] | int | None = None, desc: str | None = None, **kwargs: Any) -> Any:
    """A tqdm progress bar over ``iterable`` (or over ``range(n)`` when given an int).

    Live in JupyterLab; in a headless run it prints one summary line when it closes.
    """
    tqdm = _tqdm_class()
    if isinstance(iterable, int):
        return tqdm(range(iterable), desc=desc, **kwargs)
    return tqdm(iterable, desc=desc, **kwargs)


if headless():
    # Keras' own bars (fit/predict with verbose="auto") go to absl logging, which is silent,
    # instead of printing a line per step into the saved notebook.
    keras.config.disable_interactive_logging()


class _KerasProgress(keras.callbacks.Callback):
    """One bar over epochs, with the latest logs (loss, metrics) as its postfix."""

    def __init__(self, epochs: int, desc: str) -> None:
        super().__init__()
        self.epochs, self.desc, self.bar = epochs, desc, None

    def on_train_begin(self, logs: Mapping[str, float] | None = None) -> None:
        self.bar = progress(total=self.epochs, desc=self.desc, unit="epoch")

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float] | None = None) -> None:
        if self.bar is not None:
            self.bar.set_postfix({k: f"{float(v):.4g}" for k, v in (logs or {}).items()}, refresh=False)
            self.bar.update(1)

    def on_train_end(self, logs: Mapping[str, float] | None = None) -> None:
        if self.bar is not None:
            self.bar.close()


def keras_progress(epochs: int, desc: str = "training") -> keras.callbacks.Callback:
    """A Keras callback drawing one progress bar over ``epochs``; use it with ``fit(verbose=0)``."""
    return _KerasProgress(epochs, desc)


_XLA_ANNOUNCED = False


@contextlib.contextmanager
def quiet_first_xla_compile(jit_compile: bool) -> Iterator[None]:
    """Hide the one-off "Compiled cluster using XLA!" line that XLA writes to the process's stderr.

    It is written by native code straight to file descriptor 2, which TF_CPP_MIN_LOG_LEVEL does
    not silence and Jupyter copies into the saved notebook. Only the first compiled call in a
    process is wrapped; errors still surface as Python exceptions.
    """
    global _XLA_ANNOUNCED
    if not jit_compile or _XLA_ANNOUNCED:
        yield
        return
    _XLA_ANNOUNCED = True
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (embedded interpreters): nothing to hide
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
    finally:
        os.close(saved)
