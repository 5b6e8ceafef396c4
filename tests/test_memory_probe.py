"""darkroom.core.memory_probe: the planner's estimate against a real training step's peak memory."""

from __future__ import annotations

import keras

from darkroom.core import memory, memory_probe, planner


def test_estimate_is_within_a_third_of_measured_peak_memory() -> None:
    # Activation-heavy model (the post's layout on 64x64) so the step dominates allocator noise.
    inputs = keras.Input((64, 64, 1))
    x = inputs
    for f in (32, 16, 16, 8, 8):
        x = keras.layers.Conv2D(f, 7, padding="same", activation="relu")(x)
        x = keras.layers.Dropout(0.1)(x)
    model = keras.Model(inputs, keras.layers.Conv2D(1, 4, padding="same")(x))
    measured = memory_probe.measure_training_memory(model, [48])[48]
    table = memory.layer_table(model, 48)
    estimated = table.total_bytes - table.fixed_bytes  # weights and slots exist before the measured step
    assert 0.67 < measured / estimated < 1.5, (measured, estimated)


def test_measured_total_includes_the_weights_gradients_and_adam_slots() -> None:
    # A weight-heavy net (the post's first colorizer at a fifth of its size: 21.6 M weights), so the
    # fixed part dominates. Counted from before the model is built, the measured peak must hold at
    # least the planned tensors. Counted from before the step (the default), it holds neither the
    # weights nor Adam's two slots (3x the weights, all made before the step); whether it holds the
    # weights' gradients depends on whether malloc returned the warm-up's to the system, so the
    # bound leaves room for them (CI once measured 111 MB of step growth on 87 MB of weights).
    model = planner.check_layers(planner.conv_dense_layers((30, 20, 2), kernel_size=7), (30, 20, 1))
    planned = memory.layer_table(model, 8)
    total = memory_probe.measure_training_memory(model, [8], include_model=True)[8]
    step = memory_probe.measure_training_memory(model, [8])[8]
    made_before_the_step = planned.param_bytes + planned.optimizer_bytes
    assert 1.0 < total / planned.total_bytes < 2.5, (total, planned.total_bytes)
    assert step < made_before_the_step < total, (step, made_before_the_step, total)
