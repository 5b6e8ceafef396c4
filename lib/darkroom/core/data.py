"""Photo sets in memory: the embedded photographs split by image, and crops cut from a set of photos.

Images are NumPy float32 RGB in [0, 1], shape (H, W, 3), or a batch (N, H, W, 3).

* :func:`sample_photos` -- the colour photographs that ship inside installed packages
  (scikit-image, matplotlib), split by image into train / val / test. Nothing is downloaded.
* :func:`split_by_image` -- any list of items (photos, files) cut into seeded train / val / test.
* :func:`random_patches` and :func:`square_images` -- crops of a set of photos as one float32 batch.

Folders of image files are :mod:`darkroom.core.folders`, the downloadable real data sets
:mod:`darkroom.core.datasets`, generated images (toy scenes, procedural styles)
:mod:`darkroom.core.synthetic`, augmentations :mod:`darkroom.core.augmentation`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "SAMPLE_PHOTO_SPLITS",
    "random_patches",
    "sample_photos",
    "split_by_image",
    "square_images",
]

# Split by image, never by crop: no photo contributes pixels to two splits. The test photos
# are ordinary scenes (a cat, a portrait, a street) so that held-out numbers mean something;
# the scientific images (microscopy, retina, Hubble) only ever train.
SAMPLE_PHOTO_SPLITS: dict[str, tuple[str, ...]] = {
    "train": (
        "astronaut",
        "coffee",
        "rocket",
        "immunohistochemistry",
        "hubble_deep_field",
        "retina",
    ),
    "val": ("motorcycle",),
    "test": ("chelsea", "grace_hopper"),
}


def _load_bundled_photo(name: str) -> np.ndarray:
    """One bundled photo as uint8 RGB, read from the installed package (no network)."""
    if name == "grace_hopper":
        from matplotlib import cbook
        from PIL import Image

        with cbook.get_sample_data("grace_hopper.jpg") as fh:
            return np.asarray(Image.open(fh).convert("RGB"))
    import skimage.data

    if name == "motorcycle":
        return np.asarray(skimage.data.stereo_motorcycle()[0])  # left view only
    return np.asarray(getattr(skimage.data, name)())


@functools.cache
def _bundled_photo(name: str) -> np.ndarray:
    image = _load_bundled_photo(name)[..., :3].astype(np.float32) / 255.0
    image.setflags(write=False)
    return image


def sample_photos(split: str | None = None) -> dict[str, np.ndarray]:
    """The bundled colour photographs as ``{name: float32 RGB (H, W, 3) in [0, 1]}``.

    ``split`` is ``"train"``, ``"val"``, ``"test"`` or ``None`` (all of them); see
    :data:`SAMPLE_PHOTO_SPLITS`. The split is by image, so crops of one photo never land
    on both sides. Arrays are fresh copies, safe to modify.
    """
    if split is None:
        names = [n for names in SAMPLE_PHOTO_SPLITS.values() for n in names]
    elif split in SAMPLE_PHOTO_SPLITS:
        names = list(SAMPLE_PHOTO_SPLITS[split])
    else:
        raise ValueError(f"split must be one of {sorted(SAMPLE_PHOTO_SPLITS)} or None, got {split!r}")
    return {name: _bundled_photo(name).copy() for name in names}


def random_patches(
    images: Mapping[str, np.ndarray] | Sequence[np.ndarray],
    size: int,
    num_patches: int,
    *,
    seed: int = 0,
    zoom: tuple[float, float] = (1.0, 1.0),
    return_sources: bool = False,
) -> np.ndarray | tuple[np.ndarray, list[Any]]:
    """``num_patches`` random ``size``x``size`` crops from ``images`` (each picked uniformly), float32.

    ``zoom`` draws a zoom factor per patch: a crop of side ``size / s`` resized to ``size``,
    so that ``scale=(0.5, 1.0)`` also shows the model wider views of each photo. With
    ``return_sources`` it also returns which image each crop came from (its key, or its index),
    since crops of one photo are not independent evidence.
    """
    from skimage.transform import resize

    pool = list(images.values()) if isinstance(images, Mapping) else list(images)
    names = list(images) if isinstance(images, Mapping) else list(range(len(pool)))
    if not pool:
        raise ValueError("images is empty; expected at least one (H, W, 3) image")
    if num_patches < 0 or size < 1:
        raise ValueError(
            f"expected size >= 1 and num_patches >= 0, got size={size}, num_patches={num_patches}"
        )
    rng = np.random.default_rng(seed)
    out = np.empty((num_patches, size, size, 3), np.float32)
    sources = []
    for i in range(num_patches):
        pick = int(rng.integers(len(pool)))
        image = pool[pick]
        sources.append(names[pick])
        s = float(rng.uniform(*zoom))
        side = min(int(round(size / s)), *image.shape[:2])
        if side < 1:
            raise ValueError(f"image of shape {image.shape} is too small for {size}px patches")
        y = int(rng.integers(image.shape[0] - side + 1))
        x = int(rng.integers(image.shape[1] - side + 1))
        crop = image[y : y + side, x : x + side, :3]
        if side != size:
            crop = resize(crop, (size, size), order=1, anti_aliasing=side > size)
        out[i] = np.clip(crop, 0.0, 1.0)
    return (out, sources) if return_sources else out


def square_images(images: Mapping[str, np.ndarray] | Sequence[np.ndarray], size: int) -> np.ndarray:
    """Each image's largest centred square, resized to ``size``x``size`` -> (N, size, size, 3) float32."""
    from skimage.transform import resize

    pool = list(images.values()) if isinstance(images, Mapping) else list(images)
    out = np.empty((len(pool), size, size, 3), np.float32)
    for i, image in enumerate(pool):
        h, w = image.shape[:2]
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        crop = image[top : top + side, left : left + side, :3]
        out[i] = np.clip(resize(crop, (size, size), order=1, anti_aliasing=side > size), 0.0, 1.0)
    return out


def split_by_image(
    items: Iterable[Any], *, val: float = 0.1, test: float = 0.1, seed: int = 0
) -> dict[str, list[Any]]:
    """Shuffle ``items`` with ``seed`` and cut them into ``{"train", "val", "test"}`` lists."""
    items = list(items)
    if not (0 <= val < 1 and 0 <= test < 1 and val + test < 1):
        raise ValueError(f"val and test must be fractions summing below 1, got val={val}, test={test}")
    order = np.random.default_rng(seed).permutation(len(items))
    n_test, n_val = int(round(len(items) * test)), int(round(len(items) * val))
    picked = [items[i] for i in order]
    return {
        "test": picked[:n_test],
        "val": picked[n_test : n_test + n_val],
        "train": picked[n_test + n_val :],
    }
