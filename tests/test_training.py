"""darkroom.core.training: fit, optimizers, schedules, time budget, early stopping, TensorBoard logs,
throughput, and the shared helpers (progress, saving, plots, stopwatch)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from darkroom.core import training

X = np.linspace(-1, 1, 32, dtype=np.float32)[:, None]
Y = 2 * X + 0.5


def line_model() -> keras.Model:
    """Dense(1) from zero, so a run's weights depend only on the data order and the optimizer."""
    return keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="zeros")])


def random_model() -> keras.Model:
    return keras.Sequential(
        [keras.Input((1,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(1)]
    )


def event_tags(folder: Path) -> tuple[set[str], int]:
    """Scalar tags and the number of graph events in every TensorBoard event file under ``folder``."""
    tags, graphs = set(), 0
    for path in folder.rglob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            graphs += bool(event.graph_def)
            tags.update(value.tag for value in event.summary.value)
    return tags, graphs


# --------------------------------------------------------------------------- optimizers and schedules


def test_unknown_optimizer_raises_naming_it_and_the_accepted_names() -> None:
    with pytest.raises(
        ValueError, match=r"'nesterov'.*sgd, momentum, rmsprop, adadelta, adagrad, adam, ftrl"
    ):
        training.optimizer("nesterov")
    with pytest.raises(ValueError, match="'adamw'"):
        training.fit(line_model, (X, Y), loss="mse", optimizer="adamw")


@pytest.mark.parametrize("name", training.OPTIMIZERS)
def test_every_optimizer_builds_and_takes_a_step(name: str) -> None:
    model = line_model()
    model.compile(optimizer=training.optimizer(name, 0.1), loss="mse")
    before = [w.copy() for w in model.get_weights()]
    model.train_on_batch(X, Y)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_sgd_is_plain_and_momentum_is_point_nine() -> None:
    assert training.optimizer("sgd").momentum == 0.0
    assert training.optimizer("momentum", 0.5).momentum == 0.9
    assert float(training.optimizer("momentum", 0.5).learning_rate) == 0.5


def test_learning_rate_schedule_shapes_and_errors() -> None:
    assert training.learning_rate_schedule(0.1, total_steps=10) == 0.1
    exp = training.learning_rate_schedule(0.1, "exponential", total_steps=10)
    cos = training.learning_rate_schedule(0.1, "cosine", total_steps=10)
    assert float(exp(0)) == pytest.approx(0.1) and float(exp(10)) == pytest.approx(0.01)
    assert float(cos(0)) == pytest.approx(0.1) and float(cos(10)) == pytest.approx(0.001)
    with pytest.raises(ValueError, match=r"'linear'.*constant, exponential, cosine"):
        training.learning_rate_schedule(0.1, "linear", total_steps=10)


def test_a_schedule_changes_the_learning_rate_during_fit() -> None:
    result = training.fit(
        line_model,
        (X, Y),
        loss="mse",
        optimizer="sgd",
        learning_rate=0.1,
        schedule="exponential",
        epochs=4,
        batch_size=8,
    )
    assert result.steps == 16
    assert float(result.model.optimizer.learning_rate) == pytest.approx(0.01, rel=1e-4)
    constant = training.fit(
        line_model, (X, Y), loss="mse", optimizer="sgd", learning_rate=0.1, epochs=4, batch_size=8
    )
    assert float(constant.model.optimizer.learning_rate) == pytest.approx(0.1)


# --------------------------------------------------------------------------- fit


def test_fit_trains_counts_steps_and_examples() -> None:
    result = training.fit(
        line_model, (X[:10], Y[:10]), loss="mse", optimizer="sgd", learning_rate=0.1, epochs=2, batch_size=4
    )
    assert isinstance(result, training.TrainResult)
    assert result.epochs_run == 2 and result.stop_reason == "epochs" and result.best_epoch is None
    assert result.steps == 6 and len(result.epoch_end_seconds) == 2
    assert result.history["loss"][1] < result.history["loss"][0]
    assert result.examples_per_second == pytest.approx(20 / result.seconds)


def test_fit_takes_a_dataset_and_a_compiled_model() -> None:
    model = line_model()
    model.compile(optimizer=training.optimizer("sgd", 0.1), loss="mse")
    data = tf.data.Dataset.from_tensor_slices((X, Y)).batch(8)
    result = training.fit(model, data, epochs=2)
    assert (
        result.model is model and result.steps == 8 and result.history["loss"][1] < result.history["loss"][0]
    )
    with pytest.raises(ValueError, match="not compiled"):
        training.fit(line_model(), data)
    with pytest.raises(ValueError, match="received list"):
        training.fit(line_model, [X, Y, Y], loss="mse")


def test_early_stopping_stops_on_a_plateau_and_restores_the_best_weights() -> None:
    # Training fits y = 2x + 0.5 while validation wants y = -2x: every step away from zero makes the
    # validation loss worse, so the first epoch is the best one.
    snapshots = []
    keep = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: snapshots.append(model_ref[0].get_weights())
    )
    model_ref = [line_model()]
    result = training.fit(
        model_ref[0],
        (X, Y),
        loss="mse",
        optimizer="sgd",
        learning_rate=0.05,
        epochs=30,
        batch_size=8,
        shuffle=False,
        validation_data=(X, -2 * X),
        early_stopping=2,
        callbacks=[keep],
    )
    assert result.epochs_run == 3 and result.stop_reason == "early stopping"  # of 30 epochs
    assert result.best_epoch == 1
    assert int(np.argmin(result.history["val_loss"])) + 1 == result.best_epoch
    for kept, best, _last in zip(result.model.get_weights(), snapshots[0], snapshots[-1]):
        np.testing.assert_array_equal(kept, best)
    assert not np.array_equal(result.model.get_weights()[0], snapshots[-1][0])
    with pytest.raises(ValueError, match="needs validation_data"):
        training.fit(line_model, (X, Y), loss="mse", early_stopping=2)


def test_the_time_budget_stops_training() -> None:
    # A zero budget is spent by the end of the first step (or epoch), whatever the machine's speed.
    batch = training.fit(line_model, (X, Y), loss="mse", epochs=50, batch_size=8, time_budget_s=0.0)
    assert batch.epochs_run == 1 and batch.steps == 1 and batch.stop_reason == "time budget"
    epoch = training.fit(
        line_model, (X, Y), loss="mse", epochs=50, batch_size=8, time_budget_s=0.0, budget_check="epoch"
    )
    assert epoch.epochs_run == 1 and epoch.steps == 4 and epoch.stop_reason == "time budget"
    unlimited = training.fit(line_model, (X, Y), loss="mse", epochs=3, batch_size=8, time_budget_s=None)
    assert unlimited.epochs_run == 3 and unlimited.stop_reason == "epochs"
    with pytest.raises(ValueError, match="'step'"):
        training.TimeBudget(1.0, check="step")


def test_a_budget_spent_on_the_last_step_cut_nothing() -> None:
    result = training.fit(line_model, (X, Y), loss="mse", epochs=1, batch_size=32, time_budget_s=0.0)
    assert result.steps == 1 and result.stop_reason == "epochs"


def test_target_reached_notes_the_epoch_and_can_stop() -> None:
    note = training.TargetReached("loss", 1e9, mode="min")
    result = training.fit(line_model, (X, Y), loss="mse", epochs=3, batch_size=8, callbacks=[note])
    assert note.epoch == 1 and note.seconds is not None and result.epochs_run == 3
    stop = training.TargetReached("loss", 1e9, mode="min", stop=True)
    result = training.fit(line_model, (X, Y), loss="mse", epochs=3, batch_size=8, callbacks=[stop])
    assert result.epochs_run == 1 and result.stop_reason == "callback"
    never = training.TargetReached("loss", -1.0, mode="min")
    training.fit(line_model, (X, Y), loss="mse", epochs=2, batch_size=8, callbacks=[never])
    assert never.epoch is None


def test_a_seeded_fit_is_reproducible() -> None:
    def run(seed: int) -> training.TrainResult:
        return training.fit(random_model, (X, Y), loss="mse", epochs=3, batch_size=4, shuffle=True, seed=seed)

    first, again, other = run(3), run(3), run(4)
    assert first.history == again.history
    for a, b in zip(first.model.get_weights(), again.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert first.history != other.history


def test_tensorboard_logs_scalars_learning_rate_and_graph(tmp_path: Path) -> None:
    result = training.fit(
        line_model,
        (X, Y),
        loss="mse",
        epochs=2,
        batch_size=8,
        validation_data=(X, Y),
        log_dir="unit_run",
        write_graph=True,
        schedule="cosine",
    )
    folder = training.log_path("unit_run")
    assert folder == Path(training.outputs_dir("logs", "unit_run"))
    tags, graphs = event_tags(folder)
    assert {"epoch_loss", "epoch_learning_rate"} <= tags and graphs >= 1
    assert result.epochs_run == 2
    plain = tmp_path / "plain" / "run"
    training.fit(line_model, (X, Y), loss="mse", epochs=1, batch_size=8, log_dir=plain)
    tags, graphs = event_tags(plain)
    assert "epoch_learning_rate" in tags and graphs == 0


def test_fit_under_mirrored_strategy_on_the_default_device() -> None:
    strategy = tf.distribute.MirroredStrategy()
    result = training.fit(
        line_model,
        (X, Y),
        loss="mse",
        optimizer="sgd",
        learning_rate=0.1,
        epochs=2,
        batch_size=8,
        strategy=strategy,
    )
    assert strategy.extended.variable_created_in_scope(result.model.weights[0].value)
    single = training.fit(
        line_model,
        (X, Y),
        loss="mse",
        optimizer="sgd",
        learning_rate=0.1,
        epochs=2,
        batch_size=8,
        shuffle=False,
    )
    mirrored = training.fit(
        line_model,
        (X, Y),
        loss="mse",
        optimizer="sgd",
        learning_rate=0.1,
        epochs=2,
        batch_size=8,
        shuffle=False,
        strategy=strategy,
    )
    np.testing.assert_allclose(mirrored.history["loss"], single.history["loss"], rtol=1e-5)


def test_throughput_counts_examples_over_the_timed_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    class TwoSeconds:
        seconds = 2.0

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

    model = line_model()
    model.compile(optimizer="sgd", loss="mse")
    monkeypatch.setattr(training, "Stopwatch", TwoSeconds)
    assert training.throughput(model, (X[:16], Y[:16]), steps=5) == pytest.approx(16 * 5 / 2.0)
    data = tf.data.Dataset.from_tensor_slices((X, Y)).batch(8)
    assert training.throughput(model, data, steps=3, warmup=2) == pytest.approx(8 * 3 / 2.0)
    with pytest.raises(ValueError, match="not compiled"):
        training.throughput(line_model(), (X, Y))


def test_trace_graph_keeps_names_and_writes_for_tensorboard(tmp_path: Path) -> None:
    w = tf.Variable(2.0, name="slope")

    def line(x):
        with tf.name_scope("model"):
            return tf.add(tf.multiply(w, x, name="times_slope"), 1.0, name="prediction")

    graph_def = training.trace_graph(line, tf.TensorSpec((None,), tf.float32), log_dir=tmp_path / "g")
    names = {node.name for node in graph_def.node}
    assert {"model/times_slope", "model/prediction"} <= names
    assert event_tags(tmp_path / "g")[1] == 1


# --------------------------------------------------------------------------- shared helpers


def test_save_model_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import keras

    monkeypatch.setenv("DARKROOM_OUTPUTS", str(tmp_path))
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    path = training.save_model(model, "tiny")
    assert path == tmp_path / "models" / "tiny.keras"
    x = np.ones((1, 3), np.float32)
    np.testing.assert_allclose(training.load_model("tiny")(x), model(x), rtol=1e-6)
    with pytest.raises(ValueError, match="bare name"):
        training.save_model(model, "tiny.keras")
    with pytest.raises(FileNotFoundError, match=r"ghost\.keras"):
        training.load_model("ghost")


def test_keras_progress_counts_epochs_and_strategy_scope() -> None:
    import keras
    import tensorflow as tf

    with training.strategy_scope() as strategy:
        assert strategy is tf.distribute.get_strategy()
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        model.compile("sgd", "mse")
    cb = training.keras_progress(3, "fit")
    model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=3, verbose=0, callbacks=[cb])
    assert cb.bar.n == 3 and "loss" in cb.bar.postfix


def test_train_result_and_plot_history() -> None:
    import matplotlib

    matplotlib.use("Agg")
    result = training.TrainResult(model=None, history={"loss": [3.0, 2.0, 1.0]}, seconds=1.0)
    assert result.final() == 1.0
    ax = training.plot_history(result.history, logy=True)
    assert ax.get_yscale() == "log" and len(ax.lines) == 1
    with pytest.raises(KeyError, match="val_loss"):
        training.plot_history(result.history, keys=["val_loss"])


def test_stopwatch_measures_the_clock_between_enter_and_exit() -> None:
    ticks = iter([100.0, 102.5])
    with training.Stopwatch(clock=lambda: next(ticks)) as sw:
        assert sw.seconds == 0.0
    assert sw.seconds == 2.5


_XLA_SCRIPT = """
import sys
import darkroom, tensorflow as tf
from darkroom.core.training import quiet_first_xla_compile
f = tf.function(lambda x: tf.reduce_sum(x * x), jit_compile=True)
with quiet_first_xla_compile(sys.argv[1] == "quiet"):
    print(float(f(tf.ones(3))))
"""


def test_quiet_first_xla_compile_hides_only_the_xla_announcement() -> None:
    # Run twice in fresh processes: XLA announces itself once per process, from native code.
    runs = {
        mode: subprocess.run(
            [sys.executable, "-c", _XLA_SCRIPT, mode], capture_output=True, text=True, timeout=300, check=True
        )
        for mode in ("loud", "quiet")
    }
    assert "Compiled cluster using XLA" in runs["loud"].stderr  # the control: the line exists to hide
    assert "Compiled cluster using XLA" not in runs["quiet"].stderr
    assert runs["quiet"].stdout.strip() == runs["loud"].stdout.strip() == "3.0"


def test_plot_graph_draws_every_kept_op() -> None:
    import matplotlib

    matplotlib.use("Agg")

    def f(x):
        with tf.name_scope("scale"):
            return tf.multiply(x, 3.0, name="triple")

    graph_def = training.trace_graph(f, tf.TensorSpec((None,), tf.float32))
    nodes, edges = training.graph_edges(graph_def)
    assert nodes == {"x": "Placeholder", "scale/triple": "Mul"} and edges == [("x", "scale/triple", "data")]
    ax = training.plot_graph(graph_def)
    labels = sorted(t.get_text() for t in ax.texts if t.get_text())  # arrows are empty annotations
    assert labels == ["triple\n(Mul)", "x\n(Placeholder)"] and len(ax.texts) == 3
    with pytest.raises(ValueError, match="no ops left"):
        training.plot_graph(graph_def, hide=("Placeholder", "Mul", "Const", "Identity", "NoOp"))
