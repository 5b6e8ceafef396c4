"""The upscalers that ship with the package (``lib/darkroom/superres/weights/``): where they are, load, save."""

from __future__ import annotations

import os
from pathlib import Path

import keras

# ----------------------------------------------------------------------------- shipped models
SHIPPED_SCALES = (2, 3, 4)
_loaded: dict[str, keras.Model] = {}


def _weights_dir() -> Path:
    return Path(__file__).resolve().parent / "weights"


def shipped_model_path(scale: int) -> Path:
    """The committed model file for ``scale`` (2, 3 or 4): ``darkroom/superres/weights/resub_x<scale>.keras``."""
    if scale not in SHIPPED_SCALES:
        raise ValueError(
            f"no upscaler ships for x{scale}; shipped scales are {', '.join(f'x{s}' for s in SHIPPED_SCALES)}"
        )
    return _weights_dir() / f"resub_x{scale}.keras"


def load_upscaler(name_or_path: str | None, scale: int) -> keras.Model:
    """The model that enlarges by ``scale``: ``None`` is the shipped one; a name is a shipped file
    (``resub_x2``) or ``outputs/models/<name>.keras``; anything else is a path to a .keras file.
    Raises FileNotFoundError naming where it looked, ValueError if the model's scale differs."""
    from darkroom.core import paths

    if name_or_path is None:
        path = shipped_model_path(scale)
    else:
        text = str(name_or_path)
        candidates = [
            Path(text).expanduser(),
            _weights_dir() / f"{text}.keras",
            paths.models_dir() / f"{text}.keras",
        ]
        found = [c for c in candidates if c.is_file()]
        if not found:
            raise FileNotFoundError(f"no model {text!r}: looked for {', '.join(str(c) for c in candidates)}")
        path = found[0]
    if not path.is_file():
        raise FileNotFoundError(f"the shipped x{scale} upscaler is missing at {path}; run `make models`")
    key = str(path.resolve())
    if key not in _loaded:
        _loaded[key] = keras.saving.load_model(path, compile=False)
    model = _loaded[key]
    probe = model.output_shape[1:3] if model.input_shape[1] is not None else None
    if probe is not None and probe[0] != model.input_shape[1] * scale:
        raise ValueError(f"model {path.name} enlarges {model.input_shape[1]} -> {probe[0]}, not x{scale}")
    return model


def save_upscaler(model: keras.Model, path: str | os.PathLike[str]) -> None:
    """Save ``model`` without its optimizer state (a third of the file), atomically."""
    from darkroom.core import paths

    bare = keras.models.clone_model(model)
    bare.set_weights(model.get_weights())
    with paths.atomic_write(path) as tmp:
        bare.save(tmp)
