"""What the write-ups reported, as data: :class:`Entry` (one figure), and one module per write-up.

Each module holds one write-up's ``ENTRIES``, sorted by the chapter that compares them:

- :mod:`.writeup_000`: "000", colorizing from scratch and the circle autoencoder (chapters 01, 02, 03, 06);
- :mod:`.writeup_001`: "001", the fire/theft regression and style transfer (chapters 04, 05, 09);
- :mod:`.writeup_002`: "002", colorization with a CNN and pix2pix (chapters 01, 06, 07);
- :mod:`.writeup_003_setup` and :mod:`.writeup_003_results`: "003", the super-resolution patch
  regressor (chapter 08): its data, patches and search for a model; then the model it chose, its
  training and scores, and the post's asides.

:mod:`darkroom.core.writeups` joins them into one registry and renders the comparison tables.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Entry", "format_value"]


@dataclass(frozen=True)
class Entry:
    """One figure or setting a write-up reports.

    ``value`` is the number as the write-up gives it (a setting counts: a learning rate, a size);
    ``unit`` is ``""`` for pure numbers; ``notebook`` is the two-digit chapter that compares it;
    ``quote`` is a verbatim span of the write-up containing the figure (``""`` when the figure is
    derived, e.g. a ratio of two quoted numbers, and ``what`` then says how); ``written`` is the
    figure exactly as the write-up wrote it when that is not a plain numeral ("2.2k", "half an hour",
    "150x100x100"), so a test can find it in the quote.
    """

    key: str
    value: float
    unit: str
    source: str
    what: str
    notebook: str
    quote: str = ""
    written: str = ""

    def formatted(self) -> str:
        """The value with its unit, as a table cell shows it: with the write-up's own digits when it
        printed trailing zeros ("0.120", "CUDA 8.0"), otherwise as a number."""
        if re.fullmatch(r"\d+\.\d+", self.written):
            return _with_unit(self.written, self.unit, float(self.written))
        return format_value(self.value, self.unit, digits=12)  # as the write-up printed it


def format_value(number: Any, unit: str = "", digits: int = 6) -> str:
    if isinstance(number, bool) or not isinstance(number, numbers.Real) or not math.isfinite(float(number)):
        return str(number)
    x = float(number)
    if x == int(x) and abs(x) < 1e15:
        text = f"{int(x):,}"
    elif abs(x) >= 1e-3:
        text = f"{x:.{digits}g}"
    else:
        text = f"{x:.3g}"
    return _with_unit(text, unit, x)


_SINGULAR = {
    "hours": "hour",
    "days": "day",
    "weeks": "week",
    "minutes": "minute",
    "images": "image",
    "epochs": "epoch",
    "steps": "step",
    "iterations": "iteration",
    "layers": "layer",
    "features": "feature",
    "units": "unit",
    "categories": "category",
    "rows": "row",
    "lines": "line",
}


def _with_unit(text: str, unit: str, x: float) -> str:
    if unit in ("%", "×"):
        return f"{text}{unit}"
    if x == 1:
        unit = _SINGULAR.get(unit, unit)
    return f"{text} {unit}".strip()
