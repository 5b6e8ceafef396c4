"""What a saved colorizer does to a photo it never saw, said before a user runs it.

A card names what a model in ``outputs/models/`` was trained on (from its name,
``colorizer_<data>_<variant>``) and scores it against the plain gray image on every embedded colour
photo outside its training data, one score per photo (PSNR on the whole photo, its longer side
resized to ``max_side``). Cards are cached beside the model (``<name>.card.json``) and recomputed
when the model file changes.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import keras
import numpy as np

from darkroom.colorize.inference import colorize, gray_baseline
from darkroom.core import data, images, metrics, paths

__all__ = ["ColorizerCard", "card", "training_data"]

#: The photo splits a colorizer trained on the train split never saw.
_PHOTO_SPLITS = ("val", "test")


@dataclasses.dataclass(frozen=True)
class ColorizerCard:
    """A colorizer's training data and its mean PSNR beside gray's on photos it never saw."""

    name: str
    trained_on: str
    photos: tuple[str, ...]
    psnr: float
    gray_psnr: float

    @property
    def db_vs_gray(self) -> float:
        return self.psnr - self.gray_psnr

    @property
    def worse_than_gray(self) -> bool:
        return self.db_vs_gray < 0

    def line(self) -> str:
        verdict = "worse than" if self.worse_than_gray else "better than"
        return (
            f"{self.name}: trained on {self.trained_on}; on {len(self.photos)} photos it never saw "
            f"({', '.join(self.photos)}) {self.psnr:.1f} dB PSNR, {self.db_vs_gray:+.1f} dB vs plain "
            f"gray ({verdict} leaving the photo gray)"
        )


def training_data(name: str) -> tuple[str, tuple[str, ...]]:
    """(what the colorizer ``name`` was trained on, the embedded photos it never saw)."""
    parts = name.split("_")
    held_out = tuple(name for split in _PHOTO_SPLITS for name in data.SAMPLE_PHOTO_SPLITS[split])
    every = tuple(name for names in data.SAMPLE_PHOTO_SPLITS.values() for name in names)
    if len(parts) >= 3 and parts[0] == "colorizer" and parts[1] == "photos":
        return "the embedded photos' train split (" + ", ".join(
            data.SAMPLE_PHOTO_SPLITS["train"]
        ) + ")", held_out
    if len(parts) >= 3 and parts[0] == "colorizer" and parts[1] == "toy":
        return "synthetic toy scenes (no photograph)", every
    return "unknown (the name does not follow colorizer_<data>_<variant>)", held_out


def _score(model: keras.Model, photos: tuple[str, ...], max_side: int) -> tuple[float, float]:
    ours, gray = [], []
    every = data.sample_photos()
    for name in photos:
        photo = every[name]
        h, w = photo.shape[:2]
        k = max_side / max(h, w)
        if k < 1:
            photo = images.resize(photo, (max(1, round(h * k)), max(1, round(w * k))))
        ours.append(metrics.psnr(photo, colorize(model, photo)))
        gray.append(metrics.psnr(photo, gray_baseline(photo[None])[0]))
    return float(np.mean(ours)), float(np.mean(gray))


def card(path: str | Path, *, max_side: int = 256) -> ColorizerCard:
    """The card of the colorizer saved at ``path``, from its cache when the model is unchanged."""
    path = Path(path)
    stat = path.stat()
    cache = path.with_suffix(".card.json")
    stamp = {"size": stat.st_size, "mtime": stat.st_mtime, "max_side": max_side}
    if cache.is_file():
        saved = json.loads(cache.read_text())
        if saved.get("stamp") == stamp:
            return ColorizerCard(**{**saved["card"], "photos": tuple(saved["card"]["photos"])})
    trained_on, photos = training_data(path.stem)
    model = keras.models.load_model(path)
    psnr, gray_psnr = _score(model, photos, max_side)
    result = ColorizerCard(path.stem, trained_on, photos, psnr, gray_psnr)
    with paths.atomic_write(cache) as tmp:
        tmp.write_text(json.dumps({"stamp": stamp, "card": dataclasses.asdict(result)}, indent=1))
    return result
