"""darkroom.colorize.inference: colorize() at odd sizes, from RGB or gray, and its refusals."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from darkroom import colorize as C
from darkroom.core import color, synthetic


@pytest.fixture(scope="module")
def scenes():
    return synthetic.toy_scenes(16, 32, seed=0)


def test_colorize_odd_size_and_rgb_contributes_only_L(scenes):
    result = C.train_colorizer(scenes, loss="mse", epochs=1, batch_size=8, filters=4)
    image = scenes[0][:29, :31]
    out = C.colorize(result.model, image)
    assert out.shape == (29, 31, 3) and out.dtype == np.float32
    L = color.rgb_to_lab(image)[..., 0]
    gray_rgb = color.lab_to_rgb(np.stack([L, np.zeros_like(L), np.zeros_like(L)], -1))
    np.testing.assert_allclose(C.colorize(result.model, gray_rgb), out, atol=2e-3)
    np.testing.assert_allclose(color.rgb_to_lab(out)[..., 0], L, atol=1.0)  # L is kept
    assert C.colorize(result.model, (image[..., 0] * 255).astype(np.uint8)).shape == (29, 31, 3)
    with pytest.raises(ValueError, match="one image"):
        C.colorize(result.model, scenes[:2])


def test_colorize_refuses_an_empty_image_by_name(scenes):
    model = C.build_light_cnn(4)
    with pytest.raises(ValueError, match="empty image of shape"):
        C.colorize(model, np.zeros((0, 5, 3), np.float32))


def test_a_model_with_three_output_channels_is_refused_before_predicting():
    # it used to return an image: a colorizer's output is ab's 2 channels, not 3
    inputs = keras.Input((None, None, 1))
    rgb_out = keras.Model(inputs, keras.layers.Conv2D(3, 1)(inputs), name="rgb_out")
    with pytest.raises(
        ValueError, match=r"model 'rgb_out' maps .* a colorizer maps L / 100 \(\.\.\., 1\) to ab"
    ):
        C.colorize(rgb_out, np.zeros((8, 8), np.float32))


def test_train_colorizer_refuses_zero_images():
    # used to fail inside NumPy: "zero-size array to reduction operation minimum"
    with pytest.raises(
        ValueError, match=r"train_colorizer: expected RGB images \(N, H, W, 3\), N >= 1; received"
    ):
        C.train_colorizer(np.zeros((0, 16, 16, 3), np.float32), epochs=1)
