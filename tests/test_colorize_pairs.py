"""darkroom.colorize.pairs: RGB <-> (L / 100, ab / 128) and the seeded flip and jitter pipelines."""

from __future__ import annotations

import numpy as np

from darkroom.colorize import pairs
from darkroom.core import synthetic


def test_to_model_pairs_round_trips_through_from_model_pairs():
    rgb = synthetic.toy_scenes(2, 16, seed=0)
    L, ab = pairs.to_model_pairs(rgb)
    assert L.shape == (2, 16, 16, 1) and ab.shape == (2, 16, 16, 2) and L.dtype == np.float32
    np.testing.assert_allclose(pairs.from_model_pairs(L, ab), rgb, atol=2e-3)


def test_flip_augmentation_is_repeatable_and_flips_L_and_ab_together():
    ramp = (
        np.tile(np.arange(8, dtype=np.float32), (8, 1))[None, ..., None]
        + 10 * np.arange(32)[:, None, None, None]
    )
    L, ab = ramp.astype(np.float32), np.concatenate([ramp, -ramp], -1).astype(np.float32)

    def epochs(n):
        ds = pairs.pair_dataset(L, ab, 8, shuffle=False, flip=True, seed=3)
        runs = [list(zip(*[(x.numpy(), y.numpy()) for x, y in ds])) for _ in range(n)]
        return [(np.concatenate(xs), np.concatenate(ys)) for xs, ys in runs]

    (x1, y1), (x2, _) = epochs(2)
    ((x1_again, _),) = epochs(1)
    np.testing.assert_array_equal(x1, x1_again)  # same seed, same flips, whatever the thread timing
    flipped = x1[:, 0, 0, 0] != L[:, 0, 0, 0]
    assert 0 < flipped.sum() < len(L)  # some flipped, some not
    assert not np.array_equal(x1, x2)  # a new draw each epoch
    np.testing.assert_array_equal(y1[..., :1], x1)  # ab flipped exactly where its L was
    np.testing.assert_array_equal(y1[..., 1:], -x1)


def test_pix2pix_jitter_moves_L_and_ab_together_and_is_seeded():
    ramp = np.arange(16 * 16, dtype=np.float32).reshape(1, 16, 16, 1) + np.zeros((12, 1, 1, 1), np.float32)
    L, ab = ramp, np.concatenate([ramp, -ramp], -1)

    def batch():
        return next(iter(pairs.pair_dataset(L, ab, 12, shuffle=False, flip=False, jitter=True, seed=1)))

    (x, y), (x2, _) = batch(), batch()
    np.testing.assert_array_equal(x.numpy(), x2.numpy())
    assert x.shape == (12, 16, 16, 1) and y.shape == (12, 16, 16, 2)
    np.testing.assert_array_equal(y[..., :1], x)  # ab cropped and mirrored exactly as its L
    np.testing.assert_array_equal(y[..., 1:], -x)
    moved = [not np.array_equal(x[i], L[0]) for i in range(12)]
    assert all(moved)  # enlarged by 1/8 then cropped: never the untouched image
    assert len({x[i].numpy().tobytes() for i in range(12)}) > 6  # crops differ
