"""darkroom.colorize.bins: the ab bins and their weights, annealed-mean decoding, the rebalanced loss."""

from __future__ import annotations

import numpy as np
import pytest

from darkroom import colorize as C


def test_ab_bins_and_rebalancing():
    bins = C.ab_bins()
    assert 200 < len(bins) < 330
    assert np.all(np.abs(bins.centers) <= 110)
    # a uniform distribution over bins gives weights of one
    w = bins.class_weights(bins.centers, uniform_mix=0.5, sigma=1e-3)
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
