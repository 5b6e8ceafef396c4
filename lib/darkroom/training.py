"""Pieces every training loop shares: progress bars, strategy scope, results, saving, plots.

Training functions in the topic modules take an optional ``tf.distribute.Strategy``
and build their model and optimizer under :func:`strategy_scope`, so one GPU, many
GPUs (``MirroredStrategy``) or many machines (``MultiWorkerMirroredStrategy``) run
the same code with TensorFlow's own engine.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from tqdm.std import tqdm as tqdm_std

from darkroom.paths import atomic_write, models_dir

__all__ = [
    "headless",
    "progress",
    "keras_progress",
    "strategy_scope",
    "TrainResult",
    "save_model",
    "load_model",
    "plot_history",
    "Stopwatch",
    "recalibrate_batchnorm",
    "InferenceCheck",
]


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


@contextlib.contextmanager
def strategy_scope(strategy: tf.distribute.Strategy | None = None) -> Iterator[tf.distribute.Strategy]:
    """Enter ``strategy.scope()`` (default: the current strategy) and yield the strategy."""
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        yield strategy


@dataclass
class TrainResult:
    """What a training function hands back to a reader."""

    model: Any
    history: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0
    examples_per_second: float | None = None

    def final(self, key: str = "loss") -> float:
        """The last recorded value of ``key``."""
        if not self.history.get(key):
            raise KeyError(f"no {key!r} in history; have {sorted(self.history)}")
        return self.history[key][-1]


def save_model(model: keras.Model, name: str) -> Path:
    """Save ``model`` as ``outputs/models/<name>.keras`` atomically and return the path."""
    if not name or "/" in name or name.endswith(".keras"):
        raise ValueError(f"save_model: expected a bare name like 'colorizer_mse', received {name!r}")
    path = models_dir() / f"{name}.keras"
    with atomic_write(path) as tmp:
        model.save(tmp)
    return path


def load_model(name_or_path: str | os.PathLike[str], **kwargs: Any) -> keras.Model:
    """Load ``outputs/models/<name>.keras`` (or any ``.keras`` path) with ``keras.models.load_model``."""
    path = Path(name_or_path)
    if path.suffix != ".keras":
        path = models_dir() / f"{name_or_path}.keras"
    if not path.is_file():
        raise FileNotFoundError(f"no saved model at {path}; run the notebook that trains it first")
    return keras.models.load_model(path, **kwargs)


def plot_history(
    history: Mapping[str, Iterable[float]] | keras.callbacks.History,
    keys: Iterable[str] | None = None,
    logy: bool = False,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Plot training curves (a dict of lists, or a Keras ``History``) and return the Axes."""
    import matplotlib.pyplot as plt

    hist = history.history if isinstance(history, keras.callbacks.History) else dict(history)
    keys = list(keys) if keys is not None else sorted(hist)
    missing = [k for k in keys if k not in hist]
    if missing:
        raise KeyError(f"plot_history: no {missing} in history; have {sorted(hist)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for key in keys:
        values = list(hist[key])
        ax.plot(range(1, len(values) + 1), values, label=key)
    ax.set_xlabel("epoch")
    ax.set_yscale("log" if logy else "linear")
    ax.grid(alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


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


class Stopwatch:
    """``with Stopwatch() as sw: ...`` then ``sw.seconds`` (wall time, perf_counter)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start = 0.0

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start


def recalibrate_batchnorm(model: keras.Model, inputs: Any, batch_size: int = 16) -> int:
    """Re-estimate every batch-norm layer's moving statistics from ``inputs`` with the final weights.

    A short run's moving averages trail weights that were still moving, and dropout placed before a
    batch-norm layer inflates the variance it saw in training; either makes inference mode a
    different network (Wu & Johnson 2021, "Rethinking 'batch' in BatchNorm"). This passes
    ``inputs`` through in training mode with dropout off, averaging the batch statistics exactly
    (momentum ``k / (k + 1)`` at batch ``k``), then restores both. Returns the number of BN layers.
    """
    layers = list(model._flatten_layers(include_self=False, recursive=True))
    norms = [lay for lay in layers if isinstance(lay, keras.layers.BatchNormalization)]
    drops = [lay for lay in layers if isinstance(lay, keras.layers.Dropout)]
    if not norms:
        return 0
    x = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    n = int(len(x[0]))
    if n == 0:
        raise ValueError("recalibrate_batchnorm needs at least one input example, received none")
    momenta, rates = [lay.momentum for lay in norms], [lay.rate for lay in drops]
    try:
        for lay in drops:
            lay.rate = 0.0
        for k, start in enumerate(range(0, n, batch_size)):
            for lay in norms:
                lay.momentum = k / (k + 1)
            batch = [np.asarray(a[start:start + batch_size]) for a in x]
            model(batch if len(batch) > 1 else batch[0], training=True)
    finally:
        for lay, m in zip(norms, momenta):
            lay.momentum = m
        for lay, r in zip(drops, rates):
            lay.rate = r
    return len(norms)


@dataclass
class InferenceCheck:
    """A trained model's loss on its own training data: as training reported it, and in inference mode."""

    model: str
    training_loss: float
    inference_loss: float

    @property
    def ratio(self) -> float:
        return self.inference_loss / max(self.training_loss, 1e-12)

    def ok(self, tolerance: float = 1.5) -> bool:
        """True unless inference mode is worse than ``tolerance`` times the training loss.

        Lower is fine: the reported training loss averages an epoch of weights that were improving.
        """
        return self.ratio <= tolerance
