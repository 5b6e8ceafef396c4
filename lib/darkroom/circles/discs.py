"""White discs on black, drawn: the toy images of the "Getting my feet wet with TensorFlow" post.

The post's colorization net would not train, so its author stepped back to an autoencoder on
synthetic discs. :func:`make_circles` draws them as float32 in [0, 1], :func:`make_circles_lab` as
lightness 0..100 (as the post used) and :func:`make_colored_discs` as coloured discs on coloured
backgrounds, a first colorization toy; :func:`corrupt` damages images for denoising or inpainting.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from darkroom.core import color

__all__ = ["DEFAULT_PALETTE", "corrupt", "make_circles", "make_circles_lab", "make_colored_discs"]


#: LAB colours for the colour toy, three hues per lightness so that lightness alone
#: cannot tell which hue a disc has: an L2-trained model must average them.
DEFAULT_PALETTE: np.ndarray = np.array(
    [
        [40, 55, 40],
        [40, -40, 35],
        [40, 25, -55],  # dark red, dark green, blue
        [60, 60, 55],
        [60, -50, 45],
        [60, 15, -45],  # orange, green, light blue
        [80, -5, 75],
        [80, -45, -5],
        [80, 30, -5],  # yellow, cyan, pink
    ],
    dtype=np.float32,
)


def _as_range(value: Any, name: str, *, integer: bool) -> tuple[float, float]:
    if np.isscalar(value):
        value = (value, value)
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or a (min, max) pair; received {value!r}") from None
    if integer and (int(lo) != lo or int(hi) != hi):
        raise ValueError(f"{name} must be whole numbers; received {value!r}")
    if lo > hi:
        raise ValueError(f"{name} range is reversed: received (min={lo}, max={hi}); expected min <= max")
    return (int(lo), int(hi)) if integer else (float(lo), float(hi))


def _check_scene(n: int, height: int, width: int, radius: Any, count: Any, allow_cut: bool):
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"num_images must be a whole number >= 1; received {n!r}")
    if height < 3 or width < 3:
        raise ValueError(f"height and width must be at least 3 pixels; received {height}x{width}")
    r_lo, r_hi = _as_range(radius, "radius", integer=False)
    c_lo, c_hi = _as_range(count, "num_discs", integer=True)
    if r_lo <= 0:
        raise ValueError(f"radius must be positive; received {radius!r}")
    if c_lo < 0:
        raise ValueError(f"num_discs must be >= 0; received {count!r}")
    short = min(height, width)
    if r_hi > short / 2:
        raise ValueError(
            f"radius {r_hi} is larger than a {height}x{width} image allows; expected at most {short / 2}"
        )
    if not allow_cut and r_hi > (short - 3) / 2:
        raise ValueError(
            f"with allow_cut=False a disc of radius {r_hi} cannot avoid the border of a {height}x{width} "
            f"image; expected radius at most {(short - 3) / 2}"
        )
    return (r_lo, r_hi), (c_lo, c_hi)


def _disc_layout(
    rng: np.random.Generator,
    height: int,
    width: int,
    radius: tuple[float, float],
    count: tuple[int, int],
    allow_cut: bool,
) -> np.ndarray:
    """(k, 3) array of centre row, centre column and radius for one image."""
    k = int(rng.integers(count[0], count[1] + 1))
    r = rng.uniform(radius[0], radius[1], size=k)
    if allow_cut:
        cy = rng.uniform(0, height - 1, size=k)
        cx = rng.uniform(0, width - 1, size=k)
    else:
        # Keep row/column 0 and the last one empty: the disc's extent is [c - r, c + r].
        cy = rng.uniform(r + 1, height - 2 - r)
        cx = rng.uniform(r + 1, width - 2 - r)
    return np.stack([cy, cx, r], axis=1)


def _disc_masks(layout: np.ndarray, height: int, width: int) -> np.ndarray:
    """(k, H, W) boolean masks of the discs in ``layout``."""
    yy = np.arange(height, dtype=np.float32)[None, :, None]
    xx = np.arange(width, dtype=np.float32)[None, None, :]
    cy, cx, r = (layout[:, i, None, None].astype(np.float32) for i in range(3))
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r**2


def _circle_batch(rng, n, height, width, radius, count, allow_cut) -> np.ndarray:
    out = np.zeros((n, height, width, 1), np.float32)
    for i in range(n):
        masks = _disc_masks(_disc_layout(rng, height, width, radius, count, allow_cut), height, width)
        if len(masks):
            out[i, ..., 0] = masks.any(axis=0)
    return out


def make_circles(
    num_images: int,
    height: int = 150,
    width: int = 100,
    radius: Any = (5, 20),
    num_discs: Any = (1, 5),
    allow_cut: bool = True,
    seed: int = 0,
) -> np.ndarray:
    """``num_images`` images of white discs on black, float32 in [0, 1], shaped ``(n, height, width, 1)``.

    Each image holds a whole number of discs drawn from ``num_discs`` (inclusive), radii
    uniform in ``radius`` (pixels), centres anywhere in the image -- so discs may be cut
    by the edge -- unless ``allow_cut=False``, which keeps every disc off the border
    rows and columns. The same ``seed`` gives the same images.
    """
    radius, num_discs = _check_scene(num_images, height, width, radius, num_discs, allow_cut)
    rng = np.random.default_rng(seed)
    return _circle_batch(rng, num_images, height, width, radius, num_discs, allow_cut)


def make_circles_lab(
    num_images: int,
    height: int = 150,
    width: int = 100,
    radius: Any = (5, 20),
    num_discs: Any = (1, 5),
    allow_cut: bool = True,
    seed: int = 0,
) -> np.ndarray:
    """:func:`make_circles` as LAB lightness: discs at L=100 on L=0, shaped ``(n, H, W, 1)``."""
    return 100.0 * make_circles(num_images, height, width, radius, num_discs, allow_cut, seed)


def _palette(palette: Any) -> np.ndarray:
    pal = DEFAULT_PALETTE if palette is None else np.asarray(palette, np.float32)
    if pal.ndim != 2 or pal.shape[1] != 3 or len(pal) < 2:
        raise ValueError(f"palette must be an (k >= 2, 3) array of LAB colours; received shape {pal.shape}")
    return pal


def _colored_batch(rng, n, height, width, radius, count, allow_cut, pal) -> np.ndarray:
    lab = np.empty((n, height, width, 3), np.float32)
    levels = np.unique(pal[:, 0])
    for i in range(n):
        background = pal[rng.integers(len(pal))]
        lab[i] = background
        # Discs take a lightness different from the background so they stay visible in L.
        choices = pal[pal[:, 0] != background[0]] if len(levels) > 1 else pal
        masks = _disc_masks(_disc_layout(rng, height, width, radius, count, allow_cut), height, width)
        for mask in masks:
            lab[i][mask] = choices[rng.integers(len(choices))]
    return color.lab_to_rgb(lab).astype(np.float32)


def make_colored_discs(
    num_images: int,
    height: int = 64,
    width: int = 64,
    radius: Any = (5, 16),
    num_discs: Any = (1, 4),
    allow_cut: bool = True,
    seed: int = 0,
    palette: Any = None,
) -> np.ndarray:
    """Coloured discs on coloured backgrounds, float32 RGB in [0, 1], ``(n, H, W, 3)``.

    Colours come from ``palette`` (LAB rows; default :data:`DEFAULT_PALETTE`, three hues
    per lightness), so the gray image says where a disc is but not which of its three
    hues it has -- the ambiguity that makes an L2 colorizer paint brownish grey.
    """
    radius, num_discs = _check_scene(num_images, height, width, radius, num_discs, allow_cut)
    rng = np.random.default_rng(seed)
    return _colored_batch(rng, num_images, height, width, radius, num_discs, allow_cut, _palette(palette))


def corrupt(
    images: np.ndarray, kind: str = "noise", amount: float = 0.3, seed: int = 0, return_mask: bool = False
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Damage images for denoising or inpainting: Gaussian ``noise`` of std ``amount``
    (clipped to [0, 1]), or a black square ``mask`` whose side is ``amount`` of the short side.

    With ``return_mask=True`` also return the boolean ``(N, H, W, 1)`` mask of the pixels that
    were blacked out (all False for noise, which touches every pixel), to score inpainting there.
    """
    images = np.asarray(images, np.float32)
    if images.ndim != 4:
        raise ValueError(f"corrupt expects a batch (N, H, W, C); received shape {images.shape}")
    if not 0 <= amount <= 1:
        raise ValueError(f"amount must be in [0, 1]; received {amount}")
    rng = np.random.default_rng(seed)
    hole = np.zeros((*images.shape[:3], 1), bool)
    if kind == "noise":
        out = np.clip(images + rng.normal(0, amount, images.shape).astype(np.float32), 0, 1)
    elif kind == "mask":
        n, h, w, _ = images.shape
        side = max(1, int(round(amount * min(h, w))))
        out = images.copy()
        for i in range(n):
            top, left = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
            out[i, top : top + side, left : left + side] = 0.0
            hole[i, top : top + side, left : left + side] = True
    else:
        raise ValueError(f"kind must be 'noise' or 'mask'; received {kind!r}")
    return (out, hole) if return_mask else out
