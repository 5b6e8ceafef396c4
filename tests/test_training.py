"""darkroom.core.training: fit (schedules, early stopping, TensorBoard logs, strategies), its
TrainResult and plot_history."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from darkroom.core import optimizers, paths, training

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


# --------------------------------------------------------------------------- fit


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
    model.compile(optimizer=optimizers.optimizer("sgd", 0.1), loss="mse")
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
    folder = paths.log_path("unit_run")
    assert folder == Path(paths.outputs_dir("logs", "unit_run"))
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


def test_train_result_and_plot_history() -> None:
    import matplotlib

    matplotlib.use("Agg")
    result = training.TrainResult(model=None, history={"loss": [3.0, 2.0, 1.0]}, seconds=1.0)
    assert result.final() == 1.0
    ax = training.plot_history(result.history, logy=True)
    assert ax.get_yscale() == "log" and len(ax.lines) == 1
    with pytest.raises(KeyError, match="val_loss"):
        training.plot_history(result.history, keys=["val_loss"])
