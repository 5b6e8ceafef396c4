"""Streaming ``tf.data`` datasets of the disc toy: (input, target) batches drawn as they are read.

Each split (train, validation, test) has its own random stream, so no validation or test image is
ever a training image; the discs are drawn by :mod:`darkroom.circles.discs`.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np
import tensorflow as tf

from darkroom.circles.discs import _check_scene, _circle_batch, _colored_batch, _palette, corrupt
from darkroom.core import color

__all__ = ["circle_dataset", "circle_splits", "dataset_size", "disc_colorization_dataset", "masked_examples"]


_SIZES: weakref.WeakKeyDictionary[tf.data.Dataset, tuple[int, int]] = weakref.WeakKeyDictionary()


_SPLIT_STREAMS = {"train": 0, "validation": 1, "test": 2}


def _split_rng(seed: int, split: str) -> np.random.Generator:
    if split not in _SPLIT_STREAMS:
        raise ValueError(f"split must be one of {sorted(_SPLIT_STREAMS)}; received {split!r}")
    # A separate stream per split: the validation images are never training images.
    return np.random.default_rng([seed, _SPLIT_STREAMS[split]])


def _chunks(n: int, chunk: int) -> Iterator[int]:
    done = 0
    while done < n:
        size = min(chunk, n - done)
        yield size
        done += size


def _finish(ds: tf.data.Dataset, n: int, batch_size: int) -> tf.data.Dataset:
    """Rebatch, declare the length (so Keras knows the steps per epoch) and prefetch."""
    batches = -(-n // batch_size)
    ds = ds.unbatch().batch(batch_size).apply(tf.data.experimental.assert_cardinality(batches)).prefetch(2)
    _SIZES[ds] = (n, batch_size)  # (examples, batch size), for throughput
    return ds


def dataset_size(dataset: tf.data.Dataset) -> tuple[int, int] | None:
    """``(examples, batch_size)`` of a dataset built here, else ``None``."""
    return _SIZES.get(dataset)


def circle_dataset(
    num_images: int,
    batch_size: int = 32,
    *,
    split: str = "train",
    height: int = 150,
    width: int = 100,
    radius: Any = (5, 20),
    num_discs: Any = (1, 5),
    allow_cut: bool = True,
    seed: int = 0,
    units: str = "unit",
    corruption: str | None = None,
    corruption_amount: float = 0.3,
    chunk: int = 64,
) -> tf.data.Dataset:
    """A streaming ``tf.data.Dataset`` of ``(input, target)`` circle batches for an autoencoder.

    Images are generated ``chunk`` at a time as the dataset is iterated (nothing is held
    in memory), identically on every pass. ``units="unit"`` gives [0, 1]; ``"lab"`` gives
    lightness 0..100 as the post used. With ``corruption`` ("noise" or "mask") the input
    is damaged and the target is the clean image (denoising / inpainting).
    """
    radius_r, count_r = _check_scene(num_images, height, width, radius, num_discs, allow_cut)
    _split_rng(seed, split)
    if units not in ("unit", "lab"):
        raise ValueError(f"units must be 'unit' or 'lab'; received {units!r}")
    if corruption not in (None, "noise", "mask"):
        raise ValueError(f"corruption must be None, 'noise' or 'mask'; received {corruption!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; received {batch_size}")
    factor = 100.0 if units == "lab" else 1.0

    def generate() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        rng = _split_rng(seed, split)
        for j, size in enumerate(_chunks(num_images, chunk)):
            clean = _circle_batch(rng, size, height, width, radius_r, count_r, allow_cut)
            damaged = (
                clean
                if corruption is None
                else corrupt(clean, corruption, corruption_amount, seed=seed * 1000 + j)
            )
            yield damaged * factor, clean * factor

    spec = tf.TensorSpec((None, height, width, 1), tf.float32)
    ds = tf.data.Dataset.from_generator(generate, output_signature=(spec, spec))
    return _finish(ds, num_images, batch_size)


def circle_splits(
    num_train: int, num_validation: int, batch_size: int = 32, **kwargs: Any
) -> tuple[tf.data.Dataset, tf.data.Dataset]:
    """Training and validation datasets from disjoint random streams (same keyword arguments
    as :func:`circle_dataset`)."""
    return (
        circle_dataset(num_train, batch_size, split="train", **kwargs),
        circle_dataset(num_validation, batch_size, split="validation", **kwargs),
    )


def disc_colorization_dataset(
    num_images: int,
    batch_size: int = 32,
    *,
    split: str = "train",
    height: int = 64,
    width: int = 64,
    radius: Any = (5, 16),
    num_discs: Any = (1, 4),
    allow_cut: bool = True,
    seed: int = 0,
    palette: Any = None,
    chunk: int = 64,
) -> tf.data.Dataset:
    """Streaming ``(L, ab)`` batches of coloured discs, normalised with ``color.normalize_lab``:
    input L/100 shaped ``(B, H, W, 1)``, target (a/128, b/128) shaped ``(B, H, W, 2)``."""
    radius_r, count_r = _check_scene(num_images, height, width, radius, num_discs, allow_cut)
    _split_rng(seed, split)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; received {batch_size}")
    pal = _palette(palette)

    def generate() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        rng = _split_rng(seed, split)
        for size in _chunks(num_images, chunk):
            rgb = _colored_batch(rng, size, height, width, radius_r, count_r, allow_cut, pal)
            L, ab = color.split_lab(color.normalize_lab(color.rgb_to_lab(rgb)).astype(np.float32))
            yield L, ab

    ds = tf.data.Dataset.from_generator(
        generate,
        output_signature=(
            tf.TensorSpec((None, height, width, 1), tf.float32),
            tf.TensorSpec((None, height, width, 2), tf.float32),
        ),
    )
    return _finish(ds, num_images, batch_size)


def masked_examples(
    num_images: int,
    amount: float = 0.3,
    *,
    seed: int = 0,
    height: int = 150,
    width: int = 100,
    radius: Any = (5, 20),
    num_discs: Any = (1, 5),
    allow_cut: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(damaged, clean, hole)`` for ``num_images`` fresh images from the ``"test"`` stream.

    The training and validation streams never produce these images; ``hole`` marks the
    blacked-out square of each, so inpainting can be scored where it matters.
    """
    radius_r, count_r = _check_scene(num_images, height, width, radius, num_discs, allow_cut)
    clean = _circle_batch(_split_rng(seed, "test"), num_images, height, width, radius_r, count_r, allow_cut)
    damaged, hole = corrupt(clean, "mask", amount, seed=seed + 10_000, return_mask=True)
    return damaged, clean, hole
