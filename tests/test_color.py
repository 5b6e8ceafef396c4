"""Colour conversions agree with scikit-image, round-trip, and refuse bad input clearly."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import color as skcolor

from darkroom.core import color


@pytest.fixture
def rgb() -> np.ndarray:
    return np.random.default_rng(0).random((2, 16, 24, 3), dtype=np.float32)


def test_rgb_to_lab_agrees_with_scikit_image(rgb: np.ndarray) -> None:
    np.testing.assert_allclose(color.rgb_to_lab(rgb), skcolor.rgb2lab(rgb), atol=1e-3)


def test_known_colours() -> None:
    lab = color.rgb_to_lab(np.array([[1, 1, 1], [0, 0, 0], [1, 0, 0]], dtype=np.float32))
    np.testing.assert_allclose(lab[0], [100, 0, 0], atol=0.01)
    np.testing.assert_allclose(lab[1], [0, 0, 0], atol=0.01)
    np.testing.assert_allclose(lab[2], [53.24, 80.09, 67.20], atol=0.05)  # sRGB red, D65


def test_uint8_is_accepted_and_scaled() -> None:
    u8 = np.array([[[255, 0, 0]]], dtype=np.uint8)
    np.testing.assert_allclose(color.rgb_to_lab(u8), color.rgb_to_lab(u8 / 255.0), atol=1e-5)


def test_numpy_round_trip(rgb: np.ndarray) -> None:
    np.testing.assert_allclose(color.lab_to_rgb(color.rgb_to_lab(rgb)), rgb, atol=1e-4)


def test_tensorflow_agrees_with_numpy_within_half_a_lab_unit(rgb: np.ndarray) -> None:
    ours = color.tf_rgb_to_lab(rgb).numpy()
    assert np.abs(ours - color.rgb_to_lab(rgb)).max() < 0.5
    lab = color.rgb_to_lab(rgb)
    assert np.abs(color.tf_lab_to_rgb(lab).numpy() - color.lab_to_rgb(lab)).max() < 1e-3


def test_tensorflow_conversion_has_finite_gradients_at_black_and_white() -> None:
    import tensorflow as tf

    x = tf.Variable(np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.5, 0.2, 0.9]], dtype=np.float32))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(color.tf_lab_to_rgb(color.tf_rgb_to_lab(x)))
    assert np.isfinite(tape.gradient(y, x).numpy()).all()


def test_tensorflow_conversion_works_inside_tf_data(rgb: np.ndarray) -> None:
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices(rgb).map(color.tf_rgb_to_lab)
    first = next(iter(ds)).numpy()
    assert np.abs(first - color.rgb_to_lab(rgb[0])).max() < 0.5


@pytest.mark.parametrize(
    "weights, expected",
    [
        ("post", 0.29 * 0.2 + 0.60 * 0.4 + 0.11 * 0.8),
        ("rec601", 0.299 * 0.2 + 0.587 * 0.4 + 0.114 * 0.8),
        ("rec709", 0.2126 * 0.2 + 0.7152 * 0.4 + 0.0722 * 0.8),
        ((1.0, 0.0, 0.0), 0.2),
    ],
)
def test_gray_formulas(weights: object, expected: float) -> None:
    pixel = np.array([[[0.2, 0.4, 0.8]]], dtype=np.float32)
    assert color.to_gray(pixel, weights)[0, 0] == pytest.approx(expected, abs=1e-6)


def test_rec709_gray_matches_scikit_image(rgb: np.ndarray) -> None:
    # scikit-image rounds BT.709 to (0.2125, 0.7154, 0.0721): agreement to 5e-4, not bit for bit
    np.testing.assert_allclose(color.to_gray(rgb[0]), skcolor.rgb2gray(rgb[0]), atol=5e-4)


def test_split_join_and_normalisation(rgb: np.ndarray) -> None:
    lab = color.rgb_to_lab(rgb)
    L, ab = color.split_lab(lab)
    assert L.shape == (2, 16, 24, 1) and ab.shape == (2, 16, 24, 2)
    np.testing.assert_array_equal(color.join_lab(L, ab), lab)
    norm = color.normalize_lab(lab)
    assert 0 <= norm[..., 0].min() and norm[..., 0].max() <= 1
    assert np.abs(norm[..., 1:]).max() <= 1
    np.testing.assert_allclose(norm[0, 0, 0], lab[0, 0, 0] / [100, 128, 128], rtol=1e-6)
    np.testing.assert_allclose(color.denormalize_lab(norm), lab, rtol=1e-6, atol=1e-5)


def test_out_of_gamut_lab_converts_quietly() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rgb = color.lab_to_rgb(np.array([[[50.0, 127.0, -128.0], [100.0, -128.0, 127.0]]]))
    assert rgb.min() >= 0 and rgb.max() <= 1


def test_clip_lab() -> None:
    clipped = color.clip_lab(np.array([[120.0, -200.0, 300.0], [-5.0, 10.0, -10.0]]))
    np.testing.assert_array_equal(clipped, [[100, -128, 127], [0, 10, -10]])


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((4, 4, 4), np.float32), r"3 channels.*\(4, 4, 4\).*RGBA"),
        (np.full((2, 2, 3), np.nan, np.float32), "NaN"),
        (np.full((2, 2, 3), 255.0, np.float32), r"\[255, 255\].*\[0, 1\]"),
        (np.zeros((2, 2, 3), np.int32), "uint8"),
    ],
)
def test_bad_rgb_is_refused_with_what_was_received(bad: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        color.rgb_to_lab(bad)


def test_gray_input_to_rgb_to_lab_is_refused() -> None:
    with pytest.raises(ValueError, match="gray"):
        color.rgb_to_lab(np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="gray"):
        color.rgb_to_lab(np.zeros((4, 4, 1), np.float32))


def test_gray_is_expanded_where_allowed() -> None:
    out = color.as_float_rgb(np.full((2, 3), 0.5, np.float32))
    assert out.shape == (2, 3, 3) and np.all(out == 0.5)


def test_out_of_range_lab_is_refused() -> None:
    with pytest.raises(ValueError, match="L spans"):
        color.lab_to_rgb(np.array([[150.0, 0.0, 0.0]]))
    with pytest.raises(ValueError, match=r"\(…, 3\)"):
        color.lab_to_rgb(np.zeros((4, 2)))


def test_skimage_gray_weights_are_the_installed_librarys() -> None:
    weights = color.skimage_gray_weights()
    pixel = np.array([[0.2, 0.4, 0.8]], dtype=np.float64)
    assert float(pixel[0] @ np.array(weights)) == pytest.approx(float(skcolor.rgb2gray(pixel)[0]), abs=1e-9)
    # scikit-image's rounding is not Rec. 709's, which notebook 01 once claimed it was
    assert weights != color.GRAY_WEIGHTS["rec709"]
    assert sum(weights) == pytest.approx(1.0, abs=1e-9)


def test_lightness_correlations_separate_brightness_from_colour() -> None:
    rng = np.random.default_rng(1)
    shade = rng.random((32, 32, 1)).astype(np.float32)
    gray = np.repeat(shade, 3, axis=-1)
    corr = color.lightness_correlations(gray)
    assert all(corr[c] > 0.99 for c in "RGB")  # L is a gamma curve of the shade, not linear
    assert np.isnan(corr["a"]) and np.isnan(corr["b"])  # a gray image has no colour to correlate
    tinted = np.clip(gray * np.array([1.0, 0.8, 0.6], np.float32), 0, 1)
    tinted[..., 2] = rng.random((32, 32)).astype(np.float32) * 0.3  # blue independent of shade
    corr = color.lightness_correlations(tinted)
    assert corr["R"] > 0.9 and abs(corr["B"]) < 0.3


def test_lightness_correlations_need_two_pixels() -> None:
    with pytest.raises(ValueError, match="at least 2 pixels"):
        color.lightness_correlations(np.zeros((1, 1, 3), np.float32))


def test_squeeze_lab_undoes_a_uniform_stretch_of_a_full_range_photo() -> None:
    rng = np.random.default_rng(2)
    lab = np.stack([rng.uniform(0, 100, 500), rng.uniform(-40, 40, 500), rng.uniform(-40, 40, 500)], -1)
    lab[0, 0], lab[1, 0] = 0.0, 100.0  # the photo uses the full lightness range
    over = lab * np.array([1.3, 4.0, 4.0]) - np.array([15.0, 0.0, 0.0])
    out = color.squeeze_lab(over)
    np.testing.assert_allclose(out[..., 0], lab[..., 0], atol=1e-3)
    assert np.abs(out[..., 1:]).max() == pytest.approx(127.0, abs=1e-3)  # scaled only as far as needed
    # a and b keep their proportions: one common factor, unlike clipping
    np.testing.assert_allclose(out[..., 1] * over[..., 2], out[..., 2] * over[..., 1], atol=1e-2)
    inside = np.array([[50.0, 10.0, -20.0], [20.0, 5.0, 5.0]])
    np.testing.assert_allclose(color.squeeze_lab(inside)[..., 1:], inside[..., 1:], atol=1e-5)


def test_chroma_and_squeeze_refuse_bad_shapes() -> None:
    assert color.chroma(np.array([[50.0, 3.0, 4.0]]))[0] == pytest.approx(5.0)
    with pytest.raises(ValueError, match=r"\(…, 3\)"):
        color.chroma(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="finite"):
        color.squeeze_lab(np.array([[np.nan, 0.0, 0.0]]))


def test_to_luminance_of_rgb_gray_and_uint8() -> None:
    rgb = np.random.default_rng(3).random((6, 5, 3), dtype=np.float32)
    np.testing.assert_allclose(
        color.to_luminance(rgb), rgb @ np.array(color.GRAY_WEIGHTS["rec709"]), atol=1e-6
    )
    gray = rgb[..., 0]
    np.testing.assert_array_equal(color.to_luminance(gray), gray)
    np.testing.assert_array_equal(color.to_luminance(gray[..., None]), gray)
    u8 = np.array([[0, 255]], dtype=np.uint8)
    np.testing.assert_array_equal(color.to_luminance(u8), [[0.0, 1.0]])
    rgba = np.concatenate([rgb, np.zeros((6, 5, 1), np.float32)], -1)  # alpha is dropped, not averaged in
    np.testing.assert_array_equal(color.to_luminance(rgba), color.to_luminance(rgb))
    with pytest.raises(ValueError, match=r"received shape \(2, 2, 2\)"):
        color.to_luminance(np.zeros((2, 2, 2)))


def test_ycbcr_round_trip_and_known_values(rgb: np.ndarray) -> None:
    ycc = color.rgb_to_ycbcr(rgb)
    np.testing.assert_allclose(ycc[..., 0], color.to_gray(rgb), atol=1e-6)
    np.testing.assert_allclose(color.ycbcr_to_rgb(ycc), rgb, atol=1e-5)
    grays = color.rgb_to_ycbcr(np.array([[0.0, 0.0, 0.0], [0.5, 0.5, 0.5], [1.0, 1.0, 1.0]], np.float32))
    np.testing.assert_allclose(grays[:, 1:], 0.0, atol=1e-7)  # no chroma in grays
    blue, red = color.rgb_to_ycbcr(np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], np.float32))
    assert blue[1] == pytest.approx(0.5) and red[2] == pytest.approx(0.5)  # full-range extremes


def test_ycbcr_rec601_with_offset_is_jpegs_conversion(rgb: np.ndarray) -> None:
    from PIL import Image

    u8 = (rgb[0] * 255).round().astype(np.uint8)
    pil = np.asarray(Image.fromarray(u8).convert("YCbCr"), np.float32) / 255.0
    ours = color.rgb_to_ycbcr(u8, "rec601", chroma_offset=0.5)
    assert np.abs(ours - pil).max() < 1.5 / 255  # PIL rounds to integers
    np.testing.assert_allclose(color.ycbcr_to_rgb(ours, "rec601", 0.5), u8 / 255.0, atol=1e-5)
    with pytest.raises(ValueError, match=r"Y, Cb, Cr channels last"):
        color.ycbcr_to_rgb(np.zeros((4, 2)))


def test_colour_views_hold_lightness_and_keep_each_channel_apart() -> None:
    red_dark = color.rgb_to_lab(np.array([[[0.45, 0.3, 0.25], [0.2, 0.2, 0.2]]], np.float32))
    views = color.colour_views(red_dark, lightness=70.0)
    assert sorted(views) == ["a", "ab", "b"]
    for rgb in views.values():
        np.testing.assert_allclose(color.rgb_to_lab(rgb)[..., 0], 70.0, atol=0.5)
    a_only = color.rgb_to_lab(views["a"])
    np.testing.assert_allclose(a_only[..., 2], 0.0, atol=0.5)
    np.testing.assert_allclose(a_only[0, 0, 1], red_dark[0, 0, 1], atol=0.5)
    np.testing.assert_allclose(color.rgb_to_lab(views["b"])[..., 1], 0.0, atol=0.5)
    np.testing.assert_allclose(views["ab"][0, 1], views["ab"][0, 1, 0], atol=1e-3)  # gray stays gray
    with pytest.raises(ValueError, match="received 120"):
        color.colour_views(red_dark, lightness=120)


def test_an_empty_image_is_refused_before_any_reduction() -> None:
    # min() of an empty array used to raise "zero-size array to reduction operation minimum"
    with pytest.raises(ValueError, match=r"image: the image is empty \(shape \(0, 4, 3\)"):
        color.as_float_rgb(np.zeros((0, 4, 3), np.float32))
    with pytest.raises(ValueError, match="contains infinite values"):
        color.as_float_rgb(np.full((2, 2, 3), np.inf, np.float32))
