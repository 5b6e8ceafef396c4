"""Scale as a fraction, pixel ranges, the one ``degrade``, and patches cut out and put back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

import numpy as np

from darkroom.core import images


# ----------------------------------------------------------------------------- scale and pixels
def scale_fraction(scale: float | Fraction) -> Fraction:
    """Return ``scale`` as a small fraction p/q (1.5 -> 3/2, 2 -> 2/1); it must be > 1."""
    try:
        frac = Fraction(scale).limit_denominator(12)
    except (TypeError, ValueError):
        raise TypeError(f"scale must be a number such as 1.5 or 2, got {scale!r}") from None
    if frac <= 1 or abs(float(frac) - float(scale)) > 1e-6:
        raise ValueError(f"scale must be a number > 1 that is a simple fraction (1.5, 2, 3), got {scale!r}")
    return frac


def to_signed(x: np.ndarray) -> np.ndarray:
    """Map pixels from [0, 1] to the post's [-1, 1]."""
    return (np.asarray(x, np.float32) * 2.0 - 1.0).astype(np.float32)


def from_signed(x: np.ndarray) -> np.ndarray:
    """Map pixels from [-1, 1] back to [0, 1] (clipped)."""
    return np.clip((np.asarray(x, np.float32) + 1.0) / 2.0, 0.0, 1.0).astype(np.float32)


def _as_batch(image: np.ndarray) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """(N, H, W, C) float32 view of a 2-D, 3-D or 4-D image and a function that restores the layout."""
    arr = np.asarray(image, np.float32)
    if arr.ndim == 2:
        return arr[None, :, :, None], lambda b: b[0, :, :, 0]
    if arr.ndim == 3:
        return arr[None], lambda b: b[0]
    if arr.ndim == 4:
        return arr, lambda b: b
    raise ValueError(f"image must have 2, 3 or 4 dimensions, got shape {arr.shape}")


def _tf_resize(
    image: np.ndarray,
    size: tuple[int, int],
    method: str = "bicubic",
    *,
    antialias: bool | None = None,
    clip: bool = True,
) -> np.ndarray:
    """:func:`darkroom.core.images.resize` with TensorFlow's kernels, the ones the models apply in the graph."""
    return images.resize(image, size, method, antialias=antialias, backend="tensorflow", clip=clip)


def degrade(image: np.ndarray, scale: float = 1.5) -> np.ndarray:
    """Make the low-resolution version of ``image`` (the single definition used everywhere).

    Bicubic downscaling with an anti-aliasing filter (as MATLAB's ``imresize`` and SR benchmarks do)
    to ``round(H / scale) x round(W / scale)``, clipped to [0, 1]. Accepts uint8 or float in [0, 1],
    gray or colour, one image or a batch (N, H, W, C); returns float32 of the same layout.
    """
    frac = scale_fraction(scale)
    arr = np.asarray(image)
    if arr.dtype == np.uint8:
        arr = arr.astype(np.float32) / 255.0
    batch, restore = _as_batch(arr)
    h, w = batch.shape[1:3]
    size = (max(1, round(h / float(frac))), max(1, round(w / float(frac))))
    return restore(_tf_resize(batch, size, "bicubic", antialias=True))


# ----------------------------------------------------------------------------- patches
def _pair(value: int | Sequence[int], name: str) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)):
        pair = (int(value), int(value))
    else:
        pair = tuple(int(v) for v in value)
    if len(pair) != 2 or min(pair) < 1:
        raise ValueError(f"{name} must be a positive int or a pair of them, got {value!r}")
    return pair  # type: ignore[return-value]


def patch_positions(length: int, size: int, stride: int) -> list[int]:
    """Start offsets of patches along one axis; the last patch sits against the border."""
    if size > length:
        raise ValueError(f"patch size {size} is larger than the image side {length}")
    starts = list(range(0, length - size + 1, stride))
    if starts[-1] != length - size:
        starts.append(length - size)
    return starts


def extract_patches(image: np.ndarray, size: int | Sequence[int], stride: int | Sequence[int]) -> np.ndarray:
    """Every ``size`` patch of ``image`` (H, W) or (H, W, C) at ``stride``, in row-major order.

    When the stride does not divide the image, the last row and column of patches sit against
    the bottom and right borders, so every pixel is covered. Returns (N, sh, sw[, C]).
    """
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(f"image must be (H, W) or (H, W, C), got shape {image.shape}")
    (sh, sw), (th, tw) = _pair(size, "size"), _pair(stride, "stride")
    ys = patch_positions(image.shape[0], sh, th)
    xs = patch_positions(image.shape[1], sw, tw)
    return np.stack([image[y : y + sh, x : x + sw] for y in ys for x in xs])


def gaussian_window(size: int | Sequence[int], sigma: float | None = None) -> np.ndarray:
    """Separable Gaussian weights (sh, sw), peak 1, sigma = size / 4 unless given."""
    sh, sw = _pair(size, "size")

    def one(n: int) -> np.ndarray:
        s = sigma if sigma is not None else n / 4.0
        t = np.arange(n) - (n - 1) / 2.0
        return np.exp(-0.5 * (t / s) ** 2)

    return np.outer(one(sh), one(sw))


def reassemble(
    patches: np.ndarray,
    image_shape: Sequence[int],
    size: int | Sequence[int],
    stride: int | Sequence[int],
    blend: str = "tile",
) -> np.ndarray:
    """Put patches from :func:`extract_patches` back into an image of ``image_shape``.

    ``blend="tile"`` pastes them in order (the post's method: where patches overlap the later
    one wins, and neighbouring predictions meet at visible seams); ``blend="gaussian"`` averages
    overlapping patches weighted by a Gaussian window centred on each, which hides the seams.
    Reassembling the true patches returns the image exactly (up to float rounding for gaussian).
    """
    if blend not in ("tile", "gaussian"):
        raise ValueError(f"blend must be 'tile' or 'gaussian', got {blend!r}")
    (sh, sw), (th, tw) = _pair(size, "size"), _pair(stride, "stride")
    shape = tuple(int(s) for s in image_shape)
    ys, xs = patch_positions(shape[0], sh, th), patch_positions(shape[1], sw, tw)
    patches = np.asarray(patches)
    expected = (len(ys) * len(xs), sh, sw, *shape[2:])
    if patches.shape != expected:
        raise ValueError(f"patches must have shape {expected} for image {shape}, got {patches.shape}")
    positions = [(y, x) for y in ys for x in xs]
    if blend == "tile":
        out = np.zeros(shape, patches.dtype)
        for (y, x), patch in zip(positions, patches):
            out[y : y + sh, x : x + sw] = patch
        return out
    window = gaussian_window((sh, sw))
    if len(shape) == 3:
        window = window[..., None]
    total = np.zeros(shape, np.float64)
    weight = np.zeros(shape[:2] + ((1,) if len(shape) == 3 else ()), np.float64)
    for (y, x), patch in zip(positions, patches):
        total[y : y + sh, x : x + sw] += window * patch
        weight[y : y + sh, x : x + sw] += window
    return (total / weight).astype(patches.dtype if patches.dtype.kind == "f" else np.float32)


def _crop_to_multiple(image: np.ndarray, m: int) -> np.ndarray:
    h, w = image.shape[:2]
    return image[: h - h % m, : w - w % m]
