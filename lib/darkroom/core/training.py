"""The one way darkroom trains: :func:`fit`, optimizers by name, time budget, early stopping, logs.

:func:`fit` does what every topic trainer used to repeat: seed, strategy scope, build and
compile, a progress bar over epochs, a stopwatch, ``model.fit`` with a time budget, early
stopping and TensorBoard logs, and a :class:`TrainResult`. Topic trainers are thin calls of it.
Models are built under the strategy's scope, so one GPU, many GPUs (``MirroredStrategy``) or
many machines (``MultiWorkerMirroredStrategy``) run the same code with TensorFlow's own engine.

Also here: progress bars, saving and loading models, plots, :func:`throughput`, batch-norm
recalibration and the graph tracer behind notebook 04's "TensorFlow graphs" section.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import os
import sys
import time
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from tqdm.std import tqdm as tqdm_std

from darkroom.core.layers import all_layers
from darkroom.core.paths import atomic_write, models_dir, outputs_dir

__all__ = [
    "OPTIMIZERS",
    "InferenceCheck",
    "Stopwatch",
    "TargetReached",
    "TimeBudget",
    "TrainResult",
    "fit",
    "graph_edges",
    "headless",
    "keras_progress",
    "learning_rate_schedule",
    "load_model",
    "log_path",
    "optimizer",
    "plot_graph",
    "plot_history",
    "progress",
    "recalibrate_batchnorm",
    "save_model",
    "strategy_scope",
    "throughput",
    "trace_graph",
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
    """What a training function hands back to a reader.

    ``epochs_run`` counts the epochs that ran (a stopped epoch counts); ``stop_reason`` is
    ``"epochs"``, ``"time budget"``, ``"early stopping"`` or ``"callback"``; ``best_epoch``
    (1-based, with early stopping) is the epoch whose weights the model holds. ``steps`` counts
    optimizer steps; ``first_step_seconds`` includes tracing and compiling the training graph,
    ``step_seconds`` is the median of the later steps; ``epoch_end_seconds`` are wall times since
    training began.
    """

    model: Any
    history: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0
    examples_per_second: float | None = None
    epochs_run: int = 0
    stop_reason: str = "epochs"
    best_epoch: int | None = None
    steps: int = 0
    epoch_end_seconds: list[float] = field(default_factory=list)
    first_step_seconds: float | None = None
    step_seconds: float | None = None

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
    """``with Stopwatch() as sw: ...`` then ``sw.seconds`` (wall time of ``clock``, default perf_counter)."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.seconds = 0.0
        self._clock = clock
        self._start = 0.0

    def __enter__(self) -> Stopwatch:
        self._start = self._clock()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = self._clock() - self._start


def recalibrate_batchnorm(model: keras.Model, inputs: Any, batch_size: int = 16) -> int:
    """Re-estimate every batch-norm layer's moving statistics from ``inputs`` with the final weights.

    A short run's moving averages trail weights that were still moving, and dropout placed before a
    batch-norm layer inflates the variance it saw in training; either makes inference mode a
    different network (Wu & Johnson 2021, "Rethinking 'batch' in BatchNorm"). This passes
    ``inputs`` through in training mode with dropout off, averaging the batch statistics exactly
    (momentum ``k / (k + 1)`` at batch ``k``), then restores both. Returns the number of BN layers.
    """
    layers = list(all_layers(model))
    norms = [lay for lay in layers if isinstance(lay, keras.layers.BatchNormalization)]
    drops = [lay for lay in layers if isinstance(lay, keras.layers.Dropout)]
    if not norms:
        return 0
    x = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    n = len(x[0])
    if n == 0:
        raise ValueError("recalibrate_batchnorm needs at least one input example, received none")
    momenta, rates = [lay.momentum for lay in norms], [lay.rate for lay in drops]
    try:
        for lay in drops:
            lay.rate = 0.0
        for k, start in enumerate(range(0, n, batch_size)):
            for lay in norms:
                lay.momentum = k / (k + 1)
            batch = [np.asarray(a[start : start + batch_size]) for a in x]
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


# --------------------------------------------------------------------------- optimizers and schedules

#: Every optimizer a write-up used. "sgd" is plain gradient descent (TF1's
#: GradientDescentOptimizer); "momentum" is SGD with momentum 0.9 (TF1's MomentumOptimizer).
OPTIMIZERS: tuple[str, ...] = ("sgd", "momentum", "rmsprop", "adadelta", "adagrad", "adam", "ftrl")

_OPTIMIZER_CLASSES: dict[str, tuple[Callable[..., keras.optimizers.Optimizer], dict[str, Any]]] = {
    "sgd": (keras.optimizers.SGD, {}),
    "momentum": (keras.optimizers.SGD, {"momentum": 0.9}),
    "rmsprop": (keras.optimizers.RMSprop, {}),
    "adadelta": (keras.optimizers.Adadelta, {}),
    "adagrad": (keras.optimizers.Adagrad, {}),
    "adam": (keras.optimizers.Adam, {}),
    "ftrl": (keras.optimizers.Ftrl, {}),
}

LearningRate = float | keras.optimizers.schedules.LearningRateSchedule


def optimizer(name: str, learning_rate: LearningRate = 1e-3, **kwargs: Any) -> keras.optimizers.Optimizer:
    """A fresh Keras optimizer by name (one of :data:`OPTIMIZERS`); ``kwargs`` go to its constructor."""
    if not isinstance(name, str) or name.lower() not in _OPTIMIZER_CLASSES:
        raise ValueError(f"optimizer: unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}")
    cls, defaults = _OPTIMIZER_CLASSES[name.lower()]
    return cls(learning_rate=learning_rate, **{**defaults, **kwargs})


SCHEDULES: tuple[str, ...] = ("constant", "exponential", "cosine")


def learning_rate_schedule(
    learning_rate: float,
    schedule: str = "constant",
    *,
    total_steps: int,
    decay_steps: int | None = None,
    decay_rate: float = 0.1,
) -> LearningRate:
    """``learning_rate`` as a float (``"constant"``) or a Keras schedule over ``total_steps`` steps.

    ``"exponential"`` multiplies the rate by ``decay_rate`` every ``decay_steps`` steps (default:
    ``total_steps``, so it ends at ``decay_rate`` times the start); ``"cosine"`` follows half a
    cosine from ``learning_rate`` down to 1% of it over ``decay_steps`` (default ``total_steps``).
    """
    if schedule not in SCHEDULES:
        raise ValueError(
            f"learning_rate_schedule: unknown schedule {schedule!r}; expected one of {', '.join(SCHEDULES)}"
        )
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0; received {learning_rate!r}")
    if schedule == "constant":
        return float(learning_rate)
    steps = int(decay_steps or total_steps)
    if steps < 1:
        raise ValueError(f"a {schedule} schedule needs total_steps or decay_steps >= 1; received {steps}")
    if schedule == "exponential":
        return keras.optimizers.schedules.ExponentialDecay(learning_rate, steps, decay_rate)
    return keras.optimizers.schedules.CosineDecay(learning_rate, steps, alpha=0.01)


# --------------------------------------------------------------------------- callbacks


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


class _Timeline(keras.callbacks.Callback):
    """Counts optimizer steps and records step and epoch-end wall times for :class:`TrainResult`."""

    def __init__(self) -> None:
        super().__init__()
        self.step_times: list[float] = []
        self.epoch_end: list[float] = []
        self._start = self._step_start = 0.0

    def on_train_begin(self, logs: Mapping[str, float] | None = None) -> None:
        self._start = time.perf_counter()

    def on_train_batch_begin(self, batch: int, logs: Mapping[str, float] | None = None) -> None:
        self._step_start = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: Mapping[str, float] | None = None) -> None:
        self.step_times.append(time.perf_counter() - self._step_start)

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float] | None = None) -> None:
        self.epoch_end.append(time.perf_counter() - self._start)


# --------------------------------------------------------------------------- fit


def log_path(log_dir: str | os.PathLike[str]) -> Path:
    """Where TensorBoard logs go: a bare run name becomes ``outputs/logs/<name>``; a path stays as is."""
    text = os.fspath(log_dir)
    if not text:
        raise ValueError("log_dir: expected a run name like 'regression' or a path; received ''")
    if os.sep in text or (os.altsep and os.altsep in text) or text in (".", ".."):
        return Path(text)
    return outputs_dir("logs", text)


def _is_dataset(data: Any) -> bool:
    return isinstance(data, tf.data.Dataset)


def _check_data(data: Any, batch_size: int | None) -> None:
    if _is_dataset(data):
        return
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError(
            f"fit: data must be a tf.data.Dataset of (x, y) or a tuple (x, y) of arrays; "
            f"received {type(data).__name__}"
        )
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"fit: batch_size must be >= 1; received {batch_size}")


def _examples(data: Any) -> int | None:
    """Examples in one pass over tuple data (``None`` for a dataset)."""
    return None if _is_dataset(data) else len(tf.nest.flatten(data[0])[0])


def _steps_per_epoch(data: Any, batch_size: int | None, steps_per_epoch: int | None) -> int | None:
    if steps_per_epoch is not None:
        return int(steps_per_epoch)
    if _is_dataset(data):
        n = int(data.cardinality())
        return n if n > 0 else None
    return math.ceil(_examples(data) / (batch_size or 32))


def _batch_examples(data: Any, batch_size: int | None) -> int | None:
    """Examples in one step: tuple data's batch size, a dataset's fixed batch dimension or ``batch_size``."""
    if not _is_dataset(data):
        return batch_size or 32
    first = tf.nest.flatten(data.element_spec)[0]
    static = first.shape[0] if first.shape.rank else None
    return static or batch_size


def _build_model(
    build: keras.Model | Callable[[], keras.Model],
    loss: Any,
    opt: Any,
    metrics: Any,
    compile_kwargs: dict | None,
) -> keras.Model:
    """Build (if a builder) and compile (if ``loss``) the model; call inside the strategy scope."""
    model = build if isinstance(build, keras.Model) else build()
    if not isinstance(model, keras.Model):
        raise TypeError(f"fit: build must be a keras.Model or return one; received {type(model).__name__}")
    if loss is not None:
        model.compile(optimizer=opt, loss=loss, metrics=metrics, **(compile_kwargs or {}))
    elif not model.compiled:
        raise ValueError("fit: the model is not compiled and no loss was given; pass loss=... or compile it")
    return model


def _make_optimizer(
    name: str | keras.optimizers.Optimizer, learning_rate: float, schedule: str, total_steps: int | None
) -> keras.optimizers.Optimizer:
    if isinstance(name, keras.optimizers.Optimizer):
        return name
    if schedule != "constant" and total_steps is None:
        raise ValueError(
            f"fit: a {schedule!r} schedule needs steps_per_epoch for a dataset of unknown length"
        )
    rate = learning_rate_schedule(learning_rate, schedule, total_steps=total_steps or 1)
    return optimizer(name, rate)


def _callbacks(
    epochs: int,
    desc: str,
    time_budget_s: float | None,
    budget_check: str,
    early_stopping: int | None,
    monitor: str,
    min_delta: float,
    restore_best_weights: bool,
    log_dir: Any,
    write_graph: bool,
) -> dict[str, keras.callbacks.Callback]:
    """fit's own callbacks by role (the budget and early stopping only when asked for)."""
    own: dict[str, keras.callbacks.Callback] = {
        "timeline": _Timeline(),
        "progress": keras_progress(epochs, desc),
    }
    if time_budget_s is not None:
        own["budget"] = TimeBudget(time_budget_s, budget_check)
    if early_stopping is not None:
        if early_stopping < 0:
            raise ValueError(
                f"fit: early_stopping is a patience in epochs >= 0 or None; received {early_stopping}"
            )
        own["early"] = keras.callbacks.EarlyStopping(
            monitor=monitor,
            patience=early_stopping,
            min_delta=min_delta,
            restore_best_weights=restore_best_weights,
        )
    if log_dir is not None:
        own["tensorboard"] = keras.callbacks.TensorBoard(str(log_path(log_dir)), write_graph=write_graph)
    return own


def _stop_reason(
    model: keras.Model, own: dict[str, keras.callbacks.Callback], epochs_run: int, epochs: int
) -> str:
    if "budget" in own and own["budget"].stopped:
        return "time budget"
    if "early" in own and own["early"].stopped_epoch > 0:
        return "early stopping"
    if model.stop_training and epochs_run < epochs:
        return "callback"
    return "epochs"


def _best_epoch(own: dict[str, keras.callbacks.Callback], restore: bool, epochs_run: int) -> int | None:
    early = own.get("early")
    if early is None:
        return None
    return early.best_epoch + 1 if restore and early.best_weights is not None else epochs_run


def _result(
    model: keras.Model,
    hist: keras.callbacks.History,
    seconds: float,
    own: dict[str, keras.callbacks.Callback],
    epochs: int,
    examples_per_step: int | None,
    examples_per_epoch: int | None,
    restore: bool,
) -> TrainResult:
    timeline: _Timeline = own["timeline"]  # type: ignore[assignment]
    history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
    epochs_run = len(timeline.epoch_end)
    steps = len(timeline.step_times)
    examples = None if examples_per_step is None else steps * examples_per_step
    if examples is not None and examples_per_epoch is not None:
        examples = min(examples, examples_per_epoch * epochs_run)  # the last batch of an epoch may be short
    return TrainResult(
        model=model,
        history=history,
        seconds=seconds,
        examples_per_second=examples / seconds if examples and seconds > 0 else None,
        epochs_run=epochs_run,
        stop_reason=_stop_reason(model, own, epochs_run, epochs),
        best_epoch=_best_epoch(own, restore, epochs_run),
        steps=steps,
        epoch_end_seconds=timeline.epoch_end,
        first_step_seconds=timeline.step_times[0] if steps else None,
        step_seconds=float(np.median(timeline.step_times[1:])) if steps > 1 else None,
    )


def _symbolic_build_from_local_batch(
    model: keras.Model, iterator: Any = None, data_batch: Any = None
) -> None:
    """Build ``model``'s metrics from the first local batch's shapes (see :func:`_multi_worker_fixes`)."""
    if data_batch is None:
        for _, _, it in iterator:
            data_batch = tf.nest.map_structure(
                lambda v: model.distribute_strategy.experimental_local_results(v)[0], next(it)
            )
            break
    with model.distribute_strategy.scope():
        model._symbolic_build(data_batch=data_batch)


@contextlib.contextmanager
def _multi_worker_fixes(model: keras.Model, strategy: tf.distribute.Strategy | None) -> Iterator[None]:
    """Work around two bugs of Keras 3.15's ``fit`` under ``MultiWorkerMirroredStrategy``, for one call.

    ``fit`` reduces the whole distributed ``(x, y)`` batch in one ``strategy.reduce`` only to learn its
    shapes, which a multi-worker strategy refuses (the first local batch has the same shapes); and it
    averages every log across workers along ``axis=0``, which a scalar loss lacks.
    ``tests/test_distributed.py`` keeps bare Keras under this strategy as an expected failure, so a
    Keras that fixes both shows up there and this can go.
    """
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        yield
        return
    from keras.src.backend.tensorflow import trainer as tf_trainer

    original = tf_trainer.reduce_per_replica

    def reduce_per_replica(values: Any, strategy: Any, reduction: str) -> Any:
        if reduction not in ("auto", "mean"):
            return original(values, strategy, reduction)

        def mean(v: Any) -> Any:
            rank = strategy.experimental_local_results(v)[0].shape.rank
            return strategy.reduce("MEAN", v, axis=0 if rank else None)

        return tf.nest.map_structure(mean, values)

    model._maybe_symbolic_build = types.MethodType(_symbolic_build_from_local_batch, model)
    tf_trainer.reduce_per_replica = reduce_per_replica
    try:
        yield
    finally:
        tf_trainer.reduce_per_replica = original
        del model._maybe_symbolic_build


def fit(
    build: keras.Model | Callable[[], keras.Model],
    data: Any,
    *,
    loss: Any = None,
    optimizer: str | keras.optimizers.Optimizer = "adam",
    learning_rate: float = 1e-3,
    schedule: str = "constant",
    metrics: Any = None,
    epochs: int = 1,
    batch_size: int | None = None,
    steps_per_epoch: int | None = None,
    validation_data: Any = None,
    shuffle: bool = True,
    time_budget_s: float | None = None,
    budget_check: str = "batch",
    early_stopping: int | None = None,
    monitor: str = "val_loss",
    min_delta: float = 0.0,
    restore_best_weights: bool = True,
    log_dir: str | os.PathLike[str] | None = None,
    write_graph: bool = False,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    seed: int | None = 0,
    strategy: tf.distribute.Strategy | None = None,
    desc: str = "training",
    compile_kwargs: dict | None = None,
) -> TrainResult:
    """Train a model the one darkroom way and return a :class:`TrainResult`.

    ``build`` is a builder called under ``strategy.scope()`` (preferred) or a model built under the
    same strategy; with ``loss`` it is compiled with ``optimizer`` (a name from :data:`OPTIMIZERS`
    or an optimizer instance, used as given) at ``learning_rate`` following ``schedule``; without
    ``loss`` it must be compiled already and keeps its own optimizer.
    ``data`` is a ``tf.data.Dataset`` of ``(x, y)`` or a tuple ``(x, y)`` of arrays (batched by
    ``batch_size``; for a dataset ``batch_size`` only tells the examples/s figure a step's size).
    Training stops after ``epochs``, once ``time_budget_s`` is spent (checked per ``budget_check``),
    or after ``early_stopping`` epochs without ``monitor`` improving by ``min_delta`` (best weights
    restored unless ``restore_best_weights=False``). ``log_dir`` writes TensorBoard scalars (losses,
    metrics, learning rate) and, with ``write_graph``, the graph.
    """
    if not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"fit: epochs must be a whole number >= 1; received {epochs!r}")
    _check_data(data, batch_size)
    if early_stopping is not None and monitor.startswith("val_") and validation_data is None:
        raise ValueError(f"fit: early stopping on {monitor!r} needs validation_data; received none")
    if seed is not None:
        keras.utils.set_random_seed(seed)
    per_epoch = _steps_per_epoch(data, batch_size, steps_per_epoch)
    with strategy_scope(strategy):
        opt = _make_optimizer(optimizer, learning_rate, schedule, per_epoch and per_epoch * epochs)
        model = _build_model(build, loss, opt, metrics, compile_kwargs)
    own = _callbacks(
        epochs,
        desc,
        time_budget_s,
        budget_check,
        early_stopping,
        monitor,
        min_delta,
        restore_best_weights,
        log_dir,
        write_graph,
    )
    x, y = (data, None) if _is_dataset(data) else data
    with Stopwatch() as watch, _multi_worker_fixes(model, strategy):
        hist = model.fit(
            x,
            y,
            batch_size=None if _is_dataset(data) else batch_size,
            epochs=int(epochs),
            steps_per_epoch=steps_per_epoch,
            validation_data=validation_data,
            shuffle=shuffle and not _is_dataset(data),
            verbose=0,
            callbacks=[*own.values(), *callbacks],
        )
    if log_dir is not None and write_graph:
        _write_model_graph(model, data, log_dir)
    return _result(
        model,
        hist,
        watch.seconds,
        own,
        int(epochs),
        _batch_examples(data, batch_size),
        _examples(data),
        restore_best_weights,
    )


def _input_spec(data: Any) -> Any:
    """The model input's TensorSpec (nest) with a free batch dimension."""
    if _is_dataset(data):
        return data.element_spec[0]
    return tf.nest.map_structure(
        lambda a: tf.TensorSpec((None, *np.shape(a)[1:]), tf.as_dtype(np.asarray(a).dtype)), data[0]
    )


def _write_model_graph(model: keras.Model, data: Any, log_dir: str | os.PathLike[str]) -> None:
    # Keras 3's TensorBoard writes only the model's config ("conceptual graph"); the op graph of the
    # forward pass is what TensorBoard's Graphs tab draws, so it is traced and written here.
    spec = _input_spec(data)
    trace_graph(lambda x: model(x, training=False), spec, log_dir=Path(log_path(log_dir)) / "train")


def trace_graph(fn: Callable[..., Any], *args: Any, log_dir: str | os.PathLike[str] | None = None) -> Any:
    """Trace ``fn(*args)`` into a TensorFlow graph and return its ``GraphDef``.

    ``args`` are tensors, arrays or ``tf.TensorSpec``; ``fn`` may be a ``tf.function`` already.
    With ``log_dir`` (a run name goes to ``outputs/logs/<name>``) the graph is also written where
    TensorBoard's Graphs tab finds it. Ops keep the names given by ``tf.name_scope`` and ``name=``.
    """
    function = fn if hasattr(fn, "get_concrete_function") else tf.function(fn)
    graph_def = function.get_concrete_function(*args).graph.as_graph_def()
    if log_dir is not None:
        writer = tf.summary.create_file_writer(str(log_path(log_dir)))
        with writer.as_default():
            tf.summary.graph(graph_def)
        writer.close()
    return graph_def


def throughput(model: keras.Model, data: Any, steps: int = 5, warmup: int = 1) -> float:
    """Examples per second of ``model``'s training steps on ``data``, after ``warmup`` untimed steps.

    ``model`` must be compiled. ``data`` is a ``tf.data.Dataset`` of ``(x, y)`` batches (repeated
    as needed) or one batch ``(x, y)`` used for every step. The steps are the ones ``model.fit``
    runs (its compiled train function, through ``train_on_batch``).
    """
    if not model.compiled:
        raise ValueError("throughput: the model is not compiled; compile it with an optimizer and loss first")
    if steps < 1 or warmup < 0:
        raise ValueError(f"throughput: expected steps >= 1 and warmup >= 0; received {steps}, {warmup}")
    if _is_dataset(data):
        batches = iter(data.repeat())
    else:
        _check_data(data, None)
        batches = iter([tuple(data)] * (warmup + steps))
    for _ in range(warmup):
        model.train_on_batch(*next(batches))
    examples = 0
    with Stopwatch() as watch:
        for _ in range(steps):
            x, y = next(batches)
            model.train_on_batch(x, y)
            examples += len(tf.nest.flatten(x)[0])
    return examples / watch.seconds


# --------------------------------------------------------------------------- graph figures

#: Ops a graph figure leaves out: tf.function's output plumbing and constant operands (axes, exponents).
HIDDEN_OPS: tuple[str, ...] = ("Identity", "NoOp", "Const")


def graph_edges(
    graph_def: Any, hide: Sequence[str] = HIDDEN_OPS
) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """``({node name: op type}, [(source, target, kind), ...])`` of a GraphDef, kind "data" or "control".

    Output indices (``name:1``) are dropped; a ``^name`` input is a control edge (run after, no value
    passed). Nodes whose op is in ``hide`` are left out with their edges.
    """
    nodes = {n.name: n.op for n in graph_def.node if n.op not in hide}
    edges = []
    for node in graph_def.node:
        if node.name not in nodes:
            continue
        for source in node.input:
            kind = "control" if source.startswith("^") else "data"
            source = source.lstrip("^").split(":")[0]
            if source in nodes:
                edges.append((source, node.name, kind))
    return nodes, edges


def _graph_layout(
    nodes: Mapping[str, str], edges: Sequence[tuple[str, str, str]]
) -> dict[str, tuple[float, float]]:
    """Column = longest path (data or control) from an input; rows spread evenly within a column."""
    parents: dict[str, list[str]] = {name: [] for name in nodes}
    for source, target, _ in edges:
        parents[target].append(source)
    depth: dict[str, int] = {}

    def level(name: str) -> int:
        if name not in depth:
            depth[name] = 1 + max((level(p) for p in parents[name]), default=-1)
        return depth[name]

    columns: dict[int, list[str]] = {}
    for name in nodes:
        columns.setdefault(level(name), []).append(name)
    return {
        name: (float(col), (len(names) - 1) / 2 - row)
        for col, names in columns.items()
        for row, name in enumerate(names)
    }


def _node_label(name: str, op: str) -> str:
    """The name below its top-level scope (the colour says the scope), one path part per line, and the op."""
    parts = name.split("/")[1:] or [name]
    return "/\n".join(parts) + ("" if parts[-1] == op else f"\n({op})")


def plot_graph(
    graph_def: Any, hide: Sequence[str] = HIDDEN_OPS, ax: Any = None, title: str | None = None
) -> Any:
    """Draw a GraphDef's ops left to right (inputs first), coloured by top-level name scope; return the Axes.

    A still picture of what TensorBoard's Graphs tab shows, for pages that cannot embed TensorBoard.
    Each box reads ``name`` over ``(op type)``; the legend maps colours to name scopes; dashed
    arrows are control dependencies (run after, no value passed).
    """
    import matplotlib.pyplot as plt

    nodes, edges = graph_edges(graph_def, hide)
    if not nodes:
        raise ValueError(f"plot_graph: no ops left to draw after hiding {list(hide)}")
    where = _graph_layout(nodes, edges)
    width = max(x for x, _ in where.values()) + 1
    height = max(abs(y) for _, y in where.values()) * 2 + 1
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 1.35 * width), max(2.5, 0.8 * height + 1)))
    scopes = sorted({n.split("/")[0] if "/" in n else "(no scope)" for n in nodes})
    colours = dict(zip(scopes, plt.get_cmap("tab10").colors))
    for source, target, kind in edges:
        ax.annotate(
            "",
            xy=where[target],
            xytext=where[source],
            arrowprops=dict(
                arrowstyle="->",
                color="0.55",
                shrinkA=22,
                shrinkB=22,
                lw=0.8,
                ls="--" if kind == "control" else "-",
            ),
        )
    for name, op in nodes.items():
        scope = name.split("/")[0] if "/" in name else "(no scope)"
        label = _node_label(name, op)
        ax.text(
            *where[name],
            label,
            ha="center",
            va="center",
            fontsize=7,
            bbox=dict(boxstyle="round,pad=0.3", fc=colours[scope], alpha=0.35, ec="0.3"),
        )
    for scope in scopes:
        ax.plot([], [], "s", ms=9, color=colours[scope], alpha=0.5, label=scope)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, title="name scope")
    ax.set_xlim(-0.6, width - 0.4)
    ax.set_ylim(-height / 2, height / 2)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax
