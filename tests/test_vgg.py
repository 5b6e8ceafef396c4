"""darkroom.core.vgg: layer names, VGG units, the memory estimate, the extractors (pooling, cut, caching)
and the normalisation of the random filters."""

from __future__ import annotations

import numpy as np
import pytest

from darkroom.core import vgg

pytestmark = pytest.mark.usefixtures("offline_vgg")


# ----------------------------------------------------------------- layer names, units and memory


def test_layer_names_and_memory_estimate() -> None:
    assert vgg.keras_layer_name("relu4_2") == "block4_conv2"
    assert vgg.keras_layer_name("pool3") == "block3_pool"
    assert vgg.keras_layer_name("block1_conv1") == "block1_conv1"
    with pytest.raises(ValueError, match="relu4_2"):
        vgg.keras_layer_name("fc7")
    # relu1_1 only at 32x32: one 64-channel map, x3 (activation, gradient, workspace), 4 bytes, + weights.
    assert vgg.estimate_memory_bytes(32, 32, last_layer="relu1_1") == 3 * 4 * 32 * 32 * 64 + 80_000_000
    with pytest.warns(UserWarning, match="GiB"):
        vgg.warn_if_huge(8192, 8192, "block5_conv1")


def test_preprocess_round_trip() -> None:
    img = np.random.default_rng(1).random((5, 4, 3)).astype(np.float32)
    x = vgg.preprocess(img)
    np.testing.assert_allclose(x[0, 0], img[0, 0] * 255 - vgg.VGG_MEAN_RGB, rtol=1e-5)
    np.testing.assert_allclose(vgg.deprocess(x), img, atol=1e-5)


# ----------------------------------------------------------------- the network


def test_avg_pooling_replaces_every_pooling_layer_and_net_is_cut() -> None:
    import keras

    model = vgg.vgg_features("random", pooling="avg", layers=("relu5_1", "relu1_1"))
    kinds = [type(layer).__name__ for layer in model.inner.layers]
    assert kinds.count("AveragePooling2D") == 4 and "MaxPooling2D" not in kinds
    assert model.inner.layers[-1].name == "block5_conv1"  # nothing computed past the deepest layer used
    out = model(np.zeros((1, 32, 32, 3), np.float32))
    assert set(out) == {"relu5_1", "relu1_1"} and tuple(out["relu5_1"].shape) == (1, 2, 2, 512)
    maxed = vgg.vgg_features("random", pooling="max", layers=("relu5_1",))
    assert sum(isinstance(layer, keras.layers.MaxPooling2D) for layer in maxed.inner.layers) == 4
    with pytest.raises(ValueError, match="pooling"):
        vgg.vgg_features("random", pooling="min")


def test_random_weights_are_normalised_per_channel() -> None:
    model = vgg.vgg_features("random", layers=("relu3_1",))
    probe = vgg.preprocess(vgg._pink_noise_batch(n=4, size=96, seed=1234))
    means = np.asarray(model(probe)["relu3_1"]).mean(axis=(0, 1, 2))
    np.testing.assert_allclose(means, vgg.RANDOM_ACTIVATION_MEAN, rtol=1e-3)


def test_multiscale_features_map_vgg_names_to_pyramid_levels() -> None:
    names = ("relu1_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1")
    model = vgg.vgg_features("multiscale", layers=names)
    assert model.weights_kind == "multiscale"
    out = {k: np.asarray(v) for k, v in model(np.zeros((1, 64, 48, 3), np.float32) + 5.0).items()}
    n = sum(vgg.MULTISCALE_FILTERS)
    assert out["relu1_1"].shape == (1, 64, 48, n) and out["relu3_1"].shape == (1, 16, 12, n)
    assert out["relu5_1"].shape == (1, 4, 3, n)
    np.testing.assert_array_equal(out["relu4_1"], out["relu4_2"])  # one level, read twice
    # The 3x3 and 7x7 filters are zero-mean per input channel: a flat image gives them nothing to
    # answer to away from the zero-padded border, while the 1x1 colour filters still respond.
    interior = out["relu1_1"][0, 8:-8, 8:-8]
    colour = vgg.MULTISCALE_FILTERS[0]
    assert np.abs(interior[..., colour:]).max() < 1e-3 and interior[..., :colour].max() > 1.0
    # Pooling does not apply: the pyramid always averages, so both requests give one model.
    assert vgg.vgg_features("multiscale", pooling="max", layers=names) is model
    with pytest.raises(ValueError, match="pooling layers"):
        vgg.vgg_features("multiscale", layers=("pool2",))


def test_multiscale_channels_are_normalised_on_pink_noise() -> None:
    model = vgg.vgg_features("multiscale", layers=("relu2_1", "relu5_1"))
    probe = vgg.preprocess(vgg._pink_noise_batch())
    out = model(probe)
    for name in ("relu2_1", "relu5_1"):
        means = np.asarray(out[name]).mean(axis=(0, 1, 2))
        np.testing.assert_allclose(means, vgg.RANDOM_ACTIVATION_MEAN, rtol=1e-3)


# ----------------------------------------------------------------- layers and caching


def test_deepest_layer() -> None:
    assert vgg.deepest_layer(["relu1_1", "relu4_2", "relu3_1"]) == "block4_conv2"


def test_extractors_are_cached_per_weights_layers_and_seed() -> None:
    a = vgg.vgg_features("random", layers=("relu1_1",))
    assert vgg.vgg_features("random", layers=("relu1_1",)) is a
    assert vgg.vgg_features("random", layers=("relu1_1",), seed=1) is not a
    assert vgg.vgg_features("random", layers=("relu2_1",)) is not a
