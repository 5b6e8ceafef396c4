"""Sample images, file round trips, resizing and figure grids."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import PIL.Image
import pytest

from darkroom.core import images


def test_every_sample_image_loads_offline_as_float() -> None:
    for name in images.SAMPLE_IMAGES:
        x = images.sample_image(name)
        assert x.dtype == np.float32 and x.ndim == 3 and x.shape[-1] == 3, name
        assert 0.0 <= x.min() and x.max() <= 1.0
    assert images.sample_image("camera").shape == (512, 512)


def test_unknown_sample_names_the_choices() -> None:
    with pytest.raises(ValueError, match="astronaut"):
        images.sample_image("mona_lisa")


def test_png_round_trip_is_exact_to_8_bits(tmp_path: Path) -> None:
    x = np.random.default_rng(1).random((9, 13, 3)).astype(np.float32)
    path = images.save_image(tmp_path / "x.png", x)
    back = images.load_image(path)
    np.testing.assert_allclose(back, np.round(x * 255) / 255, atol=1e-6)
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]  # no temporary file left


def test_gray_and_rgba_files_come_back_rgb(tmp_path: Path) -> None:
    import imageio.v3 as iio

    iio.imwrite(tmp_path / "g.png", np.full((5, 6), 128, np.uint8))
    iio.imwrite(tmp_path / "a.png", np.full((5, 6, 4), 200, np.uint8))
    assert images.load_image(tmp_path / "g.png").shape == (5, 6, 3)
    np.testing.assert_allclose(images.load_image(tmp_path / "a.png"), 200 / 255, atol=1e-6)


def test_max_side_shrinks_keeping_aspect(tmp_path: Path) -> None:
    images.save_image(tmp_path / "big.png", np.zeros((100, 40, 3), np.float32))
    assert images.load_image(tmp_path / "big.png", max_side=50).shape == (50, 20, 3)


def test_missing_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.png"):
        images.load_image(tmp_path / "nope.png")
    (tmp_path / "bad.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(ValueError, match=r"bad\.jpg"):
        images.load_image(tmp_path / "bad.jpg")


def test_resize_and_center_crop() -> None:
    x = np.random.default_rng(2).random((8, 8, 3)).astype(np.float32)
    assert images.resize(x, (16, 12)).shape == (16, 12, 3)
    np.testing.assert_array_equal(images.resize(x, (16, 16), "nearest")[::2, ::2], x)
    np.testing.assert_array_equal(images.center_crop(x, 4), x[2:6, 2:6])
    with pytest.raises(ValueError, match="larger than the image"):
        images.center_crop(x, 9)
    with pytest.raises(ValueError, match="bicubic"):
        images.resize(x, (4, 4), "lanczos9")


def test_show_and_save_figure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.setenv("DARKROOM_OUTPUTS", str(tmp_path))
    fig = images.show_images([np.zeros((4, 4, 3)), np.ones((4, 4))], titles=["rgb", "gray"])
    assert len([ax for ax in fig.axes if ax.images]) == 2
    path = images.save_figure(fig, "grid")
    assert path == tmp_path / "figures" / "grid.png" and path.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="2 images but 1 titles"):
        images.show_images([np.zeros((4, 4))] * 2, titles=["one"])


# ----------------------------------------------------------------------------- users' files
def test_read_image_keeps_16_bits_gray_png_and_colour_tiff(tmp_path: Path) -> None:
    import tifffile
    from PIL import Image

    gray = np.arange(0, 65536, 257 * 3, dtype=np.uint16)[: 8 * 10].reshape(8, 10)
    Image.fromarray(gray).save(tmp_path / "g16.png")
    pixels, bits = images.read_image(tmp_path / "g16.png")
    assert bits == 16 and pixels.shape == (8, 10)
    np.testing.assert_allclose(pixels, gray / 65535.0, atol=1e-6)
    rgb = (np.random.default_rng(0).random((6, 7, 3)) * 65535).astype(np.uint16)
    tifffile.imwrite(tmp_path / "c16.tif", rgb, photometric="rgb")
    pixels, bits = images.read_image(tmp_path / "c16.tif")
    assert bits == 16 and pixels.shape == (6, 7, 3)
    np.testing.assert_allclose(pixels, rgb / 65535.0, atol=1e-6)  # 8 bits would be off by up to 1/510


def test_read_image_keeps_alpha_and_gray_channels(tmp_path: Path) -> None:
    from PIL import Image

    rgba = (np.random.default_rng(1).random((5, 6, 4)) * 255).astype(np.uint8)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    Image.fromarray(rgba[..., 0], "L").save(tmp_path / "g.png")
    assert images.read_image(tmp_path / "a.png")[0].shape == (5, 6, 4)
    assert images.read_image(tmp_path / "g.png")[0].shape == (5, 6)


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
    pixels, _ = images.read_image(tmp_path / "o.png")
    np.testing.assert_array_equal(pixels, upright)
    assert pixels.shape[:2] == ((4, 6) if code <= 4 else (6, 4))


def test_read_image_errors_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.jpg").write_text("not a picture")
    images.write_image(tmp_path / "ok.png", np.random.default_rng(0).random((40, 40, 3)))
    (tmp_path / "cut.png").write_bytes((tmp_path / "ok.png").read_bytes()[:300])
    for name, words in [
        ("missing.png", "no such file"),
        ("empty.png", "empty file"),
        ("text.jpg", "not an image"),
        ("cut.png", "truncated"),
    ]:
        with pytest.raises((FileNotFoundError, images.ImageFileError), match=words) as err:
            images.read_image(tmp_path / name)
        assert name in str(err.value)


def test_write_image_refuses_overwrite_missing_folder_and_unknown_suffix(tmp_path: Path) -> None:
    pixels = np.full((4, 4, 3), 0.5, np.float32)
    images.write_image(tmp_path / "a.png", pixels)
    with pytest.raises(images.ImageFileError, match="exists"):
        images.write_image(tmp_path / "a.png", np.zeros((4, 4, 3)))
    images.write_image(tmp_path / "a.png", np.zeros((4, 4, 3)), overwrite=True)
    assert images.read_image(tmp_path / "a.png")[0].max() == 0
    with pytest.raises(images.ImageFileError, match="does not exist"):
        images.write_image(tmp_path / "nope" / "a.png", pixels)
    with pytest.raises(images.ImageFileError, match="output format"):
        images.write_image(tmp_path / "a.xyz", pixels)
    with pytest.raises(images.ImageFileError, match="alpha"):
        images.write_image(tmp_path / "a.jpg", np.zeros((4, 4, 4)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]  # no temporary files left


def test_write_image_format_from_suffix_16_bit_tiff_and_no_metadata(tmp_path: Path) -> None:
    from PIL import Image

    rgb = np.random.default_rng(2).random((6, 5, 3)).astype(np.float32)
    for suffix, fmt in [(".jpg", "JPEG"), (".png", "PNG"), (".webp", "WEBP"), (".tif", "TIFF")]:
        path = images.write_image(tmp_path / f"x{suffix}", rgb)
        with Image.open(path) as im:
            assert im.format == fmt
            assert "icc_profile" not in im.info and "exif" not in im.info
            tags = dict(im.getexif())
            if fmt != "TIFF":  # a TIFF's structural tags (size, layout) are its format, not metadata
                assert not tags
            assert not {270, 305, 306, 315} & set(tags)  # description, software, date, artist
    images.write_image(tmp_path / "deep.tif", rgb, bits=16)
    back, bits = images.read_image(tmp_path / "deep.tif")
    assert bits == 16
    np.testing.assert_allclose(back, rgb, atol=1 / 65535)


def test_write_image_quantizes_tall_images_band_by_band_exactly(tmp_path: Path) -> None:
    x = np.random.default_rng(3).random((600, 7, 3)).astype(np.float32)  # taller than one band of rows
    x[3, 3, 0], x[500, 5, 1] = -5e-4, 1 + 5e-4  # a float32 pipeline's rounding, clipped in the file
    images.write_image(tmp_path / "tall.png", x)
    expected = np.round(np.clip(x, 0, 1) * 255) / 255
    np.testing.assert_array_equal(images.read_image(tmp_path / "tall.png")[0], expected.astype(np.float32))


def test_write_image_gives_the_file_ordinary_permissions(tmp_path: Path) -> None:
    import os

    old = os.umask(0o022)
    try:
        path = images.write_image(tmp_path / "p.png", np.zeros((3, 3)))
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644  # not the temporary file's private 0600


def test_16_bit_colour_png_round_trips_at_16_bits(tmp_path: Path) -> None:
    """Pillow reads and writes colour PNG at 8 bits; the pypng path keeps all 16."""
    rng = np.random.default_rng(1)
    for channels in (3, 4):
        x = rng.random((5, 9, channels)).astype(np.float32)
        path = images.write_image(tmp_path / f"c{channels}.png", x, bits=16)
        assert path.read_bytes()[24] == 16  # the PNG header's bit depth
        pixels, bits = images.read_image(path)
        assert bits == 16 and pixels.shape == x.shape
        # 8 bits could not get closer than 1/510; 16 bits are within 1/131070
        np.testing.assert_allclose(pixels, x, atol=1 / 65535)


def test_resize_tensorflow_backend_matches_tf_kernels_and_takes_batches() -> None:
    import tensorflow as tf

    x = np.random.default_rng(4).random((2, 9, 12, 1)).astype(np.float32)
    expected = tf.image.resize(x, (18, 24), method="bicubic").numpy()
    out = images.resize(x, (18, 24), backend="tensorflow", clip=False)
    np.testing.assert_array_equal(out, expected)  # Keys cubic, not skimage's spline
    assert np.abs(images.resize(x[0], (18, 24)) - expected[0]).max() > 1e-3
    assert images.resize(x[0, :, :, 0], (6, 8), "area", backend="tensorflow").shape == (6, 8)
    shrunk = images.resize(x[0], (3, 4), backend="tensorflow")  # antialias on by default when shrinking
    np.testing.assert_allclose(
        shrunk, np.clip(tf.image.resize(x[0], (3, 4), "bicubic", antialias=True), 0, 1), atol=1e-6
    )
    with pytest.raises(ValueError, match="'area' for backend 'skimage'"):
        images.resize(x[0], (3, 4), "area")
    with pytest.raises(ValueError, match="backend 'tensorflow'"):
        images.resize(x, (3, 4))


def test_resize_clip_and_uint8() -> None:
    signed = np.linspace(-0.5, 0.5, 16, dtype=np.float32).reshape(4, 4)
    assert images.resize(signed, (8, 8), backend="tensorflow", clip=False).min() < 0  # chroma keeps its sign
    assert images.resize(signed, (8, 8), backend="tensorflow").min() == 0.0
    u8 = np.full((4, 4, 3), 255, np.uint8)
    np.testing.assert_allclose(
        images.resize(u8, (8, 8)), 1.0, atol=1e-6
    )  # divided by 255 once, not clipped from 255


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
    with pytest.raises(images.ImageFileError, match=message):
        images.write_image(tmp_path / "x.png", pixels)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_write_image_takes_uint8_as_0_to_255(tmp_path: Path) -> None:
    pixels = np.arange(48, dtype=np.uint8).reshape(4, 4, 3) * 5
    path = images.write_image(tmp_path / "x.png", pixels)
    np.testing.assert_array_equal(np.asarray(PIL.Image.open(path)), pixels)
