"""darkroom.core.metrics: known cases and agreement with scikit-image."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from darkroom.core import images, metrics, synthetic


def _noisy_pair(shape=(48, 40, 3), noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.random(shape)
    b = np.clip(a + noise * rng.normal(size=shape), 0, 1)
    return a, b


def test_psnr_hand_computed():
    a = np.zeros((4, 4, 3))
    b = np.full((4, 4, 3), 0.1)  # MSE = 0.01 -> 20 dB at data range 1
    assert metrics.psnr(a, b) == pytest.approx(20.0)
    assert metrics.psnr(a, b, data_range=255.0) == pytest.approx(20 * np.log10(255 / 0.1))


def test_psnr_identical_is_infinite_and_matches_skimage():
    a, b = _noisy_pair()
    assert metrics.psnr(a, a) == np.inf
    assert metrics.psnr(a, b) == pytest.approx(peak_signal_noise_ratio(a, b, data_range=1))


def test_psnr_of_batch_is_mean_of_images():
    a, b = _noisy_pair((3, 16, 16, 3))
    expected = np.mean([metrics.psnr(a[i], b[i]) for i in range(3)])
    assert metrics.psnr(a, b) == pytest.approx(expected)


def test_uint8_is_converted_once():
    a = np.full((8, 8, 3), 255, np.uint8)
    b = np.zeros((8, 8, 3), np.uint8)
    assert metrics.psnr(a, b) == pytest.approx(0.0)
    assert metrics.psnr(a, np.ones((8, 8, 3))) == np.inf


@pytest.mark.parametrize("noise", [0.02, 0.1, 0.3])
def test_ssim_matches_skimage_rgb(noise):
    a, b = _noisy_pair(noise=noise, seed=int(noise * 100))
    ref = structural_similarity(
        a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1, channel_axis=-1
    )
    assert metrics.ssim(a, b) == pytest.approx(ref, abs=0.01)
    assert metrics.ssim(a, b) == pytest.approx(ref, abs=1e-9)  # same algorithm, not just close


def test_ssim_matches_skimage_gray_and_real_photo():
    from skimage import data as skdata

    a = skdata.camera()[:128, :128].astype(np.float64) / 255
    b = np.clip(a + 0.05 * np.random.default_rng(1).normal(size=a.shape), 0, 1)
    ref = structural_similarity(
        a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1
    )
    assert metrics.ssim(a, b) == pytest.approx(ref, abs=1e-9)
    assert metrics.ssim(a, a) == pytest.approx(1.0)


def test_ssim_rejects_tiny_images_and_shape_mismatch():
    with pytest.raises(ValueError, match="at least 11x11"):
        metrics.ssim(np.zeros((8, 8)), np.zeros((8, 8)))
    with pytest.raises(ValueError, match="same shape"):
        metrics.ssim(np.zeros((16, 16)), np.zeros((16, 17)))


def test_ab_mae_hand_computed():
    t = np.zeros((2, 2, 3))
    p = np.zeros((2, 2, 3))
    p[..., 0] = 50  # L differences are ignored
    p[..., 1] = 4
    p[..., 2] = -2
    assert metrics.ab_mae(t, p) == pytest.approx(3.0)
    assert metrics.ab_mae(t[..., 1:], p[..., 1:]) == pytest.approx(3.0)
    with pytest.raises(ValueError, match="LAB"):
        metrics.ab_mae(np.zeros((2, 4)), np.zeros((2, 4)))


def test_colorfulness_gray_is_zero_and_hand_computed():
    gray = np.full((8, 8, 3), 0.4)
    assert metrics.colorfulness(gray) == pytest.approx(0.0)
    assert metrics.colorfulness(np.zeros((8, 8))) == 0.0
    red = np.zeros((4, 4, 3), np.uint8)
    red[..., 0] = 255  # rg = 255, yb = 127.5, no spread -> 0.3 * sqrt(255^2 + 127.5^2)
    expected = 0.3 * np.hypot(255, 127.5)
    assert metrics.colorfulness(red) == pytest.approx(expected)
    assert metrics.colorfulness(red.astype(np.float32) / 255) == pytest.approx(expected)


def test_colorfulness_orders_saturation():
    rng = np.random.default_rng(0)
    img = rng.random((32, 32, 3))
    gray = img.mean(axis=-1, keepdims=True)
    half = gray + 0.5 * (img - gray)
    assert (
        metrics.colorfulness(img) > metrics.colorfulness(half) > metrics.colorfulness(np.repeat(gray, 3, -1))
    )


def test_bad_dtype_is_refused():
    with pytest.raises(TypeError, match="uint8"):
        metrics.psnr(np.zeros((4, 4), np.int32), np.zeros((4, 4), np.int32))


def test_filter_bank_gram_and_style_distance() -> None:
    swirls = synthetic.procedural_style("swirls", 128)
    g = metrics.filter_bank_gram(swirls)
    assert g.shape == (43, 43) and np.allclose(g, g.T)
    assert metrics.style_distance(swirls, swirls) == pytest.approx(0.0, abs=1e-9)
    # The same style drawn with another seed is far closer than another style or a photo.
    same_kind = metrics.style_distance(swirls, synthetic.procedural_style("swirls", 128, seed=5))
    photo = images.resize(images.sample_image("astronaut"), (128, 128))
    assert same_kind < 0.5 * metrics.style_distance(swirls, synthetic.procedural_style("mosaic", 128))
    assert same_kind < 0.5 * metrics.style_distance(swirls, photo)
    # The style is resized to the image's width first, as stylize does.
    big = synthetic.procedural_style("stripes", 256)
    assert metrics.style_distance(big, images.resize(big, (64, 64))) < 0.05
    with pytest.raises(ValueError, match="one image"):
        metrics.filter_bank_gram(np.zeros((2, 8, 8, 3), np.float32))
