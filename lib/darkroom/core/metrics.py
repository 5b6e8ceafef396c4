"""Image quality metrics: PSNR, SSIM, ab error, colourfulness and a style distance (NumPy).

Images are float RGB in [0, 1] (uint8 is converted once by dividing by 255); the data
range is an argument, never guessed from the values. A batch (N, H, W, C) scores as the
mean of its per-image scores, so that one bright image cannot dominate.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from darkroom.core import color, images

__all__ = ["ab_mae", "colorfulness", "filter_bank_gram", "psnr", "ssim", "style_distance"]


def _as_float(x: Any, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype == np.uint8:
        return arr.astype(np.float64) / 255.0
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name}: expected a float image in [0, 1] or uint8, received dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name}: integer images must be uint8 (0..255), received dtype {arr.dtype}")
    return arr.astype(np.float64, copy=False)


def _pair(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = _as_float(a, "a"), _as_float(b, "b")
    if x.shape != y.shape:
        raise ValueError(f"images must have the same shape, received {x.shape} and {y.shape}")
    if x.ndim < 2:
        raise ValueError(f"expected images of shape (H, W), (H, W, C) or (N, H, W, C), received {x.shape}")
    return x, y


def _batched(x: np.ndarray) -> np.ndarray:
    """(H, W) -> (1, H, W, 1); (H, W, C) -> (1, H, W, C); (N, H, W, C) unchanged."""
    if x.ndim == 2:
        return x[None, ..., None]
    if x.ndim == 3:
        return x[None]
    if x.ndim == 4:
        return x
    raise ValueError(f"expected (H, W), (H, W, C) or (N, H, W, C), received shape {x.shape}")


def psnr(a: Any, b: Any, *, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB, ``10 log10(data_range^2 / MSE)``; ``inf`` if identical.

    For a batch (N, H, W, C) the mean of the per-image PSNRs.
    """
    x, y = _pair(a, b)
    x, y = _batched(x), _batched(y)
    mse = ((x - y) ** 2).reshape(len(x), -1).mean(axis=1)
    with np.errstate(divide="ignore"):
        values = 10.0 * np.log10(data_range**2 / mse)
    return float(np.mean(values))


def ssim(
    a: Any,
    b: Any,
    *,
    data_range: float = 1.0,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
) -> float:
    """Structural similarity (Wang et al. 2004) with an 11x11 Gaussian window, sigma 1.5.

    Computed per channel and averaged, ignoring the 5-pixel border where the window leaves
    the image -- the same numbers as scikit-image's ``structural_similarity(a, b,
    gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1,
    channel_axis=-1)``. For a batch, the mean over images.
    """
    from scipy.ndimage import gaussian_filter

    x, y = _pair(a, b)
    x, y = _batched(x), _batched(y)
    truncate = 3.5
    pad = int(truncate * sigma + 0.5)
    if min(x.shape[1:3]) < 2 * pad + 1:
        raise ValueError(
            f"images must be at least {2 * pad + 1}x{2 * pad + 1} for SSIM, received {x.shape[1:3]}"
        )
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2

    def blur(img: np.ndarray) -> np.ndarray:
        # Filter the two spatial axes only; 'reflect' is what scikit-image uses.
        return gaussian_filter(img, sigma=(0, sigma, sigma, 0), truncate=truncate, mode="reflect")

    mx, my = blur(x), blur(y)
    vx = blur(x * x) - mx * mx
    vy = blur(y * y) - my * my
    cxy = blur(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    s = s[:, pad:-pad, pad:-pad, :]
    return float(s.reshape(len(s), -1).mean(axis=1).mean())


def ab_mae(lab_true: Any, lab_pred: Any) -> float:
    """Mean absolute error of the a and b channels, in LAB units (about -128..127).

    Accepts LAB (..., 3) (L is ignored) or ab alone (..., 2), in natural units.
    """
    t, p = np.asarray(lab_true, np.float64), np.asarray(lab_pred, np.float64)
    if t.shape != p.shape:
        raise ValueError(f"lab_true and lab_pred must have the same shape, received {t.shape} and {p.shape}")
    if t.ndim < 1 or t.shape[-1] not in (2, 3):
        raise ValueError(f"expected LAB (..., 3) or ab (..., 2) in natural units, received shape {t.shape}")
    if t.shape[-1] == 3:
        t, p = t[..., 1:], p[..., 1:]
    return float(np.mean(np.abs(t - p)))


def colorfulness(rgb: Any) -> float:
    """Hasler & Suesstrunk (2003) colourfulness on the 0..255 scale, whatever the input dtype.

    ``M = sqrt(std_rg^2 + std_yb^2) + 0.3 sqrt(mean_rg^2 + mean_yb^2)`` with ``rg = R - G``
    and ``yb = (R + G) / 2 - B``. A gray image (2-D, one channel or R = G = B) scores 0;
    a batch scores the mean over images.
    """
    x = _as_float(rgb, "rgb")
    if x.ndim == 2 or (x.ndim >= 3 and x.shape[-1] == 1):
        return 0.0
    if x.ndim not in (3, 4) or x.shape[-1] != 3:
        raise ValueError(f"expected RGB (H, W, 3) or (N, H, W, 3), received shape {x.shape}")
    x = _batched(x) * 255.0
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    rg = (r - g).reshape(len(x), -1)
    yb = (0.5 * (r + g) - b).reshape(len(x), -1)
    values = np.sqrt(rg.std(axis=1) ** 2 + yb.std(axis=1) ** 2) + 0.3 * np.sqrt(
        rg.mean(axis=1) ** 2 + yb.mean(axis=1) ** 2
    )
    return float(np.mean(values))


# --------------------------------------------------------------------------- texture statistics

# Scale-normalised Gaussian derivatives (x, y, xx, yy, xy) of the lightness at four scales.
_BANK_SIGMAS = (1.0, 2.0, 4.0, 8.0)
_BANK_ORDERS = ((0, 1), (1, 0), (0, 2), (2, 0), (1, 1))


def filter_bank_gram(image: Any) -> np.ndarray:
    """Gram matrix (43 x 43) of a fixed, hand-made filter bank: a texture description no network shares.

    Channels: lightness and two opponent colours (r-g, (r+g)/2-b), blurred at 1 px, then the
    positive and negative parts of Gaussian derivatives of the lightness (5 orders x 4 scales,
    1..8 px).  Correlations over all pixels, divided by their number, so sizes compare.
    """
    from scipy import ndimage

    img = color.as_float_rgb(image, "image")
    if img.ndim != 3:
        raise ValueError(f"image: expected one image (H, W, 3), received shape {img.shape}")
    lum = img.mean(axis=-1)
    opp = (img[..., 0] - img[..., 1], 0.5 * (img[..., 0] + img[..., 1]) - img[..., 2])
    chans = [ndimage.gaussian_filter(c, 1.0) for c in (lum, *opp)]
    for sigma in _BANK_SIGMAS:
        for order in _BANK_ORDERS:
            r = ndimage.gaussian_filter(lum, sigma, order=order) * sigma ** sum(order)
            chans += [np.maximum(r, 0.0), np.maximum(-r, 0.0)]
    f = np.stack(chans, axis=-1).reshape(-1, len(chans)).astype(np.float64)
    return f.T @ f / f.shape[0]


def style_distance(style_image: Any, image: Any) -> float:
    """How far ``image``'s texture statistics are from ``style_image``'s (the target), under :func:`filter_bank_gram`.

    ||G(image) - G(style)|| / ||G(style)|| (Frobenius), with the style first resized to the
    image's width, as ``darkroom.style.transfer.stylize`` resizes it (``style_scales=1``).  0 is a perfect
    match.  No network enters it, so it can judge the results of any feature set.
    """
    img = color.as_float_rgb(image, "image")
    sty = color.as_float_rgb(style_image, "style_image")
    width = img.shape[1]
    hw = (max(1, round(sty.shape[0] * width / sty.shape[1])), width)
    sty = sty if sty.shape[:2] == hw else images.resize(sty, hw)
    target = filter_bank_gram(sty)
    return float(np.linalg.norm(filter_bank_gram(img) - target) / np.linalg.norm(target))
