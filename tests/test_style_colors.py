"""darkroom.style.colors: the content's colours kept under the result's lightness, in LAB and YCbCr."""

from __future__ import annotations

import numpy as np
import pytest

from darkroom import style
from darkroom.core import color, synthetic, vgg_weights


@pytest.fixture(autouse=True)
def _offline_and_uncached(tmp_path, monkeypatch):
    """No Keras cache, no configured file: what "auto" sees on a fresh offline machine."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv(vgg_weights.WEIGHTS_ENV, raising=False)
    monkeypatch.setattr(
        vgg_weights, "_keras_cache_files", lambda: [tmp_path / "keras_home" / "models" / "none.h5"]
    )


@pytest.fixture(scope="module")
def content() -> np.ndarray:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:64, 0:64] / 64.0
    img = np.stack([x, y, 0.5 + 0.3 * np.sin(6 * x)], -1) * 0.7 + 0.1 * rng.random((64, 64, 3))
    return img.astype(np.float32)


def test_preserve_colors_keeps_the_contents_ab(content) -> None:
    s = synthetic.procedural_style("swirls", 64)
    r = style.stylize(content, s, iterations=5, preserve_colors=True, weights="random", progress=False)
    ab_out = color.rgb_to_lab(r.image)[..., 1:]
    ab_in = color.rgb_to_lab(content)[..., 1:]
    assert np.median(np.abs(ab_out - ab_in)) < 1.0
    plain = style.stylize(content, s, iterations=5, weights="random", progress=False)
    assert np.median(np.abs(color.rgb_to_lab(plain.image)[..., 1:] - ab_in)) > 5.0


def test_ycbcr_colour_preservation_is_neural_styles_recipe(content) -> None:
    rng = np.random.default_rng(3)
    styled = (0.35 + 0.3 * rng.random((64, 64, 3))).astype(np.float32)  # mid-range: nothing clips
    soft = (0.4 + 0.2 * content).astype(np.float32)
    out = style.transfer_luminance(styled, soft, "ycbcr")
    luma = np.array([0.299, 0.587, 0.114])
    np.testing.assert_allclose(out @ luma, styled @ luma, atol=1e-4)  # Rec. 601 luma of the result

    def chroma(x):
        return np.stack([x @ [-0.168736, -0.331264, 0.5], x @ [0.5, -0.418688, -0.081312]], -1)

    np.testing.assert_allclose(chroma(out), chroma(soft), atol=1e-4)  # Cb, Cr of the content
    lab = style.transfer_luminance(styled, soft, "lab")
    assert np.abs(lab - out).mean() > 1e-3  # two recipes, two results
    assert style.transfer_luminance(styled, soft) == pytest.approx(lab)  # LAB stays the default
    assert style.preserve_colors_space(True) == "lab" and style.preserve_colors_space(False) is None
    assert style.preserve_colors_space("YCbCr") == "ycbcr"
    with pytest.raises(ValueError, match="'ycbcr'"):
        style.preserve_colors_space("hsv")
    with pytest.raises(ValueError, match="space"):
        style.transfer_luminance(styled, soft, "hsv")
    r = style.stylize(
        content,
        synthetic.procedural_style("swirls", 64),
        iterations=3,
        preserve_colors="ycbcr",
        weights="multiscale",
        progress=False,
    )
    assert np.median(np.abs(chroma(r.image) - chroma(content))) < 0.01  # clipping aside
