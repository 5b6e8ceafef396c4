"""darkroom.core.data: the embedded photos and their split, crops of them, a seeded split by image."""

from __future__ import annotations

import numpy as np
import pytest

from darkroom.core import data

# --- embedded photos -------------------------------------------------------------------


def test_sample_photo_splits_are_disjoint_and_load_offline():
    splits = {s: data.sample_photos(s) for s in ("train", "val", "test")}
    names = [n for s in splits.values() for n in s]
    assert len(names) == len(set(names)) == len(data.sample_photos())
    assert len(splits["test"]) >= 2 and len(splits["train"]) >= 4
    for image in data.sample_photos().values():
        assert image.dtype == np.float32 and image.ndim == 3 and image.shape[-1] == 3
        assert 0.0 <= image.min() and image.max() <= 1.0
    with pytest.raises(ValueError, match="split"):
        data.sample_photos("validation")


def test_random_patches_are_crops_of_the_photos():
    photos = data.sample_photos("test")
    patches = data.random_patches(photos, 32, 5, seed=3)
    assert patches.shape == (5, 32, 32, 3) and patches.dtype == np.float32
    np.testing.assert_array_equal(patches, data.random_patches(photos, 32, 5, seed=3))
    # Without zoom a patch is an exact crop of one photo.
    p = patches[0]
    found = any(np.any(np.all(np.isclose(img[:, :, 0][None], p[0, 0, 0]), axis=0)) for img in photos.values())
    assert found


def test_random_patches_name_the_photo_each_crop_came_from():
    white, black = np.ones((40, 40, 3), np.float32), np.zeros((40, 40, 3), np.float32)
    patches, sources = data.random_patches(
        {"white": white, "black": black}, 8, 12, seed=1, return_sources=True
    )
    assert len(sources) == 12 and set(sources) == {"white", "black"}
    for patch, name in zip(patches, sources):
        assert patch.mean() == (1.0 if name == "white" else 0.0)
    # The same crops as without the names, and a list input is named by index.
    np.testing.assert_array_equal(
        patches, data.random_patches({"white": white, "black": black}, 8, 12, seed=1)
    )
    _, by_index = data.random_patches([white, black], 8, 4, seed=1, return_sources=True)
    assert set(by_index) <= {0, 1}


def test_square_images_are_centred_squares():
    img = np.zeros((20, 40, 3), np.float32)
    img[:, 10:30] = 1.0  # the centred 20x20 square is white
    out = data.square_images([img], 10)
    assert out.shape == (1, 10, 10, 3) and out.min() > 0.99
