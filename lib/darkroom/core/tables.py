"""Small result tables for notebooks and benchmarks: a list of dicts in, text out.

display(Markdown(markdown_table(rows)))   # a rendered table in a notebook
print(text_table(rows))                   # aligned columns in a terminal or a log
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["markdown_table", "text_table"]


def _columns(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None) -> list[str]:
    if not rows:
        raise ValueError("received no rows; expected a non-empty list of dicts")
    if columns is not None:
        return list(columns)
    found: list[str] = []
    for row in rows:  # the union of keys, in first-seen order, so ragged rows lose nothing
        found += [key for key in row if key not in found]
    return found


def _cell(value: Any, digits: int, missing: str) -> str:
    if value is None:
        return missing
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.{digits}g}"
    return str(value)


def markdown_table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None, digits: int = 6
) -> str:
    """Rows of dicts as a Markdown table; floats to ``digits`` significant figures, None as a blank."""
    cols = _columns(rows, columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(_cell(row.get(c), digits, "") for c in cols) + " |" for row in rows]
    return "\n".join(lines)


def text_table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None, digits: int = 4
) -> str:
    """Rows of dicts as aligned plain text (first column left, others right); None as a dash."""
    cols = _columns(rows, columns)
    cells = [[_cell(row.get(c), digits, "-") for c in cols] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(cols)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths)))

    return "\n".join([line(cols), line(["-" * w for w in widths])] + [line(r) for r in cells])
