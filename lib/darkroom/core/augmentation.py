"""Augmentation, the write-up's ImageDataGenerator and skimage.exposure as tensor ops inside ``tf.data``.

:func:`augment_image` crops at random, flips left-right and upside-down and changes the tone of L
(:func:`tone_augment`); :func:`darkroom.core.folders.image_folder` applies it with ``augment=True``.
Images are float32 RGB in [0, 1].
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "STRETCH_PERCENTILES",
    "TONE_AUGMENTATIONS",
    "WRITEUP_TONES",
    "augment_image",
    "target_shape",
    "tone_augment",
]


def target_shape(size: Any) -> tuple[int, int]:
    """``size`` (a side) or ``(height, width)`` -> (height, width), refusing anything else."""
    shape = (
        (size, size)
        if isinstance(size, (int, np.integer))
        else tuple(size)
        if isinstance(size, (tuple, list))
        else ()
    )
    if len(shape) != 2 or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in shape):
        raise ValueError(f"size must be a positive int or a (height, width) pair of them, got {size!r}")
    return int(shape[0]), int(shape[1])


TONE_AUGMENTATIONS = ("none", "equalize", "stretch", "adaptive")
_QUIET_CLIP_LOCK = threading.Lock()
#: Seed 002's three tone operations, one of which it applied to every training image at random.
WRITEUP_TONES = ("equalize", "stretch", "adaptive")
#: The percentiles of L that contrast stretching maps to black and white (seed 002, after skimage's example).
STRETCH_PERCENTILES = (2, 98)


def tone_augment(image: np.ndarray, kind: str) -> np.ndarray:
    """Change the lightness L of an RGB image, keep its a and b; float32 RGB out.

    ``kind``: ``"equalize"`` (histogram equalisation), ``"stretch"`` (contrast stretching
    between the 2nd and 98th percentiles), ``"adaptive"`` (CLAHE) or ``"none"``.
    """
    from skimage import exposure

    from darkroom.core import color

    if kind not in TONE_AUGMENTATIONS:
        raise ValueError(f"kind must be one of {TONE_AUGMENTATIONS}, got {kind!r}")
    rgb = color.as_float_rgb(image)
    if kind == "none":
        return rgb
    lab = color.rgb_to_lab(rgb)
    L = np.clip(lab[..., 0] / 100.0, 0.0, 1.0)
    if kind == "equalize":
        L = exposure.equalize_hist(L)
    elif kind == "stretch":
        lo, hi = np.percentile(L, STRETCH_PERCENTILES)
        L = exposure.rescale_intensity(L, in_range=(lo, hi), out_range=(0.0, 1.0)) if hi > lo else L
    else:
        L = exposure.equalize_adapthist(L, clip_limit=0.03)
    lab = lab.copy()
    lab[..., 0] = np.asarray(L, np.float64) * 100.0
    # A new L under the old a, b can leave the sRGB gamut; lab_to_rgb clips, which is what we want,
    # and scikit-image's warning about the clipped values would only repeat that per image. The
    # lock: tf.data calls this from several threads, and catch_warnings swaps a process-wide filter
    # list, so without it one thread can restore the filters while another converts.
    with _QUIET_CLIP_LOCK, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*negative Z values.*", category=UserWarning)
        return color.lab_to_rgb(lab)


def augment_image(
    image: Any, size: int | tuple[int, int], seed: Any, tones: Sequence[str] = TONE_AUGMENTATIONS
) -> Any:
    """Random crop to ``size`` (a side or (height, width)), random left-right and upside-down
    flips, random tone of L.

    ``seed`` is a shape-(2,) integer tensor; the same seed gives the same result. The tone
    change is one of ``tones`` (names from :data:`TONE_AUGMENTATIONS`), each equally likely:
    by default "none" is one of the four; :data:`WRITEUP_TONES` always applies one of seed
    002's three.
    """
    import tensorflow as tf

    height, width = target_shape(size)
    tones = tuple(tones)
    unknown = [t for t in tones if t not in TONE_AUGMENTATIONS]
    if not tones or unknown:
        raise ValueError(f"tones must be a non-empty selection of {TONE_AUGMENTATIONS}, got {tones!r}")
    seed = tf.cast(seed, tf.int64)
    image = tf.image.stateless_random_crop(image, (height, width, 3), seed=seed)
    image = tf.image.stateless_random_flip_left_right(image, seed=seed + 1)
    image = tf.image.stateless_random_flip_up_down(image, seed=seed + 2)
    choice = tf.random.stateless_uniform((), seed + 3, 0, len(tones), tf.int32)

    def tone(img: np.ndarray, k: np.int32) -> np.ndarray:
        return tone_augment(img, tones[int(k)])

    out = tf.numpy_function(tone, [image, choice], tf.float32, stateful=False)
    out.set_shape((height, width, 3))
    return out
