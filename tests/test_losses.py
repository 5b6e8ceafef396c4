"""darkroom.core.losses against hand-computed values and scikit-image's SSIM."""

from __future__ import annotations

import logging
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from skimage.metrics import structural_similarity

from darkroom.core import losses

# One 2x2 gray example: target all zeros, prediction 1, 2, 3, 4 (errors 1..4).
Y_TRUE = np.zeros((1, 2, 2, 1), np.float32)
Y_PRED = np.array([1, 2, 3, 4], np.float32).reshape(1, 2, 2, 1)


@pytest.mark.parametrize(
    "fn, expected",
    [
        (losses.sum_of_squares, 30.0),  # 1 + 4 + 9 + 16
        (losses.mean_squared_error, 7.5),  # 30 / 4
        (losses.mean_absolute_error, 2.5),  # (1 + 2 + 3 + 4) / 4
        (losses.huber, 2.0),  # (0.5 + 1.5 + 2.5 + 3.5) / 4 with delta 1
        (losses.normalized_l2, 0.075),  # 30 / (4 * 100)
        (losses.inverted_distance, 1 / 30),  # 1 / 30 (epsilon 1e-6 is negligible)
        (losses.total_variation, 3.0),  # vertical |3-1|,|4-2| -> 2; horizontal |2-1|,|4-3| -> 1
        (losses.mse_plus_tv, 7.5 + 0.05 * 3.0),
    ],
)
def test_losses_match_hand_computed_values(fn, expected) -> None:
    value = fn(Y_TRUE, Y_PRED).numpy()
    assert value.shape == (1,)
    assert value[0] == pytest.approx(expected, rel=1e-5)


def test_normalized_l2_squared_division_and_huber_delta() -> None:
    assert losses.normalized_l2(Y_TRUE, Y_PRED, power=2).numpy()[0] == pytest.approx(30 / 400**2, rel=1e-5)
    # delta 2: errors 1, 2 quadratic (0.5, 2); 3, 4 linear (2*3 - 2 = 4, 2*4 - 2 = 6) -> mean 3.125
    assert losses.huber(Y_TRUE, Y_PRED, delta=2.0).numpy()[0] == pytest.approx(3.125, rel=1e-6)


def test_inverted_distance_decreases_as_prediction_moves_away() -> None:
    near = losses.inverted_distance(Y_TRUE, 0.5 * Y_PRED).numpy()[0]
    far = losses.inverted_distance(Y_TRUE, 2.0 * Y_PRED).numpy()[0]
    assert near == pytest.approx(1 / 7.5, rel=1e-5) and far == pytest.approx(1 / 120, rel=1e-5)
    assert far < near  # minimising it pushes predictions away from the target


def test_losses_are_per_example() -> None:
    y_true = np.zeros((3, 4, 4, 2), np.float32)
    y_pred = np.stack([np.full((4, 4, 2), v, np.float32) for v in (0.0, 1.0, 2.0)])
    np.testing.assert_allclose(losses.mean_squared_error(y_true, y_pred).numpy(), [0, 1, 4])
    np.testing.assert_allclose(losses.sum_of_squares(y_true, y_pred).numpy(), [0, 32, 128])


def test_ssim_of_identical_images_is_zero_loss() -> None:
    x = np.random.default_rng(0).random((2, 32, 32, 1)).astype(np.float32)
    np.testing.assert_allclose(losses.ssim_loss(x, x).numpy(), [0, 0], atol=1e-6)


def test_ssim_loss_agrees_with_scikit_image() -> None:
    rng = np.random.default_rng(1)
    a = rng.random((40, 40)).astype(np.float32)
    b = np.clip(a + rng.normal(0, 0.1, a.shape), 0, 1).astype(np.float32)
    ref = structural_similarity(
        a, b, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
    )
    ours = 1 - losses.ssim_loss(a[None, ..., None], b[None, ..., None]).numpy()[0]
    assert ours == pytest.approx(ref, abs=2e-3)


def test_ms_ssim_scale_rule_matches_tensorflow_limits() -> None:
    assert losses.ms_ssim_scales(161, 161) == 5
    assert losses.ms_ssim_scales(160, 200) == 4
    assert losses.ms_ssim_scales(150, 100) == 4
    assert losses.ms_ssim_scales(41, 41) == 3
    assert losses.ms_ssim_scales(21, 30) == 2
    assert losses.ms_ssim_scales(20, 20) == 1


def test_ms_ssim_falls_back_on_small_images_and_logs_once_without_warning(caplog) -> None:
    # A warning from inside a traced loss prints a library path into saved notebooks; a log does not.
    losses._WARNED_SIZES.clear()
    x = np.random.default_rng(2).random((1, 150, 100, 1)).astype(np.float32)
    with warnings.catch_warnings(), caplog.at_level(logging.INFO, logger="darkroom.core.losses"):
        warnings.simplefilter("error")
        value = losses.ms_ssim_loss(x, x).numpy()
        losses.ms_ssim_loss(x, np.clip(x + 0.1, 0, 1))  # same size: not logged again
        tiny = np.random.default_rng(3).random((1, 8, 8, 1)).astype(np.float32)
        assert losses.ms_ssim_loss(tiny, tiny).numpy()[0] == pytest.approx(0.0, abs=1e-5)
    np.testing.assert_allclose(value, [0.0], atol=1e-5)
    messages = [r.getMessage() for r in caplog.records]
    assert sum("using 4 scale" in m for m in messages) == 1
    assert sum("using 1 scale" in m for m in messages) == 1


def test_get_by_name_and_unknown_name() -> None:
    assert losses.get("huber") is losses.huber
    assert isinstance(losses.get("huber", delta=0.5), keras.losses.Loss)
    with pytest.raises(ValueError, match="unknown loss 'l3'"):
        losses.get("l3")


@pytest.mark.parametrize("name", sorted(losses.LOSSES))
def test_every_loss_trains_in_compile_and_in_a_custom_loop(name: str) -> None:
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((16, 16, 1)), keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid")]
    )
    model.compile(optimizer="adam", loss=losses.get(name))
    x = np.random.default_rng(0).random((4, 16, 16, 1)).astype(np.float32)
    assert np.isfinite(model.train_on_batch(x, x))
    with tf.GradientTape() as tape:
        value = tf.reduce_mean(losses.LOSSES[name](x, model(x)))
    grads = tape.gradient(value, model.trainable_variables)
    assert all(np.all(np.isfinite(g.numpy())) for g in grads)


def test_model_with_parameterised_loss_saves_and_loads(tmp_path) -> None:
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(1, 3, padding="same")])
    model.compile(optimizer="adam", loss=losses.get("huber", delta=0.25))
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.loss.fn == "huber" and loaded.loss.fn_kwargs == {"delta": 0.25}
    model2 = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(1, 3, padding="same")])
    model2.compile(optimizer="adam", loss=losses.ms_ssim_loss)
    model2.save(tmp_path / "m2.keras")
    assert keras.models.load_model(tmp_path / "m2.keras").loss is losses.ms_ssim_loss


def test_ms_ssim_gradient_stays_finite_on_anticorrelated_images() -> None:
    # TF clamps negative contrast-structure terms to 0 and takes a power < 1: its raw gradient is NaN here.
    y_true = tf.constant(np.random.default_rng(4).random((2, 48, 48, 2)).astype(np.float32) * 2 - 1)
    y_pred = tf.Variable(-y_true)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with tf.GradientTape() as tape:
            value = tf.reduce_mean(losses.ms_ssim_loss(y_true, y_pred, max_val=2.0))
    assert float(value) == pytest.approx(1.0)
    assert np.all(np.isfinite(tape.gradient(value, y_pred).numpy()))
