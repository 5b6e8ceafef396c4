"""darkroom.colorize: model shapes, losses, decoding, colorize(), saving, distribution."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from darkroom import colorize as C
from darkroom.colorize import cnn, pairs
from darkroom.core import color, synthetic, training


@pytest.fixture(scope="module")
def scenes():
    return synthetic.toy_scenes(16, 32, seed=0)


@pytest.mark.parametrize("size", [32, 64])
def test_cnn_shapes_at_two_sizes(size):
    x = np.zeros((2, size, size, 1), np.float32)
    assert C.build_post_cnn()(x).shape == (2, size, size, 2)
    assert C.build_light_cnn(8)(x).shape == (2, size, size, 2)
    assert C.build_light_cnn(8, head="classification", num_bins=7)(x).shape == (2, size, size, 7)


def test_the_light_cnn_has_about_half_a_million_parameters():
    assert 0.4e6 < C.build_light_cnn(32).count_params() < 0.7e6


def test_architecture_facts_read_the_post_cnn_and_the_light_cnn():
    post = C.architecture_facts(C.build_post_cnn(dropout=0.3), 64)
    assert post == {
        "input_side": 64,
        "first_width": 64,
        "widest": 512,
        "kernel": 3,
        "bottleneck_side": 8,
        "conv_layers": 13,
        "dropout": 0.3,
        "output_channels": 2,
    }
    light = C.architecture_facts(C.build_light_cnn(8), 32)
    assert (light["first_width"], light["widest"], light["bottleneck_side"], light["dropout"]) == (
        8,
        32,
        8,
        0.0,
    )
    with pytest.raises(ValueError, match="no Conv2D"):
        C.architecture_facts(keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]), 4)


def test_ab_bins_and_rebalancing():
    bins = C.ab_bins()
    assert 200 < len(bins) < 330
    assert np.all(np.abs(bins.centers) <= 110)
    # a uniform distribution over bins gives weights of one
    w = bins.class_weights(bins.centers, lam=0.5, sigma=1e-3)
    np.testing.assert_allclose(w, 1.0, rtol=1e-4)
    # gray-heavy data: gray bins get small weights, saturated bins large
    ab = np.concatenate([np.zeros((1000, 2)), bins.centers], axis=0)
    w = bins.class_weights(ab)
    gray = bins.nearest(np.zeros(2))
    assert w[gray] < 0.5 * np.median(w)


def test_nearest_bin_works_in_chunks_with_bounded_memory():
    """Notebook 06 peaked at 4.7 GB: nearest() built a (pixels, bins, 2) array at once (2.1 GB for
    256 crops of 64x64). Chunked, it must give the same indices with a small fixed working set."""
    import tracemalloc

    bins = C.ab_bins()
    ab = np.random.default_rng(0).uniform(-100, 100, (50_000, 2)).astype(np.float32)
    brute = ((ab[:, None, :] - bins.centers) ** 2).sum(-1).argmin(-1)
    np.testing.assert_array_equal(bins.nearest(ab, chunk=777), brute)
    np.testing.assert_array_equal(bins.nearest(ab.reshape(10, 5000, 2)), brute.reshape(10, 5000))
    tracemalloc.start()
    bins.nearest(np.zeros((200_000, 2), np.float32))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 100 * 2**20, f"{peak / 2**20:.0f} MB for 200,000 pixels (all at once would be ~400 MB)"


def test_annealed_mean_between_mean_and_mode():
    centers = np.array([[0.0, 0.0], [64.0, 0.0]], np.float32)
    logits = np.log(np.array([[[[0.4, 0.6]]]], np.float32))
    mean = C.AnnealedMean(centers, temperature=1.0)(logits).numpy()[0, 0, 0]
    np.testing.assert_allclose(mean, [0.6 * 64 / 128, 0.0], atol=1e-6)
    mode = C.AnnealedMean(centers, temperature=0.01)(logits).numpy()[0, 0, 0]
    np.testing.assert_allclose(mode, [0.5, 0.0], atol=1e-4)


def test_rebalanced_cross_entropy_is_lowest_at_the_truth():
    bins = C.ab_bins()
    truth_ab = bins.centers[[10, 100]] / 128.0
    y_true = truth_ab.reshape(1, 1, 2, 2)
    loss = C.RebalancedCrossEntropy(bins.centers)
    right = np.full((1, 1, 2, len(bins)), -10.0, np.float32)
    right[0, 0, 0, 10] = right[0, 0, 1, 100] = 10.0
    wrong = np.roll(right, 50, axis=-1)
    assert float(loss(y_true, right)) < float(loss(y_true, wrong))
    # the weights multiply the per-pixel loss of the truth's bin
    weighted = C.RebalancedCrossEntropy(bins.centers, np.full(len(bins), 2.0, np.float32))
    assert float(weighted(y_true, wrong)) == pytest.approx(2 * float(loss(y_true, wrong)), rel=1e-5)


def test_train_colorizer_changes_weights_and_lowers_loss(scenes):
    L, ab = pairs.to_model_pairs(scenes[:8])
    keras.utils.set_random_seed(0)
    untrained = C.build_light_cnn(8)  # what train_colorizer builds from the same seed
    untrained.compile(loss="mse")
    first = untrained.evaluate(L, ab, verbose=0)
    result = C.train_colorizer(
        scenes[:8], width=8, epochs=5, batch_size=8, learning_rate=1e-3, augment="none", seed=0
    )
    assert result.epochs_run == 5 and result.stop_reason == "epochs"
    assert any(not np.allclose(a, b) for a, b in zip(untrained.get_weights(), result.model.get_weights()))
    assert result.model.evaluate(L, ab, verbose=0) < first


def test_train_colorizer_uses_the_optimizer_it_is_given(scenes):
    # It once trained with Adam whatever the name, unless the name was "rmsprop".
    for name, cls in (("sgd", keras.optimizers.SGD), ("adagrad", keras.optimizers.Adagrad)):
        r = C.train_colorizer(scenes[:4], optimizer=name, epochs=1, width=4, learning_rate=0.01)
        assert type(r.train_model.optimizer) is cls
        assert float(r.train_model.optimizer.learning_rate) == pytest.approx(0.01)


def test_train_colorizer_stops_on_its_time_budget(scenes):
    r = C.train_colorizer(scenes, epochs=50, batch_size=4, width=4, time_budget_s=0.0)
    assert r.stop_reason == "time budget" and r.epochs_run == 1


def test_writeup_augmentation_flips_both_ways_and_changes_the_tone():
    # A low-contrast image whose top-left quarter is red: flips move the red, the tone stretches L.
    rng = np.random.default_rng(0)
    img = np.clip(0.4 + 0.1 * rng.random((16, 16, 3)), 0, 1).astype(np.float32)
    img[:8, :8] = (0.5, 0.35, 0.35)
    ds = cnn._writeup_dataset(np.repeat(img[None], 24, axis=0), 24, seed=3)
    ((L, ab),) = list(ds.as_numpy_iterator())
    (again,) = list(cnn._writeup_dataset(np.repeat(img[None], 24, axis=0), 24, seed=3).as_numpy_iterator())
    np.testing.assert_array_equal(L, again[0])  # seeded
    L0, _ab0 = pairs.to_model_pairs(img[None])
    red_at = [
        (
            int(a[..., 0][:8].mean() > a[..., 0][8:].mean()),
            int(a[..., 0][:, :8].mean() > a[..., 0][:, 8:].mean()),
        )
        for a in ab
    ]
    assert len(set(red_at)) == 4  # red seen in all four corners: left-right and upside-down flips
    assert all(x.std() > 1.5 * L0.std() for x in L)  # every image got one of the three tones
    assert L.shape == (24, 16, 16, 1) and ab.shape == (24, 16, 16, 2)
    with pytest.raises(ValueError, match="augment must be one of"):
        C.train_colorizer(img[None], augment="rotate")


def test_train_colorizer_trains_with_the_writeup_augmentation(scenes):
    r = C.train_colorizer(scenes[:8], epochs=1, batch_size=4, width=4, augment="writeup")
    assert r.epochs_run == 1 and np.isfinite(r.history["loss"]).all()


def test_colorize_odd_size_and_rgb_contributes_only_L(scenes):
    result = C.train_colorizer(scenes, loss="mse", epochs=1, batch_size=8, width=4)
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


def test_saved_classification_colorizer_loads_with_identical_output(scenes, tmp_path):
    from darkroom.core import training

    result = C.train_colorizer(scenes, loss="classification", epochs=1, batch_size=8, width=4)
    path = training.save_model(result.model, "colorizer_test")
    loaded = keras.models.load_model(path)
    L, _ = pairs.to_model_pairs(scenes[:2])
    np.testing.assert_allclose(loaded.predict(L, verbose=0), result.model.predict(L, verbose=0), atol=1e-6)
    big = np.zeros((1, 48, 40, 1), np.float32)  # a loaded model still takes other sizes
    assert loaded.predict(big, verbose=0).shape == (1, 48, 40, 2)
    train_path = tmp_path / "train.keras"
    result.train_model.save(train_path)  # with its RebalancedCrossEntropy loss
    assert isinstance(keras.models.load_model(train_path).loss, C.RebalancedCrossEntropy)


def test_gray_baseline_and_score(scenes):
    gray = C.gray_baseline(scenes[:2])
    s = C.score(scenes[:2], gray)
    assert s["colorfulness"] < 1.0 and 0 < s["ab_mae"] and s["psnr"] > 10
    assert C.score(scenes[:2], scenes[:2])["psnr"] == np.inf


DISTRIBUTED = textwrap.dedent(
    """
    import darkroom, numpy as np, tensorflow as tf, keras
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from darkroom import colorize as C
    from darkroom.colorize import cnn, pairs
    from darkroom.core import synthetic
    L, ab = pairs.to_model_pairs(synthetic.toy_scenes(8, 16, seed=0))

    def one_step(strategy):
        with strategy.scope():
            keras.utils.set_random_seed(0)
            model = C.build_light_cnn(4)
            model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
        ds = tf.data.Dataset.from_tensor_slices((L, ab)).batch(8)
        model.fit(ds, epochs=1, verbose=0)
        return model.get_weights()

    single = one_step(tf.distribute.get_strategy())
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert mirrored.num_replicas_in_sync == 2
    multi = one_step(mirrored)
    init = None
    diff = max(float(np.abs(a - b).max()) for a, b in zip(single, multi))
    with tf.distribute.get_strategy().scope():
        keras.utils.set_random_seed(0)
        init = C.build_light_cnn(4).get_weights()
    moved = max(float(np.abs(a - b).max()) for a, b in zip(single, init))
    print("DIFF", diff, "MOVED", moved)
    """
)


def test_one_step_under_mirrored_strategy_matches_single_device():
    # Logical devices must be configured before TensorFlow initialises: use a fresh process.
    proc = subprocess.run([sys.executable, "-c", DISTRIBUTED], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    line = [x for x in proc.stdout.splitlines() if x.startswith("DIFF")][-1]
    diff, moved = float(line.split()[1]), float(line.split()[3])
    assert moved > 1e-4  # the step did something
    assert diff < 1e-5 * max(1.0, moved / 1e-3)


def test_recalibrate_batchnorm_uses_the_final_weights_and_restores_dropout():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    x = keras.layers.Dense(8)(inputs)
    x = keras.layers.Dropout(0.5)(x)
    out = keras.layers.BatchNormalization(momentum=0.99)(x)
    model = keras.Model(inputs, out)
    data_ = np.random.default_rng(0).normal(3.0, 2.0, (256, 4)).astype("float32")
    bn, drop = model.layers[-1], model.layers[-2]
    assert training.recalibrate_batchnorm(model, data_, batch_size=32) == 1
    dense_out = model.layers[1](data_).numpy()
    np.testing.assert_allclose(bn.moving_mean.numpy(), dense_out.mean(0), rtol=1e-4, atol=1e-4)
    assert bn.momentum == 0.99 and drop.rate == 0.5
    normed = model(data_, training=False).numpy()
    np.testing.assert_allclose(normed.mean(0), 0.0, atol=1e-3)


def test_ball_report_tells_a_true_colour_from_an_average():
    imgs, masks = synthetic.toy_scenes(16, 32, seed=3, return_masks=True)
    exact = C.ball_report(imgs, imgs, masks)
    assert exact["distance_to_nearer"] < 5.0 and exact["neither_share"] == 0.0
    lab = color.rgb_to_lab(imgs)
    ball, red = masks["ball"], masks["ball_red"]
    lab[ball, 1:] = (lab[red, 1:].mean(0) + lab[ball & ~red, 1:].mean(0)) / 2  # what MSE would predict
    purple = color.lab_to_rgb(lab)
    averaged = C.ball_report(imgs, purple, masks)
    assert averaged["neither_share"] == 1.0 and averaged["distance_to_nearer"] > 20
    with pytest.raises(ValueError, match="expected"):
        C.ball_report(imgs, imgs[:2], masks)


def test_train_colorizer_refuses_an_optimizer_it_does_not_know(scenes):
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        C.train_colorizer(scenes[:4], optimizer="lbfgs", epochs=1)


def test_ssim_loss_options_survive_saving_and_mix_in_l1():
    loss = C.SSIMLoss(multiscale=True, l1_weight=0.16)
    again = C.SSIMLoss.from_config(loss.get_config())
    assert again.multiscale and again.l1_weight == pytest.approx(0.16)
    t = tf.zeros((2, 48, 48, 2))
    shifted = tf.fill((2, 48, 48, 2), 0.5)
    # A uniform shift leaves SSIM's structure terms untouched; the L1 share is what sees it.
    plain = float(tf.reduce_mean(C.SSIMLoss(multiscale=True)(t, shifted)))
    mixed = float(tf.reduce_mean(loss(t, shifted)))
    assert mixed > plain
    with pytest.raises(ValueError, match="l1_weight"):
        C.SSIMLoss(l1_weight=2.0)


def test_score_rows_put_gray_at_zero_and_truth_last(scenes):
    gray = C.gray_baseline(scenes)
    rows = C.score_rows(scenes, {"gray": gray, "truth copy": scenes})
    assert rows[0]["dB vs gray"] == 0.0 and rows[1]["dB vs gray"] > 30
    assert rows[-1]["model"] == "truth" and "psnr" not in rows[-1]


def test_pick_on_crops_reports_the_margin_and_its_noise(scenes):
    keras.utils.set_random_seed(0)
    good = C.train_colorizer(scenes, epochs=3, width=8, learning_rate=2e-3).model
    blank = keras.Sequential(
        [keras.Input((None, None, 1)), keras.layers.Conv2D(2, 1, kernel_initializer="zeros")]
    )
    choice = C.pick_on_crops({"trained": good, "gray": blank}, scenes)
    assert choice.best in ("trained", "gray") and choice.margin_db >= 0 and choice.margin_stderr_db >= 0
    assert set(choice.mean_psnr) == {"trained", "gray"}
    with pytest.raises(ValueError, match="needs >= 2 models"):
        C.pick_on_crops({"gray": blank}, scenes)


def test_colorize_refuses_an_empty_image_by_name(scenes):
    model = C.build_light_cnn(4)
    with pytest.raises(ValueError, match="empty image of shape"):
        C.colorize(model, np.zeros((0, 5, 3), np.float32))


def test_predictions_and_score_rows_make_the_notebooks_score_table(scenes):
    blank = keras.Sequential(
        [keras.Input((None, None, 1)), keras.layers.Conv2D(2, 1, kernel_initializer="zeros")]
    )
    preds = C.predictions({"gray": None, "blank": blank}, scenes[:3])
    np.testing.assert_allclose(preds["blank"], preds["gray"], atol=1e-5)  # ab = 0 is gray
    rows = C.score_rows(scenes[:3], preds)
    assert [r["model"] for r in rows] == ["gray", "blank", "truth"]
    assert rows[1]["dB vs gray"] == pytest.approx(0.0, abs=1e-3)


def test_check_rows_and_saved_colorizers(scenes):
    r = C.train_colorizer(scenes[:4], epochs=1, width=4)
    (row,) = C.check_rows({"mse": r})
    assert (
        row["model"] == "mse" and row["ratio"] == pytest.approx(r.check.ratio) and row["ok"] in ("yes", "NO")
    )
    assert C.saved_colorizers("toy") == {}
    from darkroom.core import training

    training.save_model(r.model, "colorizer_toy_mse")
    training.save_model(r.model, "colorizer_toy_pix2pix")
    training.save_model(r.model, "colorizer_photos_mse")
    assert list(C.saved_colorizers("toy", exclude=("pix2pix",))) == ["mse"]


def test_training_photos_fall_back_to_crops_of_the_bundled_photos():
    photos = C.training_photos(24, 5, seed=1, use_cached=False)
    assert photos.images.shape == (5, 24, 24, 3) and "bundled training photos" in photos.source
    np.testing.assert_array_equal(photos.images, C.training_photos(24, 5, seed=1, use_cached=False).images)
