"""Folders of image files as a streaming ``tf.data.Dataset``, after a scan that sorts out the bad files.

:func:`image_folder` reads any folder tree of image files (any sizes and aspects) as float32 RGB
in [0, 1]. Broken, truncated and non-image files are found by :func:`scan_image_folder` and
counted once, before the first epoch, so an epoch never dies half-way.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from darkroom.core.augmentation import augment_image, target_shape

__all__ = [
    "IMAGE_EXTENSIONS",
    "FolderScan",
    "SkippedFilesWarning",
    "image_folder",
    "scan_image_folder",
]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")
_GRAY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"}


class SkippedFilesWarning(UserWarning):
    """Some files of an image folder were skipped (unreadable, truncated, not images...)."""


@dataclasses.dataclass
class FolderScan:
    """What :func:`scan_image_folder` found: usable files and skipped ones by reason."""

    files: list[Path]
    skipped: dict[str, list[Path]]
    grayscale: list[Path]

    @property
    def num_skipped(self) -> int:
        """How many files were left out, for any reason."""
        return sum(len(v) for v in self.skipped.values())

    def summary(self) -> str:
        """One line: kept, skipped by reason, grayscale converted."""
        parts = [f"{len(v)} {reason}" for reason, v in self.skipped.items() if v]
        text = f"{len(self.files)} images usable"
        if parts:
            text += "; skipped " + ", ".join(parts)
        kept_gray = [p for p in self.grayscale if p in set(self.files)]
        if kept_gray:
            text += f"; {len(kept_gray)} grayscale converted to RGB"
        return text


def _tail_is_complete(path: Path, fmt: str) -> bool:
    """Cheap truncation check: a JPEG ends with EOI (FFD9), a PNG with its IEND chunk."""
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 64))
        tail = fh.read().rstrip(b"\x00\r\n ")
    if fmt == "JPEG":
        return tail.endswith(b"\xff\xd9")
    if fmt == "PNG":
        return b"IEND" in tail[-12:]
    return True


def _list_files(path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[Path]:
    if isinstance(path, (str, os.PathLike)):
        root = Path(path)
        if not root.exists():
            raise FileNotFoundError(f"image folder {str(root)!r} does not exist")
        if root.is_file():
            return [root]
        return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
    return [Path(p) for p in path]


def scan_image_folder(
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    grayscale: str = "convert",
) -> FolderScan:
    """Sort the files under ``path`` (or a list of files) into usable and skipped.

    Reads only headers and the last bytes of each file, so 10,000 files take about a
    second. Reasons: ``"not images"`` (extension), ``"unreadable"`` (no decodable header),
    ``"truncated"`` (JPEG/PNG missing its end marker) and, with ``grayscale="skip"``,
    ``"grayscale"``. With ``grayscale="convert"`` gray files are kept and listed.
    """
    from PIL import Image, UnidentifiedImageError

    if grayscale not in ("convert", "skip"):
        raise ValueError(f"grayscale must be 'convert' or 'skip', got {grayscale!r}")
    files: list[Path] = []
    skipped: dict[str, list[Path]] = {
        "not images": [],
        "unreadable": [],
        "truncated": [],
        "grayscale": [],
    }
    gray: list[Path] = []
    for file in _list_files(path):
        if file.suffix.lower() not in IMAGE_EXTENSIONS:
            skipped["not images"].append(file)
            continue
        try:
            with Image.open(file) as im:
                fmt, mode = im.format, im.mode
                width, height = im.size
        except (UnidentifiedImageError, OSError, ValueError):
            skipped["unreadable"].append(file)
            continue
        if width < 1 or height < 1:
            skipped["unreadable"].append(file)
            continue
        if not _tail_is_complete(file, fmt or ""):
            skipped["truncated"].append(file)
            continue
        if mode in _GRAY_MODES:
            gray.append(file)
            if grayscale == "skip":
                skipped["grayscale"].append(file)
                continue
        files.append(file)
    return FolderScan(files=files, skipped=skipped, grayscale=gray)


def _fit_image(im: Any, size: int | tuple[int, int], fit: str) -> np.ndarray:
    """A PIL image resized to ``size`` (a side or (height, width)): enlarge to cover and centre
    crop (``"crop"``), or shrink to fit inside and pad with black (``"pad"``)."""
    from PIL import Image

    th, tw = target_shape(size)
    w, h = im.size
    if fit == "crop":
        scale = max(tw / w, th / h)
        nw, nh = max(tw, round(w * scale)), max(th, round(h * scale))
        im = im.resize((nw, nh), Image.BICUBIC, reducing_gap=3.0)
        left, top = (nw - tw) // 2, (nh - th) // 2
        im = im.crop((left, top, left + tw, top + th))
        return np.asarray(im, dtype=np.uint8)
    scale = min(tw / w, th / h)
    nw, nh = max(1, min(tw, round(w * scale))), max(1, min(th, round(h * scale)))
    im = im.resize((nw, nh), Image.BICUBIC, reducing_gap=3.0)
    canvas = np.zeros((th, tw, 3), np.uint8)
    top, left = (th - nh) // 2, (tw - nw) // 2
    canvas[top : top + nh, left : left + nw] = np.asarray(im, dtype=np.uint8)
    return canvas


def _decode_file(
    path: str, size: int | tuple[int, int], fit: str, skip_gray: bool
) -> tuple[np.ndarray, bool]:
    """Decode one file to uint8 (height, width, 3); ``ok=False`` instead of raising."""
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as im:
            # JPEG draft decodes directly at 1/2, 1/4 or 1/8 scale: much faster for big photos.
            if im.format == "JPEG":
                th, tw = target_shape(size)
                im.draft("RGB", (tw, th))
            im = ImageOps.exif_transpose(im)
            im.load()
            rgb = im.convert("RGB")
            if skip_gray:
                arr = np.asarray(rgb, dtype=np.int16)
                if np.abs(arr[..., 0] - arr[..., 1]).max(initial=0) <= 2 and (
                    np.abs(arr[..., 1] - arr[..., 2]).max(initial=0) <= 2
                ):
                    return np.zeros((*target_shape(size), 3), np.uint8), False
            return _fit_image(rgb, size, fit), True
    except Exception:  # any decoder failure: the file is skipped, never the epoch
        return np.zeros((*target_shape(size), 3), np.uint8), False


def image_folder(
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    size: int | tuple[int, int],
    *,
    batch_size: int | None = None,
    augment: bool = False,
    shuffle: bool = True,
    fit: str = "crop",
    grayscale: str = "convert",
    cache: bool | str = "auto",
    seed: int = 0,
    drop_remainder: bool = False,
) -> Any:
    """A folder tree of images (any sizes and aspects) as a streaming ``tf.data.Dataset``.

    Elements are float32 RGB in [0, 1] of shape (size, size, 3), or (height, width, 3) when
    ``size`` is a ``(height, width)`` pair, or batches of them when ``batch_size`` is given.
    ``fit="crop"`` enlarges the image until it covers the target and trims the centre;
    ``fit="pad"`` shrinks it until it fits inside and pads with black (the two options seed
    000 weighed for its 150x100 photo set: ``size=(100, 150)``). ``augment=True`` adds random
    crops, flips (left-right and upside-down) and a random tone change of L
    (see :func:`augment_image`).

    Unusable files are found by :func:`scan_image_folder` first and reported in one
    :class:`SkippedFilesWarning`; a file that still fails to decode is dropped from the
    stream. ``grayscale="skip"`` also drops RGB files whose channels are all equal.
    ``cache="auto"`` keeps decoded images in memory when they fit in 256 MB (as uint8);
    ``True``/``False`` force it, a string caches to that file prefix. The decoded images
    are read lazily, so 10,000 files stream in bounded memory.
    """
    import tensorflow as tf

    if fit not in ("crop", "pad"):
        raise ValueError(f"fit must be 'crop' or 'pad', got {fit!r}")
    height, width = target_shape(size)
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be a positive int or None, got {batch_size!r}")
    files = _readable_files(path, grayscale)
    # Random crops need a margin around the final size to move in.
    load_size = (round(height * 1.125), round(width * 1.125)) if augment else (height, width)
    ds = _decoded_folder(
        files, load_size, fit=fit, skip_gray=grayscale == "skip", cache=cache, shuffle=shuffle, seed=seed
    )
    ds = ds.map(lambda image: tf.cast(image, tf.float32) / 255.0, num_parallel_calls=tf.data.AUTOTUNE)
    if augment:
        ds = _randomly_augmented(ds, (height, width), seed)
    if batch_size is not None:
        ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    return ds.prefetch(tf.data.AUTOTUNE)


def _readable_files(
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], grayscale: str
) -> list[Path]:
    """The usable files under ``path`` (see :func:`scan_image_folder`); one warning lists the rest."""
    scan = scan_image_folder(path, grayscale=grayscale)
    if scan.num_skipped:
        # stacklevel 3: the warning points at the caller of image_folder
        warnings.warn(
            f"image_folder({str(path)[:80]!r}): {scan.summary()}", SkippedFilesWarning, stacklevel=3
        )
    if not scan.files:
        raise FileNotFoundError(f"no readable image files under {str(path)!r} ({scan.summary()})")
    return scan.files


def _decoded_folder(
    files: Sequence[Path],
    load_size: tuple[int, int],
    *,
    fit: str,
    skip_gray: bool,
    cache: bool | str,
    shuffle: bool,
    seed: int,
) -> Any:
    """uint8 images of ``load_size`` decoded from ``files``, without the ones that fail to decode.

    ``cache="auto"`` caches in memory when the decoded images fit in 256 MB; shuffling happens
    after the cache, or on file names when there is none.
    """
    import tensorflow as tf

    def decode(file: Any) -> tuple[Any, Any]:
        image, ok = tf.numpy_function(
            lambda p: _decode_file(p.decode(), load_size, fit, skip_gray),
            [file],
            [tf.uint8, tf.bool],
            stateful=False,
        )
        image.set_shape((*load_size, 3))
        ok.set_shape(())
        return image, ok

    def decoded(names: Any) -> Any:
        ds = names.map(decode, num_parallel_calls=tf.data.AUTOTUNE)
        return ds.filter(lambda image, ok: ok).map(lambda image, ok: image)

    n = len(files)
    if cache == "auto":
        cache = n * load_size[0] * load_size[1] * 3 <= 256 * 2**20
    names = tf.data.Dataset.from_tensor_slices([str(p) for p in files])
    if cache:
        ds = decoded(names).cache(cache if isinstance(cache, str) else "")
        if shuffle:
            ds = ds.shuffle(min(n, 4096), seed=seed, reshuffle_each_iteration=True)
        return ds
    # Shuffling file names (not pixels) keeps memory flat whatever the folder's size.
    if shuffle:
        names = names.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    return decoded(names)


def _randomly_augmented(ds: Any, shape: tuple[int, int], seed: int) -> Any:
    """``ds`` through :func:`augment_image`, each element with its own seed pair."""
    import tensorflow as tf

    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)

    def augment_one(image: Any, pair: Any) -> Any:
        return augment_image(image, shape, pair)

    return tf.data.Dataset.zip(ds, seeds.batch(2)).map(augment_one, num_parallel_calls=tf.data.AUTOTUNE)
