"""Colour preservation: the content's colours under the stylised image's lightness (LAB or YCbCr).

:func:`darkroom.style.transfer.stylize` applies it to its result when asked (``preserve_colors``);
:func:`transfer_luminance` also works on any pair of images.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from darkroom.core import color, images

__all__ = ["COLOR_SPACES", "preserve_colors_space", "transfer_luminance"]


COLOR_SPACES: tuple[str, ...] = ("lab", "ycbcr")


def preserve_colors_space(preserve_colors: bool | str | None) -> str | None:
    """``preserve_colors`` as a colour space: False/None -> None, True -> "lab", or "lab" / "ycbcr"."""
    if preserve_colors is None or preserve_colors is False:
        return None
    if preserve_colors is True:
        return "lab"
    if isinstance(preserve_colors, str) and preserve_colors.lower() in COLOR_SPACES:
        return preserve_colors.lower()
    raise ValueError(f"preserve_colors: expected False, True, 'lab' or 'ycbcr'; received {preserve_colors!r}")


def transfer_luminance(styled: Any, content: Any, space: str = "lab") -> np.ndarray:
    """Keep ``content``'s colours under ``styled``'s lightness; ``content`` is resized to ``styled``.

    The luminance-only transfer of Gatys et al. (2016, "Preserving colour"), after the
    optimisation as neural-style does it.  ``space="ycbcr"`` is neural-style's own recipe:
    Rec. 601 luma (Y) of the result with the content's Cb, Cr.  ``space="lab"`` (darkroom's
    default) takes CIE L of the result with the content's a, b: L follows perceived lightness,
    so saturated content colours keep their brightness relations better.
    """
    if space not in COLOR_SPACES:
        raise ValueError(f"space: expected one of {COLOR_SPACES}; received {space!r}")
    styled = color.as_float_rgb(styled, "styled")
    content = color.as_float_rgb(content, "content")
    if content.shape[:2] != styled.shape[:2]:
        content = images.resize(content, styled.shape[:2])
    if space == "ycbcr":
        # Full-range (JPEG / PIL) YCbCr with Rec. 601 luma: the conversion neural-style calls through PIL.
        ycc = color.rgb_to_ycbcr(content, "rec601", chroma_offset=0.5)
        ycc[..., 0] = color.rgb_to_ycbcr(styled, "rec601")[..., 0]
        return color.ycbcr_to_rgb(ycc, "rec601", chroma_offset=0.5)
    L, _ = color.split_lab(color.rgb_to_lab(styled))
    _, ab = color.split_lab(color.rgb_to_lab(content))
    return color.lab_to_rgb(color.join_lab(L, ab)).astype(np.float32)
