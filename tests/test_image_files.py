"""darkroom.core.image_files: a user's files, read and written at their own channels and bit depth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import PIL.Image
import pytest

from darkroom.core import image_files


def test_read_image_keeps_16_bits_gray_png_and_colour_tiff(tmp_path: Path) -> None:
    import tifffile
    from PIL import Image

    gray = np.arange(0, 65536, 257 * 3, dtype=np.uint16)[: 8 * 10].reshape(8, 10)
    Image.fromarray(gray).save(tmp_path / "g16.png")
    pixels, bits = image_files.read_image(tmp_path / "g16.png")
    assert bits == 16 and pixels.shape == (8, 10)
    np.testing.assert_allclose(pixels, gray / 65535.0, atol=1e-6)
    rgb = (np.random.default_rng(0).random((6, 7, 3)) * 65535).astype(np.uint16)
    tifffile.imwrite(tmp_path / "c16.tif", rgb, photometric="rgb")
    pixels, bits = image_files.read_image(tmp_path / "c16.tif")
    assert bits == 16 and pixels.shape == (6, 7, 3)
    np.testing.assert_allclose(pixels, rgb / 65535.0, atol=1e-6)  # 8 bits would be off by up to 1/510


def test_read_image_keeps_alpha_and_gray_channels(tmp_path: Path) -> None:
    from PIL import Image

    rgba = (np.random.default_rng(1).random((5, 6, 4)) * 255).astype(np.uint8)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    Image.fromarray(rgba[..., 0], "L").save(tmp_path / "g.png")
    assert image_files.read_image(tmp_path / "a.png")[0].shape == (5, 6, 4)
    assert image_files.read_image(tmp_path / "g.png")[0].shape == (5, 6)


@pytest.mark.parametrize("code", range(1, 9))
def test_read_image_honours_exif_orientation_as_pillow_does(tmp_path: Path, code: int) -> None:
    from PIL import Image, ImageOps

    stored = (np.arange(4 * 6 * 3) * 3 % 256).astype(np.uint8).reshape(4, 6, 3)
    im = Image.fromarray(stored)
    exif = im.getexif()
    exif[0x0112] = code
    im.save(tmp_path / "o.png", exif=exif)
    with Image.open(tmp_path / "o.png") as ref:
        upright = np.asarray(ImageOps.exif_transpose(ref)).astype(np.float32) / 255.0
    pixels, _ = image_files.read_image(tmp_path / "o.png")
    np.testing.assert_array_equal(pixels, upright)
    assert pixels.shape[:2] == ((4, 6) if code <= 4 else (6, 4))


def test_read_image_errors_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.jpg").write_text("not a picture")
    image_files.write_image(tmp_path / "ok.png", np.random.default_rng(0).random((40, 40, 3)))
    (tmp_path / "cut.png").write_bytes((tmp_path / "ok.png").read_bytes()[:300])
    for name, words in [
        ("missing.png", "no such file"),
        ("empty.png", "empty file"),
        ("text.jpg", "not an image"),
        ("cut.png", "truncated"),
    ]:
        with pytest.raises((FileNotFoundError, image_files.ImageFileError), match=words) as err:
            image_files.read_image(tmp_path / name)
        assert name in str(err.value)


def test_write_image_refuses_overwrite_missing_folder_and_unknown_suffix(tmp_path: Path) -> None:
    pixels = np.full((4, 4, 3), 0.5, np.float32)
    image_files.write_image(tmp_path / "a.png", pixels)
    with pytest.raises(image_files.ImageFileError, match="exists"):
        image_files.write_image(tmp_path / "a.png", np.zeros((4, 4, 3)))
    image_files.write_image(tmp_path / "a.png", np.zeros((4, 4, 3)), overwrite=True)
    assert image_files.read_image(tmp_path / "a.png")[0].max() == 0
    with pytest.raises(image_files.ImageFileError, match="does not exist"):
        image_files.write_image(tmp_path / "nope" / "a.png", pixels)
    with pytest.raises(image_files.ImageFileError, match="output format"):
        image_files.write_image(tmp_path / "a.xyz", pixels)
    with pytest.raises(image_files.ImageFileError, match="alpha"):
        image_files.write_image(tmp_path / "a.jpg", np.zeros((4, 4, 4)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]  # no temporary files left


def test_write_image_format_from_suffix_16_bit_tiff_and_no_metadata(tmp_path: Path) -> None:
    from PIL import Image

    rgb = np.random.default_rng(2).random((6, 5, 3)).astype(np.float32)
    for suffix, fmt in [(".jpg", "JPEG"), (".png", "PNG"), (".webp", "WEBP"), (".tif", "TIFF")]:
        path = image_files.write_image(tmp_path / f"x{suffix}", rgb)
        with Image.open(path) as im:
            assert im.format == fmt
            assert "icc_profile" not in im.info and "exif" not in im.info
            tags = dict(im.getexif())
            if fmt != "TIFF":  # a TIFF's structural tags (size, layout) are its format, not metadata
                assert not tags
            assert not {270, 305, 306, 315} & set(tags)  # description, software, date, artist
    image_files.write_image(tmp_path / "deep.tif", rgb, bits=16)
    back, bits = image_files.read_image(tmp_path / "deep.tif")
    assert bits == 16
    np.testing.assert_allclose(back, rgb, atol=1 / 65535)


def test_write_image_quantizes_tall_images_band_by_band_exactly(tmp_path: Path) -> None:
    x = np.random.default_rng(3).random((600, 7, 3)).astype(np.float32)  # taller than one band of rows
    x[3, 3, 0], x[500, 5, 1] = -5e-4, 1 + 5e-4  # a float32 pipeline's rounding, clipped in the file
    image_files.write_image(tmp_path / "tall.png", x)
    expected = np.round(np.clip(x, 0, 1) * 255) / 255
    np.testing.assert_array_equal(
        image_files.read_image(tmp_path / "tall.png")[0], expected.astype(np.float32)
    )


def test_write_image_gives_the_file_ordinary_permissions(tmp_path: Path) -> None:
    import os

    old = os.umask(0o022)
    try:
        path = image_files.write_image(tmp_path / "p.png", np.zeros((3, 3)))
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644  # not the temporary file's private 0600


def test_16_bit_colour_png_round_trips_at_16_bits(tmp_path: Path) -> None:
    """Pillow reads and writes colour PNG at 8 bits; the pypng path keeps all 16."""
    rng = np.random.default_rng(1)
    for channels in (3, 4):
        x = rng.random((5, 9, channels)).astype(np.float32)
        path = image_files.write_image(tmp_path / f"c{channels}.png", x, bits=16)
        assert path.read_bytes()[24] == 16  # the PNG header's bit depth
        pixels, bits = image_files.read_image(path)
        assert bits == 16 and pixels.shape == x.shape
        # 8 bits could not get closer than 1/510; 16 bits are within 1/131070
        np.testing.assert_allclose(pixels, x, atol=1 / 65535)


@pytest.mark.parametrize(
    ("pixels", "message"),
    [
        (np.full((4, 4, 3), 200.0, np.float32), r"values span \[200, 200\]; expected float in \[0, 1\]"),
        (np.full((4, 4, 3), np.nan, np.float32), "contains NaN values"),
        (np.full((4, 4), np.inf, np.float32), "contains infinite values"),
        (np.zeros((0, 5, 3), np.float32), "the image is empty"),
        (np.zeros((4, 4, 3), np.int32), "expected float pixels in \\[0, 1\\] or uint8, received dtype int32"),
    ],
)
def test_write_image_refuses_pixels_it_would_have_to_clip(
    tmp_path: Path, pixels: np.ndarray, message: str
) -> None:
    # 0..255 floats used to clip to white, NaN to black, without a word
    with pytest.raises(image_files.ImageFileError, match=message):
        image_files.write_image(tmp_path / "x.png", pixels)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_write_image_takes_uint8_as_0_to_255(tmp_path: Path) -> None:
    pixels = np.arange(48, dtype=np.uint8).reshape(4, 4, 3) * 5
    path = image_files.write_image(tmp_path / "x.png", pixels)
    np.testing.assert_array_equal(np.asarray(PIL.Image.open(path)), pixels)
