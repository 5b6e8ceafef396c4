"""Images for the chapters: the bundled sample photos, files and URLs, resizing, figure grids.

Readers give float32 in [0, 1]: RGB (H, W, 3) from :func:`load_image`, RGB or (for gray photos) (H, W)
from :func:`sample_image`; :func:`save_image` and :func:`save_figure` give the path written,
:func:`show_images` a matplotlib Figure. A user's own files, at their own channels and bit depth,
are :mod:`darkroom.core.image_files`. The sample photos ship inside scikit-image and
matplotlib, so nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from darkroom.core.color import as_float_rgb
from darkroom.core.paths import atomic_write, data_dir, figures_dir

__all__ = [
    "GRAY_SAMPLE_IMAGES",
    "RESIZE_METHODS",
    "SAMPLE_IMAGES",
    "center_crop",
    "load_image",
    "resize",
    "sample_image",
    "save_figure",
    "save_image",
    "show_images",
]

#: Colour photographs that ship with installed packages (scikit-image, matplotlib).
SAMPLE_IMAGES: tuple[str, ...] = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "motorcycle",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "grace_hopper",
    "colorwheel",
)
#: Gray photographs that ship with scikit-image.
GRAY_SAMPLE_IMAGES: tuple[str, ...] = ("camera", "moon", "coins", "clock", "grass", "gravel", "brick", "page")


def _load_sample(name: str) -> np.ndarray:
    import skimage.data

    if name == "motorcycle":
        return skimage.data.stereo_motorcycle()[0]
    if name == "grace_hopper":
        import matplotlib.cbook

        with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
            import imageio.v3 as iio

            return iio.imread(f)
    return getattr(skimage.data, name)()


def sample_image(name: str = "astronaut") -> np.ndarray:
    """A bundled photograph as float32: RGB (H, W, 3) for :data:`SAMPLE_IMAGES`, (H, W) for gray ones."""
    if name not in SAMPLE_IMAGES + GRAY_SAMPLE_IMAGES:
        raise ValueError(
            f"unknown sample image {name!r}: expected one of {', '.join(SAMPLE_IMAGES + GRAY_SAMPLE_IMAGES)}"
        )
    raw = np.asarray(_load_sample(name))
    if name in GRAY_SAMPLE_IMAGES:
        return (raw.astype(np.float32) / 255.0) if raw.dtype == np.uint8 else raw.astype(np.float32)
    return as_float_rgb(raw[..., :3], name)


def _fetch_url(url: str, timeout: float = 15.0) -> Path:
    """Download ``url`` once into ``data/cache/images`` (atomically) and return the local path."""
    suffix = Path(url.split("?")[0]).suffix or ".img"
    target = data_dir("cache", "images") / (hashlib.sha256(url.encode()).hexdigest()[:16] + suffix)
    if target.exists():
        return target
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, atomic_write(target) as tmp:
            tmp.write_bytes(response.read())
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        raise OSError(
            f"could not download {url}: {err}. Offline? Save the file and pass its path instead."
        ) from err
    return target


def load_image(path_or_url: str | os.PathLike[str], max_side: int | None = None) -> np.ndarray:
    """Read an image file (or http(s) URL, cached) as float32 RGB in [0, 1].

    Gray files are repeated to three channels, alpha is dropped, 16-bit files
    are scaled by 65535. With ``max_side`` the image is shrunk (never enlarged)
    so that its longer side is at most ``max_side`` pixels.
    """
    import imageio.v3 as iio

    source = str(path_or_url)
    path = _fetch_url(source) if source.startswith(("http://", "https://")) else Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"no image file at {path}")
    try:
        raw = np.asarray(iio.imread(path))
    except Exception as err:  # imageio raises many types for bad files
        raise ValueError(f"could not read {path} as an image ({type(err).__name__}: {err})") from err
    if raw.dtype == np.uint16:
        raw = raw.astype(np.float32) / 65535.0
    if raw.ndim == 3 and raw.shape[-1] == 4:
        raw = raw[..., :3]
    if raw.ndim == 3 and raw.shape[-1] == 2:  # gray + alpha
        raw = raw[..., :1]
    image = as_float_rgb(raw, str(path))
    if max_side is not None and max(image.shape[:2]) > max_side:
        scale = max_side / max(image.shape[:2])
        image = resize(image, (round(image.shape[0] * scale), round(image.shape[1] * scale)))
    return image


def save_image(path: str | os.PathLike[str], image: Any) -> Path:
    """Write a float [0, 1] (or uint8) RGB or gray image to ``path`` (format from the suffix), atomically."""
    import imageio.v3 as iio

    x = np.asarray(image)
    if x.ndim == 3 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.dtype != np.uint8:
        if x.ndim == 2:
            x = np.clip(x, 0, 1)
        else:
            x = as_float_rgb(x, "image")
        x = np.round(x * 255).astype(np.uint8)
    target = Path(path)
    with atomic_write(target) as tmp:
        iio.imwrite(tmp, x, extension=target.suffix)
    return target


_ORDER = {"nearest": 0, "bilinear": 1, "bicubic": 3}
#: What each backend of :func:`resize` offers.
RESIZE_METHODS: dict[str, tuple[str, ...]] = {
    "skimage": tuple(_ORDER),
    "tensorflow": ("nearest", "bilinear", "bicubic", "area"),
}


def resize(
    image: Any,
    shape: tuple[int, int],
    method: str = "bicubic",
    *,
    antialias: bool | None = None,
    backend: str = "skimage",
    clip: bool = True,
) -> np.ndarray:
    """Resize an (H, W[, C]) image to ``shape`` = (height, width); float32 out.

    ``backend="skimage"`` (spline interpolation, reflected borders) suits photos shown on a page;
    ``"tensorflow"`` uses ``tf.image.resize``'s kernels (Keys cubic for bicubic, as in the
    super-resolution literature and in models that resize inside the graph), adds ``"area"``
    and also takes a batch (N, H, W, C). ``antialias`` filters before sampling; None means "when
    shrinking" (never for nearest). ``clip`` keeps the result in [0, 1] (bicubic overshoots at
    edges); pass False for signed data such as chroma. uint8 input is divided by 255 once.
    """
    if backend not in RESIZE_METHODS:
        raise ValueError(f"unknown resize backend {backend!r}: expected one of {sorted(RESIZE_METHODS)}")
    if method not in RESIZE_METHODS[backend]:
        raise ValueError(
            f"unknown resize method {method!r} for backend {backend!r}: "
            f"expected one of {sorted(RESIZE_METHODS[backend])}"
        )
    x = np.asarray(image)
    x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32, copy=False)
    h, w = int(shape[0]), int(shape[1])
    if h < 1 or w < 1:
        raise ValueError(f"resize: target shape must be positive, received {shape}")
    if x.ndim not in ((2, 3, 4) if backend == "tensorflow" else (2, 3)):
        raise ValueError(
            f"resize: expected an (H, W[, C]) image (or (N, H, W, C) with backend "
            f"'tensorflow'), received shape {x.shape}"
        )
    batch = x.ndim == 4
    old_h, old_w = x.shape[1:3] if batch else x.shape[:2]
    if antialias is None:
        antialias = (h < old_h or w < old_w) and method != "nearest"
    if backend == "skimage":
        from skimage.transform import resize as _resize

        out = _resize(
            x,
            (h, w, *x.shape[2:]),
            order=_ORDER[method],
            mode="reflect",
            anti_aliasing=antialias,
            preserve_range=True,
        )
    else:
        import tensorflow as tf

        nhwc = x if batch else (x[None] if x.ndim == 3 else x[None, :, :, None])
        out = tf.image.resize(nhwc, (h, w), method=method, antialias=antialias).numpy()
        out = out if batch else (out[0] if x.ndim == 3 else out[0, :, :, 0])
    return (np.clip(out, 0.0, 1.0) if clip else out).astype(np.float32)


def center_crop(image: Any, size: int | tuple[int, int]) -> np.ndarray:
    """The central ``size`` (an int for a square, or (height, width)) of an (H, W[, C]) image."""
    x = np.asarray(image)
    h, w = (size, size) if isinstance(size, int) else size
    if h > x.shape[0] or w > x.shape[1]:
        raise ValueError(f"center_crop: crop {h}x{w} is larger than the image {x.shape[0]}x{x.shape[1]}")
    top, left = (x.shape[0] - h) // 2, (x.shape[1] - w) // 2
    return x[top : top + h, left : left + w]


def show_images(
    images: Sequence[Any],
    titles: Sequence[str] | None = None,
    ncols: int | None = None,
    size: float = 3.0,
    suptitle: str | None = None,
) -> Any:
    """Show images in a grid (gray ones with a gray colormap); return the matplotlib Figure."""
    import matplotlib.pyplot as plt

    images = list(images)
    if not images:
        raise ValueError("show_images: received no images")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"show_images: {len(images)} images but {len(titles)} titles")
    ncols = min(ncols or len(images), len(images))
    nrows = -(-len(images) // ncols)
    first = np.asarray(images[0])
    aspect = first.shape[0] / first.shape[1]
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * aspect * nrows + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, (ax, img) in enumerate(zip(axes.flat, images)):
        x = np.asarray(img, dtype=np.float32)
        if x.ndim == 3 and x.shape[-1] == 1:
            x = x[..., 0]
        if x.ndim == 2:
            ax.imshow(x, cmap="gray", vmin=0, vmax=1)
        else:
            ax.imshow(np.clip(x, 0, 1))
        if titles is not None:
            ax.set_title(titles[i], fontsize=10)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def save_figure(fig: Any, name: str, dpi: int = 100) -> Path:
    """Save a matplotlib figure as ``outputs/figures/<name>.png`` (atomically) and return the path."""
    path = figures_dir() / f"{name}.png"
    with atomic_write(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
    return path
