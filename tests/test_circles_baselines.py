"""The colour toy's trivial colorizers: gray is ab = 0, and the mean ab per lightness is the L2 optimum."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from darkroom import circles


def _pairs(ab_of_level: dict[float, list[tuple[float, float]]], n: int = 64, seed: int = 0):
    """(L, ab) batches of 4x4 images whose pixels take a lightness level and one of its ab choices."""
    rng = np.random.default_rng(seed)
    levels = np.array(list(ab_of_level))
    L = rng.choice(levels, size=(n, 4, 4, 1)).astype(np.float32)
    ab = np.zeros((n, 4, 4, 2), np.float32)
    for level, choices in ab_of_level.items():
        mask = L[..., 0] == level
        ab[mask] = np.asarray(choices, np.float32)[rng.integers(len(choices), size=mask.sum())]
    return tf.data.Dataset.from_tensor_slices((L, ab)).batch(16)


def _ab_mse(colorizer, dataset) -> float:
    return float(np.mean([np.mean((colorizer(L.numpy()) - ab.numpy()) ** 2) for L, ab in dataset]))


def test_gray_predicts_no_colour_so_its_error_is_the_mean_square_of_ab() -> None:
    data = _pairs({0.25: [(0.5, -0.5)], 0.75: [(-0.25, 0.0)]})
    ab = np.concatenate([b.numpy() for _, b in data])
    assert circles.gray_colorizer(np.zeros((2, 4, 4, 1))).shape == (2, 4, 4, 2)
    assert _ab_mse(circles.gray_colorizer, data) == pytest.approx(float(np.mean(ab**2)), rel=1e-3)


def test_mean_ab_is_exact_when_lightness_decides_the_colour() -> None:
    data = _pairs({0.25: [(0.5, -0.5)], 0.75: [(-0.25, 0.0)]})
    assert _ab_mse(circles.MeanAbColorizer(data), data) == pytest.approx(0.0, abs=1e-10)


def test_mean_ab_beats_gray_and_every_constant_when_colours_are_ambiguous() -> None:
    ambiguous = {0.25: [(0.5, 0.0), (-0.5, 0.0), (0.0, 0.5)], 0.75: [(0.25, 0.25), (0.25, -0.25)]}
    train, val = _pairs(ambiguous, seed=0), _pairs(ambiguous, seed=1)
    mean = circles.MeanAbColorizer(train)
    np.testing.assert_allclose(mean.table[int(0.75 * 256)], [0.25, 0.0], atol=0.05)
    best = _ab_mse(mean, val)
    assert best < _ab_mse(circles.gray_colorizer, val)
    for constant in ([0.1, 0.0], [0.0, 0.1], [0.2, 0.1]):
        assert best < _ab_mse(lambda L, c=constant: np.broadcast_to(np.float32(c), (*L.shape[:-1], 2)), val)
    assert circles.color_report(mean, val)["ab_mse"] == pytest.approx(best, rel=1e-5)


def test_a_lightness_never_seen_in_training_gets_gray() -> None:
    mean = circles.MeanAbColorizer(_pairs({0.25: [(0.5, -0.5)]}))
    np.testing.assert_array_equal(mean(np.full((1, 2, 2, 1), 0.9, np.float32)), 0.0)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="bins must be >= 1, got 0"):
        circles.MeanAbColorizer(_pairs({0.5: [(0.0, 0.0)]}), bins=0)
    empty = tf.data.Dataset.from_tensor_slices((np.zeros((0, 4, 4, 1)), np.zeros((0, 4, 4, 2)))).batch(4)
    with pytest.raises(ValueError, match="dataset gave none"):
        circles.MeanAbColorizer(empty)


def _truth_model(batches, shift=0):
    """A stand-in model that answers each batch with its true ab, or with the hue ``shift`` places
    along among the palette's three hues of the same lightness."""
    pal = circles.DEFAULT_PALETTE
    answers = []
    for L, ab in batches:
        L, ab = np.asarray(L), np.asarray(ab)
        lab = np.concatenate([L * 100, ab * 128], -1)
        idx = np.argmin(((lab[..., None, :] - pal) ** 2).sum(-1), axis=-1)
        moved = (idx // 3) * 3 + (idx % 3 + shift) % 3
        answers.append(pal[moved][..., 1:] / 128)
    replies = iter(answers)
    return lambda L, training=False: next(replies)


def test_hue_accuracy_is_one_for_the_truth_zero_for_a_wrong_hue_and_about_a_third_for_gray():
    toy = dict(height=24, width=24, radius=(3, 6), num_discs=(1, 3))
    batches = list(circles.disc_colorization_dataset(48, 16, split="validation", **toy))
    assert circles.hue_accuracy(_truth_model(batches), batches) == 1.0
    assert circles.hue_accuracy(_truth_model(batches, shift=1), batches) == 0.0
    # Gray picks one fixed hue per lightness: right for about a third of the pixels.
    assert 0.15 < circles.hue_accuracy(circles.gray_colorizer, batches) < 0.55
    report = circles.color_report(circles.gray_colorizer, batches)
    assert report["hue_accuracy"] == circles.hue_accuracy(circles.gray_colorizer, batches)
    with pytest.raises(ValueError, match="non-empty"):
        circles.hue_accuracy(circles.gray_colorizer, [])
