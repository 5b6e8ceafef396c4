"""Saturated tanh units are counted per layer, and error maps show where a model loses to a baseline."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from darkroom import superres
from darkroom.core import images


def _tanh_net(scale: float) -> keras.Model:
    """Two tanh layers whose weights are ``scale`` times a fixed pattern: large scale, saturated units."""
    net = superres.build_mlp(4, 6, hidden=(32,))
    rng = np.random.default_rng(0)
    net.set_weights([scale * rng.normal(size=w.shape).astype(np.float32) for w in net.get_weights()])
    return net


def test_saturated_share_is_high_for_large_weights_and_zero_for_small_ones() -> None:
    x = np.random.default_rng(1).uniform(-1, 1, (256, 4, 4, 1)).astype(np.float32)
    big, small = superres.saturated_share(_tanh_net(3.0), x), superres.saturated_share(_tanh_net(0.01), x)
    assert len(big) == 2 and min(big) > 0.5
    assert small == [0.0, 0.0]


def test_saturated_share_refuses_a_net_without_tanh_and_a_bad_limit() -> None:
    relu = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="relu")], name="relu_net")
    with pytest.raises(ValueError, match="relu_net has no Dense layer with a tanh activation"):
        superres.saturated_share(relu, np.zeros((1, 3)))
    with pytest.raises(ValueError, match="limit must be between 0 and 1"):
        superres.saturated_share(_tanh_net(1.0), np.zeros((1, 4, 4, 1)), limit=1.0)


def test_error_maps_match_the_scores_and_the_plot_counts_worse_pixels() -> None:
    photo = images.sample_image("camera")[100:166, 200:267]  # 66 x 67: cut to 66 x 66, a multiple of 3
    maps = superres.error_maps(photo, {"nearest": "nearest", "bicubic": "bicubic"}, 1.5)
    assert maps["nearest"].shape == (66 - 16, 66 - 16)
    for name in maps:  # the map's mean is the MAE that scoring reports
        assert maps[name].mean() == pytest.approx(superres.evaluate([photo], name, 1.5)["mae"], rel=1e-4)
    assert maps["bicubic"].mean() < maps["nearest"].mean()
    fig = superres.plot_error_maps(maps, "nearest")
    worse = np.mean(maps["bicubic"] > maps["nearest"])
    assert f"worse at {worse:.0%} of pixels" in fig.axes[3].get_title()
    with pytest.raises(ValueError, match="reference 'lanczos' is not one of the maps"):
        superres.plot_error_maps(maps, "lanczos")
    with pytest.raises(ValueError, match=r"\(H, W\) or \(H, W, C\) photo, got shape \(4,\)"):
        superres.error_maps(np.zeros(4), {"nearest": "nearest"})


def test_round_trip_cuts_the_photo_to_whole_blocks_and_enlarges_back_to_its_size() -> None:
    photo = images.sample_image("astronaut")[:100, :101]  # colour, 100 x 101
    original, enlarged = superres.round_trip(photo, "bicubic", 1.5)
    assert original.shape == enlarged.shape == (99, 99)  # gray, cut to a multiple of 3
    assert 0 < float(np.mean(np.abs(enlarged - original))) < 0.1
