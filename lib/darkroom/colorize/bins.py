"""Colorization as classification over quantised ab (Zhang, Isola & Efros 2016).

The in-gamut ab bins and their class-rebalancing weights, the cross-entropy against the soft-encoded
truth that a classifier trains with, and the annealed-mean layer that decodes its logits back to
``ab / 128``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

__all__ = ["AbBins", "AnnealedMean", "RebalancedCrossEntropy", "ab_bins"]

_REGISTER = keras.saving.register_keras_serializable(package="darkroom")


@dataclasses.dataclass(frozen=True)
class AbBins:
    """Centres of the in-gamut ab bins (Q, 2), in natural LAB units."""

    centers: np.ndarray
    grid: float

    def __len__(self) -> int:
        return len(self.centers)

    def nearest(self, ab: np.ndarray, chunk: int = 16384) -> np.ndarray:
        """Index of the closest bin for each ab pair (..., 2) in natural units.

        Works through ``chunk`` pairs at a time: the full (pixels, bins, 2) difference array of
        256 crops of 64x64 is 2.1 GB, and it set notebook 06's peak memory.
        """
        ab = np.asarray(ab)
        flat = ab.reshape(-1, ab.shape[-1])
        out = np.empty(len(flat), np.int64)
        for start in range(0, len(flat), chunk):
            d = ((flat[start : start + chunk, None, :] - self.centers) ** 2).sum(-1)
            out[start : start + chunk] = d.argmin(-1)
        return out.reshape(ab.shape[:-1])

    def class_weights(self, ab: np.ndarray, uniform_mix: float = 0.5, sigma: float = 5.0) -> np.ndarray:
        """Rebalancing weights ``w ∝ ((1 - lam) p~ + lam / Q)^-1`` with ``E_p~[w] = 1``.

        ``p~`` is the empirical bin distribution of ``ab`` (natural units, any shape (..., 2)),
        smoothed with a Gaussian of ``sigma`` ab units, as in Zhang et al.
        """
        idx = self.nearest(np.asarray(ab, np.float32).reshape(-1, 2))
        p = np.bincount(idx, minlength=len(self)).astype(np.float64)
        d2 = ((self.centers[:, None] - self.centers[None]) ** 2).sum(-1)
        p = np.exp(-d2 / (2 * sigma**2)) @ p
        p /= p.sum()
        w = 1.0 / ((1 - uniform_mix) * p + uniform_mix / len(self))
        return (w / (p * w).sum()).astype(np.float32)


def _in_gamut(lab: np.ndarray) -> np.ndarray:
    """True where LAB (…, 3) maps inside the sRGB cube (no clipping)."""
    L, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    fy = (L + 16) / 116
    f = np.stack([fy + a / 500, fy, fy - b / 200], -1)
    d = 6 / 29
    xyz = np.where(f > d, f**3, 3 * d**2 * (f - 4 / 29)) * np.array([0.95047, 1.0, 1.08883])
    m = np.array(
        [
            [3.2404542, -1.5371385, -0.4985314],
            [-0.9692660, 1.8760108, 0.0415560],
            [0.0556434, -0.2040259, 1.0572252],
        ]
    )
    rgb = xyz @ m.T
    return np.all((rgb >= -1e-6) & (rgb <= 1 + 1e-6), axis=-1)


def ab_bins(grid: float = 10.0) -> AbBins:
    """The ab bins of side ``grid`` whose centre is in the sRGB gamut at some lightness
    (313 at grid 10 in Zhang et al.'s count; the exact number depends on the gamut test)."""
    edge = 110.0
    c = np.arange(-edge + grid / 2, edge, grid)
    a, b = np.meshgrid(c, c, indexing="ij")
    ab = np.stack([a.ravel(), b.ravel()], -1)
    Ls = np.linspace(1, 99, 50)
    lab = np.concatenate(
        [
            np.broadcast_to(Ls[:, None, None], (len(Ls), len(ab), 1)),
            np.broadcast_to(ab, (len(Ls), len(ab), 2)),
        ],
        -1,
    )
    # Bins are squares: keep one if any corner-ish point (centre +- grid/2) is in gamut.
    keep = np.zeros(len(ab), bool)
    for dx in (-0.45, 0.0, 0.45):
        for dy in (-0.45, 0.0, 0.45):
            shifted = lab + np.array([0.0, dx * grid, dy * grid])
            keep |= _in_gamut(shifted).any(axis=0)
    return AbBins(centers=ab[keep].astype(np.float32), grid=float(grid))


@_REGISTER
class AnnealedMean(keras.layers.Layer):
    """Logits over ab bins (…, Q) -> ab / 128 (…, 2): the mean of ``softmax(logits / T)``.

    ``T = 1`` is the plain mean (desaturated), ``T -> 0`` the mode (patchy);
    Zhang et al. use ``T = 0.38``.
    """

    def __init__(self, centers: Sequence[Sequence[float]], temperature: float = 0.38, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.centers = np.asarray(centers, np.float32)
        self.temperature = float(temperature)

    def call(self, logits: Any) -> Any:
        p = tf.nn.softmax(tf.cast(logits, tf.float32) / self.temperature, axis=-1)
        return tf.tensordot(p, tf.constant(self.centers / 128.0), axes=[[-1], [0]])

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (*input_shape[:-1], 2)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "centers": self.centers.tolist(), "temperature": self.temperature}


@_REGISTER
class RebalancedCrossEntropy(keras.losses.Loss):
    """Cross-entropy between per-pixel logits over ab bins and the soft-encoded truth.

    ``y_true`` is ab / 128 (…, 2); it is encoded on its ``k`` nearest bins with a Gaussian of
    ``sigma`` ab units and each pixel is weighted by the rebalancing weight of its nearest bin.
    """

    def __init__(
        self,
        centers: Sequence[Sequence[float]],
        weights: Sequence[float] | None = None,
        k: int = 5,
        sigma: float = 5.0,
        name: str = "rebalanced_cross_entropy",
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.centers = np.asarray(centers, np.float32)
        self.weights = None if weights is None else np.asarray(weights, np.float32)
        self.k = int(k)
        self.sigma = float(sigma)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        ab = tf.cast(y_true, tf.float32) * 128.0
        d2 = tf.reduce_sum(tf.square(ab[..., None, :] - tf.constant(self.centers)), axis=-1)
        kth = -tf.math.top_k(-d2, k=self.k).values[..., -1:]
        soft = tf.where(d2 <= kth, tf.exp(-d2 / (2 * self.sigma**2)), 0.0)
        soft = soft / tf.reduce_sum(soft, axis=-1, keepdims=True)
        ce = -tf.reduce_sum(soft * tf.nn.log_softmax(tf.cast(y_pred, tf.float32), axis=-1), axis=-1)
        if self.weights is not None:
            ce = ce * tf.gather(tf.constant(self.weights), tf.argmin(d2, axis=-1))
        return tf.reduce_mean(ce, axis=[1, 2])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "centers": self.centers.tolist(),
            "weights": None if self.weights is None else self.weights.tolist(),
            "k": self.k,
            "sigma": self.sigma,
        }
