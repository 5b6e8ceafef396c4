"""darkroom.core.layers: the walk over a model's nested layers."""

from __future__ import annotations

import keras
import pytest

from darkroom.core import layers


def test_all_layers_reaches_into_nested_models() -> None:
    block = keras.Sequential(
        [
            keras.layers.Conv2D(2, 3, padding="same", name="inner_conv"),
            keras.layers.BatchNormalization(name="inner_norm"),
        ],
        name="block",
    )
    inputs = keras.Input((8, 8, 1))
    model = keras.Model(inputs, keras.layers.Dense(1, name="head")(block(inputs)), name="outer")
    names = [layer.name for layer in layers.all_layers(model)]
    assert {"block", "inner_conv", "inner_norm", "head"} <= set(names) and "outer" not in names
    with pytest.raises(TypeError, match=r"expects a keras\.Model or layer; received str"):
        layers.all_layers("model")
