"""A user's image files, read and written at their own channels and bit depth.

:func:`read_image` returns float32 in [0, 1] with the file's channels (gray, gray + alpha, RGB,
RGBA) and its bit depth (8 or 16), EXIF orientation applied; :func:`write_image` writes such pixels
back (PNG, TIFF, JPEG, WebP, BMP), refusing values it would have to clip, through a temporary file
so nothing is left half-written. Every problem is one :class:`ImageFileError` line naming the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from darkroom.core.color import check_unit_range
from darkroom.core.paths import atomic_write

__all__ = ["WRITABLE_SUFFIXES", "ImageFileError", "check_writable", "read_image", "write_image"]


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
