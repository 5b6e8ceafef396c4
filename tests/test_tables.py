"""Result tables: columns, number formatting, ragged rows, empty input."""

from __future__ import annotations

import numpy as np
import pytest

from darkroom.core.tables import markdown_table, text_table


def test_markdown_table_formats_and_unions_columns() -> None:
    text = markdown_table([dict(a=1.23456789, b="x"), dict(a=np.float32(2.0), c=None)], digits=3)
    assert text.splitlines() == ["| a | b | c |", "|---|---|---|", "| 1.23 | x |  |", "| 2 |  |  |"]


def test_text_table_aligns_columns() -> None:
    lines = text_table([dict(method="bicubic", psnr=34.1512), dict(method="ours", psnr=None)]).splitlines()
    assert lines[0] == "method    psnr"
    assert lines[2] == "bicubic  34.15"
    assert lines[3] == "ours         -"
    assert len({len(line) for line in lines}) == 1


def test_chosen_columns_and_empty_rows() -> None:
    assert markdown_table([dict(a=1, b=2)], columns=["b"]).splitlines()[2] == "| 2 |"
    with pytest.raises(ValueError, match="no rows"):
        text_table([])
