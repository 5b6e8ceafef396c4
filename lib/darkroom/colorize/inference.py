"""Using a trained colorizer: :func:`colorize` turns any gray or RGB image into an RGB one.

A colorizer maps ``L / 100`` (H, W, 1) to ``ab / 128`` (H, W, 2); these functions pad the lightness
to the network's stride, predict, and put the image back together. Also the "predict gray" baseline
and the colorizers notebook 06 saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from darkroom.colorize import pairs
from darkroom.colorize.networks import model_stride
from darkroom.core import color, paths

__all__ = [
    "check_colorizer",
    "colorize",
    "colorize_batch",
    "gray_baseline",
    "predictions",
    "saved_colorizers",
]


def _lightness(image: Any) -> np.ndarray:
    """L / 100 (H, W, 1) of a gray or RGB image; an RGB input contributes only its L."""
    rgb = color.as_float_rgb(image, "image")
    return (color.rgb_to_lab(rgb)[..., :1] / 100.0).astype(np.float32)


def colorize(model: keras.Model, image: Any, *, multiple: int | None = None) -> np.ndarray:
    """Colorize one gray (H, W) / (H, W, 1) or RGB (H, W, 3) image of any size -> RGB (H, W, 3).

    L is reflect-padded to a multiple of the model's stride (:func:`model_stride`, or
    ``multiple``) and the prediction cropped back, so odd sizes work.
    """
    arr = np.asarray(image)
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"colorize expects one image (H, W), (H, W, 1) or (H, W, 3), received shape {arr.shape}"
        )
    if arr.size == 0:
        raise ValueError(
            f"colorize received an empty image of shape {arr.shape}; expected at least 1x1 pixels"
        )
    L = _lightness(arr)
    return colorize_batch(model, L[None], multiple=multiple, from_lightness=True)[0]


def check_colorizer(model: keras.Model) -> None:
    """Raise ValueError unless ``model`` maps L / 100 (one channel) to ab / 128 (two channels)."""
    ins, outs = model.input_shape, model.output_shape
    if not (isinstance(ins, tuple) and isinstance(outs, tuple) and ins[-1] == 1 and outs[-1] == 2):
        raise ValueError(
            f"model {model.name!r} maps {ins} to {outs}; a colorizer maps L / 100 (..., 1) to ab / 128 (..., 2)"
        )


def colorize_batch(
    model: keras.Model,
    images: Any,
    *,
    multiple: int | None = None,
    from_lightness: bool = False,
    batch_size: int = 16,
) -> np.ndarray:
    """Colorize a batch of RGB images (N, H, W, 3) (or of L / 100 with ``from_lightness``)."""
    check_colorizer(model)
    L = np.asarray(images, np.float32) if from_lightness else pairs.to_model_pairs(images)[0]
    h, w = L.shape[1:3]
    m = multiple or model_stride(model)
    ph, pw = (-h) % m, (-w) % m
    padded = np.pad(
        L, ((0, 0), (0, ph), (0, pw), (0, 0)), mode="reflect" if min(h, w) > max(ph, pw) else "edge"
    )
    ab = model.predict(padded, batch_size=batch_size, verbose=0)[:, :h, :w, :2]
    return pairs.from_model_pairs(L, np.clip(ab, -1.0, 1.0))


def gray_baseline(images: Any) -> np.ndarray:
    """The "predict gray" colorizer: keep L, set a = b = 0."""
    L, ab = pairs.to_model_pairs(images)
    return pairs.from_model_pairs(L, np.zeros_like(ab))


def predictions(models: dict[str, keras.Model | None], images: Any) -> dict[str, np.ndarray]:
    """Each model's colorization of RGB ``images`` (N, H, W, 3), by name; ``None`` is the gray baseline."""
    return {
        name: gray_baseline(images) if model is None else colorize_batch(model, images)
        for name, model in models.items()
    }


def saved_colorizers(data_name: str, *, exclude: Sequence[str] = ()) -> dict[str, keras.Model]:
    """The colorizers saved as ``outputs/models/colorizer_<data_name>_<kind>.keras``, by kind,
    skipping kinds in ``exclude``; empty when none were saved yet (run notebook 06 first)."""
    found = {}
    for path in sorted(paths.models_dir().glob(f"colorizer_{data_name}_*.keras")):
        kind = path.stem[len(f"colorizer_{data_name}_") :]
        if kind not in exclude:
            found[kind] = keras.models.load_model(path)
    return found
