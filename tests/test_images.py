"""Sample images, file round trips, resizing and figure grids."""

from __future__ import annotations

from pathlib import Path

import numpy as np
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
