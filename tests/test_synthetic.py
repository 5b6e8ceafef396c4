"""darkroom.core.synthetic: toy scenes are seeded and their ball is red or blue at one lightness;
the procedural styles are seeded images in [0, 1]."""

from __future__ import annotations

import numpy as np
import pytest

from darkroom.core import color, synthetic


def test_toy_scenes_are_seeded_and_the_ball_is_bimodal_at_one_lightness():
    images, masks = synthetic.toy_scenes(40, 48, seed=2, return_masks=True)
    assert images.shape == (40, 48, 48, 3) and images.dtype == np.float32
    np.testing.assert_array_equal(images, synthetic.toy_scenes(40, 48, seed=2))
    reds = masks["ball_red"].reshape(40, -1).any(axis=1)
    assert 5 < reds.sum() < 35
    lab = color.rgb_to_lab(images)
    red_px, blue_px = masks["ball_red"], masks["ball"] & ~masks["ball_red"]
    assert abs(lab[red_px][:, 0].mean() - lab[blue_px][:, 0].mean()) < 1.5
    assert lab[red_px][:, 2].mean() > 20 and lab[blue_px][:, 2].mean() < -40
    assert lab[masks["sky"]][:, 2].mean() < -20 and lab[masks["grass"]][:, 1].mean() < -20


def test_procedural_styles_are_seeded_images() -> None:
    for name in synthetic.PROCEDURAL_STYLES:
        a = synthetic.procedural_style(name, 48, seed=3)
        assert a.shape == (48, 48, 3) and a.dtype == np.float32
        assert 0.0 <= a.min() and a.max() <= 1.0 and a.std() > 0.1
        np.testing.assert_array_equal(a, synthetic.procedural_style(name, 48, seed=3))
        assert not np.array_equal(a, synthetic.procedural_style(name, 48, seed=4))
    with pytest.raises(ValueError, match="swirls"):
        synthetic.procedural_style("plaid")
