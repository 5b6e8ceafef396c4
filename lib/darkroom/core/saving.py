"""Saving and loading trained models as ``outputs/models/<name>.keras``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import keras

from darkroom.core.paths import atomic_write, models_dir

__all__ = ["load_model", "save_model"]


def save_model(model: keras.Model, name: str) -> Path:
    """Save ``model`` as ``outputs/models/<name>.keras`` atomically and return the path."""
    if not name or "/" in name or name.endswith(".keras"):
        raise ValueError(f"save_model: expected a bare name like 'colorizer_mse', received {name!r}")
    path = models_dir() / f"{name}.keras"
    with atomic_write(path) as tmp:
        model.save(tmp)
    return path


def load_model(name_or_path: str | os.PathLike[str], **kwargs: Any) -> keras.Model:
    """Load ``outputs/models/<name>.keras`` (or any ``.keras`` path) with ``keras.models.load_model``."""
    path = Path(name_or_path)
    if path.suffix != ".keras":
        path = models_dir() / f"{name_or_path}.keras"
    if not path.is_file():
        raise FileNotFoundError(f"no saved model at {path}; run the notebook that trains it first")
    return keras.models.load_model(path, **kwargs)
