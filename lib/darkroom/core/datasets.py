"""The real data sets that are downloaded, not shipped: Caltech-256, parsed from its file names.

:func:`caltech256` fetches the archive once with :func:`darkroom.core.downloads.fetch` (verified,
extracted atomically; offline it fails fast and says where to put the archive by hand) and lists
its images; :func:`darkroom.core.data.split_by_image` splits them. Any folder of your own photos
reads with :func:`darkroom.core.folders.image_folder`.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

from darkroom.core.downloads import fetch

__all__ = ["CaltechImage", "caltech256"]

_CALTECH_NAME = re.compile(r"^(\d{3})_(\d{4})\.jpg$", re.IGNORECASE)
_CALTECH_DIR = re.compile(r"^(\d{3})\.(.+)$")


@dataclasses.dataclass(frozen=True)
class CaltechImage:
    """One Caltech-256 file: its path, category number and name, and file number."""

    path: Path
    category: int
    name: str
    number: int


def caltech256(root: str | os.PathLike[str] | None = None) -> list[CaltechImage]:
    """The Caltech-256 images, parsed from their ``%03i_%04i.jpg`` names, sorted.

    ``root`` is the ``256_ObjectCategories`` folder (or one above it); by default the archive
    is fetched with :func:`fetch` (``data/downloads/256_ObjectCategories.tar``). Files that do
    not follow the naming scheme are ignored.
    """
    base = fetch("caltech256") if root is None else Path(root)
    if not base.is_dir():
        raise FileNotFoundError(f"Caltech-256 folder {str(base)!r} does not exist")
    if (base / "256_ObjectCategories").is_dir():
        base = base / "256_ObjectCategories"
    items: list[CaltechImage] = []
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        match = _CALTECH_DIR.match(folder.name)
        if not match:
            continue
        category, label = int(match.group(1)), match.group(2)
        for file in sorted(folder.iterdir()):
            m = _CALTECH_NAME.match(file.name)
            if m and int(m.group(1)) == category:
                items.append(CaltechImage(file, category, label, int(m.group(2))))
    if not items:
        raise FileNotFoundError(
            f"no files named like 001_0001.jpg inside NNN.name folders under {str(base)!r}"
        )
    return items
