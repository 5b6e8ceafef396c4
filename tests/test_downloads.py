"""darkroom.core.downloads: known archives fetched once, verified and extracted atomically (no network: file URLs)."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import pytest

from darkroom.core import downloads


def _fake_archive(tmp_path: Path) -> tuple[Path, str]:
    src = tmp_path / "src" / "fakeset" / "cats"
    src.mkdir(parents=True)
    (src / "1.jpg").write_bytes(b"not decoded here: fetch only moves and checks bytes")
    path = tmp_path / "fakeset.tgz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(tmp_path / "src" / "fakeset", arcname="fakeset")
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_fetch_downloads_verifies_and_extracts(tmp_path, monkeypatch):
    monkeypatch.setenv("DARKROOM_DATA", str(tmp_path / "data"))
    archive, sha = _fake_archive(tmp_path)
    registry = {
        "fake": downloads.Archive(
            url=archive.as_uri(),
            filename="fakeset.tgz",
            size=archive.stat().st_size,
            sha256=sha,
            folder="fakeset",
        )
    }
    assert downloads.cached("fake", registry=registry) is None
    folder = downloads.fetch("fake", registry=registry)
    assert downloads.cached("fake", registry=registry) == folder
    assert folder == tmp_path / "data" / "cache" / "fake" / "fakeset"
    assert (folder / "cats" / "1.jpg").is_file()
    assert (tmp_path / "data" / "downloads" / "fakeset.tgz").read_bytes() == archive.read_bytes()
    archive.unlink()  # second call works from the cache, no network
    assert downloads.fetch("fake", registry=registry) == folder
    assert downloads.fetch("fake", registry=registry, extract=False).name == "fakeset.tgz"


def test_fetch_checksum_mismatch_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DARKROOM_DATA", str(tmp_path / "data"))
    archive, _ = _fake_archive(tmp_path)
    registry = {"fake": downloads.Archive(url=archive.as_uri(), filename="fakeset.tgz", sha256="0" * 64)}
    with pytest.raises(ValueError, match="SHA-256"):
        downloads.fetch("fake", registry=registry)
    assert list((tmp_path / "data" / "downloads").iterdir()) == []
    assert not (tmp_path / "data" / "cache" / "fake").exists()


def test_fetch_offline_says_where_to_put_the_archive(tmp_path, monkeypatch):
    monkeypatch.setenv("DARKROOM_DATA", str(tmp_path / "data"))
    registry = {
        "gone": downloads.Archive(url=(tmp_path / "nowhere.tgz").as_uri(), filename="gone.tgz", size=10)
    }
    with pytest.raises(FileNotFoundError, match="by hand") as info:
        downloads.fetch("gone", registry=registry)
    assert str(tmp_path / "data" / "downloads" / "gone.tgz") in str(info.value)
    assert list((tmp_path / "data" / "downloads").iterdir()) == []
    with pytest.raises(ValueError, match="flower_photos"):
        downloads.fetch("no-such-dataset")


def test_registry_knows_the_real_archives():
    assert (
        downloads.REGISTRY["flower_photos"].sha256 and downloads.REGISTRY["flower_photos"].size == 228_813_984
    )
    assert downloads.REGISTRY["caltech256"].filename == "256_ObjectCategories.tar"
