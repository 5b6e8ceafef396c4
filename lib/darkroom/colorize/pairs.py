"""(L, ab) pairs for colorization models: RGB -> (L / 100, ab / 128), back, and tf.data batches.

The colorizers (:mod:`darkroom.colorize`) and pix2pix (:mod:`darkroom.colorize.pix2pix`) both train on these
pairs and draw their augmentations from the same seeded pipeline, so it lives here, below both.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from darkroom.core import color

__all__ = ["from_model_pairs", "pair_dataset", "random_seeds", "to_model_pairs"]


def to_model_pairs(rgb: Any) -> tuple[np.ndarray, np.ndarray]:
    """RGB images (N, H, W, 3) -> (L / 100 of shape (N, H, W, 1), ab / 128 of shape (N, H, W, 2))."""
    lab = color.normalize_lab(color.rgb_to_lab(color.as_float_rgb(rgb, "rgb", gray_ok=False)))
    L, ab = color.split_lab(lab)
    return L.astype(np.float32), ab.astype(np.float32)


def from_model_pairs(L: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """(L / 100, ab / 128) -> RGB float32 in [0, 1]."""
    lab = color.denormalize_lab(np.concatenate([L, ab], axis=-1).astype(np.float32))
    return color.lab_to_rgb(color.clip_lab(lab))


def random_seeds(seed: int) -> tf.data.Dataset:
    """A dataset of seed pairs, one per element, for stateless random augmentations."""
    # Each element draws from its own seed pair: a stateful random op inside a parallel map hands
    # out numbers in scheduling order, so two runs would augment different elements.
    return tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)


def _jitter_pair(both: Any, pair_seed: Any) -> Any:
    """pix2pix's random jitter of an (H, W, C) stack: resize up by 1/8 (nearest, as the pix2pix
    tutorial's 256 -> 286), random crop back to (H, W), random mirror."""
    h, w, c = both.shape
    big = tf.image.resize(both, (h + h // 8, w + w // 8), method="nearest")
    cropped = tf.image.stateless_random_crop(big, (h, w, c), seed=pair_seed)
    return tf.image.stateless_random_flip_left_right(cropped, seed=pair_seed + 1)


def pair_dataset(
    L: np.ndarray,
    ab: np.ndarray,
    batch_size: int,
    *,
    shuffle: bool,
    flip: bool,
    seed: int,
    jitter: bool = False,
) -> tf.data.Dataset:
    """(L, ab) batches, optionally shuffled, flipped left-right or jittered (``jitter`` mirrors too)."""
    ds = tf.data.Dataset.from_tensor_slices((L, ab))
    if shuffle:
        ds = ds.shuffle(len(L), seed=seed, reshuffle_each_iteration=True)
    if flip or jitter:

        def augment_pair(pair: Any, pair_seed: Any) -> tuple[Any, Any]:
            both = tf.concat(pair, -1)
            if jitter:
                both = _jitter_pair(both, pair_seed)
            else:
                both = tf.image.stateless_random_flip_left_right(both, seed=pair_seed)
            return both[..., :1], both[..., 1:]

        ds = tf.data.Dataset.zip(ds, random_seeds(seed)).map(
            augment_pair, num_parallel_calls=tf.data.AUTOTUNE
        )
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
