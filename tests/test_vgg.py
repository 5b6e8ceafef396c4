"""darkroom.core.vgg: weights resolution, the network probe, the extractors, random-filter normalisation, the losses."""

from __future__ import annotations

import numpy as np
import pytest

from darkroom.core import images, vgg


@pytest.fixture(autouse=True)
def _offline_and_uncached(tmp_path, monkeypatch):
    """No Keras cache, no configured file: what "auto" sees on a fresh offline machine."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv(vgg.WEIGHTS_ENV, raising=False)
    monkeypatch.setattr(vgg, "_keras_cache_files", lambda: [tmp_path / "keras_home" / "models" / "none.h5"])


# ----------------------------------------------------------------- losses by hand


def test_gram_matrix_matches_hand_computation() -> None:
    f = np.array([[[1.0, 2.0], [0.0, 1.0]], [[3.0, 0.0], [1.0, 1.0]]], np.float32)  # (H=2, W=2, C=2)
    # F (4x2) = [[1,2],[0,1],[3,0],[1,1]]; F^T F = [[11, 3], [3, 6]]; divided by H*W*C = 8.
    expected = np.array([[11.0, 3.0], [3.0, 6.0]]) / 8.0
    np.testing.assert_allclose(vgg.gram_matrix(f).numpy(), expected, rtol=1e-6)
    batched = vgg.gram_matrix(np.stack([f, 2 * f])).numpy()
    np.testing.assert_allclose(batched[1], 4 * expected, rtol=1e-6)


def test_content_style_and_tv_losses_by_hand() -> None:
    f = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    assert float(vgg.content_layer_loss(f, np.zeros_like(f))) == pytest.approx(7.5)  # (1+4+9+16)/4
    g = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    assert float(vgg.style_layer_loss(g, np.zeros_like(g))) == pytest.approx(0.5)
    img = np.array([[0.0, 1.0], [2.0, 3.0]], np.float32)[..., None]
    # vertical differences 2, 2 -> mean square 4; horizontal 1, 1 -> 1.
    assert float(vgg.tv_loss(img)) == pytest.approx(5.0)


def test_style_layer_weight_exponent_and_normalisation() -> None:
    np.testing.assert_allclose(vgg.style_layer_weights(5, 1.0), [0.2] * 5)
    np.testing.assert_allclose(vgg.style_layer_weights(5, 2.0), np.array([1, 2, 4, 8, 16]) / 31)
    w = vgg.style_layer_weights(5, 0.2)
    assert w.sum() == pytest.approx(1.0) and w[0] / w[1] == pytest.approx(5.0)
    with pytest.raises(ValueError, match="style_layer_weight_exp"):
        vgg.style_layer_weights(5, 0.0)


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


# ----------------------------------------------------------------- weights and the network


def test_network_probe_gives_up_quickly() -> None:
    # A name that cannot resolve, and an address that accepts connections (sandbox proxies do)
    # or never answers: the probe must say False, not hang.
    assert vgg._network_available("https://darkroom.invalid/vgg19.h5", timeout=0.5) is False
    assert vgg._network_available("http://10.255.255.1:9/vgg19.h5", timeout=0.5) is False


def test_auto_falls_back_to_multiscale_offline_and_says_so(monkeypatch, capsys) -> None:
    monkeypatch.setattr(vgg, "_network_available", lambda *a, **k: False)
    monkeypatch.setattr(vgg, "_announced", set())
    choice = vgg.resolve_weights("auto")
    assert choice.kind == "multiscale" == vgg.OFFLINE_FALLBACK and "MULTI-SCALE" in choice.description
    model = vgg.vgg_features("auto", layers=("relu1_1",))
    assert model.weights_kind == "multiscale"
    out = capsys.readouterr().out
    assert "MULTI-SCALE RANDOM FILTERS" in out
    vgg.vgg_features("auto", layers=("relu1_1",))
    assert capsys.readouterr().out == ""  # said once
    assert vgg.resolve_weights("random").kind == "random"  # still there when asked for by name


def test_resolve_weights_refuses_missing_file(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="no file"):
        vgg.resolve_weights(tmp_path / "missing.h5")
    with pytest.raises(TypeError):
        vgg.resolve_weights(3)


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


def test_weights_file_round_trip(tmp_path, monkeypatch) -> None:
    import keras

    keras.utils.set_random_seed(7)
    reference = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))
    path = tmp_path / "vgg19_random.weights.h5"
    reference.save_weights(path)
    model = vgg.vgg_features(path, layers=("relu2_1",))
    assert model.weights_kind == "file"
    for name in ("block1_conv1", "block2_conv1"):
        np.testing.assert_array_equal(
            model.inner.get_layer(name).get_weights()[0], reference.get_layer(name).get_weights()[0]
        )
    x = np.random.default_rng(0).normal(size=(1, 32, 32, 3)).astype(np.float32)
    expected = keras.Model(reference.input, reference.get_layer("block2_conv1").output)(x[..., ::-1])
    np.testing.assert_allclose(np.asarray(model(x)["relu2_1"]), np.asarray(expected), rtol=1e-4, atol=1e-4)
    # The environment variable is what "auto" uses offline.
    monkeypatch.setenv(vgg.WEIGHTS_ENV, str(path))
    assert vgg.resolve_weights("auto").kind == "file"


# ----------------------------------------------------------------- layers and caching


def test_deepest_layer_and_loss_layers() -> None:
    assert vgg.deepest_layer(["relu1_1", "relu4_2", "relu3_1"]) == "block4_conv2"
    assert vgg.loss_layers(("relu1_1", "relu4_2"), [("relu4_2", 1.0), ("relu5_2", 0.0)]) == (
        "relu1_1",
        "relu4_2",
    )
    assert vgg.loss_layers(("relu1_1",), [("relu4_2", 0.5), ("relu5_2", 0.5)]) == (
        "relu1_1",
        "relu4_2",
        "relu5_2",
    )


def test_extractors_are_cached_per_weights_layers_and_seed() -> None:
    a = vgg.vgg_features("random", layers=("relu1_1",))
    assert vgg.vgg_features("random", layers=("relu1_1",)) is a
    assert vgg.vgg_features("random", layers=("relu1_1",), seed=1) is not a
    assert vgg.vgg_features("random", layers=("relu2_1",)) is not a


# ----------------------------------------------------------------- the perceptual loss


def test_perceptual_loss_by_parts() -> None:
    """Each part against the loss functions it is made of, and the zeros that define it."""
    import tensorflow as tf

    extractor = vgg.vgg_features("multiscale", layers=("relu1_1", "relu2_1", "relu2_2"))
    rng = np.random.default_rng(0)
    style_img, photo = (vgg.preprocess(rng.random((32, 32, 3)).astype(np.float32)) for _ in range(2))
    loss = vgg.PerceptualLoss(
        extractor,
        [style_img],
        content_weight=2.0,
        style_weight=3.0,
        tv_weight=0.5,
        style_layers=("relu1_1", "relu2_1"),
        content_layers=[("relu2_2", 1.0)],
        layer_weights=[0.25, 0.75],
    )
    batch = tf.constant(photo[None])
    total, content, style_, tv = (float(p) for p in loss(batch, loss.content_targets(batch)))
    assert content == 0.0  # the content targets are the image's own features
    f, s = extractor(batch), extractor(tf.constant(style_img[None]))
    expected_style = 3.0 * sum(
        w * float(vgg.style_layer_loss(vgg.gram_matrix(f[n]), vgg.gram_matrix(s[n])))
        for n, w in (("relu1_1", 0.25), ("relu2_1", 0.75))
    )
    assert style_ == pytest.approx(expected_style, rel=1e-5) and style_ > 0
    assert tv == pytest.approx(0.5 * float(vgg.tv_loss(batch)), rel=1e-6)
    assert total == pytest.approx(content + style_ + tv, rel=1e-6)
    # The style image scores no style loss against itself, and a batch broadcasts against one style.
    same = tf.constant(np.stack([style_img, style_img]))
    assert float(loss(same, loss.content_targets(same))[2]) == pytest.approx(0.0, abs=1e-6)


def test_perceptual_loss_gradient_reaches_the_image() -> None:
    import tensorflow as tf

    extractor = vgg.vgg_features("multiscale", layers=("relu1_1", "relu4_2"))
    photo = images.resize(images.sample_image("astronaut"), (32, 32))
    loss = vgg.PerceptualLoss(
        extractor, [vgg.preprocess(photo[::-1])], style_layers=("relu1_1",), content_layers=[("relu4_2", 1.0)]
    )
    x = tf.Variable(vgg.preprocess(photo)[None])
    targets = loss.content_targets(tf.constant(vgg.preprocess(photo)[None]))
    with tf.GradientTape() as tape:
        total = loss(x, targets)[0]
    grad = tape.gradient(total, x)
    assert grad is not None and float(tf.reduce_max(tf.abs(grad))) > 0
