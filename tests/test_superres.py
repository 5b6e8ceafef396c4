"""Tests for darkroom.superres: patches, degrade/upscale, baselines, models, scores."""

import keras
import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from darkroom import superres as sr
from darkroom.core import color, images
from darkroom.superres import choices


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(0)


# ----------------------------------------------------------------------------- patches
@pytest.mark.parametrize("shape", [(37, 53), (40, 40), (31, 29, 3)])
@pytest.mark.parametrize("size,stride", [(10, 10), (10, 4), (7, 3), (15, 6), (8, 5)])
@pytest.mark.parametrize("blend", ["tile", "gaussian"])
def test_patches_round_trip_exactly(shape, size, stride, blend):
    image = np.random.default_rng(1).random(shape).astype(np.float32)
    patches = sr.extract_patches(image, size, stride)
    back = sr.reassemble(patches, image.shape, size, stride, blend=blend)
    assert back.shape == image.shape and back.dtype == np.float32
    np.testing.assert_array_equal(back, image)


def test_extract_patches_row_major_and_last_against_border():
    image = np.arange(7 * 6).reshape(7, 6)
    patches = sr.extract_patches(image, 4, 3)
    # rows start at 0, 3 (3 would end at 7: fits exactly); columns at 0 and 2 (against the border)
    assert sr.patch_positions(7, 4, 3) == [0, 3]
    assert sr.patch_positions(6, 4, 3) == [0, 2]
    assert patches.shape == (4, 4, 4)
    np.testing.assert_array_equal(patches[0], image[0:4, 0:4])
    np.testing.assert_array_equal(patches[1], image[0:4, 2:6])
    np.testing.assert_array_equal(patches[2], image[3:7, 0:4])
    np.testing.assert_array_equal(patches[3], image[3:7, 2:6])


def test_tile_shows_seams_and_gaussian_blends_them():
    # Patches that each carry a different constant: tiling keeps hard steps, blending smooths them.
    n = len(sr.patch_positions(30, 10, 5)) ** 2
    patches = np.repeat(np.arange(n, dtype=np.float32)[:, None, None], 10, 1).repeat(10, 2)
    tiled = sr.reassemble(patches, (30, 30), 10, 5, blend="tile")
    blended = sr.reassemble(patches, (30, 30), 10, 5, blend="gaussian")
    assert np.abs(np.diff(tiled, axis=1)).max() >= 1.0
    assert np.abs(np.diff(blended, axis=1)).max() < 0.5


def test_patch_errors_name_the_problem():
    with pytest.raises(ValueError, match="larger than the image"):
        sr.extract_patches(np.zeros((5, 5)), 6, 1)
    with pytest.raises(ValueError, match="blend"):
        sr.reassemble(np.zeros((1, 5, 5)), (5, 5), 5, 5, blend="median")
    with pytest.raises(ValueError, match="shape"):
        sr.reassemble(np.zeros((3, 5, 5)), (5, 5), 5, 5)


# ----------------------------------------------------------------------------- degrade and baselines
def test_degrade_sizes_constant_and_uint8():
    const = np.full((150, 150), 0.3, np.float32)
    small = sr.degrade(const, 1.5)
    assert small.shape == (100, 100)
    np.testing.assert_allclose(small, 0.3, atol=1e-6)
    assert sr.degrade(np.zeros((37, 53, 3), np.uint8), 1.5).shape == (25, 35, 3)
    assert sr.degrade(np.zeros((4, 30, 30, 1)), 3).shape == (4, 10, 10, 1)
    with pytest.raises(ValueError, match="scale"):
        sr.degrade(const, 0.5)


@pytest.mark.parametrize("method", sr.METHODS)
def test_baselines_keep_a_constant_image(method):
    out = sr.upscale(np.full((20, 24), 0.7, np.float32), method, 1.5)
    assert out.shape == (30, 36)
    np.testing.assert_allclose(out, 0.7, atol=1e-6)


def test_baselines_on_a_known_small_case():
    image = np.array([[0.0, 1.0], [0.5, 0.25]], np.float32)
    nearest = sr.upscale(image, "nearest", 2)
    np.testing.assert_array_equal(nearest, np.kron(image, np.ones((2, 2))))
    # Half-pixel centres: output pixels sit at input coordinates -0.25, 0.25, 0.75, 1.25 (clamped).
    bilinear = sr.upscale(np.array([[0.0, 1.0]] * 2, np.float32), "bilinear", 2)
    np.testing.assert_allclose(bilinear[0], [0.0, 0.25, 0.75, 1.0], atol=1e-6)


def test_bicubic_reproduces_a_linear_ramp_away_from_borders():
    ramp = np.tile(np.linspace(0.1, 0.9, 20, dtype=np.float32), (6, 1))
    out = sr.upscale(ramp, "bicubic", 2)
    step = 0.8 / 19
    coords = (np.arange(40) + 0.5) / 2 - 0.5  # input coordinate of each output pixel
    expected = 0.1 + step * coords
    np.testing.assert_allclose(out[3, 6:-6], expected[6:-6], atol=1e-5)


# ----------------------------------------------------------------------------- data
def test_prepare_pairs_as_the_post(rng):
    photos = [rng.random((180, 240, 3)).astype(np.float32), rng.random((160, 160)).astype(np.float32)]
    x, y = sr.prepare_pairs(photos, crops_per_image=2)
    assert x.shape == (4, 100, 100) and y.shape == (4, 150, 150)
    assert x.min() >= -1 and x.max() <= 1 and y.min() >= -1 and y.max() <= 1
    x2, y2 = sr.prepare_pairs(photos, scale=2)
    assert x2.shape == (2, 75, 75) and y2.shape == (2, 150, 150)


def test_patch_pairs_are_aligned():
    hr = np.random.default_rng(2).random((30, 45)).astype(np.float32)
    lr = sr.degrade(hr, 1.5)
    px, py = sr.patch_pairs(lr[None], hr[None], input_size=10, scale=1.5, stride=4)
    assert px.shape[1:] == (10, 10, 1) and py.shape[1:] == (15, 15, 1)
    # patch k = (row 1, column 2) of the 10-px grid at stride 4 -> low-res (4, 8), high-res (6, 12)
    cols = len(range(0, 30 - 10 + 1, 4))
    k = 1 * cols + 2
    np.testing.assert_array_equal(px[k, ..., 0], lr[4:14, 8:18])
    np.testing.assert_array_equal(py[k, ..., 0], hr[6:21, 12:27])


def test_random_crop_pairs_skip_flat_crops():
    photo = np.zeros((120, 120), np.float32)
    photo[:, 60:] = np.random.default_rng(3).random((120, 60))  # half flat, half textured
    x, y = sr.random_crop_pairs([photo], 20, crop_size=24, scale=1.5, min_std=0.1, seed=0)
    assert x.shape == (20, 16, 16, 1) and y.shape == (20, 24, 24, 1)
    assert min(((c + 1) / 2).std() for c in y) >= 0.1


# ----------------------------------------------------------------------------- models
@pytest.mark.parametrize("scale,out", [(1.5, 30), (2, 40)])
def test_conv_models_output_shapes(scale, out):
    x = np.zeros((2, 20, 20, 1), np.float32)
    for model in (
        sr.build_srcnn(scale),
        sr.build_espcn(scale),
        sr.build_espcn(scale, fold=False),
        sr.build_residual_subpixel(scale, filters=8, num_layers=3),
        sr.build_residual_subpixel(scale, filters=8, num_layers=3, subpixel=False),
    ):
        assert model(x).shape == (2, out, out, 1), model.name


def test_mlp_is_the_posts_network():
    model = sr.build_mlp()
    assert model.input_shape == (None, 10, 10, 1) and model.output_shape == (None, 15, 15, 1)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [d.units for d in dense] == [2048, 1024, 225]
    assert all(d.activation.__name__ == "tanh" for d in dense)
    # 100*2048 + 2048 + 2048*1024 + 1024 + 1024*225 + 225
    assert model.count_params() == 2_535_649


@pytest.mark.parametrize(
    "build,x_shape,y_shape",
    [
        (lambda: sr.build_mlp(hidden=(64, 32)), (16, 10, 10, 1), (16, 15, 15, 1)),
        (lambda: sr.build_espcn(filters=(8, 8)), (4, 12, 12, 1), (4, 18, 18, 1)),
        (lambda: sr.build_residual_subpixel(filters=8, num_layers=3), (4, 12, 12, 1), (4, 18, 18, 1)),
    ],
)
def test_train_upscaler_lowers_the_loss(build, x_shape, y_shape):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, x_shape).astype(np.float32)
    y = rng.uniform(-0.5, 0.5, y_shape).astype(np.float32)
    res = sr.train_upscaler(build, x, y, epochs=3, batch_size=len(x), learning_rate=1e-3, seed=0)
    keras.utils.set_random_seed(0)
    fresh = build()  # the same seed gives the same starting weights train_upscaler began from
    fresh.compile(loss="mse")
    before = float(fresh.evaluate(x, y, verbose=0))
    assert res.history["loss"][0] == pytest.approx(before, rel=1e-5)
    assert float(res.model.evaluate(x, y, verbose=0)) < before


def _pairs(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 8, 8, 1)).astype(np.float32)
    y = rng.uniform(-1, 1, (n, 12, 12, 1)).astype(np.float32)
    return x, y


def test_train_upscaler_returns_history_and_timing():
    x, y = _pairs()
    res = sr.train_upscaler(
        lambda: sr.build_espcn(filters=(4, 4)), x, y, epochs=2, batch_size=16, loss="l1", schedule="cosine"
    )
    assert len(res.history["loss"]) == 2 and res.seconds > 0 and res.examples_per_second > 0
    with pytest.raises(ValueError, match="huber"):
        sr.train_upscaler(sr.build_espcn, x, y, loss="huber")


def test_train_upscaler_loss_option_takes_effect():
    x, y = _pairs()
    fit = dict(epochs=2, batch_size=16, seed=0)
    l1 = sr.train_upscaler(lambda: sr.build_espcn(filters=(4, 4)), x, y, loss="l1", **fit)
    mse = sr.train_upscaler(lambda: sr.build_espcn(filters=(4, 4)), x, y, loss="mse", **fit)
    again = sr.train_upscaler(lambda: sr.build_espcn(filters=(4, 4)), x, y, loss="l1", **fit)
    for a, b in zip(l1.model.get_weights(), again.model.get_weights()):
        np.testing.assert_array_equal(a, b)  # same seed, same loss: same weights
    assert any(not np.allclose(a, b) for a, b in zip(l1.model.get_weights(), mse.model.get_weights()))
    pred = l1.model.predict(x, verbose=0)
    assert l1.history["loss"][-1] == pytest.approx(float(np.mean(np.abs(pred - y))), rel=0.2)  # L1 is the MAE


@pytest.mark.parametrize(
    "schedule,final_rate", [("constant", 0.01), ("exponential", 0.01 * 0.1), ("cosine", 0.01 * 0.01)]
)
def test_train_upscaler_schedule_takes_effect(schedule, final_rate):
    x, y = _pairs()  # 2 epochs of 2 steps
    res = sr.train_upscaler(
        lambda: sr.build_espcn(filters=(4, 4)),
        x,
        y,
        epochs=2,
        batch_size=16,
        optimizer="rmsprop",
        learning_rate=0.01,
        schedule=schedule,
    )
    opt = res.model.optimizer
    assert int(opt.iterations) == 4
    # after the run's last step: exponential has decayed tenfold, cosine to 1% of the start
    assert float(opt.learning_rate) == pytest.approx(final_rate, rel=1e-5)


def test_train_upscaler_stops_early_on_a_validation_plateau():
    x, y = _pairs(seed=1)
    noise = _pairs(seed=2)  # nothing to learn about these: the validation loss soon stops falling
    res = sr.train_upscaler(
        lambda: sr.build_espcn(filters=(4, 4)),
        x,
        y,
        epochs=30,
        batch_size=16,
        learning_rate=0.01,
        validation_data=noise,
        early_stopping=1,
    )
    assert res.stop_reason == "early stopping" and res.epochs_run < 30
    assert res.best_epoch is not None and res.best_epoch <= res.epochs_run
    huge = sr.train_upscaler(
        lambda: sr.build_espcn(filters=(4, 4)),
        x,
        y,
        epochs=30,
        batch_size=16,
        validation_data=(x, y),
        early_stopping=1,
        min_delta=10.0,
    )
    assert huge.epochs_run == 2  # no epoch improves by 10: a plateau after the first


# ----------------------------------------------------------------------------- upscale
@pytest.fixture(scope="module")
def models():
    keras.utils.set_random_seed(0)
    return {
        "mlp": sr.build_mlp(hidden=(32, 16)),
        "mlp_on_bicubic": sr.build_mlp(input_size=15, output_size=15, hidden=(32, 16)),
        "espcn": sr.build_espcn(filters=(8, 8)),
        "resub": sr.build_residual_subpixel(filters=8, num_layers=3),
    }


@pytest.mark.parametrize("method", [*list(sr.METHODS), "mlp", "mlp_on_bicubic", "espcn", "resub"])
def test_upscale_odd_sized_gray_and_colour(models, method):
    method_or_model = models.get(method, method)
    gray = np.random.default_rng(4).random((37, 53)).astype(np.float32)
    out = sr.upscale(gray, method_or_model, 1.5)
    assert out.shape == (56, 80) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1
    rgb = (np.random.default_rng(5).random((37, 53, 3)) * 255).astype(np.uint8)
    assert sr.upscale(rgb, method_or_model, 1.5).shape == (56, 80, 3)


def test_upscale_colour_keeps_gray_pixels_gray(models):
    gray = np.random.default_rng(6).random((24, 30)).astype(np.float32)
    out = sr.upscale(np.stack([gray] * 3, -1), models["resub"], 1.5)
    np.testing.assert_allclose(out[..., 0], out[..., 1], atol=1e-5)
    np.testing.assert_allclose(out[..., 2], out[..., 1], atol=1e-5)


def test_upscale_with_an_untrained_residual_model_is_bicubic():
    model = sr.build_residual_subpixel(filters=8, num_layers=3)
    for layer in model.layers:  # zero the learned branch: only the bicubic skip remains
        if isinstance(layer, keras.layers.Conv2D):
            layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    image = np.random.default_rng(7).random((40, 36)).astype(np.float32)
    ours, bicubic = sr.upscale(image, model, 1.5), sr.upscale(image, "bicubic", 1.5)
    # the reflected margin changes bicubic's clamped border pixels only
    np.testing.assert_allclose(ours[3:-3, 3:-3], bicubic[3:-3, 3:-3], atol=1e-5)


def test_upscale_rejects_what_it_cannot_do(models):
    with pytest.raises(ValueError, match="method"):
        sr.upscale(np.zeros((10, 10)), "lanczos")
    with pytest.raises(TypeError, match="method_or_model"):
        sr.upscale(np.zeros((10, 10)), 3)
    with pytest.raises(ValueError, match="x2"):
        sr.upscale(np.zeros((20, 20)), models["mlp"], 2)


def test_saved_model_loads_back_with_identical_output(tmp_path, models):
    image = np.random.default_rng(8).random((30, 26)).astype(np.float32)
    for name in ("espcn", "resub"):
        path = tmp_path / f"{name}.keras"
        models[name].save(path)
        loaded = keras.models.load_model(path)
        np.testing.assert_array_equal(sr.upscale(image, loaded, 1.5), sr.upscale(image, models[name], 1.5))
    srcnn = sr.build_srcnn()
    srcnn.save(tmp_path / "srcnn.keras")
    loaded = keras.models.load_model(tmp_path / "srcnn.keras")
    np.testing.assert_array_equal(sr.upscale(image, loaded, 1.5), sr.upscale(image, srcnn, 1.5))


# ----------------------------------------------------------------------------- scores
def test_score_excludes_the_border_and_matches_scikit_image():
    rng = np.random.default_rng(9)
    target = rng.random((40, 40)).astype(np.float32)
    pred = target.copy()
    pred[:8] = 1 - pred[:8]  # damage only the border
    assert sr.score(target, pred)["mae"] == 0.0
    noisy = np.clip(target + rng.normal(0, 0.05, target.shape), 0, 1).astype(np.float32)
    s = sr.score(target, noisy, border=8)
    inner = (slice(8, 32), slice(8, 32))
    assert s["mae"] == pytest.approx(np.abs(noisy - target)[inner].mean(), rel=1e-6)
    assert s["psnr"] == pytest.approx(
        peak_signal_noise_ratio(target[inner], noisy[inner], data_range=1), rel=1e-4
    )
    reference = structural_similarity(
        target[inner],
        noisy[inner],
        data_range=1,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
    )
    assert s["ssim"] == pytest.approx(reference, abs=1e-4)


def test_score_takes_target_then_prediction():
    target, prediction = np.zeros((40, 40), np.float32), np.zeros((20, 20), np.float32)
    with pytest.raises(ValueError, match=r"target and prediction .* \(40, 40\) and \(20, 20\)"):
        sr.score(target, prediction)
    assert sr.score(target=np.zeros((20, 20)), prediction=np.ones((20, 20)), border=0)["mae"] == 1.0


def test_evaluate_ranks_the_baselines_on_a_photo():
    from darkroom.core import images

    photo = images.sample_image("camera")[:192, :192]
    scores = {m: sr.evaluate([photo], m, 1.5) for m in sr.METHODS}
    assert scores["nearest"]["psnr"] < scores["bilinear"]["psnr"] < scores["bicubic"]["psnr"]
    assert scores["bicubic"]["mae"] < scores["nearest"]["mae"]


# ----------------------------------------------------------------------------- the post's choices
def test_mlp_dropout_is_named_by_keep_prob():
    model = sr.build_mlp(hidden=(16, 8), keep_prob=0.9)
    rates = [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    assert rates == pytest.approx([0.1, 0.1])
    assert not [
        layer for layer in sr.build_mlp(hidden=(16, 8)).layers if isinstance(layer, keras.layers.Dropout)
    ]
    with pytest.raises(ValueError, match="keep_prob"):
        sr.build_mlp(keep_prob=0.0)


def test_mlp_output_activation_as_the_posts_code():
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(10).uniform(-1, 1, (64, 10, 10, 1)).astype(np.float32)
    everywhere = sr.build_mlp(hidden=(16,), activation="sigmoid", output_activation=None)
    assert float(np.min(everywhere(x))) > 0.0  # a sigmoid output never reaches the dark half of [-1, 1]
    dense = [
        layer
        for layer in sr.build_mlp(hidden=(16,), activation="relu").layers
        if isinstance(layer, keras.layers.Dense)
    ]
    assert [d.activation.__name__ for d in dense] == ["relu", "tanh"]


@pytest.mark.parametrize("name,cls", [("sgd", "SGD"), ("adadelta", "Adadelta"), ("rmsprop", "RMSprop")])
def test_train_upscaler_chooses_the_posts_optimizers(name, cls):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (16, 10, 10, 1)).astype(np.float32)
    y = rng.uniform(-1, 1, (16, 15, 15, 1)).astype(np.float32)
    res = sr.train_upscaler(
        lambda: sr.build_mlp(hidden=(8,)), x, y, epochs=1, batch_size=16, optimizer=name, learning_rate=0.01
    )
    assert type(res.model.optimizer).__name__ == cls
    assert float(res.model.optimizer.learning_rate) == pytest.approx(0.01)
    with pytest.raises(ValueError, match=r"'nadam'.*adadelta"):
        sr.train_upscaler(lambda: sr.build_mlp(hidden=(8,)), x, y, optimizer="nadam")


def _nearest_patch_model() -> keras.Model:
    inputs = keras.Input((10, 10, 1))
    return keras.Model(inputs, keras.layers.Resizing(15, 15, interpolation="nearest")(inputs))


def test_writeup_r2_is_the_mean_squared_difference_on_aligned_patches():
    lr = np.random.default_rng(11).uniform(-1, 1, (3, 24, 24)).astype(np.float32)
    hr = images.resize(lr[..., None], (36, 36), "nearest", backend="tensorflow", clip=False)[
        ..., 0
    ]  # labels a nearest model predicts exactly
    model = _nearest_patch_model()
    assert sr.writeup_r2(lr, hr, model, 1.5, patches_per_image=5) == pytest.approx(0.0, abs=1e-12)
    shifted = np.roll(hr, 1, axis=2)
    assert sr.writeup_r2(lr, shifted, model, 1.5, patches_per_image=5) > 0.05
    constant = np.full_like(hr, 0.5)
    zero = sr.build_mlp(hidden=(4,))
    zero.set_weights([np.zeros_like(w) for w in zero.get_weights()])  # predicts tanh(0) = 0 everywhere
    assert sr.writeup_r2(lr, constant, zero, 1.5) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="patch model"):
        sr.writeup_r2(lr, hr, sr.build_espcn(filters=(4, 4)), 1.5)


def test_score_rows_are_evaluate_plus_reference_and_timings():
    photo = np.random.default_rng(12).random((48, 48)).astype(np.float32)
    x, y = _pairs(16)
    trained = sr.train_upscaler(lambda: sr.build_espcn(filters=(4, 4)), x, y, epochs=1, batch_size=16)
    rows = sr.score_rows([photo], {"bicubic": "bicubic", "near": "nearest", "net": trained}, 1.5)
    assert list(rows) == ["bicubic", "near", "net"]
    assert (
        rows["near"]["method"] == "near"
        and rows["near"]["train_s"] is None
        and rows["near"]["mp_per_s"] is None
    )
    assert {k: rows["near"][k] for k in ("mae", "psnr", "ssim")} == sr.evaluate([photo], "nearest", 1.5)
    assert rows["bicubic"]["dB_vs_bicubic"] == 0.0
    assert rows["near"]["dB_vs_bicubic"] == pytest.approx(rows["near"]["psnr"] - rows["bicubic"]["psnr"])
    assert rows["net"]["train_s"] == trained.seconds
    mlp = sr.build_mlp(hidden=(4,))
    blends = sr.score_rows(
        [photo], {"t": (mlp, "tile"), "g": (mlp, "gaussian")}, 1.5, reference=None, bench_size=30
    )
    assert blends["t"]["mae"] == sr.evaluate([photo], mlp, 1.5, blend="tile")["mae"] != blends["g"]["mae"]
    assert "dB_vs_bicubic" not in blends["t"] and blends["t"]["mp_per_s"] > 0


def _random_setting_data():
    """Three (input, label) pairs of random images in [-1, 1] at x1.5, and one photo to score on."""
    rng = np.random.default_rng(13)
    pairs = [
        (
            rng.uniform(-1, 1, (2, 24, 24)).astype(np.float32),
            rng.uniform(-1, 1, (2, 36, 36)).astype(np.float32),
        )
        for _ in range(3)
    ]
    return pairs, rng.random((45, 45)).astype(np.float32)


def test_untrained_setting_row_scores_the_weights_a_zero_step_run_keeps():
    pairs, photo = _random_setting_data()
    row = sr.untrained_setting_row([photo], pairs[2], pairs[1], hidden=(8,))
    assert row["setting"].startswith("untrained") and row["epochs_run"] == 0
    # The same weights as the base recipe's net built from the same seed, scored the same way.
    keras.utils.set_random_seed(0)
    twin = sr.build_mlp(10, 15, hidden=(8,))
    assert row["mae"] == pytest.approx(sr.evaluate([photo], twin, 1.5)["mae"], rel=1e-6)
    assert set(row) >= {"mae", "psnr", "ssim", "r2_test", "r2_val"}


def test_compare_settings_builds_and_trains_each_setting(monkeypatch):
    built = []
    original = sr.build_mlp

    def recording(*args, **kwargs):
        built.append((args, kwargs))
        return original(*args, **kwargs)

    trained = []
    train = sr.train_upscaler

    def recording_training(*args, **kwargs):
        trained.append(kwargs)
        return train(*args, **kwargs)

    # compare_settings looks both up in its own module, the package's choices.py
    monkeypatch.setattr(choices, "build_mlp", recording)
    monkeypatch.setattr(choices, "train_upscaler", recording_training)
    pairs, photo = _random_setting_data()
    settings = {
        "base": {},
        "sigmoid": {"activation": "sigmoid"},
        "keep 0.5": {"keep_prob": 0.5},
        "gd": {"optimizer": "sgd", "learning_rate": 0.5},
        "patch 8": {"patch": 8},
        "gauss": {"initializer": "gaussian_0.01"},
        "whole": {"patch": "whole"},
    }
    rows = sr.compare_settings(
        settings,
        *pairs,
        [photo],
        hidden=(8,),
        epochs=4,
        patience=0,
        stride=4,
        num_patches=24,
        num_validation_patches=20,
        min_delta=1e-3,
    )
    assert [r["setting"] for r in rows] == list(settings)
    assert set(rows[0]) == {
        "setting",
        "mae",
        "psnr",
        "ssim",
        "r2_test",
        "r2_val",
        "epochs_run",
        "best_epoch",
        "train_s",
    }
    assert built[0] == ((10, 15), {"hidden": (8,), "initializer": "glorot_uniform"})
    assert built[1][1]["activation"] == "sigmoid" and built[1][1]["output_activation"] is None
    assert built[2][1]["keep_prob"] == 0.5 and built[4][0] == (8, 12)
    assert built[5][1]["initializer"].stddev == 0.01
    assert built[6][0] == (24, 36) and len(trained[6]["validation_data"][0]) == 2  # one patch per image
    assert all(t["early_stopping"] == 0 and t["epochs"] == 4 and t["min_delta"] == 1e-3 for t in trained)
    assert (
        trained[0]["validation_data"][0].shape[1:] == (10, 10, 1)
        and len(trained[0]["validation_data"][0]) == 20
    )
    assert trained[4]["validation_data"][1].shape[1:] == (12, 12, 1)
    assert len(trained[0]["validation_data"][0]) == 20
    assert trained[3]["optimizer"] == "sgd" and trained[3]["learning_rate"] == 0.5
    assert all(1 <= r["epochs_run"] <= 4 for r in rows)
    with pytest.raises(ValueError, match="momentum"):
        sr.compare_settings({"bad": {"momentum": 0.9}}, *pairs, [photo], hidden=(8,))


def test_writeup_settings_cover_what_the_post_tried():
    from darkroom.core import writeups

    for grid in sr.GRIDS:
        changes = list(sr.writeup_settings(grid).values())
        assert changes[0] == {}
        assert {c.get("activation", "tanh") for c in changes} == {"sigmoid", "tanh", "relu"}
        assert {c.get("optimizer", "rmsprop") for c in changes} == {"sgd", "adadelta", "rmsprop"}
        assert {c.get("keep_prob", 1.0) for c in changes} == {
            writeups.value("sr_keep_prob_low"),
            writeups.value("sr_keep_prob_high"),
            1.0,
        }
        assert {c.get("schedule", "exponential") for c in changes} == {"constant", "exponential"}
        assert {c.get("patch", 10) for c in changes} >= {8, 10, 16}
        assert writeups.value("sr_learning_rate") in {c.get("learning_rate") for c in changes}
        assert () in {c.get("hidden") for c in changes}
    full = list(sr.writeup_settings("full").values())
    assert (4096, 2048, 1024, 512) in {c.get("hidden") for c in full} and {"patch": "whole"} in full
    assert (2048, 1024, 512, 256) in {c.get("hidden") for c in sr.writeup_settings("default").values()}
    with pytest.raises(ValueError, match="'huge'"):
        sr.writeup_settings("huge")


def test_seam_contrast_finds_a_tile_grid():
    rng = np.random.default_rng(14)
    from skimage.filters import gaussian

    smooth = gaussian(rng.random((300, 300)), sigma=2).astype(np.float32)  # stationary: no grid anywhere
    offsets = np.kron(rng.normal(0, 0.02, (20, 20)), np.ones((15, 15)))  # a different offset per 15-px tile
    tiled = np.clip(smooth + offsets, 0, 1).astype(np.float32)
    assert sr.seam_contrast(tiled, 15) > 2.0
    assert sr.seam_contrast(smooth, 15) == pytest.approx(1.0, abs=0.1)
    with pytest.raises(ValueError, match="period"):
        sr.seam_contrast(smooth, 1)


def test_plot_scores_draws_gains_over_a_reference():
    import matplotlib

    matplotlib.use("Agg")
    rows = [{"method": "a", "psnr": 31.0}, {"method": "b", "psnr": 29.0}]
    ax = sr.plot_scores(rows, reference=30.0)
    widths = sorted(bar.get_width() for bar in ax.patches)
    assert widths == pytest.approx([-1.0, 1.0])
    with pytest.raises(ValueError, match="no rows"):
        sr.plot_scores([])


def test_plot_settings_draws_both_panels():
    import matplotlib

    matplotlib.use("Agg")
    rows = [{"setting": "a", "psnr": 31.0, "r2_test": 0.02}, {"setting": "b", "psnr": 29.0, "r2_test": 0.03}]
    fig = sr.plot_settings(rows, 30.0, title="t")
    left, right = fig.axes
    assert sorted(b.get_width() for b in left.patches) == pytest.approx([-1.0, 1.0])
    assert sorted(b.get_width() for b in right.patches) == pytest.approx([0.02, 0.03])


# ----------------------------------------------------------------------------- clean-up pass and text
def test_refine_runs_a_same_size_model_without_enlarging():
    inputs = keras.Input((15, 15, 1))
    identity = keras.Model(inputs, keras.layers.Identity()(inputs))
    gray = np.random.default_rng(20).random((37, 41)).astype(np.float32)
    np.testing.assert_allclose(sr.refine(gray, identity), gray, atol=1e-6)
    np.testing.assert_allclose(sr.refine(np.stack([gray] * 3, -1), identity, blend="tile"), gray, atol=1e-6)
    with pytest.raises(ValueError, match="same size in and out"):
        sr.refine(gray, sr.build_mlp(hidden=(4,)))


def test_cleanup_rows_see_noise_and_blur():
    from skimage.filters import gaussian

    clean = gaussian(np.kron(np.random.default_rng(21).random((8, 8)), np.ones((12, 12))), sigma=1).astype(
        np.float32
    )
    noisy = np.clip(clean + np.random.default_rng(22).normal(0, 0.05, clean.shape), 0, 1).astype(np.float32)
    blurred = gaussian(clean, sigma=3).astype(np.float32)
    rows = {
        r["image"]: r for r in sr.cleanup_rows(clean, {"same": clean, "noisy": noisy, "blurred": blurred})
    }
    assert rows["same"]["noise"] == 0.0 and rows["same"]["edges"] == pytest.approx(1.0)
    assert rows["noisy"]["noise"] == pytest.approx(0.05, rel=0.2)
    assert rows["blurred"]["edges"] < 0.7 < rows["noisy"]["edges"]
    assert rows["noisy"]["psnr"] == sr.score(clean, noisy)["psnr"]


def test_text_image_draws_dark_glyphs_on_white():
    image = sr.text_image("5B", height=30, pad=10)
    assert image.shape[0] == 50 and image.dtype == np.float32
    assert image[:5].min() == pytest.approx(1.0) and image.min() < 0.1  # white margin, black ink
    assert 0.05 < float((image < 0.5).mean()) < 0.5
    assert not np.array_equal(sr.text_image("5", 30, 10), sr.text_image("B", 30, 10))
    with pytest.raises(ValueError, match="visible text"):
        sr.text_image("  ")


# ----------------------------------------------------------------------------- users' images, tiles, shipped models
def _perturbed_resub(scale: int) -> keras.Model:
    """A residual sub-pixel net whose head is not zero, so it differs from bicubic everywhere."""
    model = sr.build_residual_subpixel(scale, 8, 4)
    keras.utils.set_random_seed(3)
    model.set_weights(
        [
            w + np.random.default_rng(i).normal(0, 0.05, w.shape).astype(np.float32)
            for i, w in enumerate(model.get_weights())
        ]
    )
    return model


@pytest.mark.parametrize("scale", [2, 3])
def test_tiled_upscale_matches_untiled(scale: int) -> None:
    photo = color.to_luminance(sr.photo_splits("embedded")["test"][0])[:70, :90]
    rgb = np.stack([photo, photo[::-1], photo[:, ::-1]], -1)
    model = _perturbed_resub(scale)
    whole = sr.upscale(rgb, model, scale)
    assert np.abs(whole - sr.upscale(rgb, "bicubic", scale)).max() > 1e-2  # the model does something
    tiled = sr.upscale(rgb, model, scale, tile=24)
    assert tiled.shape == whole.shape == (70 * scale, 90 * scale, 3)
    np.testing.assert_allclose(tiled, whole, atol=1e-4)


def test_too_small_halo_shows_seams() -> None:
    rgb = np.random.default_rng(0).random((40, 40)).astype(np.float32)
    model = _perturbed_resub(2)
    assert np.abs(sr.upscale(rgb, model, 2, tile=10, halo=0) - sr.upscale(rgb, model, 2)).max() > 1e-3


def test_upscale_refuses_nan_and_keeps_alpha() -> None:
    image = np.full((8, 9, 3), 0.5, np.float32)
    image[2, 3, 1] = np.nan
    with pytest.raises(ValueError, match="1 NaN"):
        sr.upscale(image, "bicubic", 2)
    rgba = np.random.default_rng(0).random((8, 9, 4)).astype(np.float32)
    out = sr.upscale(rgba, _perturbed_resub(2), 2)
    assert out.shape == (16, 18, 4)
    np.testing.assert_allclose(out[..., 3], sr.upscale(rgba[..., 3], "bicubic", 2), atol=1e-6)
    gray_alpha = sr.upscale((rgba[..., :2] * 65535).astype(np.uint16), "bicubic", 2)
    assert gray_alpha.shape == (16, 18, 2)


def test_shipped_upscalers_load_and_beat_bicubic_on_a_held_out_photo() -> None:
    photo = sr.photo_splits("embedded")["test"][1]  # grace_hopper: never seen in training
    for scale in sr.SHIPPED_SCALES:
        assert sr.shipped_model_path(scale).stat().st_size < 1_000_000
        model = sr.load_upscaler(None, scale)
        ours = sr.evaluate([photo], model, scale)["psnr"]
        bicubic = sr.evaluate([photo], "bicubic", scale)["psnr"]
        assert ours > bicubic + 0.3, (scale, ours, bicubic)
    lr = sr.degrade(photo[:60, :60], 2)
    np.testing.assert_array_equal(sr.upscale(lr, scale=2), sr.upscale(lr, sr.load_upscaler("resub_x2", 2), 2))
    with pytest.raises(ValueError, match="x5"):
        sr.shipped_model_path(5)
    with pytest.raises(FileNotFoundError, match="no model 'nope'"):
        sr.load_upscaler("nope", 2)


# ----------------------------------------------------------------------------- notebook 08's experiments
def test_cleanup_passes_enlarge_add_seeded_noise_and_refine():
    inputs = keras.Input((15, 15, 1))
    identity = keras.Model(inputs, keras.layers.Identity()(inputs))
    photo = (0.3 + 0.4 * np.random.default_rng(23).random((45, 47, 3))).astype(np.float32)
    clean, passes = sr.cleanup_passes(photo, identity, 1.5, noise_sigma=0.05, seed=3)
    assert clean.shape == (45, 45)  # cut to whole 3-pixel blocks
    np.testing.assert_array_equal(clean, color.to_luminance(photo)[:, :45])
    assert list(passes) == [
        "bicubic enlargement",
        "clean-up pass on it",
        "with noise",
        "clean-up pass on the noisy one",
    ]
    enlarged = sr.upscale(sr.degrade(clean, 1.5), "bicubic", 1.5)
    np.testing.assert_array_equal(passes["bicubic enlargement"], enlarged)
    np.testing.assert_allclose(passes["clean-up pass on it"], enlarged, atol=1e-6)  # identity refiner
    assert np.std(passes["with noise"] - enlarged) == pytest.approx(0.05, rel=0.15)
    np.testing.assert_allclose(passes["clean-up pass on the noisy one"], passes["with noise"], atol=1e-6)
    again = sr.cleanup_passes(photo, identity, 1.5, noise_sigma=0.05, seed=3)[1]["with noise"]
    other = sr.cleanup_passes(photo, identity, 1.5, noise_sigma=0.05, seed=4)[1]["with noise"]
    assert np.array_equal(again, passes["with noise"]) and not np.array_equal(other, again)
    quiet = sr.cleanup_passes(photo, identity, 1.5, noise_sigma=0.0)[1]
    np.testing.assert_allclose(quiet["with noise"], enlarged, atol=1e-7)
    with pytest.raises(ValueError, match="noise_sigma"):
        sr.cleanup_passes(photo, identity, 1.5, noise_sigma=-0.1)


def test_plot_enlargements_show_each_candidate_beside_the_original():
    import matplotlib

    matplotlib.use("Agg")
    from darkroom.core import training

    photo = np.random.default_rng(24).random((29, 30)).astype(np.float32)
    mlp = sr.build_mlp(hidden=(4,))
    candidates = {"near": "nearest", "net": training.TrainResult(model=mlp), "net tiled": (mlp, "tile")}
    fig = sr.plot_enlargements(photo, candidates, 1.5, ncols=2)
    shown = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in shown] == ["near", "net", "net tiled", "original"]
    small = sr.degrade(photo, 1.5)
    np.testing.assert_allclose(shown[0].images[0].get_array(), sr.upscale(small, "nearest", 1.5))
    np.testing.assert_allclose(shown[1].images[0].get_array(), sr.upscale(small, mlp, 1.5))
    np.testing.assert_allclose(shown[2].images[0].get_array(), sr.upscale(small, mlp, 1.5, blend="tile"))
    np.testing.assert_array_equal(shown[3].images[0].get_array(), photo[:28])  # 29 -> 19 -> 28 rows
    boxed = sr.plot_enlargements(photo, {"near": "nearest"}, 1.5, box=(slice(0, 10), slice(5, 20)))
    assert all(ax.images[0].get_array().shape == (10, 15) for ax in boxed.axes if ax.images)
    with pytest.raises(ValueError, match="no candidates"):
        sr.plot_enlargements(photo, {}, 1.5)


def test_plot_seams_adds_the_amplified_difference():
    import matplotlib

    matplotlib.use("Agg")
    base = np.random.default_rng(25).random((20, 20)).astype(np.float32) * 0.5
    enlarged = {"tiled": base + 0.03, "blended": base, "original": base}
    fig = sr.plot_seams(enlarged, "tiled", "blended", box=(slice(2, 12), slice(0, 8)), gain=10)
    shown = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in shown] == ["tiled", "blended", "original", "|tiled - blended| x10"]
    np.testing.assert_allclose(shown[0].images[0].get_array(), enlarged["tiled"][2:12, :8])
    np.testing.assert_allclose(shown[-1].images[0].get_array(), np.full((10, 8), 0.3), atol=1e-5)
    with pytest.raises(ValueError, match="'gaussian'"):
        sr.plot_seams(enlarged, "tiled", "gaussian", box=(slice(0, 5), slice(0, 5)))


def test_rows_by_change_keys_rows_by_the_changed_value():
    settings = {
        "pick": {},
        "patch 8": {"patch": 8},
        "rate": {"learning_rate": 0.1},
        "patch 16": {"patch": 16},
    }
    rows = [{"setting": name} for name in settings]
    assert sr.rows_by_change(rows, settings, "patch") == {8: rows[1], 16: rows[3]}
    assert sr.rows_by_change(rows, settings, "learning_rate") == {0.1: rows[2]}
    with pytest.raises(ValueError, match="3 rows for 4 settings"):
        sr.rows_by_change(rows[:3], settings, "patch")


def test_writeup_run_values_read_the_setup_off_its_objects():
    from darkroom.core import writeups

    photo = np.zeros((8, 8), np.float32)
    photos = {"train": [photo] * 6, "test": [photo] * 2, "val": [photo] * 2}
    inputs, labels = np.zeros((3, 20, 20), np.float32), np.zeros((3, 30, 30), np.float32)
    mlp = sr.build_mlp(10, 15, hidden=(16, 8), keep_prob=0.5)  # dropout layers are not hidden layers
    values = sr.writeup_run_values(photos, inputs, labels, mlp, sr.writeup_settings("default"), 1.5)
    assert set(values) <= {e.key for e in writeups.entries(notebook="08")}
    assert {
        k: values[k] for k in ("sr_images_extracted", "sr_channels", "sr_label_side", "sr_input_side")
    } == {"sr_images_extracted": 10, "sr_channels": 1, "sr_label_side": 30, "sr_input_side": 20}
    assert values["sr_smaller_percent"] == pytest.approx(100 / 3) and values[
        "sr_bigger_percent"
    ] == pytest.approx(50)
    assert (values["sr_train_percent"], values["sr_test_percent"], values["sr_validation_percent"]) == (
        60,
        20,
        20,
    )
    assert (
        values["sr_patch_in"],
        values["sr_patch_out"],
        values["sr_mlp_inputs"],
        values["sr_mlp_outputs"],
    ) == (10, 15, 100, 225)
    assert (values["sr_hidden_layers"], values["sr_hidden_1"], values["sr_hidden_2"]) == (2, 16, 8)
    assert (values["sr_activations_tried"], values["sr_inits_tried"], values["sr_optimizers_tried"]) == (
        3,
        2,
        3,
    )
    assert values["sr_keep_prob_low"] == writeups.value("sr_keep_prob_low") < values["sr_keep_prob_high"]
    deep = [values[f"sr_deep_width_{i}"] for i in range(1, 5)]
    assert values["sr_deep_hidden_layers"] == 4 and deep == [
        int(writeups.value(f"sr_deep_width_{i}")) // 2 for i in range(1, 5)
    ]
    assert (values["sr_patch_8_in"], values["sr_patch_8_out"], values["sr_patch_16_out"]) == (8, 12, 24)
    assert values["sr_score_completely_different"] == 1.0
    with pytest.raises(ValueError, match="two hidden layers"):
        sr.writeup_run_values(photos, inputs, labels, sr.build_mlp(hidden=(4,)), {}, 1.5)
    with pytest.raises(ValueError, match=r"got \['test', 'train'\]"):
        sr.writeup_run_values({"train": [photo], "test": [photo]}, inputs, labels, mlp, {}, 1.5)


def test_ablate_residual_subpixel_trains_each_variant(monkeypatch):
    built, trained = [], []
    original_build, original_train = sr.build_residual_subpixel, sr.train_upscaler

    def recording_build(*args, **kwargs):
        built.append((args, kwargs))
        return original_build(*args, **kwargs)

    def recording_training(*args, **kwargs):
        trained.append((len(args[1]), kwargs))
        return original_train(*args, **kwargs)

    monkeypatch.setattr(choices, "build_residual_subpixel", recording_build)
    monkeypatch.setattr(choices, "train_upscaler", recording_training)
    photo = np.random.default_rng(26).random((36, 36)).astype(np.float32)
    pairs, other = _pairs(16), _pairs(8, seed=1)
    variants = {
        "all": {},
        "mse": {"loss": "mse"},
        "flat": {"data": other},
        "no residual": {"residual": False},
        "grid": {"fold": False, "schedule": "constant"},
    }
    rows = sr.ablate_residual_subpixel(variants, pairs, [photo], 1.5, filters=4, num_layers=2, epochs=1)
    assert list(rows) == list(variants) and set(rows["all"]) == {
        "variant",
        "psnr",
        "dB_vs_bicubic",
        "train_s",
    }
    assert (
        built[0] == ((1.5, 4, 2), {})
        and built[3][1] == {"residual": False}
        and built[4][1] == {"fold": False}
    )
    assert [n for n, _ in trained] == [16, 16, 8, 16, 16]
    assert [t["loss"] for _, t in trained] == ["l1", "mse", "l1", "l1", "l1"]
    assert [t["schedule"] for _, t in trained] == ["cosine"] * 4 + ["constant"]
    bicubic = sr.evaluate([photo], "bicubic", 1.5)["psnr"]
    assert all(r["dB_vs_bicubic"] == pytest.approx(r["psnr"] - bicubic) for r in rows.values())
    with pytest.raises(ValueError, match="momentum"):
        sr.ablate_residual_subpixel({"bad": {"momentum": 0.9}}, pairs, [photo], 1.5)


def test_upscale_refuses_an_empty_image_before_any_reduction():
    # used to fail deep in NumPy: "can't extend empty axis 0 using modes other than 'constant'"
    for shape in [(0, 5), (5, 0), (0, 5, 3)]:
        with pytest.raises(ValueError, match=r"image is empty or not 2-D: shape \(" + str(shape[0])):
            sr.upscale(np.zeros(shape, np.float32), "bicubic", 2)


def test_upscale_refuses_a_strip_too_thin_for_a_learned_model_but_methods_take_it():
    strip = np.linspace(0, 1, 4000, dtype=np.float32)[None]  # a 1 x 4000 panorama
    with pytest.raises(ValueError, match=r"image is 1x4000 pixels; a learned upscaler needs at least 8"):
        sr.upscale(strip, _perturbed_resub(2), 2)
    out = sr.upscale(strip, "bicubic", 2)
    assert out.shape == (2, 8000) and np.isfinite(out).all()
    ok = np.random.default_rng(0).random((sr.MIN_MODEL_SIDE, 40)).astype(np.float32)
    assert sr.upscale(ok, _perturbed_resub(2), 2).shape == (2 * sr.MIN_MODEL_SIDE, 80)
