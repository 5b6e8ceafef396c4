"""Colour spaces: RGB, CIE LAB (D65, sRGB) and gray, in NumPy and in TensorFlow.

Colorization works in LAB because it separates lightness ``L`` (0..100, what a
gray photo keeps) from the two colour axes ``a`` (green..red) and ``b``
(blue..yellow, both about -128..127): a model reads ``L`` and predicts ``ab``.

Conventions: RGB images are float32 in [0, 1] with channels last and any
leading batch shape; uint8 input is accepted and divided by 255 once. LAB is
kept in its natural units; the scaled form a network sees comes only from
:func:`normalize_lab` / :func:`denormalize_lab`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from skimage import color as _skcolor

from darkroom.core import writeups as _writeups

__all__ = [
    "GRAY_WEIGHTS",
    "LAB_SCALE",
    "as_float_rgb",
    "check_unit_range",
    "chroma",
    "clip_lab",
    "colour_views",
    "denormalize_lab",
    "join_lab",
    "lab_to_rgb",
    "lightness_correlations",
    "normalize_lab",
    "rgb_to_lab",
    "rgb_to_ycbcr",
    "skimage_gray_weights",
    "split_lab",
    "squeeze_lab",
    "tf_lab_to_rgb",
    "tf_rgb_to_lab",
    "to_gray",
    "to_luminance",
    "ycbcr_to_rgb",
]

#: Gray formulas: the colorization post's, ITU-R BT.601 (luma of JPEG/TV) and
#: BT.709 relative luminance (sRGB primaries). scikit-image's ``rgb2gray`` rounds BT.709
#: differently; :func:`skimage_gray_weights` reads its weights from the installed library.
GRAY_WEIGHTS: dict[str, tuple[float, float, float]] = {
    "post": (
        _writeups.value("gray_weight_r"),
        _writeups.value("gray_weight_g"),
        _writeups.value("gray_weight_b"),
    ),
    "rec601": (0.299, 0.587, 0.114),
    "rec709": (0.2126, 0.7152, 0.0722),
}

#: Divisors that bring L, a, b to about [0, 1], [-1, 1], [-1, 1] (the DCGAN post's).
LAB_SCALE: tuple[float, float, float] = tuple(  # type: ignore[assignment]
    float(_writeups.value(f"lab_divisor_{c}")) for c in "lab"
)

# sRGB -> XYZ (D65) and the D65 white point, as scikit-image uses them.
_XYZ_FROM_RGB = np.array(
    [[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]],
    dtype=np.float64,
)
_RGB_FROM_XYZ = np.linalg.inv(_XYZ_FROM_RGB)
_WHITE_D65 = np.array([0.95047, 1.0, 1.08883], dtype=np.float64)
_EPS_LAB = (6 / 29) ** 3  # where the cube root meets the linear toe
_L_RANGE = (0.0, 100.0)
_AB_RANGE = (-128.0, 127.0)


def _describe(x: np.ndarray) -> str:
    return f"shape {tuple(x.shape)}, dtype {x.dtype}"


def check_unit_range(x: np.ndarray, name: str = "image") -> None:
    """Raise ValueError unless float pixels ``x`` are non-empty, finite and in [0, 1] (within 1e-3,
    the rounding of a float32 round trip); the message names what was received."""
    if x.size == 0:
        raise ValueError(f"{name}: the image is empty ({_describe(x)}); expected at least one pixel")
    bad = ~np.isfinite(x)
    if bad.any():
        kinds = "NaN" if np.isnan(x).any() else "infinite"
        raise ValueError(
            f"{name}: contains {kinds} values ({int(bad.sum())}); expected finite values in [0, 1]"
        )
    lo, hi = float(x.min()), float(x.max())
    if lo < -1e-3 or hi > 1 + 1e-3:
        raise ValueError(
            f"{name}: values span [{lo:.4g}, {hi:.4g}]; expected float in [0, 1] "
            "(divide 0..255 data by 255, or pass uint8)"
        )


def as_float_rgb(image: Any, name: str = "image", *, gray_ok: bool = True) -> np.ndarray:
    """Return ``image`` as float32 RGB in [0, 1] with channels last, or raise ValueError.

    Accepts uint8 (0..255) or float in [0, 1]; with ``gray_ok`` a 2-D array or a
    single channel is repeated to three. NaNs, other channel counts and values
    outside the range are refused with a message naming what was received.
    """
    x = np.asarray(image)
    if x.dtype == np.uint8:
        x = x.astype(np.float32) / 255.0
    elif x.dtype == bool:
        x = x.astype(np.float32)
    elif np.issubdtype(x.dtype, np.integer):
        raise ValueError(
            f"{name}: integer images must be uint8 (0..255); received {_describe(x)}. "
            "Convert to float in [0, 1] first."
        )
    elif not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"{name}: expected a numeric image, received {_describe(x)}")
    x = x.astype(np.float32, copy=False)
    # A 2-D array is a gray image, except that RGB-only callers may pass a list of pixels (N, 3).
    if (x.ndim == 2 and (gray_ok or x.shape[-1] != 3)) or (x.ndim >= 3 and x.shape[-1] == 1):
        if not gray_ok:
            raise ValueError(f"{name}: expected 3 RGB channels last, received gray {_describe(x)}")
        x = np.repeat(x.reshape(x.shape[:2] if x.ndim == 2 else x.shape[:-1])[..., None], 3, axis=-1)
    elif x.ndim < 2 or x.shape[-1] != 3:
        hint = " (RGBA? drop alpha with image[..., :3])" if x.ndim >= 3 and x.shape[-1] == 4 else ""
        raise ValueError(f"{name}: expected RGB with 3 channels last, received {_describe(x)}{hint}")
    check_unit_range(x, name)
    return np.clip(x, 0.0, 1.0)


def _check_lab(lab: Any, name: str = "lab") -> np.ndarray:
    x = np.asarray(lab, dtype=np.float64)
    if x.ndim < 1 or x.shape[-1] != 3:
        raise ValueError(
            f"{name}: expected L, a, b channels last (…, 3), received {_describe(np.asarray(lab))}"
        )
    if np.isnan(x).any():
        raise ValueError(f"{name}: contains NaN; expected finite LAB values")
    L, ab = x[..., 0], x[..., 1:]
    tol = 0.5
    if L.size and (L.min() < _L_RANGE[0] - tol or L.max() > _L_RANGE[1] + tol):
        raise ValueError(f"{name}: L spans [{L.min():.4g}, {L.max():.4g}]; expected 0..100 (use clip_lab)")
    if ab.size and (ab.min() < _AB_RANGE[0] - tol or ab.max() > _AB_RANGE[1] + 1 + tol):
        raise ValueError(
            f"{name}: a/b span [{ab.min():.4g}, {ab.max():.4g}]; expected about -128..127 (use clip_lab)"
        )
    return x


def rgb_to_lab(rgb: Any) -> np.ndarray:
    """sRGB in [0, 1] (or uint8), shape (..., 3) -> CIE LAB (D65), float32, same shape."""
    x = as_float_rgb(rgb, "rgb", gray_ok=False)
    return _skcolor.rgb2lab(x, illuminant="D65", observer="2").astype(np.float32)


def lab_to_rgb(lab: Any) -> np.ndarray:
    """CIE LAB (D65), shape (..., 3) -> sRGB float32 in [0, 1]; out-of-gamut colours are clipped."""
    x = _check_lab(lab)
    with warnings.catch_warnings():
        # Clipping out-of-gamut colours is this function's documented behaviour, not news.
        warnings.filterwarnings("ignore", message=".*negative Z values.*")
        rgb = _skcolor.lab2rgb(clip_lab(x), illuminant="D65", observer="2")
    return np.clip(rgb, 0, 1).astype(np.float32)


def clip_lab(lab: Any) -> np.ndarray:
    """Clip L to 0..100 and a, b to -128..127 (what a model's raw output needs before display)."""
    x = np.asarray(lab, dtype=np.float32)
    out = np.empty_like(x)
    out[..., 0] = np.clip(x[..., 0], *_L_RANGE)
    out[..., 1:] = np.clip(x[..., 1:], *_AB_RANGE)
    return out


def squeeze_lab(lab: Any) -> np.ndarray:
    """The colorization post's fix for out-of-range output: squeeze, rather than clip, into the box.

    ``L`` is mapped linearly from its own min..max onto 0..100 (a constant ``L`` is left as it is,
    clipped); ``a`` and ``b`` are divided by one common factor, only as far as needed to fit
    -128..127.
    """
    x = np.asarray(lab, dtype=np.float32)
    if x.ndim < 1 or x.shape[-1] != 3 or not np.isfinite(x).all():
        raise ValueError(f"lab: expected finite L, a, b channels last (…, 3), received {_describe(x)}")
    out = np.empty_like(x)
    L = x[..., 0]
    span = float(L.max() - L.min())
    out[..., 0] = (L - L.min()) / span * 100.0 if span > 0 else np.clip(L, *_L_RANGE)
    out[..., 1:] = x[..., 1:] / max(1.0, float(np.abs(x[..., 1:]).max()) / _AB_RANGE[1])
    return np.clip(out, [_L_RANGE[0], _AB_RANGE[0], _AB_RANGE[0]], [_L_RANGE[1], *[_AB_RANGE[1]] * 2])


def chroma(lab: Any) -> np.ndarray:
    """Colourfulness of each LAB pixel: the distance of ``(a, b)`` from gray, ``hypot(a, b)``."""
    x = np.asarray(lab, dtype=np.float32)
    if x.ndim < 1 or x.shape[-1] != 3:
        raise ValueError(f"lab: expected L, a, b channels last (…, 3), received {_describe(x)}")
    return np.hypot(x[..., 1], x[..., 2])


def _weights(weights: str | tuple[float, float, float]) -> np.ndarray:
    if isinstance(weights, str):
        if weights not in GRAY_WEIGHTS:
            raise ValueError(
                f"unknown gray weights {weights!r}: expected one of {sorted(GRAY_WEIGHTS)} or (r, g, b)"
            )
        return np.asarray(GRAY_WEIGHTS[weights], dtype=np.float32)
    w = np.asarray(weights, dtype=np.float32)
    if w.shape != (3,):
        raise ValueError(f"gray weights must be three numbers (r, g, b), received {weights!r}")
    return w


def to_gray(rgb: Any, weights: str | tuple[float, float, float] = "rec709") -> np.ndarray:
    """Weighted sum of R, G, B (on the gamma-encoded values, as photo software does).

    ``weights``: ``"post"`` (the colorization post's, from :mod:`darkroom.core.writeups`),
    ``"rec601"``, ``"rec709"`` or a tuple. Returns float32 of shape ``rgb.shape[:-1]`` in [0, 1].
    """
    x = as_float_rgb(rgb, "rgb", gray_ok=False)
    return np.clip(x @ _weights(weights), 0.0, 1.0).astype(np.float32)


def to_luminance(image: Any, weights: str | tuple[float, float, float] = "rec709") -> np.ndarray:
    """Gray (H, W) float32 in [0, 1] of any image: the weighted sum of RGB (alpha dropped), or the gray itself.

    Accepts uint8 or float in [0, 1]; (H, W), (H, W, 1), (H, W, 3) or (H, W, 4). Gray passes through
    (as float32) whatever its weights, so a gray photo and its RGB copy give the same luminance.
    """
    x = np.asarray(image)
    if x.ndim == 3 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim == 2:
        return x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
    if x.ndim == 3 and x.shape[-1] in (3, 4):
        return to_gray(as_float_rgb(x[..., :3], name="image"), weights)
    raise ValueError(
        f"image: expected gray (H, W) / (H, W, 1) or RGB(A) (H, W, 3|4), received {_describe(x)}"
    )


def rgb_to_ycbcr(
    rgb: Any, weights: str | tuple[float, float, float] = "rec709", chroma_offset: float = 0.0
) -> np.ndarray:
    """Full-range Y'CbCr of RGB in [0, 1] (or uint8), shape (..., 3): Y in [0, 1], Cb and Cr in
    [-0.5, 0.5] plus ``chroma_offset`` (0.5 gives JPEG / PIL's convention).

    Y is :func:`to_gray` with the same ``weights`` (``"rec709"``, ``"rec601"`` as JPEG, or (r, g, b)),
    so a model trained on :func:`to_luminance` sees the same Y. Inverse: :func:`ycbcr_to_rgb`.
    """
    x = as_float_rgb(rgb, "rgb", gray_ok=False)
    kr, kg, kb = (float(w) for w in _weights(weights).astype(np.float64))
    y = kr * x[..., 0] + kg * x[..., 1] + kb * x[..., 2]
    cb = (x[..., 2] - y) / (2 * (1 - kb)) + chroma_offset
    cr = (x[..., 0] - y) / (2 * (1 - kr)) + chroma_offset
    return np.stack([y, cb, cr], -1).astype(np.float32)


def ycbcr_to_rgb(
    ycc: Any, weights: str | tuple[float, float, float] = "rec709", chroma_offset: float = 0.0
) -> np.ndarray:
    """RGB in [0, 1] (clipped) from Y'CbCr made by :func:`rgb_to_ycbcr` with the same ``weights`` and offset."""
    x = np.asarray(ycc, dtype=np.float32)
    if x.ndim < 1 or x.shape[-1] != 3:
        raise ValueError(f"ycc: expected Y, Cb, Cr channels last (..., 3), received {_describe(x)}")
    kr, kg, kb = (float(w) for w in _weights(weights).astype(np.float64))
    y, cb, cr = x[..., 0], x[..., 1] - chroma_offset, x[..., 2] - chroma_offset
    r = y + 2 * (1 - kr) * cr
    b = y + 2 * (1 - kb) * cb
    g = (y - kr * r - kb * b) / kg
    return np.clip(np.stack([r, g, b], -1), 0.0, 1.0).astype(np.float32)


def skimage_gray_weights() -> tuple[float, float, float]:
    """The (r, g, b) weights of the installed scikit-image's ``rgb2gray``, read from the library.

    ``rgb2gray`` is linear, so gray of pure red, green and blue is its weight vector; asking the
    function itself keeps the number right whatever version is installed.
    """
    weights = _skcolor.rgb2gray(np.eye(3, dtype=np.float64))
    return tuple(float(round(w, 10)) for w in weights)  # type: ignore[return-value]


def lightness_correlations(rgb: Any) -> dict[str, float]:
    """Pearson correlation of each of R, G, B, a and b with the lightness L, over all pixels.

    A channel that is constant (a gray image's ``a`` and ``b``) has no correlation: NaN.
    """
    x = as_float_rgb(rgb, "rgb", gray_ok=False).reshape(-1, 3).astype(np.float64)
    if x.shape[0] < 2:
        raise ValueError(f"rgb: need at least 2 pixels to correlate, received {x.shape[0]}")
    lab = rgb_to_lab(x).astype(np.float64)
    channels = {"R": x[:, 0], "G": x[:, 1], "B": x[:, 2], "a": lab[:, 1], "b": lab[:, 2]}
    # Below these spreads a channel is constant up to float32 noise (a gray pixel's a and b come
    # back from the conversion a few thousandths of a LAB unit off zero).
    floor = {"R": 1e-6, "G": 1e-6, "B": 1e-6, "a": 0.01, "b": 0.01}
    L = lab[:, 0]
    out = {}
    for name, values in channels.items():
        flat = values.std() < floor[name] or L.std() < 1e-6
        out[name] = float("nan") if flat else float(np.corrcoef(values, L)[0, 1])
    return out


def split_lab(lab: Any) -> tuple[Any, Any]:
    """(..., 3) -> (L of shape (..., 1), ab of shape (..., 2)); works for NumPy and TF tensors."""
    return lab[..., :1], lab[..., 1:]


def join_lab(L: Any, ab: Any) -> Any:
    """Inverse of :func:`split_lab`; NumPy in, NumPy out; a tensor in, a tensor out."""
    if isinstance(L, np.ndarray) and isinstance(ab, np.ndarray):
        if L.shape[:-1] != ab.shape[:-1] or L.shape[-1] != 1 or ab.shape[-1] != 2:
            raise ValueError(
                f"join_lab: expected L (..., 1) and ab (..., 2) of one size, received {L.shape} and {ab.shape}"
            )
        return np.concatenate([L, ab], axis=-1)
    import tensorflow as tf

    return tf.concat([tf.cast(L, tf.float32), tf.cast(ab, tf.float32)], axis=-1)


def colour_views(lab: Any, lightness: float = 70.0) -> dict[str, np.ndarray]:
    """RGB pictures of a LAB image's colour alone, at one constant ``lightness``: ``"a"`` (b zeroed),
    ``"b"`` (a zeroed) and ``"ab"`` (both), so colour can be looked at apart from brightness."""
    _check_lab(lab)
    lab = np.asarray(lab)  # in its own dtype: the views are the notebook's pictures, unchanged
    if not 0.0 <= lightness <= 100.0:
        raise ValueError(f"lightness: expected a LAB L in 0..100, received {lightness}")
    L, ab = split_lab(lab)
    zero, mid = np.zeros_like(L), np.full_like(L, lightness)
    return {
        "a": lab_to_rgb(join_lab(mid, np.concatenate([ab[..., :1], zero], -1))),
        "b": lab_to_rgb(join_lab(mid, np.concatenate([zero, ab[..., 1:]], -1))),
        "ab": lab_to_rgb(join_lab(mid, ab)),
    }


def normalize_lab(lab: Any) -> Any:
    """LAB in natural units -> L/100, a/128, b/128 (about [0, 1], [-1, 1], [-1, 1])."""
    return lab / np.asarray(LAB_SCALE, dtype=np.float32)


def denormalize_lab(lab_normalized: Any) -> Any:
    """Inverse of :func:`normalize_lab`."""
    return lab_normalized * np.asarray(LAB_SCALE, dtype=np.float32)


# --- TensorFlow versions: differentiable, batched, usable in tf.data and in models.


def tf_rgb_to_lab(rgb: Any) -> Any:
    """TensorFlow sRGB [0, 1] (..., 3) -> LAB (D65), float32; differentiable."""
    import tensorflow as tf

    rgb = tf.clip_by_value(tf.convert_to_tensor(rgb, tf.float32), 0.0, 1.0)
    # Clamp before the power so the unused branch of tf.where has finite gradients.
    linear = tf.where(rgb <= 0.04045, rgb / 12.92, tf.pow((tf.maximum(rgb, 0.04045) + 0.055) / 1.055, 2.4))
    xyz = tf.linalg.matvec(tf.constant(_XYZ_FROM_RGB, tf.float32), linear) / tf.constant(
        _WHITE_D65, tf.float32
    )
    f = tf.where(
        xyz > _EPS_LAB,
        tf.pow(tf.maximum(xyz, _EPS_LAB), 1.0 / 3.0),
        xyz / (3 * (6 / 29) ** 2) + 4 / 29,
    )
    fx, fy, fz = tf.unstack(f, axis=-1)
    return tf.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], axis=-1)


def tf_lab_to_rgb(lab: Any) -> Any:
    """TensorFlow LAB (D65) (..., 3) -> sRGB float32 in [0, 1]; differentiable, clips out-of-gamut."""
    import tensorflow as tf

    lab = tf.convert_to_tensor(lab, tf.float32)
    L, a, b = tf.unstack(lab, axis=-1)
    fy = (L + 16.0) / 116.0
    f = tf.stack([fy + a / 500.0, fy, fy - b / 200.0], axis=-1)
    delta = 6 / 29
    xyz = tf.where(f > delta, tf.pow(tf.maximum(f, delta), 3.0), 3 * delta**2 * (f - 4 / 29))
    xyz = tf.maximum(xyz, 0.0) * tf.constant(_WHITE_D65, tf.float32)
    linear = tf.linalg.matvec(tf.constant(_RGB_FROM_XYZ, tf.float32), xyz)
    linear = tf.clip_by_value(linear, 0.0, 1.0)
    srgb = tf.where(
        linear <= 0.0031308,
        12.92 * linear,
        1.055 * tf.pow(tf.maximum(linear, 0.0031308), 1 / 2.4) - 0.055,
    )
    return tf.clip_by_value(srgb, 0.0, 1.0)
