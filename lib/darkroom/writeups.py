"""Every figure the four write-ups report, in one place.

The notebooks retell four write-ups (``"000"`` colorizing from scratch and the circle autoencoder,
``"001"`` style transfer and the fire/theft regression, ``"002"`` colorization with a CNN and
pix2pix, ``"003"`` the super-resolution patch regressor). What a write-up reported is typed once,
here, and every "write-up vs this run" table is rendered from this registry beside the run's own
variables::

    from darkroom import writeups
    display(Markdown(writeups.comparison("04", run={"sgd_slope": sgd.slope, ...},
                                         not_run={"estimator_random_forest": "not in TensorFlow 2"})))

Each :class:`Entry` names the chapter that compares it (``notebook``); :func:`comparison` refuses a
table that leaves one of that chapter's entries out, so no write-up figure silently drops off a page.
``quote`` is the write-up's own words around the figure; the tests check it against the write-ups'
text when that text is present (it is not shipped with the package).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Entry", "ENTRIES", "SOURCES", "get", "value", "entries", "comparison_rows", "comparison"]

SOURCES: dict[str, str] = {
    "000": "Getting my feet wet with TensorFlow (colorizing from scratch; the circle autoencoder), 2016",
    "001": "Playing with image style transfer; Dangers of tunable parameters; A crack in the TensorFlow platform, 2017",
    "002": "Learning to color pictures with DcGANs (CNN and pix2pix colorization)",
    "003": "Image resizing with machine learning (the super-resolution patch regressor), 2016",
}


@dataclass(frozen=True)
class Entry:
    """One figure or setting a write-up reports.

    ``value`` is the number as the write-up gives it (a setting counts: a learning rate, a size);
    ``unit`` is ``""`` for pure numbers; ``notebook`` is the two-digit chapter that compares it;
    ``quote`` is a verbatim span of the write-up containing the figure (``""`` when the figure is
    derived, e.g. a ratio of two quoted numbers, and ``what`` then says how).
    """

    key: str
    value: float
    unit: str
    source: str
    what: str
    notebook: str
    quote: str = ""

    def formatted(self) -> str:
        """The value with its unit, as a table cell shows it."""
        return _format(self.value, self.unit, digits=12)  # as the write-up printed it


def _format(number: Any, unit: str = "", digits: int = 6) -> str:
    if isinstance(number, bool) or not isinstance(number, numbers.Real) or not math.isfinite(float(number)):
        return str(number)
    x = float(number)
    if x == int(x) and abs(x) < 1e15:
        text = f"{int(x):,}"
    elif abs(x) >= 1e-3:
        text = f"{x:.{digits}g}"
    else:
        text = f"{x:.3g}"
    return f"{text} {unit}".strip() if unit and unit not in ("%", "×") else f"{text}{unit}"


ENTRIES: tuple[Entry, ...] = (
    # --- 001: the fire/theft regression ------------------------------------------------------
    Entry("fire_theft_exact_slope", 1.31345600492, "", "001",
          "least-squares slope of thefts on fires, solved exactly", "04",
          "slope of 1.31345600492 and intercept of 16.9951572327"),
    Entry("fire_theft_exact_intercept", 16.9951572327, "", "001",
          "least-squares intercept, solved exactly", "04",
          "slope of 1.31345600492 and intercept of 16.9951572327"),
)


def _index() -> dict[str, Entry]:
    index: dict[str, Entry] = {}
    for entry in ENTRIES:
        if entry.key in index:
            raise RuntimeError(f"darkroom.writeups: key {entry.key!r} is registered twice")
        index[entry.key] = entry
    return index


_BY_KEY = _index()


def get(key: str) -> Entry:
    """The entry registered under ``key``."""
    try:
        return _BY_KEY[key]
    except KeyError:
        close = sorted(k for k in _BY_KEY if key.split("_")[0] in k)[:8]
        raise KeyError(f"no write-up figure {key!r}; similar keys: {close or sorted(_BY_KEY)[:8]}") from None


def value(key: str) -> float:
    """The number the write-up reported under ``key``."""
    return get(key).value


def entries(*, notebook: str | None = None, source: str | None = None) -> list[Entry]:
    """The registered entries, optionally only those of one chapter and/or one write-up."""
    return [e for e in ENTRIES
            if (notebook is None or e.notebook == notebook) and (source is None or e.source == source)]


def comparison_rows(
    notebook: str,
    run: Mapping[str, Any],
    not_run: Mapping[str, str] | None = None,
    notes: Mapping[str, str] | None = None,
) -> list[dict[str, str]]:
    """Rows ``what | write-up | this run`` for every entry of ``notebook``.

    ``run`` maps keys to this run's value (a number, or text such as ``"0.615 x + 23.5"``);
    ``not_run`` maps the rest to the reason this chapter does not measure them. Every entry of
    the chapter must be in exactly one of the two, and no other key may appear.
    """
    not_run = dict(not_run or {})
    notes = dict(notes or {})
    own = entries(notebook=notebook)
    if not own:
        raise ValueError(f"no write-up figures are registered for notebook {notebook!r}")
    own_keys = {e.key for e in own}
    both = sorted(set(run) & set(not_run))
    strangers = sorted((set(run) | set(not_run) | set(notes)) - own_keys)
    missing = sorted(own_keys - set(run) - set(not_run))
    problems = []
    if both:
        problems.append(f"given both a value and a reason: {both}")
    if strangers:
        problems.append(f"not entries of notebook {notebook}: {strangers}")
    if missing:
        problems.append(f"neither measured nor explained: {missing}")
    if problems:
        raise ValueError(f"comparison for notebook {notebook}: " + "; ".join(problems))
    rows = []
    for e in own:
        if e.key in run:
            shown = _format(run[e.key], e.unit)
        else:
            shown = f"not run here: {not_run[e.key]}"
        row = {"what": e.what, "write-up": f"{e.formatted()} ({e.source})", "this run": shown}
        if notes:
            row["note"] = notes.get(e.key, "")
        rows.append(row)
    return rows


def comparison(
    notebook: str,
    run: Mapping[str, Any],
    not_run: Mapping[str, str] | None = None,
    notes: Mapping[str, str] | None = None,
) -> str:
    """:func:`comparison_rows` as a Markdown table (wrap it in ``IPython.display.Markdown``)."""
    from darkroom.tables import markdown_table

    return markdown_table(comparison_rows(notebook, run, not_run, notes))
