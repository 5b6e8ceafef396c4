"""darkroom.core.folders: a messy image folder scanned, streamed, batched, shuffled, padded, cropped, augmented."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from darkroom.core import folders

# --- a messy folder --------------------------------------------------------------------


def _write_jpeg(path: Path, w: int, h: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    arr = np.zeros((h, w, 3), np.uint8)
    arr[...] = rng.integers(40, 215, 3)
    arr[: h // 2] = rng.integers(0, 255, 3)
    Image.fromarray(arr).save(path, quality=95)


@pytest.fixture()
def messy_folder(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    (root / "sub").mkdir(parents=True)
    _write_jpeg(root / "wide.jpg", 90, 37, 0)
    _write_jpeg(root / "tall.jpg", 23, 71, 1)
    _write_jpeg(root / "sub" / "square.jpeg", 64, 64, 2)
    Image.fromarray(np.full((30, 50, 3), (200, 30, 30), np.uint8)).save(root / "sub" / "red.png")
    Image.fromarray(np.tile(np.arange(40, dtype=np.uint8)[None] * 6, (40, 1)), mode="L").save(
        root / "gray.png"
    )
    (root / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg" * 10)
    noise = np.random.default_rng(3).integers(0, 255, (120, 120, 3), dtype=np.uint8)
    full = io.BytesIO()
    Image.fromarray(noise).save(full, format="JPEG", quality=90)
    (root / "truncated.jpg").write_bytes(full.getvalue()[: len(full.getvalue()) // 2])
    (root / "notes.txt").write_text("not an image\n")
    return root


def test_scan_sorts_files_by_reason(messy_folder):
    scan = folders.scan_image_folder(messy_folder)
    assert sorted(p.name for p in scan.files) == [
        "gray.png",
        "red.png",
        "square.jpeg",
        "tall.jpg",
        "wide.jpg",
    ]
    assert [p.name for p in scan.skipped["unreadable"]] == ["corrupt.jpg"]
    assert [p.name for p in scan.skipped["truncated"]] == ["truncated.jpg"]
    assert [p.name for p in scan.skipped["not images"]] == ["notes.txt"]
    assert [p.name for p in scan.grayscale] == ["gray.png"]
    skip = folders.scan_image_folder(messy_folder, grayscale="skip")
    assert len(skip.files) == 4 and [p.name for p in skip.skipped["grayscale"]] == ["gray.png"]
    assert "3 not images" not in scan.summary() and "1 truncated" in scan.summary()


def test_image_folder_streams_only_good_images_and_warns_once(messy_folder):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = folders.image_folder(messy_folder, 24, shuffle=False)
        batches = list(ds.as_numpy_iterator())
        batches += list(ds.as_numpy_iterator())  # a second epoch says nothing new
    skipped = [w for w in caught if issubclass(w.category, folders.SkippedFilesWarning)]
    assert len(skipped) == 1 and "1 unreadable" in str(skipped[0].message)
    assert skipped[0].filename == __file__  # the warning points at the caller, not into darkroom
    assert len(batches) == 10
    for image in batches:
        assert image.shape == (24, 24, 3) and image.dtype == np.float32
        assert 0.0 <= image.min() and image.max() <= 1.0
    red = batches[[p.name for p in folders.scan_image_folder(messy_folder).files].index("red.png")]
    np.testing.assert_allclose(red[12, 12], np.array([200, 30, 30]) / 255, atol=0.02)
    gray = batches[0]  # gray.png sorts first; converted to R = G = B
    np.testing.assert_allclose(gray[..., 0], gray[..., 2], atol=1e-6)


def test_image_folder_batches_shuffles_and_skips_gray(messy_folder):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", folders.SkippedFilesWarning)
        ds = folders.image_folder(messy_folder, 16, batch_size=3, grayscale="skip", seed=1)
        first = list(ds.as_numpy_iterator())
        again = list(
            folders.image_folder(messy_folder, 16, batch_size=3, grayscale="skip", seed=1).as_numpy_iterator()
        )
    assert [b.shape for b in first] == [(3, 16, 16, 3), (1, 16, 16, 3)]
    np.testing.assert_array_equal(np.concatenate(first), np.concatenate(again))  # same seed, same order

    def order(**kw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", folders.SkippedFilesWarning)
            ds = folders.image_folder(messy_folder, 16, grayscale="skip", **kw)
            return [tuple(np.round(im.mean((0, 1)), 4)) for im in ds.as_numpy_iterator()]

    unshuffled = order(shuffle=False)
    assert sorted(unshuffled) == sorted(order(seed=1))  # the same 4 images (gray.png skipped)
    # Four images have 24 orders: over five seeds, shuffling must move them at least once.
    assert any(order(seed=s) != unshuffled for s in range(5))


def test_fit_pad_keeps_the_aspect_with_black_bars(tmp_path):
    Image.fromarray(np.full((20, 80, 3), 255, np.uint8)).save(tmp_path / "wide.png")
    (image,) = list(folders.image_folder(tmp_path, 40, fit="pad", shuffle=False).as_numpy_iterator())
    assert image[:14].max() == 0 and image[-14:].max() == 0  # 40 x 10 picture, 15 black rows each side
    assert image[17:23].min() > 0.99
    (crop,) = list(folders.image_folder(tmp_path, 40, fit="crop", shuffle=False).as_numpy_iterator())
    assert crop.min() > 0.99


@pytest.fixture()
def aspect_folder(tmp_path: Path) -> Path:
    # A white wide photo (200x100) and a white tall one (60x120): the 150x100 set of seed 000.
    Image.fromarray(np.full((100, 200, 3), 255, np.uint8)).save(tmp_path / "a_wide.png")
    Image.fromarray(np.full((120, 60, 3), 255, np.uint8)).save(tmp_path / "b_tall.png")
    return tmp_path


def test_image_folder_makes_non_square_images_by_padding(aspect_folder):
    wide, tall = folders.image_folder(aspect_folder, (100, 150), fit="pad", shuffle=False).as_numpy_iterator()
    assert wide.shape == tall.shape == (100, 150, 3)
    # 200x100 fits as 150x75: black bars of 12 or 13 rows above and below, none at the sides.
    assert wide[:12].max() == 0 and wide[-12:].max() == 0 and wide[14:86].min() > 0.99
    # 60x120 fits as 50x100: black bars of 50 columns left and right, full height.
    assert tall[:, :49].max() == 0 and tall[:, -49:].max() == 0 and tall[:, 52:98].min() > 0.99


def test_image_folder_makes_non_square_images_by_enlarging_and_trimming(aspect_folder):
    ds = folders.image_folder(aspect_folder, (100, 150), fit="crop", shuffle=False, batch_size=2)
    (batch,) = list(ds.as_numpy_iterator())
    assert batch.shape == (2, 100, 150, 3) and batch.min() > 0.99  # no black anywhere
    augmented = next(folders.image_folder(aspect_folder, (100, 150), augment=True).as_numpy_iterator())
    assert augmented.shape == (100, 150, 3)
    for bad in [(100,), (100, 0), (100.0, 150), "100x150"]:
        with pytest.raises(ValueError, match="height, width"):
            folders.image_folder(aspect_folder, bad)


def test_image_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        folders.image_folder(tmp_path / "missing", 32)
    (tmp_path / "a.txt").write_text("x")
    with pytest.warns(folders.SkippedFilesWarning), pytest.raises(FileNotFoundError, match="no readable"):
        folders.image_folder(tmp_path, 32)
    with pytest.raises(ValueError, match="fit"):
        folders.image_folder(tmp_path, 32, fit="stretch")


def test_augmented_pipeline_is_seeded_and_crops_to_size(messy_folder):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", folders.SkippedFilesWarning)
        ds = folders.image_folder(messy_folder, 20, augment=True, shuffle=False, seed=5)
        a = np.stack(list(ds.as_numpy_iterator()))
        b = np.stack(
            list(
                folders.image_folder(
                    messy_folder, 20, augment=True, shuffle=False, seed=5
                ).as_numpy_iterator()
            )
        )
    assert a.shape == (5, 20, 20, 3) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
