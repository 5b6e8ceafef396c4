"""darkroom.colorize.train: training changes weights, its options, augmentation, saving, losses, photos."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from darkroom import colorize as C
from darkroom.colorize import pairs, train
from darkroom.core import saving, synthetic


@pytest.fixture(scope="module")
def scenes():
    return synthetic.toy_scenes(16, 32, seed=0)


def test_train_colorizer_changes_weights_and_lowers_loss(scenes):
    L, ab = pairs.to_model_pairs(scenes[:8])
    keras.utils.set_random_seed(0)
    untrained = C.build_light_cnn(8)  # what train_colorizer builds from the same seed
    untrained.compile(loss="mse")
    first = untrained.evaluate(L, ab, verbose=0)
    result = C.train_colorizer(
        scenes[:8], filters=8, epochs=5, batch_size=8, learning_rate=1e-3, augment="none", seed=0
    )
    assert result.epochs_run == 5 and result.stop_reason == "epochs"
    assert any(not np.allclose(a, b) for a, b in zip(untrained.get_weights(), result.model.get_weights()))
    assert result.model.evaluate(L, ab, verbose=0) < first


def test_train_colorizer_uses_the_optimizer_it_is_given(scenes):
    # It once trained with Adam whatever the name, unless the name was "rmsprop".
    for name, cls in (("sgd", keras.optimizers.SGD), ("adagrad", keras.optimizers.Adagrad)):
        r = C.train_colorizer(scenes[:4], optimizer=name, epochs=1, filters=4, learning_rate=0.01)
        assert type(r.train_model.optimizer) is cls
        assert float(r.train_model.optimizer.learning_rate) == pytest.approx(0.01)


def test_train_colorizer_stops_on_its_time_budget(scenes):
    r = C.train_colorizer(scenes, epochs=50, batch_size=4, filters=4, time_budget_s=0.0)
    assert r.stop_reason == "time budget" and r.epochs_run == 1


def test_writeup_augmentation_flips_both_ways_and_changes_the_tone():
    # A low-contrast image whose top-left quarter is red: flips move the red, the tone stretches L.
    rng = np.random.default_rng(0)
    img = np.clip(0.4 + 0.1 * rng.random((16, 16, 3)), 0, 1).astype(np.float32)
    img[:8, :8] = (0.5, 0.35, 0.35)
    ds = train._writeup_dataset(np.repeat(img[None], 24, axis=0), 24, seed=3)
    ((L, ab),) = list(ds.as_numpy_iterator())
    (again,) = list(train._writeup_dataset(np.repeat(img[None], 24, axis=0), 24, seed=3).as_numpy_iterator())
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
    r = C.train_colorizer(scenes[:8], epochs=1, batch_size=4, filters=4, augment="writeup")
    assert r.epochs_run == 1 and np.isfinite(r.history["loss"]).all()


def test_saved_classification_colorizer_loads_with_identical_output(scenes, tmp_path):

    result = C.train_colorizer(scenes, loss="classification", epochs=1, batch_size=8, filters=4)
    path = saving.save_model(result.model, "colorizer_test")
    loaded = keras.models.load_model(path)
    L, _ = pairs.to_model_pairs(scenes[:2])
    np.testing.assert_allclose(loaded.predict(L, verbose=0), result.model.predict(L, verbose=0), atol=1e-6)
    big = np.zeros((1, 48, 40, 1), np.float32)  # a loaded model still takes other sizes
    assert loaded.predict(big, verbose=0).shape == (1, 48, 40, 2)
    train_path = tmp_path / "train.keras"
    result.train_model.save(train_path)  # with its RebalancedCrossEntropy loss
    assert isinstance(keras.models.load_model(train_path).loss, C.RebalancedCrossEntropy)


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


def test_training_photos_fall_back_to_crops_of_the_bundled_photos():
    photos = C.training_photos(24, 5, seed=1, use_cached=False)
    assert photos.images.shape == (5, 24, 24, 3) and "bundled training photos" in photos.source
    np.testing.assert_array_equal(photos.images, C.training_photos(24, 5, seed=1, use_cached=False).images)
