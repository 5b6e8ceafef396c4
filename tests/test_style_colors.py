"""darkroom.style.colors: the content's colours kept under the result's lightness, in LAB and YCbCr."""

from __future__ import annotations

import numpy as np
import pytest

from darkroom import style
from darkroom.core import color, synthetic

pytestmark = pytest.mark.usefixtures("offline_vgg")


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
