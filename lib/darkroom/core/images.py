"""Images in and out: the bundled sample photos, files and URLs, resizing, figure grids.

Readers give float32 in [0, 1]: RGB (H, W, 3) from :func:`load_image`, RGB or (for gray photos) (H, W)
from :func:`sample_image`, the file's own channels and bit depth from :func:`read_image`; writers give the
path written, :func:`show_images` a matplotlib Figure. The sample photos ship inside scikit-image and
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

from darkroom.core.color import as_float_rgb, check_unit_range
from darkroom.core.paths import atomic_write, data_dir, figures_dir

__all__ = [
    "GRAY_SAMPLE_IMAGES",
    "RESIZE_METHODS",
    "SAMPLE_IMAGES",
    "WRITABLE_SUFFIXES",
    "ImageFileError",
    "center_crop",
    "check_writable",
    "load_image",
    "read_image",
    "resize",
    "sample_image",
    "save_figure",
    "save_image",
    "show_images",
    "write_image",
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


class ImageFileError(ValueError):
    """A user's image file cannot be read or written; the message is one line naming the file."""


#: Output formats :func:`write_image` picks from the file name's suffix.
WRITABLE_SUFFIXES: dict[str, str] = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".bmp": "BMP",
    ".webp": "WEBP",
}
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*")
_EXIF_ORIENTATION = 0x0112


def _orient(pixels: np.ndarray, code: int) -> np.ndarray:
    """Apply an EXIF/TIFF orientation code (1-8) so the image stands as the camera meant it."""
    ops = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: np.swapaxes(a, 0, 1),
        6: lambda a: np.rot90(a, -1),
        7: lambda a: np.swapaxes(a[::-1, ::-1], 0, 1),
        8: lambda a: np.rot90(a, 1),
    }
    return np.ascontiguousarray(ops[code](pixels)) if code in ops else pixels


def _png_16bit_colour(path: Path) -> bool:
    """True for a PNG whose header says 16-bit RGB or RGBA (Pillow would read it at 8 bits)."""
    with open(path, "rb") as f:
        head = f.read(26)
    return head[:8] == b"\x89PNG\r\n\x1a\n" and len(head) == 26 and head[24] == 16 and head[25] in (2, 6)


def _pypng_pixels(path: Path) -> np.ndarray:
    import png  # pypng: the pure-Python PNG codec that keeps 16-bit colour

    try:
        width, height, rows, info = png.Reader(filename=str(path)).asDirect()
        flat = np.vstack([np.asarray(row, np.uint16) for row in rows])
    except png.Error as err:
        raise ImageFileError(f"{path}: truncated or damaged PNG file ({err})") from None
    return flat.reshape(height, width, info["planes"]).astype(np.float32) / 65535.0


def _pil_pixels(path: Path) -> tuple[np.ndarray, int]:
    from PIL import Image, UnidentifiedImageError

    try:
        im = Image.open(path)
    except UnidentifiedImageError:
        raise ImageFileError(f"{path}: not an image file (expected PNG, JPEG, TIFF, BMP or WebP)") from None
    with im:
        try:
            im.load()
        except (OSError, SyntaxError, ValueError) as err:
            raise ImageFileError(f"{path}: truncated or damaged {im.format} file ({err})") from None
        code = int(im.getexif().get(_EXIF_ORIENTATION, 1) or 1)
        mode = im.mode
        if im.format == "PNG" and _png_16bit_colour(path):
            return _orient(_pypng_pixels(path), code), 16
        if mode in ("I;16", "I;16B", "I;16L", "I"):
            raw = np.asarray(im).astype(np.float32) / 65535.0
            return _orient(np.clip(raw, 0, 1), code), 16
        if mode == "F":
            return _orient(np.clip(np.asarray(im, np.float32), 0, 1), code), 16
        if mode in ("P", "PA"):
            im = im.convert("RGBA" if mode == "PA" or "transparency" in im.info else "RGB")
        elif mode == "1":
            im = im.convert("L")
        elif mode == "La":
            im = im.convert("LA")
        elif mode not in ("L", "LA", "RGB", "RGBA"):
            im = im.convert("RGBA" if "A" in mode or "a" in mode else "RGB")
        return _orient(np.asarray(im).astype(np.float32) / 255.0, code), 8


def _tiff_pixels(path: Path) -> tuple[np.ndarray, int]:
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            raw = tif.pages[0].asarray()
            tag = tif.pages[0].tags.get("Orientation")
            code = int(tag.value) if tag is not None else 1
    except Exception as err:  # tifffile raises many types for damaged files
        raise ImageFileError(
            f"{path}: truncated or damaged TIFF file ({type(err).__name__}: {err})"
        ) from None
    if raw.dtype == np.uint8:
        pixels, bits = raw.astype(np.float32) / 255.0, 8
    elif raw.dtype == np.uint16:
        pixels, bits = raw.astype(np.float32) / 65535.0, 16
    elif raw.dtype.kind == "f":
        pixels, bits = np.clip(raw.astype(np.float32), 0, 1), 16
    else:
        raise ImageFileError(f"{path}: TIFF with {raw.dtype} pixels; expected 8- or 16-bit unsigned or float")
    if pixels.ndim == 3 and pixels.shape[-1] > 4:
        raise ImageFileError(f"{path}: TIFF with {pixels.shape[-1]} channels; expected gray, RGB or RGBA")
    return _orient(pixels, code), bits


def read_image(path: str | os.PathLike[str]) -> tuple[np.ndarray, int]:
    """Read a user's image file as it is: float32 in [0, 1] with its own channels, and its bit depth.

    Returns ``(pixels, bits)``: pixels (H, W) gray, (H, W, 2) gray + alpha, (H, W, 3) RGB or
    (H, W, 4) RGBA, turned upright by the EXIF/TIFF orientation tag; ``bits`` is 8 or 16.
    8- and 16-bit PNG and TIFF, JPEG, BMP, WebP (16-bit colour PNG through pypng, since Pillow
    reads it at 8 bits). Raises FileNotFoundError or :class:`ImageFileError`
    with one line naming the file: missing, a folder, empty, not an image, truncated.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    if not p.is_file():
        raise ImageFileError(f"{p}: is a folder, expected an image file")
    if p.stat().st_size == 0:
        raise ImageFileError(f"{p}: empty file (0 bytes), expected an image")
    with open(p, "rb") as fh:
        head = fh.read(4)
    pixels, bits = _tiff_pixels(p) if head in _TIFF_MAGIC else _pil_pixels(p)
    if min(pixels.shape[:2]) < 1:
        raise ImageFileError(f"{p}: image of size {pixels.shape[1]}x{pixels.shape[0]}, expected at least 1x1")
    return pixels, bits


def check_writable(path: str | os.PathLike[str], overwrite: bool = False) -> Path:
    """Refuse an output path before any work is done: unknown format, missing folder, or an
    existing file without ``overwrite``. Returns the path."""
    p = Path(path)
    if p.suffix.lower() not in WRITABLE_SUFFIXES:
        raise ImageFileError(
            f"{p}: cannot tell the output format from {p.suffix or 'no suffix'!r}; "
            f"expected one of {', '.join(sorted(WRITABLE_SUFFIXES))}"
        )
    if not p.parent.is_dir():
        raise ImageFileError(f"{p}: output folder {p.parent} does not exist")
    if p.exists() and not overwrite:
        raise ImageFileError(f"{p}: exists; pass --overwrite (overwrite=True) to replace it")
    return p


def _quantize(x: np.ndarray, bits: int, rows: int = 256) -> np.ndarray:
    """Float [0, 1] pixels to uint8/uint16, a band of rows at a time, so a 48-MP enlargement needs
    no full-size float temporaries (the rounding a float32 pipeline leaves outside [0, 1] is clipped)."""
    top = 65535 if bits == 16 else 255
    out = np.empty(x.shape, np.uint16 if bits == 16 else np.uint8)
    for start in range(0, x.shape[0], rows):
        band = np.nan_to_num(np.asarray(x[start : start + rows], np.float32))
        np.clip(band, 0.0, 1.0, out=band)
        out[start : start + rows] = np.round(band * top)
    return out


def write_image(path: str | os.PathLike[str], image: Any, *, bits: int = 8, overwrite: bool = False) -> Path:
    """Write pixels (gray, gray + alpha, RGB or RGBA; float in [0, 1] or uint8) to ``path`` without
    metadata. Values outside [0, 1], NaN and infinities are refused, not clipped.

    The format comes from the suffix (:data:`WRITABLE_SUFFIXES`); ``bits=16`` keeps 16 bits in
    TIFF and PNG (any channels; other formats store 8). The file is written to a
    temporary name in the same folder and renamed, so an interrupted run leaves no half file;
    an existing file is replaced only with ``overwrite``.
    """
    from PIL import Image

    p = check_writable(path, overwrite)
    fmt = WRITABLE_SUFFIXES[p.suffix.lower()]
    x = _writable_pixels(image, p)
    if fmt in ("JPEG", "BMP") and x.ndim == 3 and x.shape[-1] in (2, 4):
        raise ImageFileError(f"{p}: {fmt} cannot store the alpha channel; write .png, .tif or .webp")
    with atomic_write(p) as tmp:
        if fmt == "TIFF":
            import tifffile

            out = _quantize(x, 16 if bits == 16 else 8)
            extra = {"extrasamples": [2]} if x.ndim == 3 and x.shape[-1] in (2, 4) else {}
            tifffile.imwrite(
                tmp,
                out,
                photometric="minisblack" if x.ndim == 2 or x.shape[-1] == 2 else "rgb",
                metadata=None,
                software=False,
                **extra,
            )
        elif fmt == "PNG" and bits == 16 and x.ndim == 2:
            Image.fromarray(_quantize(x, 16)).save(tmp, format="PNG")
        elif fmt == "PNG" and bits == 16:
            import png  # Pillow cannot write 16-bit colour PNG

            out = _quantize(x, 16)
            writer = png.Writer(
                width=out.shape[1],
                height=out.shape[0],
                greyscale=out.shape[-1] == 2,
                alpha=out.shape[-1] in (2, 4),
                bitdepth=16,
            )
            with open(tmp, "wb") as f:
                writer.write(f, out.reshape(out.shape[0], -1))
        else:
            Image.fromarray(_quantize(x, 8)).save(
                tmp, format=fmt, **({"quality": 95} if fmt == "JPEG" else {})
            )
        os.chmod(tmp, 0o666 & ~_umask())  # the temporary file is private (0600); the photo should not be
    return p


def _writable_pixels(image: Any, path: Path) -> np.ndarray:
    """``image`` as float pixels in [0, 1] of a shape an image file holds, or ImageFileError."""
    x = np.asarray(image)
    if x.dtype == np.uint8:
        x = x.astype(np.float32) / 255.0
    elif not np.issubdtype(x.dtype, np.floating):
        raise ImageFileError(f"{path}: expected float pixels in [0, 1] or uint8, received dtype {x.dtype}")
    if x.ndim == 3 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim not in (2, 3) or (x.ndim == 3 and x.shape[-1] not in (2, 3, 4)):
        raise ImageFileError(
            f"{path}: cannot write pixels of shape {x.shape}; expected gray, RGB or with alpha"
        )
    try:
        check_unit_range(x, str(path))
    except ValueError as err:
        raise ImageFileError(str(err)) from None
    return x


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


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
