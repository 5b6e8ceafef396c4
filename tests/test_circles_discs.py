"""darkroom.circles.discs: the generators' shapes, areas, borders, errors, colours and corruptions."""

from __future__ import annotations

import numpy as np
import pytest

from darkroom import circles
from darkroom.core import color


def test_make_circles_shape_range_and_determinism() -> None:
    a = circles.make_circles(6, height=40, width=30, radius=(3, 8), num_discs=(1, 3), seed=5)
    assert a.shape == (6, 40, 30, 1) and a.dtype == np.float32
    assert set(np.unique(a)) <= {0.0, 1.0} and a.max() == 1.0
    np.testing.assert_array_equal(a, circles.make_circles(6, 40, 30, (3, 8), (1, 3), seed=5))
    assert not np.array_equal(a, circles.make_circles(6, 40, 30, (3, 8), (1, 3), seed=6))


def test_one_disc_covers_about_pi_r_squared() -> None:
    img = circles.make_circles(20, 60, 60, radius=10, num_discs=1, allow_cut=False, seed=0)
    areas = img.sum(axis=(1, 2, 3))
    # Lattice points in a disc of radius 10 with a random centre: pi*100 = 314 give or take the rim.
    assert np.all(np.abs(areas - np.pi * 100) < 20)


def test_no_cut_keeps_the_border_empty_and_cut_does_not() -> None:
    kw = dict(height=32, width=24, radius=(4, 10), num_discs=(3, 6), seed=1)
    inside = circles.make_circles(200, allow_cut=False, **kw)[..., 0]
    border = np.concatenate([inside[:, 0], inside[:, -1], inside[:, :, 0], inside[:, :, -1]], axis=1)
    assert border.max() == 0.0 and inside.max() == 1.0
    cut = circles.make_circles(200, allow_cut=True, **kw)[..., 0]
    assert cut[:, 0].max() == 1.0 and cut[:, :, -1].max() == 1.0


def test_zero_count_gives_black_images_and_lab_is_scaled() -> None:
    assert circles.make_circles(3, 20, 20, radius=3, num_discs=0).max() == 0.0
    unit = circles.make_circles(2, 20, 20, radius=(2, 5), seed=3)
    lab = circles.make_circles_lab(2, 20, 20, radius=(2, 5), seed=3)
    np.testing.assert_array_equal(lab, 100 * unit)
    assert lab.max() == 100.0


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(num_images=0), "num_images must be"),
        (dict(num_images=2, radius=(5, 60)), "radius 60.0 is larger"),
        (dict(num_images=2, num_discs=(4, 2)), "num_discs range is reversed"),
        (dict(num_images=2, radius=(9, 3)), "radius range is reversed"),
        (dict(num_images=2, radius=(3, 19), allow_cut=False), "cannot avoid the border"),
        (dict(num_images=2, radius=0), "radius must be positive"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, words) -> None:
    kwargs = {"height": 40, "width": 40, **kwargs}
    with pytest.raises(ValueError, match=words):
        circles.make_circles(**kwargs)


def test_corrupt_mask_blacks_out_a_square() -> None:
    img = np.ones((2, 20, 10, 1), np.float32)
    masked = circles.corrupt(img, "mask", amount=0.5, seed=0)
    assert (masked == 0).sum(axis=(1, 2, 3)).tolist() == [25, 25]  # side = 0.5 * 10 = 5
    with pytest.raises(ValueError, match="kind must be"):
        circles.corrupt(img, "blur")


def test_coloured_discs_toy_is_l_in_ab_out() -> None:
    rgb = circles.make_colored_discs(3, 32, 32, radius=(4, 8), seed=0)
    assert rgb.shape == (3, 32, 32, 3) and 0 <= rgb.min() and rgb.max() <= 1
    lab = color.rgb_to_lab(rgb)
    # Every pixel has one of the palette's colours (up to float round trip).
    dist = np.linalg.norm(lab.reshape(-1, 1, 3) - circles.DEFAULT_PALETTE[None], axis=-1).min(axis=1)
    assert dist.max() < 0.5
    L, ab = next(iter(circles.disc_colorization_dataset(5, 5, height=32, width=32, radius=(4, 8))))
    assert L.shape == (5, 32, 32, 1) and ab.shape == (5, 32, 32, 2)
    assert 0 <= float(L.numpy().min()) and float(L.numpy().max()) <= 1
    assert float(np.abs(ab.numpy()).max()) <= 1


def test_corrupt_can_return_the_mask_it_blacked_out() -> None:
    img = np.ones((3, 20, 10, 1), np.float32)
    masked, hole = circles.corrupt(img, "mask", amount=0.5, seed=1, return_mask=True)
    assert hole.shape == (3, 20, 10, 1) and hole.dtype == bool
    assert np.all(hole.sum(axis=(1, 2, 3)) == 25)
    assert np.all(masked[hole] == 0) and np.all(masked[~hole] == 1)
    noisy, none = circles.corrupt(img, "noise", amount=0.1, return_mask=True)
    assert not none.any() and noisy.shape == img.shape
