"""darkroom.inspect: hand-counted parameters and activations, the fit rule, shape errors, a measurement."""

from __future__ import annotations

import keras
import pytest

from darkroom import inspect as dinspect


def _small_model() -> keras.Model:
    return keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(4, 3, padding="same", name="conv"),
        keras.layers.Dropout(0.5, name="drop"),
        keras.layers.Flatten(name="flat"),
        keras.layers.Dense(10, name="dense"),
    ])


def test_layer_table_matches_hand_counts() -> None:
    table = dinspect.layer_table(_small_model(), batch_size=2)
    rows = {r.name: r for r in table.rows}
    assert [r.name for r in table.rows] == ["conv", "drop", "flat", "dense"]
    assert rows["conv"].params == 3 * 3 * 1 * 4 + 4 == 40
    assert rows["dense"].params == 8 * 8 * 4 * 10 + 10 == 2570
    assert rows["conv"].output_shape == (2, 8, 8, 4) and rows["dense"].output_shape == (2, 10)
    assert rows["conv"].activation_bytes == 2 * 256 * 4
    assert rows["drop"].saved_bytes == 2 * 256  # a boolean keep-mask, one byte per element
    assert table.params == 2610 and table.param_bytes == 2610 * 4
    assert table.optimizer_bytes == 2 * 2610 * 4  # Adam keeps two slots per parameter
    assert table.data_bytes == 2 * (64 + 10) * 4  # input and target batch
    assert table.activation_bytes == 4 * 2 * (256 + 256 + 256 + 10) + 2 * 256
    assert table.total_bytes == (table.fixed_bytes + table.data_bytes + table.activation_bytes
                                 + table.workspace_bytes)
    assert "dense" in table.to_text() and "total, batch 2" in table.to_text()
    assert dinspect.layer_table(_small_model(), 2, optimizer="sgd").optimizer_bytes == 0


def test_memory_grows_linearly_with_batch() -> None:
    model = _small_model()
    t1, t10 = dinspect.layer_table(model, 1), dinspect.layer_table(model, 10)
    assert t10.total_bytes - t10.fixed_bytes == pytest.approx(10 * (t1.total_bytes - t1.fixed_bytes))


def test_fits_finds_the_largest_batch() -> None:
    model = _small_model()
    budget = dinspect.layer_table(model, 37).total_bytes + 1
    report = dinspect.fits(model, 64, budget)
    assert not report.fits and report.largest_batch_size == 37
    assert dinspect.fits(model, 37, budget).fits
    assert "largest batch that fits: 37" in str(report)
    with pytest.raises(ValueError, match="budget_bytes must be positive"):
        dinspect.fits(model, 1, 0)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="batch_size must be"):
        dinspect.layer_table(_small_model(), 0)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        dinspect.layer_table(_small_model(), 1, optimizer="lbfgs")
    with pytest.raises(TypeError, match="expects a keras.Model"):
        dinspect.layer_table("model", 1)


def test_shape_mismatch_is_reported_by_layer_name() -> None:
    layers = [keras.layers.Dense(100, name="fc"), keras.layers.Reshape((150, 100, 2), name="to_image")]
    with pytest.raises(ValueError, match=r"layer 'to_image' \(Reshape\) cannot take the output of layer 'fc', "
                                         r"which is shaped \(batch, 100\)"):
        dinspect.check_layers(layers, (64,))
    convs = [keras.layers.Conv2D(8, 7, padding="same", name="c1"), keras.layers.Conv2D(1, 4, padding="same", name="c2")]
    with pytest.raises(ValueError, match=r"the last layer, layer 'c2', outputs \(150, 100, 1\) per example "
                                         r"but the target is \(150, 100, 2\)"):
        dinspect.check_layers(convs, (150, 100, 1), target_shape=(150, 100, 2))
    ok = dinspect.check_layers([keras.layers.Conv2D(2, 3, padding="same")], (16, 16, 1), target_shape=(16, 16, 2))
    assert ok.output_shape == (None, 16, 16, 2)


def test_estimate_is_within_a_third_of_measured_peak_memory() -> None:
    # Activation-heavy model (the post's layout on 64x64) so the step dominates allocator noise.
    inputs = keras.Input((64, 64, 1))
    x = inputs
    for f in (32, 16, 16, 8, 8):
        x = keras.layers.Conv2D(f, 7, padding="same", activation="relu")(x)
        x = keras.layers.Dropout(0.1)(x)
    model = keras.Model(inputs, keras.layers.Conv2D(1, 4, padding="same")(x))
    measured = dinspect.measure_training_memory(model, [48])[48]
    table = dinspect.layer_table(model, 48)
    estimated = table.total_bytes - table.fixed_bytes  # weights and slots exist before the measured step
    assert 0.67 < measured / estimated < 1.5, (measured, estimated)


def test_multiply_adds_match_hand_counts() -> None:
    model = keras.Sequential([keras.Input((10, 8, 2)),
                              keras.layers.Conv2D(4, 3, padding="same"),           # 10*8*4 * 3*3*2 = 5760
                              keras.layers.Conv2D(3, 2, strides=2, padding="same"),  # 5*4*3 * 2*2*4 = 960
                              keras.layers.Conv2DTranspose(2, 3, strides=2, padding="same"),  # 5*4*3 * 3*3*2
                              keras.layers.Flatten(),
                              keras.layers.Dense(5)])                                # 10*8*2 * 5 = 800
    assert dinspect.multiply_adds(model) == 5760 + 960 + 1080 + 800
    with pytest.raises(ValueError, match="built keras.Model"):
        dinspect.multiply_adds("not a model")
