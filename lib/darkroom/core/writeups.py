"""Every figure the four write-ups report, in one place: the registry and its comparison tables.

The notebooks retell four write-ups (``"000"`` colorizing from scratch and the circle autoencoder,
``"001"`` style transfer and the fire/theft regression, ``"002"`` colorization with a CNN and
pix2pix, ``"003"`` the super-resolution patch regressor). What a write-up reported is typed once,
in its module of :mod:`darkroom.core.writeup_entries` (``writeup_000`` ... ``writeup_003_results``),
and every "write-up vs this run" table is rendered from this registry beside the run's own
variables::

    from darkroom.core import writeups
    display(Markdown(writeups.comparison(
        "04", run={"fire_theft_sgd_slope": sgd.slope, ...},
        not_run={"fire_theft_fix_time": "TF1 on a MacBook Air; timed on this machine below"})))

Keys are grouped by topic (``gray_``, ``circle_``, ``fire_theft_``, ``style_``, ``cnn_``, ``pix2pix_``,
``sr_`` ...); ``ENTRIES`` joins the write-ups' blocks in order, each sorted by chapter inside it.

Each :class:`~darkroom.core.writeup_entries.Entry` names the chapter that compares it
(``notebook``); :func:`comparison` refuses a table that leaves one of that chapter's entries out,
so no write-up figure silently drops off a page. ``quote`` is the write-up's own words around the
figure; the tests check it against the write-ups' text when that text is present (it is not
shipped with the package).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from darkroom.core.writeup_entries import (
    Entry,
    format_value,
    writeup_000,
    writeup_001,
    writeup_002,
    writeup_003_results,
    writeup_003_setup,
)

__all__ = ["ENTRIES", "SOURCES", "comparison", "comparison_rows", "entries", "get", "value"]

SOURCES: dict[str, str] = {
    "000": "Getting my feet wet with TensorFlow (colorizing from scratch; the circle autoencoder), 2016",
    "001": "Playing with image style transfer; Dangers of tunable parameters; A crack in the TensorFlow platform, 2017",
    "002": "Learning to color pictures with DcGANs (CNN and pix2pix colorization)",
    "003": "Image resizing with machine learning (the super-resolution patch regressor), 2016",
}

#: Every registered figure: the write-ups' blocks in order ("000" ... "003"), each sorted by chapter.
ENTRIES: tuple[Entry, ...] = (
    *writeup_000.ENTRIES,
    *writeup_001.ENTRIES,
    *writeup_002.ENTRIES,
    *writeup_003_setup.ENTRIES,
    *writeup_003_results.ENTRIES,
)


def _index() -> dict[str, Entry]:
    index: dict[str, Entry] = {}
    for entry in ENTRIES:
        if entry.key in index:
            raise RuntimeError(f"darkroom.core.writeups: key {entry.key!r} is registered twice")
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
    return [
        e
        for e in ENTRIES
        if (notebook is None or e.notebook == notebook) and (source is None or e.source == source)
    ]


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
            shown = format_value(run[e.key], e.unit)
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
    from darkroom.core.tables import markdown_table

    return markdown_table(comparison_rows(notebook, run, not_run, notes))
