"""Known dataset archives, downloaded once, verified and extracted atomically.

:func:`fetch` downloads an archive from :data:`REGISTRY` into ``data/downloads``, checks its size
and checksum, and extracts it into ``data/cache/<name>`` through a temporary folder that is renamed
only when complete. Offline it fails fast and says where to put the archive by hand; :func:`cached`
answers whether a dataset is already there without touching the network.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Mapping
from pathlib import Path

from darkroom.core import paths

__all__ = ["REGISTRY", "Archive", "cached", "fetch"]


@dataclasses.dataclass(frozen=True)
class Archive:
    """A downloadable dataset archive: where it lives and how to check it."""

    url: str
    filename: str
    size: int | None = None
    sha256: str | None = None
    md5: str | None = None
    folder: str | None = None  # the top-level folder inside the archive, if any
    description: str = ""


REGISTRY: dict[str, Archive] = {
    "flower_photos": Archive(
        url="https://storage.googleapis.com/download.tensorflow.org/example_images/flower_photos.tgz",
        filename="flower_photos.tgz",
        size=228_813_984,
        sha256="4c54ace7911aaffe13a365c34f650e71dd5bf1be0a58b464e5a7183e3e595d9c",
        folder="flower_photos",
        description="TensorFlow's flower photos: 3,670 JPEGs in 5 class folders (the TF tutorials' dataset)",
    ),
    "caltech256": Archive(
        url="https://data.caltech.edu/records/nyy15-4j048/files/256_ObjectCategories.tar?download=1",
        filename="256_ObjectCategories.tar",
        md5="67b4f42ca05d46448c6bb8ecd2220f6d",
        folder="256_ObjectCategories",
        description="Caltech-256: 30,607 JPEGs in 257 folders, files named %03i_%04i.jpg",
    ),
}


def _digests(path: Path) -> tuple[int, str, str]:
    sha, md5, size = hashlib.sha256(), hashlib.md5(), 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            sha.update(chunk)
            md5.update(chunk)
            size += len(chunk)
    return size, sha.hexdigest(), md5.hexdigest()


def _verify(path: Path, archive: Archive) -> str | None:
    """``None`` if ``path`` matches the archive's size and checksums, else what differs."""
    size, sha, md5 = _digests(path)
    if archive.size is not None and size != archive.size:
        return f"size {size:,} bytes, expected {archive.size:,}"
    if archive.sha256 and sha != archive.sha256.lower():
        return f"SHA-256 {sha}, expected {archive.sha256}"
    if archive.md5 and md5 != archive.md5.lower():
        return f"MD5 {md5}, expected {archive.md5}"
    return None


def _by_hand_message(name: str, archive: Archive, target: Path, reason: str) -> str:
    checks = ", ".join(
        f"{k} {v}"
        for k, v in (("size", archive.size), ("SHA-256", archive.sha256), ("MD5", archive.md5))
        if v
    )
    return (
        f"could not download {name!r} from {archive.url} ({reason}). Download it by hand and "
        f"put the file at {target}" + (f" ({checks})" if checks else "") + "; fetch() will verify and use it."
    )


def _download(url: str, target: Path, timeout: float) -> None:
    """Stream ``url`` into ``target`` atomically (a partial download never keeps the name)."""
    from tqdm.auto import tqdm

    with paths.atomic_write(target) as tmp:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(tmp, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=target.name, leave=False) as bar:
                for chunk in iter(lambda: response.read(1 << 20), b""):
                    out.write(chunk)
                    bar.update(len(chunk))


def _extract(archive_path: Path, destination: Path) -> None:
    """Unpack into a temporary sibling folder, then rename it onto ``destination``."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    try:
        if zipfile.is_zipfile(archive_path):
            with zipfile.ZipFile(archive_path) as zf:
                zf.extractall(tmp)
        else:
            with tarfile.open(archive_path) as tf_:
                tf_.extractall(tmp, filter="data")
        if destination.exists():
            shutil.rmtree(destination)
        os.replace(tmp, destination)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def fetch(
    name: str,
    *,
    extract: bool = True,
    registry: Mapping[str, Archive] | None = None,
    timeout_s: float = 20.0,
) -> Path:
    """Download (once), verify and unpack a known archive; return its folder (or the archive).

    The archive is cached as ``data/downloads/<filename>`` and unpacked into
    ``data/cache/<name>/``; with ``extract=False`` the archive path is returned. A file
    already in ``data/downloads`` (downloaded before, or put there by hand) is verified and
    used without network. A checksum mismatch raises ValueError and deletes the download;
    offline, FileNotFoundError says where to put the archive by hand. ``registry`` defaults
    to :data:`REGISTRY`.
    """
    registry = REGISTRY if registry is None else registry
    if name not in registry:
        raise ValueError(f"unknown dataset {name!r}; known: {sorted(registry)}")
    archive = registry[name]
    target = paths.data_dir("downloads") / archive.filename
    marker = target.with_name(target.name + ".verified")
    if not target.exists():
        try:
            _download(archive.url, target, timeout_s)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise FileNotFoundError(_by_hand_message(name, archive, target, str(reason))) from None
    if not marker.exists() or marker.stat().st_mtime < target.stat().st_mtime:
        problem = _verify(target, archive)
        if problem is not None:
            target.unlink()
            raise ValueError(
                f"{target.name} for {name!r} failed verification ({problem}); the file was deleted. "
                f"Fetch again, or download {archive.url} by hand into {target.parent}."
            )
        with paths.atomic_write(marker) as tmp:
            tmp.write_text("verified\n")
    if not extract:
        return target
    destination = paths.data_dir("cache") / name
    done = destination / ".extracted"
    if not done.exists():
        _extract(target, destination)
        done.write_text(archive.filename + "\n")
    return destination / archive.folder if archive.folder else destination


def cached(name: str, registry: Mapping[str, Archive] | None = None) -> Path | None:
    """The unpacked folder of ``name`` if :func:`fetch` already unpacked it, else ``None`` (no network)."""
    registry = REGISTRY if registry is None else registry
    if name not in registry:
        raise ValueError(f"unknown dataset {name!r}; known: {sorted(registry)}")
    destination = paths.data_dir() / "cache" / name
    if not (destination / ".extracted").exists():
        return None
    folder = registry[name].folder
    return destination / folder if folder else destination
