"""Image datasets, real and embedded: bundled photos, folders of files, fetched archives.

Everything here yields float32 RGB in [0, 1] (DESIGN.md). Three sources:

* :func:`sample_photos` -- the colour photographs that ship inside installed packages
  (scikit-image, matplotlib), split by image into train / val / test. Nothing is downloaded.
* :func:`image_folder` -- any folder tree of image files as a streaming ``tf.data.Dataset``.
  Broken, truncated and non-image files are skipped and counted once, before the first epoch,
  so an epoch never dies half-way.
* :func:`caltech256` -- Caltech-256, fetched once with :func:`darkroom.core.downloads.fetch` (verified,
  extracted atomically; offline it fails fast and says where to put the archive by hand).

Plus :func:`toy_scenes` (synthetic images whose colours follow from structure) and the
augmentations the colorization write-up used, expressed as tensor ops inside the pipeline.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import threading
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from darkroom.core.downloads import fetch

__all__ = [
    "IMAGE_EXTENSIONS",
    "PROCEDURAL_STYLES",
    "SAMPLE_PHOTO_SPLITS",
    "STRETCH_PERCENTILES",
    "TONE_AUGMENTATIONS",
    "TOY_COLORS",
    "WRITEUP_TONES",
    "CaltechImage",
    "FolderScan",
    "SkippedFilesWarning",
    "augment_image",
    "caltech256",
    "image_folder",
    "procedural_style",
    "random_patches",
    "sample_photos",
    "scan_image_folder",
    "split_by_image",
    "square_images",
    "tone_augment",
    "toy_scenes",
]

# ----------------------------------------------------------------------------------------
# Embedded photographs
# ----------------------------------------------------------------------------------------

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
    n: int,
    *,
    seed: int = 0,
    scale: tuple[float, float] = (1.0, 1.0),
) -> np.ndarray:
    """``n`` random ``size``x``size`` crops from ``images`` (each picked uniformly), float32.

    ``scale`` draws a zoom factor per patch: a crop of side ``size / s`` resized to ``size``,
    so that ``scale=(0.5, 1.0)`` also shows the model wider views of each photo.
    """
    from skimage.transform import resize

    pool = list(images.values()) if isinstance(images, Mapping) else list(images)
    if not pool:
        raise ValueError("images is empty; expected at least one (H, W, 3) image")
    if n < 0 or size < 1:
        raise ValueError(f"expected size >= 1 and n >= 0, got size={size}, n={n}")
    rng = np.random.default_rng(seed)
    out = np.empty((n, size, size, 3), np.float32)
    for i in range(n):
        image = pool[int(rng.integers(len(pool)))]
        s = float(rng.uniform(*scale))
        side = min(int(round(size / s)), *image.shape[:2])
        if side < 1:
            raise ValueError(f"image of shape {image.shape} is too small for {size}px patches")
        y = int(rng.integers(image.shape[0] - side + 1))
        x = int(rng.integers(image.shape[1] - side + 1))
        crop = image[y : y + side, x : x + side, :3]
        if side != size:
            crop = resize(crop, (size, size), order=1, anti_aliasing=side > size)
        out[i] = np.clip(crop, 0.0, 1.0)
    return out


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


# ----------------------------------------------------------------------------------------
# Folders of image files
# ----------------------------------------------------------------------------------------

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


def _target_shape(size: Any) -> tuple[int, int]:
    """``size`` (a side) or ``(height, width)`` -> (height, width), refusing anything else."""
    shape = (
        (size, size)
        if isinstance(size, (int, np.integer))
        else tuple(size)
        if isinstance(size, (tuple, list))
        else ()
    )
    if len(shape) != 2 or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in shape):
        raise ValueError(f"size must be a positive int or a (height, width) pair of them, got {size!r}")
    return int(shape[0]), int(shape[1])


def _fit_image(im: Any, size: int | tuple[int, int], fit: str) -> np.ndarray:
    """A PIL image resized to ``size`` (a side or (height, width)): enlarge to cover and centre
    crop (``"crop"``), or shrink to fit inside and pad with black (``"pad"``)."""
    from PIL import Image

    th, tw = _target_shape(size)
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
                th, tw = _target_shape(size)
                im.draft("RGB", (tw, th))
            im = ImageOps.exif_transpose(im)
            im.load()
            rgb = im.convert("RGB")
            if skip_gray:
                arr = np.asarray(rgb, dtype=np.int16)
                if np.abs(arr[..., 0] - arr[..., 1]).max(initial=0) <= 2 and (
                    np.abs(arr[..., 1] - arr[..., 2]).max(initial=0) <= 2
                ):
                    return np.zeros((*_target_shape(size), 3), np.uint8), False
            return _fit_image(rgb, size, fit), True
    except Exception:  # any decoder failure: the file is skipped, never the epoch
        return np.zeros((*_target_shape(size), 3), np.uint8), False


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
    height, width = _target_shape(size)
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


# ----------------------------------------------------------------------------------------
# Augmentation (the write-up's ImageDataGenerator + skimage.exposure, inside tf.data)
# ----------------------------------------------------------------------------------------

TONE_AUGMENTATIONS = ("none", "equalize", "stretch", "adaptive")
_QUIET_CLIP_LOCK = threading.Lock()
#: Seed 002's three tone operations, one of which it applied to every training image at random.
WRITEUP_TONES = ("equalize", "stretch", "adaptive")
#: The percentiles of L that contrast stretching maps to black and white (seed 002, after skimage's example).
STRETCH_PERCENTILES = (2, 98)


def tone_augment(image: np.ndarray, kind: str) -> np.ndarray:
    """Change the lightness L of an RGB image, keep its a and b; float32 RGB out.

    ``kind``: ``"equalize"`` (histogram equalisation), ``"stretch"`` (contrast stretching
    between the 2nd and 98th percentiles), ``"adaptive"`` (CLAHE) or ``"none"``.
    """
    from skimage import exposure

    from darkroom.core import color

    if kind not in TONE_AUGMENTATIONS:
        raise ValueError(f"kind must be one of {TONE_AUGMENTATIONS}, got {kind!r}")
    rgb = color.as_float_rgb(image)
    if kind == "none":
        return rgb
    lab = color.rgb_to_lab(rgb)
    L = np.clip(lab[..., 0] / 100.0, 0.0, 1.0)
    if kind == "equalize":
        L = exposure.equalize_hist(L)
    elif kind == "stretch":
        lo, hi = np.percentile(L, STRETCH_PERCENTILES)
        L = exposure.rescale_intensity(L, in_range=(lo, hi), out_range=(0.0, 1.0)) if hi > lo else L
    else:
        L = exposure.equalize_adapthist(L, clip_limit=0.03)
    lab = lab.copy()
    lab[..., 0] = np.asarray(L, np.float64) * 100.0
    # A new L under the old a, b can leave the sRGB gamut; lab_to_rgb clips, which is what we want,
    # and scikit-image's warning about the clipped values would only repeat that per image. The
    # lock: tf.data calls this from several threads, and catch_warnings swaps a process-wide filter
    # list, so without it one thread can restore the filters while another converts.
    with _QUIET_CLIP_LOCK, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*negative Z values.*", category=UserWarning)
        return color.lab_to_rgb(lab)


def augment_image(
    image: Any, size: int | tuple[int, int], seed: Any, tones: Sequence[str] = TONE_AUGMENTATIONS
) -> Any:
    """Random crop to ``size`` (a side or (height, width)), random left-right and upside-down
    flips, random tone of L.

    ``seed`` is a shape-(2,) integer tensor; the same seed gives the same result. The tone
    change is one of ``tones`` (names from :data:`TONE_AUGMENTATIONS`), each equally likely:
    by default "none" is one of the four; :data:`WRITEUP_TONES` always applies one of seed
    002's three.
    """
    import tensorflow as tf

    height, width = _target_shape(size)
    tones = tuple(tones)
    unknown = [t for t in tones if t not in TONE_AUGMENTATIONS]
    if not tones or unknown:
        raise ValueError(f"tones must be a non-empty selection of {TONE_AUGMENTATIONS}, got {tones!r}")
    seed = tf.cast(seed, tf.int64)
    image = tf.image.stateless_random_crop(image, (height, width, 3), seed=seed)
    image = tf.image.stateless_random_flip_left_right(image, seed=seed + 1)
    image = tf.image.stateless_random_flip_up_down(image, seed=seed + 2)
    choice = tf.random.stateless_uniform((), seed + 3, 0, len(tones), tf.int32)

    def tone(img: np.ndarray, k: np.int32) -> np.ndarray:
        return tone_augment(img, tones[int(k)])

    out = tf.numpy_function(tone, [image, choice], tf.float32, stateful=False)
    out.set_shape((height, width, 3))
    return out


# ----------------------------------------------------------------------------------------
# Toy scenes: colours that follow from structure
# ----------------------------------------------------------------------------------------

# (name -> sRGB in [0, 1]). The ball's two colours have (almost) the same CIE L*, so the
# gray input cannot tell them apart: the right answer there is genuinely "red OR blue".
TOY_COLORS: dict[str, tuple[float, float, float]] = {
    "sky": (0.45, 0.68, 0.95),
    "grass": (0.25, 0.62, 0.22),
    "sun": (1.0, 0.85, 0.15),
    "trunk": (0.45, 0.30, 0.16),
    "leaves": (0.10, 0.42, 0.12),
    "ball_red": (0.86, 0.16, 0.16),
    "ball_blue": (0.2754, 0.3754, 1.00),
}


def toy_scenes(
    n: int, size: int = 64, seed: int = 0, *, return_masks: bool = False
) -> np.ndarray | tuple[np.ndarray, dict[str, np.ndarray]]:
    """``n`` synthetic landscapes (n, size, size, 3) float32 whose colours follow from structure.

    Sky above a horizon, grass below, a sun in the sky, sometimes a tree; and a ball on the
    grass that is red or blue at random with the same lightness -- the multimodal case in
    which a colorizer trained with MSE averages to a desaturated colour. Shading and noise
    vary the lightness so that colour has to be inferred from context. With
    ``return_masks=True`` also returns boolean masks ``{"ball", "ball_red", "sky", ...}``.
    """
    if n < 0 or size < 8:
        raise ValueError(f"expected n >= 0 and size >= 8, got n={n}, size={size}")
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    images = np.empty((n, size, size, 3), np.float32)
    masks = {k: np.zeros((n, size, size), bool) for k in ("sky", "grass", "sun", "tree", "ball", "ball_red")}
    col = {k: np.asarray(v, np.float32) for k, v in TOY_COLORS.items()}
    for i in range(n):
        horizon = rng.uniform(0.35, 0.65) + rng.uniform(-0.1, 0.1) * (xx - 0.5)
        sky = yy < horizon
        img = np.where(sky[..., None], col["sky"], col["grass"])
        # Vertical gradients: the sky lightens towards the horizon, the grass darkens away.
        shade = np.where(sky, 0.85 + 0.25 * yy / np.maximum(horizon, 1e-3), 1.1 - 0.3 * (yy - horizon))
        img = img * shade[..., None]
        sun_r = rng.uniform(0.06, 0.1)
        sy, sx = rng.uniform(0.08, 0.25), rng.uniform(0.1, 0.9)
        sun = ((yy - sy) ** 2 + (xx - sx) ** 2 < sun_r**2) & sky
        img[sun] = col["sun"]
        tree = np.zeros_like(sky)
        if rng.uniform() < 0.5:
            tx = rng.uniform(0.1, 0.9)
            base = float(np.interp(tx, xx[0], horizon[int(size * 0.5)]))
            trunk = (np.abs(xx - tx) < 0.025) & (yy > base - 0.18) & (yy < base + 0.05)
            crown = (yy - (base - 0.22)) ** 2 + (xx - tx) ** 2 < 0.09**2
            img[trunk] = col["trunk"]
            img[crown] = col["leaves"]
            tree = trunk | crown
        red = bool(rng.uniform() < 0.5)
        br = rng.uniform(0.06, 0.1)
        by = rng.uniform(0.75, 0.9)
        bx = rng.uniform(0.15, 0.85)
        d2 = (yy - by) ** 2 + (xx - bx) ** 2
        ball = d2 < br**2
        # A little 3-D shading (same for both colours, so L still cannot tell them apart).
        ball_shade = 1.05 - 0.35 * np.sqrt(np.clip(d2, 0, None)) / br
        img[ball] = (col["ball_red"] if red else col["ball_blue"]) * ball_shade[ball, None]
        img = img + rng.normal(0.0, 0.015, img.shape).astype(np.float32)
        images[i] = np.clip(img, 0.0, 1.0)
        masks["sky"][i] = sky & ~sun & ~tree
        masks["grass"][i] = ~sky & ~tree & ~ball
        masks["sun"][i] = sun
        masks["tree"][i] = tree
        masks["ball"][i] = ball
        masks["ball_red"][i] = ball & red
    return (images, masks) if return_masks else images


# ----------------------------------------------------------------------------------------
# Caltech-256
# ----------------------------------------------------------------------------------------

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


# ----------------------------------------------------------------------------------------
# Procedural style images (stand-ins for paintings that no package ships)
# ----------------------------------------------------------------------------------------

PROCEDURAL_STYLES: tuple[str, ...] = ("swirls", "mosaic", "stripes")


def _palette(colors: Sequence[str]) -> np.ndarray:
    return np.array([[int(c[i : i + 2], 16) / 255.0 for i in (1, 3, 5)] for c in colors], np.float32)


def _interp_palette(t: np.ndarray, pal: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0, 1) * (len(pal) - 1)
    i = np.minimum(t.astype(int), len(pal) - 2)
    f = (t - i)[..., None]
    return pal[i] * (1 - f) + pal[i + 1] * f


def _swirls(size: int, rng: np.random.Generator) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) / size
    u, v = x.copy(), y.copy()
    for _ in range(7):  # each vortex rotates space around its centre, strongest at the core
        cx, cy = rng.random(2)
        strength = rng.uniform(-6, 6)
        radius = rng.uniform(0.08, 0.25)
        du, dv = u - cx, v - cy
        ang = strength * np.exp(-(du**2 + dv**2) / radius**2)
        c, s = np.cos(ang), np.sin(ang)
        u, v = cx + c * du - s * dv, cy + s * du + c * dv
    field_ = 0.5 + 0.25 * np.sin(28 * u + 3 * np.sin(9 * v)) + 0.25 * np.sin(23 * v + 2 * np.cos(7 * u))
    pal = _palette(["#0b1d51", "#1f4e9c", "#5b8fd6", "#f2d45c", "#fbf3c2"])
    return _interp_palette(field_, pal)


def _mosaic(size: int, rng: np.random.Generator) -> np.ndarray:
    n = max(12, size * size // 500)
    pts = rng.random((n, 2)) * size
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    d = np.sqrt((x[..., None] - pts[:, 0]) ** 2 + (y[..., None] - pts[:, 1]) ** 2)
    part = np.partition(d, 1, axis=-1)
    nearest = np.argmin(d, axis=-1)
    pal = _palette(["#c0392b", "#e67e22", "#f1c40f", "#16a085", "#2980b9", "#8e44ad", "#ecf0f1"])
    tiles = pal[rng.integers(0, len(pal), n)] * rng.uniform(0.8, 1.1, (n, 1))
    img = tiles[nearest]
    grout = (part[..., 1] - part[..., 0]) < max(1.5, size / 128)
    img[grout] = (0.12, 0.1, 0.09)
    return np.clip(img, 0, 1)


def _stripes(size: int, rng: np.random.Generator) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) / size
    theta = rng.uniform(0, np.pi)
    t = x * np.cos(theta) + y * np.sin(theta)
    t += 0.04 * np.sin(2 * np.pi * 3 * (x * np.sin(theta) - y * np.cos(theta)))
    pal = _palette(["#1b1b1b", "#e63946", "#f1faee", "#457b9d", "#ffb703"])
    band = np.floor(t * 14).astype(int) % len(pal)
    return pal[band]


def procedural_style(name: str, size: int = 256, seed: int = 0) -> np.ndarray:
    """A generated style image, float32 RGB (size, size, 3): "swirls", "mosaic" or "stripes"."""
    makers = {"swirls": _swirls, "mosaic": _mosaic, "stripes": _stripes}
    if name not in makers:
        raise ValueError(f"procedural_style: expected one of {PROCEDURAL_STYLES}, received {name!r}")
    if size < 16:  # the smallest image VGG19 features accept
        raise ValueError(f"size: expected >= 16 px, received {size}")
    return makers[name](int(size), np.random.default_rng(seed)).astype(np.float32)
