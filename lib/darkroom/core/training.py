"""The one way darkroom trains: :func:`fit`, the :class:`TrainResult` it returns, and its curves.

:func:`fit` does what every topic trainer used to repeat: seed, strategy scope, build and
compile, a progress bar over epochs, a stopwatch, ``model.fit`` with a time budget, early
stopping and TensorBoard logs, and a :class:`TrainResult`. Topic trainers are thin calls of it.
Models are built under the strategy's scope, so one GPU, many GPUs (``MirroredStrategy``) or
many machines (``MultiWorkerMirroredStrategy``) run the same code with TensorFlow's own engine;
on the Keras versions whose ``fit`` fails under the latter, :func:`fit` works around it.

Its parts live beside it in ``darkroom.core``: ``optimizers`` (by name, and schedules),
``callbacks`` (the time budget), ``progress`` (the bars), ``timing`` (the stopwatch),
``fit_data`` (the data it takes) and ``graphs`` (the graph it logs). ``saving`` saves the model
and ``inference`` checks it in inference mode.
"""

from __future__ import annotations

import contextlib
import os
import time
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from darkroom.core import fit_data, graphs, optimizers, progress, timing
from darkroom.core.callbacks import TimeBudget
from darkroom.core.paths import log_path

__all__ = [
    "MULTI_WORKER_BROKEN_KERAS",
    "TrainResult",
    "fit",
    "keras_multi_worker_broken",
    "plot_history",
    "strategy_scope",
]


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


def _check_arguments(
    epochs: int,
    data: Any,
    batch_size: int | None,
    early_stopping: int | None,
    monitor: str,
    validation_data: Any,
) -> None:
    """Refuse fit's arguments that cannot work together, before anything is built."""
    if not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"fit: epochs must be a whole number >= 1; received {epochs!r}")
    fit_data.check_data(data, batch_size)
    if early_stopping is not None and monitor.startswith("val_") and validation_data is None:
        raise ValueError(f"fit: early stopping on {monitor!r} needs validation_data; received none")


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
    rate = optimizers.learning_rate_schedule(learning_rate, schedule, total_steps=total_steps or 1)
    return optimizers.optimizer(name, rate)


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
        "progress": progress.keras_progress(epochs, desc),
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


#: The Keras releases whose ``fit`` fails under ``MultiWorkerMirroredStrategy`` (both bounds included):
#: 3.15 is the newest checked (``tests/test_distributed.py``). On a newer Keras the patches below are
#: off and that test tells whether the bug is gone; if it is not, raise the upper bound.
MULTI_WORKER_BROKEN_KERAS = ((3, 0), (3, 15))


def keras_multi_worker_broken(version: str | None = None) -> bool:
    """Whether ``version`` (default: the installed Keras) is in :data:`MULTI_WORKER_BROKEN_KERAS`."""
    major, minor = (int(part) for part in (version or keras.version()).split(".")[:2])
    low, high = MULTI_WORKER_BROKEN_KERAS
    return low <= (major, minor) <= high


@contextlib.contextmanager
def _multi_worker_fixes(model: keras.Model, strategy: tf.distribute.Strategy | None) -> Iterator[None]:
    """Work around two bugs of Keras 3.15's ``fit`` under ``MultiWorkerMirroredStrategy``, for one call.

    ``fit`` reduces the whole distributed ``(x, y)`` batch in one ``strategy.reduce`` only to learn its
    shapes, which a multi-worker strategy refuses (the first local batch has the same shapes); and it
    averages every log across workers along ``axis=0``, which a scalar loss lacks.
    ``tests/test_distributed.py`` keeps bare Keras under this strategy as an expected failure, so a
    Keras that fixes both shows up there and this can go.
    """
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) or not keras_multi_worker_broken():
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

    # learn the shapes from the first local batch, not a reduce over the whole distributed batch
    model._maybe_symbolic_build = types.MethodType(_symbolic_build_from_local_batch, model)
    # average scalar logs across workers without an axis they lack
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
    same strategy; with ``loss`` it is compiled with ``optimizer`` (a name from
    :data:`darkroom.core.optimizers.OPTIMIZERS` or an optimizer instance, used as given) at
    ``learning_rate`` following ``schedule``; without ``loss`` it must be compiled already and
    keeps its own optimizer.
    ``data`` is a ``tf.data.Dataset`` of ``(x, y)`` or a tuple ``(x, y)`` of arrays (batched by
    ``batch_size``; for a dataset ``batch_size`` only tells the examples/s figure a step's size).
    Training stops after ``epochs``, once ``time_budget_s`` is spent (checked per ``budget_check``),
    or after ``early_stopping`` epochs without ``monitor`` improving by ``min_delta`` (best weights
    restored unless ``restore_best_weights=False``). ``log_dir`` writes TensorBoard scalars (losses,
    metrics, learning rate) and, with ``write_graph``, the graph.
    """
    _check_arguments(epochs, data, batch_size, early_stopping, monitor, validation_data)
    if seed is not None:
        keras.utils.set_random_seed(seed)
    per_epoch = fit_data.steps_per_epoch(data, batch_size, steps_per_epoch)
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
    x, y = (data, None) if fit_data.is_dataset(data) else data
    with timing.Stopwatch() as watch, _multi_worker_fixes(model, strategy):
        hist = model.fit(
            x,
            y,
            batch_size=None if fit_data.is_dataset(data) else batch_size,
            epochs=int(epochs),
            steps_per_epoch=steps_per_epoch,
            validation_data=validation_data,
            shuffle=shuffle and not fit_data.is_dataset(data),
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
        fit_data.batch_examples(data, batch_size),
        fit_data.examples(data),
        restore_best_weights,
    )


def _write_model_graph(model: keras.Model, data: Any, log_dir: str | os.PathLike[str]) -> None:
    # Keras 3's TensorBoard writes only the model's config ("conceptual graph"); the op graph of the
    # forward pass is what TensorBoard's Graphs tab draws, so it is traced and written here.
    spec = fit_data.input_spec(data)
    graphs.trace_graph(lambda x: model(x, training=False), spec, log_dir=Path(log_path(log_dir)) / "train")
