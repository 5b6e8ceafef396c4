"""darkroom.style: the losses against hand-computed cases, weights, pooling, a short run, colour preservation."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from darkroom import color, images, style


@pytest.fixture(autouse=True)
def _offline_and_uncached(tmp_path, monkeypatch):
    """No Keras cache, no configured file: what "auto" sees on a fresh offline machine."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv(style.WEIGHTS_ENV, raising=False)
    monkeypatch.setattr(style, "_keras_cache_files", lambda: [tmp_path / "keras_home" / "models" / "none.h5"])


@pytest.fixture(scope="module")
def content() -> np.ndarray:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:64, 0:64] / 64.0
    img = np.stack([x, y, 0.5 + 0.3 * np.sin(6 * x)], -1) * 0.7 + 0.1 * rng.random((64, 64, 3))
    return img.astype(np.float32)


# ----------------------------------------------------------------- losses by hand


def test_gram_matrix_matches_hand_computation() -> None:
    f = np.array([[[1.0, 2.0], [0.0, 1.0]], [[3.0, 0.0], [1.0, 1.0]]], np.float32)  # (H=2, W=2, C=2)
    # F (4x2) = [[1,2],[0,1],[3,0],[1,1]]; F^T F = [[11, 3], [3, 6]]; divided by H*W*C = 8.
    expected = np.array([[11.0, 3.0], [3.0, 6.0]]) / 8.0
    np.testing.assert_allclose(style.gram_matrix(f).numpy(), expected, rtol=1e-6)
    batched = style.gram_matrix(np.stack([f, 2 * f])).numpy()
    np.testing.assert_allclose(batched[1], 4 * expected, rtol=1e-6)


def test_content_style_and_tv_losses_by_hand() -> None:
    f = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    assert float(style.content_layer_loss(f, np.zeros_like(f))) == pytest.approx(7.5)  # (1+4+9+16)/4
    g = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    assert float(style.style_layer_loss(g, np.zeros_like(g))) == pytest.approx(0.5)
    img = np.array([[0.0, 1.0], [2.0, 3.0]], np.float32)[..., None]
    # vertical differences 2, 2 -> mean square 4; horizontal 1, 1 -> 1.
    assert float(style.tv_loss(img)) == pytest.approx(5.0)


def test_style_layer_weight_exponent_and_normalisation() -> None:
    np.testing.assert_allclose(style.style_layer_weights(5, 1.0), [0.2] * 5)
    np.testing.assert_allclose(style.style_layer_weights(5, 2.0), np.array([1, 2, 4, 8, 16]) / 31)
    w = style.style_layer_weights(5, 0.2)
    assert w.sum() == pytest.approx(1.0) and w[0] / w[1] == pytest.approx(5.0)
    with pytest.raises(ValueError, match="style_layer_weight_exp"):
        style.style_layer_weights(5, 0.0)


def test_blend_weights_normalise_and_refuse_bad_input() -> None:
    np.testing.assert_allclose(style.blend_weights([3, 1], 2), [0.75, 0.25])
    np.testing.assert_allclose(style.blend_weights(None, 4), [0.25] * 4)
    with pytest.raises(ValueError, match="at least one style"):
        style.blend_weights(None, 0)
    with pytest.raises(ValueError, match="positive sum"):
        style.blend_weights([0, 0], 2)
    with pytest.raises(ValueError, match="positive sum"):
        style.blend_weights([1, -0.5], 2)
    with pytest.raises(ValueError, match="expected 2 weights"):
        style.blend_weights([1, 2, 3], 2)


def test_relative_change_stop() -> None:
    assert not style.relative_change_stop([10, 9, 8], tol=0.1, window=5)  # too short to judge
    assert style.relative_change_stop([100, 99.9, 99.8, 99.7], tol=0.01, window=3)  # 0.3% < 1%
    assert not style.relative_change_stop([100, 80, 60, 40], tol=0.01, window=3)
    # The running best is compared, so a late spike does not count as progress or stall.
    assert style.relative_change_stop([100, 50, 50.1, 60, 49.99], tol=0.01, window=3)
    assert not style.relative_change_stop([100] * 10, tol=None, window=3)


def test_stopping_iteration_replays_the_rule_online() -> None:
    rng = np.random.default_rng(0)
    losses = list(1000 * np.exp(-np.arange(300) / 40) + 50 + rng.normal(0, 0.5, 300))
    n = style.stopping_iteration(losses, tol=1e-3, window=20)
    online = next(i for i in range(1, 301) if style.relative_change_stop(losses[:i], 1e-3, 20))
    assert n == online and 100 < n < 300
    assert style.stopping_iteration([100, 99.9, 99.8, 99.7], tol=0.01, window=3) == 4
    assert style.stopping_iteration([100, 80, 60, 40], tol=0.01, window=3) is None
    assert style.stopping_iteration([100] * 10, tol=None, window=3) is None


def test_layer_names_and_memory_estimate() -> None:
    assert style.keras_layer_name("relu4_2") == "block4_conv2"
    assert style.keras_layer_name("pool3") == "block3_pool"
    assert style.keras_layer_name("block1_conv1") == "block1_conv1"
    with pytest.raises(ValueError, match="relu4_2"):
        style.keras_layer_name("fc7")
    # relu1_1 only at 32x32: one 64-channel map, x3 (activation, gradient, workspace), 4 bytes, + weights.
    assert style.estimate_memory_bytes(32, 32, last_layer="relu1_1") == 3 * 4 * 32 * 32 * 64 + 80_000_000
    with pytest.warns(UserWarning, match="GiB"):
        style._warn_if_huge(8192, 8192, "block5_conv1")


def test_preprocess_round_trip() -> None:
    img = np.random.default_rng(1).random((5, 4, 3)).astype(np.float32)
    x = style.preprocess(img)
    np.testing.assert_allclose(x[0, 0], img[0, 0] * 255 - style.VGG_MEAN_RGB, rtol=1e-5)
    np.testing.assert_allclose(style.deprocess(x), img, atol=1e-5)


def test_procedural_styles_are_seeded_images() -> None:
    for name in style.PROCEDURAL_STYLES:
        a = style.procedural_style(name, 48, seed=3)
        assert a.shape == (48, 48, 3) and a.dtype == np.float32
        assert 0.0 <= a.min() and a.max() <= 1.0 and a.std() > 0.1
        np.testing.assert_array_equal(a, style.procedural_style(name, 48, seed=3))
        assert not np.array_equal(a, style.procedural_style(name, 48, seed=4))
    with pytest.raises(ValueError, match="swirls"):
        style.procedural_style("plaid")


# ----------------------------------------------------------------- weights and the network


def test_network_probe_gives_up_quickly() -> None:
    # A name that cannot resolve, and an address that accepts connections (sandbox proxies do)
    # or never answers: the probe must say False, not hang.
    assert style._network_available("https://darkroom.invalid/vgg19.h5", timeout=0.5) is False
    assert style._network_available("http://10.255.255.1:9/vgg19.h5", timeout=0.5) is False


def test_auto_falls_back_to_multiscale_offline_and_says_so(monkeypatch, capsys) -> None:
    monkeypatch.setattr(style, "_network_available", lambda *a, **k: False)
    monkeypatch.setattr(style, "_announced", set())
    choice = style.resolve_weights("auto")
    assert choice.kind == "multiscale" == style.OFFLINE_FALLBACK and "MULTI-SCALE" in choice.description
    model = style.vgg_features("auto", layers=("relu1_1",))
    assert model.weights_kind == "multiscale"
    out = capsys.readouterr().out
    assert "MULTI-SCALE RANDOM FILTERS" in out
    style.vgg_features("auto", layers=("relu1_1",))
    assert capsys.readouterr().out == ""  # said once
    assert style.resolve_weights("random").kind == "random"  # still there when asked for by name


def test_resolve_weights_refuses_missing_file(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="no file"):
        style.resolve_weights(tmp_path / "missing.h5")
    with pytest.raises(TypeError):
        style.resolve_weights(3)


def test_avg_pooling_replaces_every_pooling_layer_and_net_is_cut() -> None:
    import keras

    model = style.vgg_features("random", pooling="avg", layers=("relu5_1", "relu1_1"))
    kinds = [type(layer).__name__ for layer in model.inner.layers]
    assert kinds.count("AveragePooling2D") == 4 and "MaxPooling2D" not in kinds
    assert model.inner.layers[-1].name == "block5_conv1"  # nothing computed past the deepest layer used
    out = model(np.zeros((1, 32, 32, 3), np.float32))
    assert set(out) == {"relu5_1", "relu1_1"} and tuple(out["relu5_1"].shape) == (1, 2, 2, 512)
    maxed = style.vgg_features("random", pooling="max", layers=("relu5_1",))
    assert sum(isinstance(layer, keras.layers.MaxPooling2D) for layer in maxed.inner.layers) == 4
    with pytest.raises(ValueError, match="pooling"):
        style.vgg_features("random", pooling="min")


def test_random_weights_are_normalised_per_channel() -> None:
    model = style.vgg_features("random", layers=("relu3_1",))
    probe = style.preprocess(style._pink_noise_batch(n=4, size=96, seed=1234))
    means = np.asarray(model(probe)["relu3_1"]).mean(axis=(0, 1, 2))
    np.testing.assert_allclose(means, style.RANDOM_ACTIVATION_MEAN, rtol=1e-3)


def test_multiscale_features_map_vgg_names_to_pyramid_levels() -> None:
    names = ("relu1_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1")
    model = style.vgg_features("multiscale", layers=names)
    assert model.weights_kind == "multiscale"
    out = {k: np.asarray(v) for k, v in model(np.zeros((1, 64, 48, 3), np.float32) + 5.0).items()}
    n = sum(style.MULTISCALE_FILTERS)
    assert out["relu1_1"].shape == (1, 64, 48, n) and out["relu3_1"].shape == (1, 16, 12, n)
    assert out["relu5_1"].shape == (1, 4, 3, n)
    np.testing.assert_array_equal(out["relu4_1"], out["relu4_2"])  # one level, read twice
    # The 3x3 and 7x7 filters are zero-mean per input channel: a flat image gives them nothing to
    # answer to away from the zero-padded border, while the 1x1 colour filters still respond.
    interior = out["relu1_1"][0, 8:-8, 8:-8]
    colour = style.MULTISCALE_FILTERS[0]
    assert np.abs(interior[..., colour:]).max() < 1e-3 and interior[..., :colour].max() > 1.0
    # Pooling does not apply: the pyramid always averages, so both requests give one model.
    assert style.vgg_features("multiscale", pooling="max", layers=names) is model
    with pytest.raises(ValueError, match="pooling layers"):
        style.vgg_features("multiscale", layers=("pool2",))


def test_multiscale_channels_are_normalised_on_pink_noise() -> None:
    model = style.vgg_features("multiscale", layers=("relu2_1", "relu5_1"))
    probe = style.preprocess(style._pink_noise_batch())
    out = model(probe)
    for name in ("relu2_1", "relu5_1"):
        means = np.asarray(out[name]).mean(axis=(0, 1, 2))
        np.testing.assert_allclose(means, style.RANDOM_ACTIVATION_MEAN, rtol=1e-3)


def test_filter_bank_gram_and_style_distance() -> None:
    swirls = style.procedural_style("swirls", 128)
    g = style.filter_bank_gram(swirls)
    assert g.shape == (43, 43) and np.allclose(g, g.T)
    assert style.style_distance(swirls, swirls) == pytest.approx(0.0, abs=1e-9)
    # The same style drawn with another seed is far closer than another style or a photo.
    same_kind = style.style_distance(style.procedural_style("swirls", 128, seed=5), swirls)
    photo = images.resize(images.sample_image("astronaut"), (128, 128))
    assert same_kind < 0.5 * style.style_distance(style.procedural_style("mosaic", 128), swirls)
    assert same_kind < 0.5 * style.style_distance(photo, swirls)
    # The style is resized to the image's width first, as stylize does.
    big = style.procedural_style("stripes", 256)
    assert style.style_distance(images.resize(big, (64, 64)), big) < 0.05
    with pytest.raises(ValueError, match="one image"):
        style.filter_bank_gram(np.zeros((2, 8, 8, 3), np.float32))


def test_weights_file_round_trip(tmp_path, monkeypatch) -> None:
    import keras

    keras.utils.set_random_seed(7)
    reference = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))
    path = tmp_path / "vgg19_random.weights.h5"
    reference.save_weights(path)
    model = style.vgg_features(path, layers=("relu2_1",))
    assert model.weights_kind == "file"
    for name in ("block1_conv1", "block2_conv1"):
        np.testing.assert_array_equal(model.inner.get_layer(name).get_weights()[0],
                                      reference.get_layer(name).get_weights()[0])
    x = np.random.default_rng(0).normal(size=(1, 32, 32, 3)).astype(np.float32)
    expected = keras.Model(reference.input, reference.get_layer("block2_conv1").output)(x[..., ::-1])
    np.testing.assert_allclose(np.asarray(model(x)["relu2_1"]), np.asarray(expected), rtol=1e-4, atol=1e-4)
    # The environment variable is what "auto" uses offline.
    monkeypatch.setenv(style.WEIGHTS_ENV, str(path))
    assert style.resolve_weights("auto").kind == "file"


# ----------------------------------------------------------------- stylize


def test_short_run_lowers_the_loss_and_returns_frames(content) -> None:
    s = style.procedural_style("mosaic", 64)
    r = style.stylize(content, s, iterations=20, weights="random", checkpoint_iterations=5, progress=False)
    assert r.history["loss"][0] / r.loss > 5.0
    assert [i for i, _ in r.frames] == [0, 5, 10, 15, 20]
    assert all(f.shape == (64, 64, 3) for _, f in r.frames)
    assert r.image.shape == (64, 64, 3) and r.image.dtype == np.float32
    assert r.loss == pytest.approx(min(r.history["loss"]), rel=0.5)  # best kept (final image included)
    assert r.stopped_at is None and r.iterations == 20 and "RANDOM" in r.weights


def test_lbfgs_multires_and_stopping(content) -> None:
    s = style.procedural_style("stripes", 64)
    r = style.stylize(content, s, optimizer="lbfgs", iterations=15, multires=1, multires_iterations=5,
                      weights="random", progress=False)
    assert [st["size"] for st in r.stages] == [(32, 32), (64, 64)]
    assert r.history["stage"].count(0) == 5 and r.loss < r.history["loss"][5]
    stopped = style.stylize(content, s, iterations=200, tol=0.05, tol_window=5, weights="random", progress=False,
                            initial=content)
    assert stopped.stopped_at is not None and stopped.stopped_at == stopped.iterations < 200


def test_lbfgs_gets_lower_than_adam_in_the_same_iterations() -> None:
    # Why L-BFGS is offered at all (Gatys et al. used it): per iteration it descends much further.
    photo = images.resize(images.sample_image("astronaut"), (64, 64))
    s = style.procedural_style("swirls", 64)
    runs = {opt: style.stylize(photo, s, optimizer=opt, iterations=30, initial=photo, weights="random",
                               progress=False) for opt in ("adam", "lbfgs")}
    assert runs["lbfgs"].history["loss"][0] == pytest.approx(runs["adam"].history["loss"][0])
    assert runs["lbfgs"].loss < 0.8 * runs["adam"].loss


def test_preserve_colors_keeps_the_contents_ab(content) -> None:
    s = style.procedural_style("swirls", 64)
    r = style.stylize(content, s, iterations=5, preserve_colors=True, weights="random", progress=False)
    ab_out = color.rgb_to_lab(r.image)[..., 1:]
    ab_in = color.rgb_to_lab(content)[..., 1:]
    assert np.median(np.abs(ab_out - ab_in)) < 1.0
    plain = style.stylize(content, s, iterations=5, weights="random", progress=False)
    assert np.median(np.abs(color.rgb_to_lab(plain.image)[..., 1:] - ab_in)) > 5.0


def test_ycbcr_colour_preservation_is_neural_styles_recipe(content) -> None:
    rng = np.random.default_rng(3)
    styled = (0.35 + 0.3 * rng.random((64, 64, 3))).astype(np.float32)  # mid-range: nothing clips
    soft = (0.4 + 0.2 * content).astype(np.float32)
    out = style.transfer_luminance(styled, soft, "ycbcr")
    luma = np.array([0.299, 0.587, 0.114])
    np.testing.assert_allclose(out @ luma, styled @ luma, atol=1e-4)  # Rec. 601 luma of the result

    def chroma(x):
        return np.stack([x @ [-0.168736, -0.331264, 0.5], x @ [0.5, -0.418688, -0.081312]], -1)

    np.testing.assert_allclose(chroma(out), chroma(soft), atol=1e-4)  # Cb, Cr of the content
    lab = style.transfer_luminance(styled, soft, "lab")
    assert np.abs(lab - out).mean() > 1e-3  # two recipes, two results
    assert style.transfer_luminance(styled, soft) == pytest.approx(lab)  # LAB stays the default
    assert style.preserve_colors_space(True) == "lab" and style.preserve_colors_space(False) is None
    assert style.preserve_colors_space("YCbCr") == "ycbcr"
    with pytest.raises(ValueError, match="'ycbcr'"):
        style.preserve_colors_space("hsv")
    with pytest.raises(ValueError, match="space"):
        style.transfer_luminance(styled, soft, "hsv")
    r = style.stylize(content, style.procedural_style("swirls", 64), iterations=3, preserve_colors="ycbcr",
                      weights="multiscale", progress=False)
    assert np.median(np.abs(chroma(r.image) - chroma(content))) < 0.01  # clipping aside


def test_feature_trial_scores_a_texture_and_a_transfer(content) -> None:
    swirls = style.procedural_style("swirls", 64)
    trial = style.feature_trial(content, swirls, "multiscale", iterations=20, width=32)
    assert "MULTI-SCALE" in trial.weights and trial.transfer.caption.startswith("features: ")
    assert trial.texture.image.shape == trial.transfer.image.shape == (32, 32, 3)
    flat = np.full((32, 32, 3), style.VGG_MEAN_RGB / 255.0, np.float32)  # where the faint noise starts
    assert trial.texture_distance == pytest.approx(style.style_distance(trial.texture.image, swirls))
    assert trial.texture_distance < 0.6 * style.style_distance(flat, swirls)
    assert trial.transfer_distance < style.style_distance(images.resize(content, (32, 32)), swirls)


def test_multiscale_features_rebuild_the_layout_from_noise() -> None:
    # Why they are the offline fallback: their coarse levels carry the photo's layout, so a run from
    # noise ends near the photo, which random VGG19's relu4_2 did not do in trials.
    photo = images.resize(images.sample_image("astronaut"), (64, 64))
    r = style.stylize(photo, style.procedural_style("swirls", 64), initial=None, iterations=60,
                      optimizer="lbfgs", weights="multiscale", progress=False)
    corr = np.corrcoef(r.image.mean(-1).ravel(), photo.mean(-1).ravel())[0, 1]
    assert corr > 0.6


def test_bad_inputs_are_refused_or_converted(content) -> None:
    s = style.procedural_style("stripes", 32)
    with pytest.raises(ValueError, match="at least one style"):
        style.stylize(content, [], iterations=1, weights="random", progress=False)
    with pytest.raises(ValueError, match="positive sum"):
        style.stylize(content, [s, s], style_blend_weights=[0, 0], iterations=1, weights="random", progress=False)
    with pytest.raises(ValueError, match="optimizer"):
        style.stylize(content, s, optimizer="sgd", iterations=1, weights="random", progress=False)
    with pytest.raises(ValueError, match="lbfgs_memory"):
        style.stylize(content, s, optimizer="lbfgs", lbfgs_memory=0, iterations=1, weights="random", progress=False)
    with pytest.raises(ValueError, match="16 px"):
        style.stylize(content[:8, :8], s, iterations=1, weights="random", progress=False)
    gray = content.mean(axis=-1)
    rgba = (np.dstack([s, np.ones(s.shape[:2])]) * 255).astype(np.uint8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = style.stylize(gray, rgba, iterations=2, weights="random", progress=False, width=32)
    messages = " ".join(str(w.message) for w in caught)
    assert "gray" in messages and "alpha" in messages
    assert r.image.shape == (32, 32, 3)


def _fake_result(loss, stage, seconds) -> style.StyleResult:
    history = dict(loss=loss, stage=stage, seconds=seconds, content=loss, style=loss, tv=loss)
    return style.StyleResult(image=np.zeros((4, 4, 3), np.float32), loss=min(loss), history=history, frames=[],
                             stopped_at=None, iterations=len(loss), seconds=seconds[-1], seconds_per_iteration=1.0,
                             weights="RANDOM VGG19 weights (test)")


def test_time_to_reach_and_convergence_plot_use_only_the_full_size_stage() -> None:
    import matplotlib

    matplotlib.use("Agg")
    r = _fake_result([5.0, 1.0, 10.0, 4.0, 2.0], [0, 0, 1, 1, 1], [1.0, 2.0, 3.0, 4.0, 5.0])
    assert style.time_to_reach(r, 4.0) == 4.0  # stage 0 reached 1.0 earlier, but at a smaller size
    assert style.time_to_reach(r, 1.0) is None
    ax = style.plot_convergence({"run": r}, target=4.0)
    line = ax.get_lines()[0]
    assert list(line.get_xdata()) == [3.0, 4.0, 5.0] and list(line.get_ydata()) == [10.0, 4.0, 2.0]
    assert ax.get_yscale() == "log" and "run" in [t.get_text() for t in ax.get_legend().get_texts()]
