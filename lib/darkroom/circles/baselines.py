"""The colour toy's trivial colorizers: what a network has to beat before its colours mean anything.

Both take normalised lightness ``L`` (B, H, W, 1) and return normalised ab (B, H, W, 2), called as
``colorizer(L, training=False)`` like a Keras model, so :func:`darkroom.circles.color_report`
scores them exactly as it scores a trained net.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

__all__ = ["MeanAbColorizer", "gray_colorizer"]


def gray_colorizer(L: Any, training: bool = False) -> np.ndarray:
    """ab = 0 everywhere: the gray image itself, the answer that claims no colour."""
    L = np.asarray(L, np.float32)
    return np.zeros((*L.shape[:-1], 2), np.float32)


class MeanAbColorizer:
    """The best answer any per-pixel L2 loss can reach from lightness alone: the mean ab of the
    training pixels at each lightness (in ``bins`` equal bins of normalised L).

    A pixel's lightness is all a per-pixel prediction sees here, so no network scored by ab MSE on
    its training distribution can do better than this table on average; a lightness never seen in
    training gets gray.
    """

    def __init__(self, dataset: tf.data.Dataset, bins: int = 256) -> None:
        if bins < 1:
            raise ValueError(f"bins must be >= 1, got {bins!r}")
        self.bins = bins
        sums, counts = np.zeros((bins, 2)), np.zeros(bins)
        for L, ab in dataset:
            idx = self._bin(L).ravel()
            ab = np.asarray(ab, np.float64).reshape(-1, 2)
            np.add.at(sums, idx, ab)
            np.add.at(counts, idx, 1)
        if not counts.any():
            raise ValueError("MeanAbColorizer needs at least one (L, ab) batch, the dataset gave none")
        self.table = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], 0.0).astype(
            np.float32
        )

    def _bin(self, L: Any) -> np.ndarray:
        L = np.asarray(L, np.float32)[..., 0]
        return np.clip((L * self.bins).astype(np.int64), 0, self.bins - 1)

    def __call__(self, L: Any, training: bool = False) -> np.ndarray:
        return self.table[self._bin(L)]
