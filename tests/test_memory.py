"""darkroom.core.memory: hand-counted parameters and activations, the fit rule, shape errors."""

from __future__ import annotations

import keras
import pytest

from darkroom.core import memory


def _small_model() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(4, 3, padding="same", name="conv"),
            keras.layers.Dropout(0.5, name="drop"),
            keras.layers.Flatten(name="flat"),
            keras.layers.Dense(10, name="dense"),
        ]
    )


def test_layer_table_matches_hand_counts() -> None:
    table = memory.layer_table(_small_model(), batch_size=2)
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
    assert table.total_bytes == (
        table.fixed_bytes + table.data_bytes + table.activation_bytes + table.workspace_bytes
    )
    assert "dense" in table.to_text() and "total, batch 2" in table.to_text()
    assert memory.layer_table(_small_model(), 2, optimizer="sgd").optimizer_bytes == 0


def test_memory_grows_linearly_with_batch() -> None:
    model = _small_model()
    t1, t10 = memory.layer_table(model, 1), memory.layer_table(model, 10)
    assert t10.total_bytes - t10.fixed_bytes == pytest.approx(10 * (t1.total_bytes - t1.fixed_bytes))


def test_fits_finds_the_largest_batch() -> None:
    model = _small_model()
    budget = memory.layer_table(model, 37).total_bytes + 1
    report = memory.fits(model, 64, budget)
    assert not report.fits and report.largest_batch_size == 37
    assert memory.fits(model, 37, budget).fits
    assert "largest batch that fits: 37" in str(report)
    with pytest.raises(ValueError, match="budget_bytes must be positive"):
        memory.fits(model, 1, 0)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="batch_size must be"):
        memory.layer_table(_small_model(), 0)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        memory.layer_table(_small_model(), 1, optimizer="lbfgs")
    with pytest.raises(TypeError, match=r"expects a keras\.Model"):
        memory.layer_table("model", 1)


def test_shape_mismatch_is_reported_by_layer_name() -> None:
    layers = [keras.layers.Dense(100, name="fc"), keras.layers.Reshape((150, 100, 2), name="to_image")]
    with pytest.raises(
        ValueError,
        match=r"layer 'to_image' \(Reshape\) cannot take the output of layer 'fc', "
        r"which is shaped \(batch, 100\)",
    ):
        memory.check_layers(layers, (64,))
    convs = [
        keras.layers.Conv2D(8, 7, padding="same", name="c1"),
        keras.layers.Conv2D(1, 4, padding="same", name="c2"),
    ]
    with pytest.raises(
        ValueError,
        match=r"the last layer, layer 'c2', outputs \(150, 100, 1\) per example "
        r"but the target is \(150, 100, 2\)",
    ):
        memory.check_layers(convs, (150, 100, 1), target_shape=(150, 100, 2))
    ok = memory.check_layers(
        [keras.layers.Conv2D(2, 3, padding="same")], (16, 16, 1), target_shape=(16, 16, 2)
    )
    assert ok.output_shape == (None, 16, 16, 2)


def test_multiply_adds_match_hand_counts() -> None:
    model = keras.Sequential(
        [
            keras.Input((10, 8, 2)),
            keras.layers.Conv2D(4, 3, padding="same"),  # 10*8*4 * 3*3*2 = 5760
            keras.layers.Conv2D(3, 2, strides=2, padding="same"),  # 5*4*3 * 2*2*4 = 960
            keras.layers.Conv2DTranspose(2, 3, strides=2, padding="same"),  # 5*4*3 * 3*3*2
            keras.layers.Flatten(),
            keras.layers.Dense(5),
        ]
    )  # 10*8*2 * 5 = 800
    assert memory.multiply_adds(model) == 5760 + 960 + 1080 + 800
    with pytest.raises(ValueError, match=r"built keras\.Model"):
        memory.multiply_adds("not a model")


# --- planning from a spec: nets too big to build ---------------------------------------------------


def test_plan_counts_the_post_s_first_colorizer_by_hand() -> None:
    # Two 7x7 convolutions of 30 features on 150x100x1, then a dense layer to 150*100*2 values.
    spec = memory.plan(
        memory.conv_dense_layers((150, 100, 2), features=30, conv_layers=2, kernel_size=7), (150, 100, 1)
    )
    by_name = {layer.name: layer for layer in spec.layers}
    assert by_name["conv1"].params == 7 * 7 * 1 * 30 + 30 == 1_500
    assert by_name["conv2"].params == 7 * 7 * 30 * 30 + 30 == 44_130
    assert by_name["dense"].params == 150 * 100 * 30 * 150 * 100 * 2 + 30_000 == 13_500_030_000
    assert spec.params == 13_500_075_630
    assert by_name["flatten"].output_shape == (450_000,) and spec.target_shapes == ((150, 100, 2),)
    table = memory.layer_table(spec, 1)
    assert table.param_bytes == 4 * 13_500_075_630  # about 54 GB of float32 weights
    assert table.fixed_bytes == 4 * 4 * 13_500_075_630  # weights, gradients and Adam's two slots
    assert table.data_bytes == 4 * 150 * 100 * (1 + 2)
    assert memory.layer_table(spec, 1, optimizer="sgd").fixed_bytes == 2 * 4 * 13_500_075_630


def test_the_post_s_first_colorizer_fits_no_batch_on_its_card() -> None:
    spec = memory.plan(memory.conv_dense_layers((150, 100, 2), kernel_size=7), (150, 100, 1))
    report = memory.fits(spec, 1, 3.5 * 2**30)
    assert not report.fits and report.largest_batch_size == 0
    assert report.fixed_bytes == 16 * spec.params


def test_fits_on_a_spec_finds_the_largest_batch() -> None:
    spec = memory.plan(memory.conv_dense_layers((12, 8, 2), features=4), (12, 8, 1))
    budget = memory.layer_table(spec, 23).total_bytes + 1
    assert memory.fits(spec, 64, budget).largest_batch_size == 23


def test_plan_agrees_with_the_built_model_for_every_layer_kind_it_knows() -> None:
    def layers() -> list[keras.layers.Layer]:
        return [
            keras.layers.Conv2D(6, 3, padding="same", name="conv"),
            keras.layers.BatchNormalization(name="bn"),
            keras.layers.ReLU(name="relu"),
            keras.layers.Conv2D(8, 3, strides=2, groups=2, use_bias=False, name="grouped"),
            keras.layers.Conv2DTranspose(3, 3, strides=2, padding="same", name="up"),
            keras.layers.MaxPooling2D(name="pool"),
            keras.layers.SpatialDropout2D(0.1, name="sdrop"),
            keras.layers.Flatten(name="flat"),
            keras.layers.Dense(7, name="fc"),
            keras.layers.Dropout(0.2, name="drop"),
            keras.layers.Reshape((7, 1), name="shape"),
            keras.layers.Dense(2, use_bias=False, name="per_step"),
        ]

    planned = memory.plan(layers(), (17, 13, 2))
    built = memory.spec_from_model(memory.check_layers(layers(), (17, 13, 2)))
    assert planned.layers == built.layers
    assert planned.params == memory.check_layers(layers(), (17, 13, 2)).count_params()
    assert memory.layer_table(planned, 5).total_bytes == memory.layer_table(built, 5).total_bytes


def test_plan_reports_shape_errors_and_unknown_layers() -> None:
    with pytest.raises(
        ValueError,
        match=r"layer 'to_image' \(Reshape\) cannot take the output of layer 'fc', "
        r"which is shaped \(batch, 64\)",
    ):
        memory.plan(
            [keras.layers.Dense(64, name="fc"), keras.layers.Reshape((150, 100, 2), name="to_image")], (1000,)
        )
    with pytest.raises(ValueError, match=r"outputs \(4, 4, 1\) per example but the target is \(4, 4, 2\)"):
        memory.plan([keras.layers.Conv2D(1, 3, padding="same")], (4, 4, 1), target_shape=(4, 4, 2))
    with pytest.raises(ValueError, match=r"cannot count the weights of layer 'lstm' \(LSTM\)"):
        memory.plan([keras.layers.LSTM(3, name="lstm")], (5, 2))
    with pytest.raises(ValueError, match="output_shape must be"):
        memory.conv_dense_layers((150, 100))


def test_layer_table_refuses_unknown_spatial_sizes() -> None:
    model = keras.Sequential([keras.Input((None, None, 1)), keras.layers.Conv2D(2, 3, padding="same")])
    with pytest.raises(ValueError, match=r"shaped \(batch, None, None, 2\): .*fixed input size"):
        memory.layer_table(model, 4)


def test_backward_workspace_starts_from_the_input_not_half_the_data() -> None:
    # Input 64 values, target 10: the gradient flowing into the dense layer's input is 64 values,
    # so at batch 1 the worst moment holds 64 + 10 floats beyond the kept activations.
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10)])
    assert memory.layer_table(model, 1).workspace_bytes == (64 + 10) * 4
