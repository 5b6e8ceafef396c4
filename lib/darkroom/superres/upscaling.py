"""Enlarge any image with a method or a model (patch or fully convolutional), tiled or whole;
the post's clean-up pass (:func:`refine`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction

import keras
import numpy as np

from darkroom.core import color
from darkroom.superres.pixels import (
    _crop_to_multiple,
    _tf_resize,
    degrade,
    extract_patches,
    from_signed,
    reassemble,
    scale_fraction,
    to_signed,
)
from darkroom.superres.shipped import SHIPPED_SCALES, load_upscaler

METHODS = ("nearest", "bilinear", "bicubic")


# ----------------------------------------------------------------------------- upscaling
def _patch_model_sizes(model: keras.Model) -> tuple[int, int] | None:
    """(in, out) patch sides for a fixed-size patch model, None for a fully convolutional one."""
    in_shape, out_shape = model.input_shape, model.output_shape
    if in_shape[1] is None:
        return None
    return int(in_shape[1]), int(out_shape[1])


def _predict(model: keras.Model, batch: np.ndarray, batch_size: int) -> np.ndarray:
    # Calling the model directly avoids predict()'s per-call overhead and any progress output.
    outs = [
        np.asarray(model(batch[i : i + batch_size], training=False)) for i in range(0, len(batch), batch_size)
    ]
    return np.concatenate(outs).astype(np.float32)


def _pad_to(image: np.ndarray, before: int, height: int, width: int) -> np.ndarray:
    h, w = image.shape
    return np.pad(image, ((before, height - h - before), (before, width - w - before)), mode="symmetric")


def _upscale_with_patches(
    gray: np.ndarray, model: keras.Model, frac: Fraction, blend: str, stride: int | None
) -> np.ndarray:
    in_size, out_size = _patch_model_sizes(model)
    if in_size == out_size:  # a refiner of the bicubic enlargement (the post's side experiment)
        h, w = gray.shape
        gray = _tf_resize(gray, (round(h * float(frac)), round(w * float(frac))))
        frac = Fraction(1)
    elif Fraction(out_size, in_size) != frac:
        raise ValueError(
            f"the model maps {in_size}px patches to {out_size}px (x{out_size / in_size:g}), not x{float(frac):g}"
        )
    return _run_patches(gray, model, frac, blend, stride)


def _run_patches(
    gray: np.ndarray, model: keras.Model, frac: Fraction, blend: str, stride: int | None
) -> np.ndarray:
    """A patch model over a whole gray image (padded to the patch grid): the result in [-1, 1]."""
    in_size, out_size = _patch_model_sizes(model)
    q = frac.denominator
    if stride is None:
        stride = in_size if blend == "tile" else max(q, (in_size // 2) // q * q)
    stride = min(stride, in_size)
    if stride % q or stride > in_size:
        raise ValueError(f"stride must be a multiple of {q} and at most {in_size}, got {stride}")
    h, w = gray.shape
    hp = in_size + math.ceil(max(h - in_size, 0) / stride) * stride
    wp = in_size + math.ceil(max(w - in_size, 0) / stride) * stride
    padded = _pad_to(gray, 0, hp, wp)
    patches = extract_patches(to_signed(padded), in_size, stride)[..., None]
    pred = _predict(model, patches, 1024)[..., 0]
    hr_stride = int(stride * frac)
    return reassemble(pred, (int(hp * frac), int(wp * frac)), out_size, hr_stride, blend=blend)


def refine(
    image: np.ndarray, model: keras.Model, blend: str = "gaussian", stride: int | None = None
) -> np.ndarray:
    """Run a same-size patch model (the post's bicubic-input MLP) over ``image`` without enlarging it:
    the post's "image pass, to clean up images". Gray (H, W) float32 in [0, 1] out (colour in: its luminance)."""
    sizes = _patch_model_sizes(model)
    if sizes is None or sizes[0] != sizes[1]:
        raise ValueError(
            f"refine needs a patch model with the same size in and out (build_mlp(15, 15)), "
            f"got {model.name!r} with input {model.input_shape} and output {model.output_shape}"
        )
    gray = color.to_luminance(image)
    return from_signed(
        _run_patches(gray, model, Fraction(1), blend, stride)[: gray.shape[0], : gray.shape[1]]
    )


def cleanup_passes(
    photo: np.ndarray, model: keras.Model, scale: float = 1.5, noise_sigma: float = 0.03, seed: int = 0
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The post's clean-up pass tried on a photo: ``(clean, passes)`` for :func:`cleanup_rows`.

    ``clean`` is the photo's luminance cut to a multiple of the scale's p; the passes are its
    bicubic enlargement after :func:`degrade`, :func:`refine` with ``model`` on it, the enlargement
    with seeded Gaussian noise of ``noise_sigma`` (on [0, 1], clipped), and :func:`refine` on that.
    """
    if noise_sigma < 0:
        raise ValueError(f"noise_sigma must be >= 0 (a standard deviation on [0, 1]), got {noise_sigma!r}")
    clean = _crop_to_multiple(color.to_luminance(photo), scale_fraction(scale).numerator)
    enlarged = upscale(degrade(clean, scale), "bicubic", scale)
    noisy = np.clip(enlarged + np.random.default_rng(seed).normal(0, noise_sigma, clean.shape), 0, 1)
    passes = {
        "bicubic enlargement": enlarged,
        "clean-up pass on it": refine(enlarged, model),
        "with noise": noisy.astype(np.float32),
        "clean-up pass on the noisy one": refine(noisy, model),
    }
    return clean, passes


def _upscale_with_convnet(gray: np.ndarray, model: keras.Model, frac: Fraction) -> np.ndarray:
    q = frac.denominator
    margin = q * math.ceil(8 / q)  # reflected context so the borders see plausible neighbours
    h, w = gray.shape
    hp = margin + q * math.ceil((h + margin) / q)
    wp = margin + q * math.ceil((w + margin) / q)
    padded = _pad_to(gray, margin, hp, wp)
    out = np.asarray(model(to_signed(padded)[None, :, :, None], training=False))[0, :, :, 0]
    expected = (int(hp * frac), int(wp * frac))
    if out.shape != expected:
        raise ValueError(
            f"the model upscaled {padded.shape} to {out.shape}, expected {expected} at x{float(frac):g}"
        )
    m = int(margin * frac)
    return out[m:, m:]


def _upscale_gray(
    gray: np.ndarray, method_or_model, frac: Fraction, blend: str, stride: int | None
) -> np.ndarray:
    h, w = gray.shape
    size = (round(h * float(frac)), round(w * float(frac)))
    if isinstance(method_or_model, str):
        if method_or_model not in METHODS:
            raise ValueError(f"method must be one of {METHODS} or a keras.Model, got {method_or_model!r}")
        return _tf_resize(gray, size, method_or_model)
    if not isinstance(method_or_model, keras.Model):
        raise TypeError(
            f"method_or_model must be one of {METHODS} or a keras.Model, got {type(method_or_model).__name__}"
        )
    if _patch_model_sizes(method_or_model) is not None:
        signed = _upscale_with_patches(gray, method_or_model, frac, blend, stride)
    else:
        signed = _upscale_with_convnet(gray, method_or_model, frac)
    return from_signed(signed[: size[0], : size[1]])


# A learned upscaler reads a neighbourhood of each pixel; on a strip thinner than this its
# reflection-padded context is the strip itself, and its output is not a trained answer.
MIN_MODEL_SIDE = 8


def _check_pixels(arr: np.ndarray) -> None:
    """Refuse an empty image or non-finite pixels before anything reduces over them."""
    if arr.ndim < 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(
            f"image is empty or not 2-D: shape {arr.shape}; expected (H, W) or (H, W, C), H, W >= 1"
        )
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(
            f"image has {bad} NaN or infinite values out of {arr.size}; expected finite pixels in [0, 1]"
        )


def check_upscalable(image: np.ndarray, method_or_model: str | keras.Model) -> None:
    """Raise ValueError, naming the image's size, when ``method_or_model`` cannot enlarge ``image``:
    an empty image, or a strip thinner than :data:`MIN_MODEL_SIDE` for a learned model."""
    arr = np.asarray(image)
    _check_pixels(arr)
    if not isinstance(method_or_model, str) and min(arr.shape[:2]) < MIN_MODEL_SIDE:
        h, w = arr.shape[:2]
        raise ValueError(
            f"image is {h}x{w} pixels; a learned upscaler needs at least {MIN_MODEL_SIDE} on each side "
            "(it reads each pixel's neighbourhood). Use method 'bicubic' for thin strips."
        )


def _default_method(frac: Fraction) -> str | keras.Model:
    """The shipped model for an integer scale that ships one, else bicubic."""
    if frac.denominator == 1 and frac.numerator in SHIPPED_SCALES:
        return load_upscaler(None, frac.numerator)
    return "bicubic"


def upscale(
    image: np.ndarray,
    method_or_model: str | keras.Model | None = None,
    scale: float = 1.5,
    blend: str = "gaussian",
    stride: int | None = None,
    tile: int | None = None,
    halo: int = 16,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Enlarge ``image`` by ``scale`` to round(H * scale) x round(W * scale), for any size.

    ``method_or_model``: "nearest", "bilinear", "bicubic", or a trained model from this module
    (patch models are run on overlapping patches, ``blend`` "gaussian" or "tile", the post's;
    fully convolutional ones on the whole image, padded by reflection and cropped back).
    ``None`` (the default) is the shipped model at x2, x3 and x4 (:func:`load_upscaler`; no
    training needed) and bicubic at any other scale.
    Gray in, gray out (H, W); colour in, colour out: a model upscales the luminance Y and the
    chroma (Cb, Cr) is upscaled bicubically; an alpha channel (RGBA, gray + alpha) is enlarged
    bicubically and kept. Accepts uint8, uint16 or float in [0, 1]; returns float32.
    ``tile`` (low-resolution pixels) runs a method or a fully convolutional model on tiles of
    that side, each read with ``halo`` pixels of context that are cut away afterwards, so memory
    stays bounded for any image and the result matches untiled inference (no seams) as long as
    the model sees less than ``halo`` pixels around each one (integer scales only). ``progress`` is called with the
    number of tiles done after each tile.
    """
    frac = scale_fraction(scale)
    arr = np.asarray(image)
    if arr.dtype == np.uint16:
        arr = arr.astype(np.float32) / 65535.0
    _check_pixels(arr)
    if arr.ndim == 3 and arr.shape[-1] in (2, 4):  # alpha rides along, enlarged bicubically
        colour = upscale(arr[..., :-1], method_or_model, scale, blend, stride, tile, halo, progress)
        alpha = upscale(_as_unit(arr[..., -1]), "bicubic", scale, tile=tile, halo=halo)
        return np.concatenate([colour if colour.ndim == 3 else colour[..., None], alpha[..., None]], -1)
    if method_or_model is None:
        method_or_model = _default_method(frac)
    check_upscalable(arr, method_or_model)
    if tile is not None:
        return _upscale_tiled(arr, method_or_model, frac, blend, stride, int(tile), int(halo), progress)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim == 2:
        return _upscale_gray(color.to_luminance(arr), method_or_model, frac, blend, stride)
    if arr.ndim != 3 or arr.shape[-1] != 3:
        raise ValueError(
            f"image must be gray (H, W), RGB (H, W, 3) or with alpha (2 or 4 channels), got shape {arr.shape}"
        )
    rgb = color.as_float_rgb(arr[..., :3], name="image")
    if isinstance(method_or_model, str):
        if method_or_model not in METHODS:
            raise ValueError(f"method must be one of {METHODS} or a keras.Model, got {method_or_model!r}")
        size = (round(rgb.shape[0] * float(frac)), round(rgb.shape[1] * float(frac)))
        return _tf_resize(rgb, size, method_or_model)
    ycc = color.rgb_to_ycbcr(rgb)
    y = _upscale_gray(np.clip(ycc[..., 0], 0, 1), method_or_model, frac, blend, stride)
    chroma = _tf_resize(ycc[..., 1:], y.shape, clip=False)
    return color.ycbcr_to_rgb(np.concatenate([y[..., None], chroma], -1))


def _as_unit(channel: np.ndarray) -> np.ndarray:
    return channel.astype(np.float32) / 255.0 if channel.dtype == np.uint8 else channel.astype(np.float32)


def _upscale_tiled(
    arr: np.ndarray,
    method_or_model,
    frac: Fraction,
    blend: str,
    stride: int | None,
    tile: int,
    halo: int,
    progress: Callable[[int], None] | None,
) -> np.ndarray:
    """Upscale tile by tile: each tile is read with ``halo`` pixels of context, enlarged, and only its
    own (core) part of the result is kept; tile corners sit on multiples of q so cores line up."""
    if isinstance(method_or_model, keras.Model) and _patch_model_sizes(method_or_model) is not None:
        raise ValueError(
            "tile applies to methods and fully convolutional models; patch models "
            f"({method_or_model.name!r}) already run patch by patch, pass tile=None"
        )
    if frac.denominator != 1:
        raise ValueError(f"tile needs an integer scale (2, 3, 4), got x{float(frac):g}; pass tile=None")
    if tile < 1 or halo < 0:
        raise ValueError(f"tile must be >= 1 and halo >= 0, got tile={tile}, halo={halo}")
    if arr.dtype == np.uint8:
        arr = arr.astype(np.float32) / 255.0
    h, w = arr.shape[:2]
    out_h, out_w = round(h * float(frac)), round(w * float(frac))
    out = None
    done = 0
    for top in range(0, h, tile):
        for left in range(0, w, tile):
            y0, x0 = max(0, top - halo), max(0, left - halo)
            y1, x1 = min(h, top + tile + halo), min(w, left + tile + halo)
            part = upscale(arr[y0:y1, x0:x1], method_or_model, float(frac), blend, stride)
            if out is None:
                out = np.empty((out_h, out_w, *part.shape[2:]), np.float32)
            oy, ox = int((top - y0) * frac), int((left - x0) * frac)
            ty, tx = int(top * frac), int(left * frac)
            th, tw = min(out_h, int((top + tile) * frac)) - ty, min(out_w, int((left + tile) * frac)) - tx
            out[ty : ty + th, tx : tx + tw] = part[oy : oy + th, ox : ox + tw]
            done += 1
            if progress is not None:
                progress(done)
    return out


def tile_count(shape: Sequence[int], tile: int) -> int:
    """How many tiles :func:`upscale` runs on an image of ``shape`` with ``tile``."""
    return math.ceil(shape[0] / tile) * math.ceil(shape[1] / tile)
