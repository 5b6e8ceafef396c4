"""darkroom.core.planner: shapes and parameters planned without weights, shape errors in words, multiply-adds."""

from __future__ import annotations

import keras
import pytest

from darkroom.core import memory, planner


def test_shape_mismatch_is_reported_by_layer_name() -> None:
    layers = [keras.layers.Dense(100, name="fc"), keras.layers.Reshape((150, 100, 2), name="to_image")]
    with pytest.raises(
        ValueError,
        match=r"layer 'to_image' \(Reshape\) cannot take the output of layer 'fc', "
        r"which is shaped \(batch, 100\)",
    ):
        planner.check_layers(layers, (64,))
    convs = [
        keras.layers.Conv2D(8, 7, padding="same", name="c1"),
        keras.layers.Conv2D(1, 4, padding="same", name="c2"),
    ]
    with pytest.raises(
        ValueError,
        match=r"the last layer, layer 'c2', outputs \(150, 100, 1\) per example "
        r"but the target is \(150, 100, 2\)",
    ):
        planner.check_layers(convs, (150, 100, 1), target_shape=(150, 100, 2))
    ok = planner.check_layers(
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
    assert planner.multiply_adds(model) == 5760 + 960 + 1080 + 800
    with pytest.raises(ValueError, match=r"built keras\.Model"):
        planner.multiply_adds("not a model")


def test_plan_counts_the_post_s_first_colorizer_by_hand() -> None:
    # Two 7x7 convolutions of 30 features on 150x100x1, then a dense layer to 150*100*2 values.
    spec = planner.plan(
        planner.conv_dense_layers((150, 100, 2), filters=30, num_conv_layers=2, kernel_size=7), (150, 100, 1)
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

    planned = planner.plan(layers(), (17, 13, 2))
    built = planner.spec_from_model(planner.check_layers(layers(), (17, 13, 2)))
    assert planned.layers == built.layers
    assert planned.params == planner.check_layers(layers(), (17, 13, 2)).count_params()
    assert memory.layer_table(planned, 5).total_bytes == memory.layer_table(built, 5).total_bytes


def test_plan_reports_shape_errors_and_unknown_layers() -> None:
    with pytest.raises(
        ValueError,
        match=r"layer 'to_image' \(Reshape\) cannot take the output of layer 'fc', "
        r"which is shaped \(batch, 64\)",
    ):
        planner.plan(
            [keras.layers.Dense(64, name="fc"), keras.layers.Reshape((150, 100, 2), name="to_image")], (1000,)
        )
    with pytest.raises(ValueError, match=r"outputs \(4, 4, 1\) per example but the target is \(4, 4, 2\)"):
        planner.plan([keras.layers.Conv2D(1, 3, padding="same")], (4, 4, 1), target_shape=(4, 4, 2))
    with pytest.raises(ValueError, match=r"cannot count the weights of layer 'lstm' \(LSTM\)"):
        planner.plan([keras.layers.LSTM(3, name="lstm")], (5, 2))
    with pytest.raises(ValueError, match="output_shape must be"):
        planner.conv_dense_layers((150, 100))
