"""darkroom.core.callbacks: the time budget and the target reached, in training.fit."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from darkroom.core import callbacks, training

X = np.linspace(-1, 1, 32, dtype=np.float32)[:, None]
Y = 2 * X + 0.5


def line_model() -> keras.Model:
    """Dense(1) from zero, so a run's weights depend only on the data order and the optimizer."""
    return keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="zeros")])


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
        callbacks.TimeBudget(1.0, check="step")


def test_a_budget_spent_on_the_last_step_cut_nothing() -> None:
    result = training.fit(line_model, (X, Y), loss="mse", epochs=1, batch_size=32, time_budget_s=0.0)
    assert result.steps == 1 and result.stop_reason == "epochs"


def test_target_reached_notes_the_epoch_and_can_stop() -> None:
    note = callbacks.TargetReached("loss", 1e9, mode="min")
    result = training.fit(line_model, (X, Y), loss="mse", epochs=3, batch_size=8, callbacks=[note])
    assert note.epoch == 1 and note.seconds is not None and result.epochs_run == 3
    stop = callbacks.TargetReached("loss", 1e9, mode="min", stop=True)
    result = training.fit(line_model, (X, Y), loss="mse", epochs=3, batch_size=8, callbacks=[stop])
    assert result.epochs_run == 1 and result.stop_reason == "callback"
    never = callbacks.TargetReached("loss", -1.0, mode="min")
    training.fit(line_model, (X, Y), loss="mse", epochs=2, batch_size=8, callbacks=[never])
    assert never.epoch is None
