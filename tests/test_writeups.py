"""darkroom.core.writeups: every registered figure is what its write-up says, and every chapter shows it.

The write-ups' text is not shipped with the package: the checks against it read the seeds from
``$DARKROOM_SEEDS`` or ``<repo>/../shared/seeds`` and skip when neither exists (a user's clone).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from darkroom.core import writeups
from darkroom.core.writeup_entries import Entry
from darkroom.core.writeups import ENTRIES

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"

# One unit per entry, from a short list so that tables read alike across chapters.
UNITS = {
    "",
    "px",
    "s",
    "minutes",
    "hours",
    "days",
    "weeks",
    "KB",
    "MB",
    "GB",
    "%",
    "images",
    "epochs",
    "steps",
    "iterations",
    "layers",
    "features",
    "units",
    "categories",
    "rows",
    "lines",
}

# Figures the write-ups spell in words; numerals are parsed instead.
_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "half": 0.5,
}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}

_NUMERAL = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_PRODUCT = re.compile(r"\d+(?:\.\d+)?(?:\s?x\s?\d+(?:\.\d+)?)+")


def seeds_dir() -> Path | None:
    """The folder of the write-ups' text, or None when this checkout has none."""
    given = os.environ.get("DARKROOM_SEEDS")
    folder = Path(given) if given else REPO.parent / "shared" / "seeds"
    return folder if folder.is_dir() else None


def normalise(text: str) -> str:
    return " ".join(text.split())


def seed_texts() -> dict[str, str]:
    folder = seeds_dir()
    if folder is None:
        pytest.skip("the write-ups' text is absent (set DARKROOM_SEEDS or place it in ../shared/seeds)")
    paths = sorted(folder.glob("[0-9][0-9][0-9]_*.txt"))
    texts = {p.name[:3]: normalise(p.read_text(encoding="utf-8")) for p in paths}
    if not texts:
        pytest.skip(f"no NNN_*.txt write-ups in {folder}")
    return texts


def figures_in(text: str) -> set[float]:
    """Every number ``text`` can be read as: numerals (9,294), with a k / million suffix (2.2k, 3 million),
    products (150x100x100) and their squares ((150x100x100)^2), and numbers written in words."""
    found: set[float] = set()
    for m in _NUMERAL.finditer(text):
        x = float(m.group().replace(",", ""))
        found.add(x)
        if "," in m.group():  # "(150,100,1)" is a list as likely as "9,294" is a thousands separator
            found.update(float(part) for part in m.group().split(","))
        rest = text[m.end() :]
        if re.match(r"k\b", rest):
            found.add(x * 1000)
        for word, scale in _SCALES.items():
            if re.match(rf"\s{word}\b", rest):
                found.add(x * scale)
    for m in _PRODUCT.finditer(text):
        product = math.prod(float(n) for n in re.split(r"\s?x\s?", m.group()))
        found.add(product)
        if text[m.end() :].startswith(")^2"):
            found.add(product**2)
    words = re.findall(r"[a-z]+", text.lower())
    for i, word in enumerate(words):
        if word in _WORDS:
            x = _WORDS[word]
            if i + 1 < len(words) and words[i + 1] in _SCALES:
                x *= _SCALES[words[i + 1]]
            found.add(float(x))
    return found


def holds(value: float, candidates: set[float]) -> bool:
    return any(math.isclose(value, c, rel_tol=1e-9, abs_tol=1e-12) for c in candidates)


def notebook_chapters() -> set[str]:
    return {p.name[:2] for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")}


# --- the parsing the checks rely on -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("his dataset of 9,294 images", 9294),
        ("from 9.2k images to 2.2k", 2200),
        ("a ~30% gain", 30),
        ("Test r2: 0.064", 0.064),
        ("dividing it by 150x100x100", 1_500_000),
        ("and (150x100x100)^2 because", 2.25e12),
        ("less than half an hour", 0.5),
        ("about six hours", 6),
        ("a total of 3 million images", 3e6),
        ("the 2nd and 98th", 98),
        ("my images were (150,100,1)", 100),
    ],
)
def test_figures_in_reads_the_write_ups_notations(text: str, number: float) -> None:
    assert holds(number, figures_in(text))


def test_figures_in_does_not_invent_numbers() -> None:
    assert not holds(0.64, figures_in("Test r2: 0.064"))
    assert not holds(9.294, figures_in("9,294 images"))


# --- the registry on its own --------------------------------------------------------------------


def test_keys_are_unique_snake_case() -> None:
    counts = Counter(e.key for e in ENTRIES)
    assert [k for k, n in counts.items() if n > 1] == []
    assert [e.key for e in ENTRIES if not re.fullmatch(r"[a-z][a-z0-9_]*", e.key)] == []


def test_fields_are_well_formed() -> None:
    chapters = notebook_chapters()
    assert chapters, f"no notebooks found in {NOTEBOOKS}"
    problems = []
    for e in ENTRIES:
        if not isinstance(e.value, (int, float)) or isinstance(e.value, bool) or not math.isfinite(e.value):
            problems.append(f"{e.key}: value {e.value!r} is not a finite number")
        if e.unit not in UNITS:
            problems.append(f"{e.key}: unit {e.unit!r} not in {sorted(UNITS)}")
        if e.source not in writeups.SOURCES:
            problems.append(f"{e.key}: source {e.source!r} not in {sorted(writeups.SOURCES)}")
        if e.notebook not in chapters:
            problems.append(f"{e.key}: notebook {e.notebook!r} has no notebooks/{e.notebook}_*.ipynb")
        if not e.what.strip():
            problems.append(f"{e.key}: empty 'what'")
        if not e.quote and "derived" not in e.what:
            problems.append(f"{e.key}: no quote, and 'what' does not say how it is derived")
    assert problems == []


def test_each_write_up_has_a_dozen_entries_or_more() -> None:
    sizes = Counter(e.source for e in ENTRIES)
    assert {s: sizes[s] for s in writeups.SOURCES if sizes[s] < 12} == {}


def test_blocks_are_grouped_by_write_up_and_sorted_by_chapter() -> None:
    order = [(e.source, e.notebook) for e in ENTRIES]
    assert order == sorted(order)


def test_get_value_and_entries() -> None:
    entry = writeups.get("sr_nearest_score")
    assert isinstance(entry, Entry) and writeups.value("sr_nearest_score") == entry.value
    assert all(e.notebook == "08" for e in writeups.entries(notebook="08"))
    assert {e.source for e in writeups.entries(source="001")} == {"001"}
    with pytest.raises(KeyError, match="no write-up figure 'sr_nearest_scor'"):
        writeups.get("sr_nearest_scor")


# --- comparison tables ---------------------------------------------------------------------------


def _all_not_run(notebook: str) -> dict[str, str]:
    return {e.key: "not measured" for e in writeups.entries(notebook=notebook)}


def test_comparison_renders_a_markdown_table_with_every_entry() -> None:
    reasons = _all_not_run("04")
    run = {"fire_theft_exact_slope": 1.3134560}
    del reasons["fire_theft_exact_slope"]
    table = writeups.comparison("04", run=run, not_run=reasons)
    lines = table.splitlines()
    assert lines[0] == "| what | write-up | this run |"
    assert len(lines) == 2 + len(writeups.entries(notebook="04"))
    assert "| 1.31346 |" in table and "not run here: not measured" in table


def test_comparison_refuses_a_missing_key() -> None:
    reasons = _all_not_run("08")
    missing = reasons.popitem()[0]
    with pytest.raises(ValueError, match=f"neither measured nor explained: \\['{missing}'\\]"):
        writeups.comparison("08", run={}, not_run=reasons)


def test_comparison_refuses_a_stranger() -> None:
    with pytest.raises(ValueError, match=r"not entries of notebook 08: \['fire_theft_sgd_slope'\]"):
        writeups.comparison("08", run={"fire_theft_sgd_slope": 1.0}, not_run=_all_not_run("08"))


def test_comparison_refuses_a_key_given_twice() -> None:
    reasons = _all_not_run("08")
    with pytest.raises(ValueError, match=r"given both a value and a reason: \['sr_steps'\]"):
        writeups.comparison("08", run={"sr_steps": 100}, not_run=reasons)


def test_comparison_refuses_a_chapter_without_entries() -> None:
    with pytest.raises(ValueError, match="no write-up figures are registered for notebook '99'"):
        writeups.comparison("99", run={})


# --- against the write-ups' text ------------------------------------------------------------------


def test_every_quote_is_in_its_write_up() -> None:
    texts = seed_texts()
    missing = [
        f"{e.key} ({e.source}): {e.quote!r}"
        for e in ENTRIES
        if e.quote and normalise(e.quote) not in texts.get(e.source, "")
    ]
    assert missing == []


def test_every_figure_is_in_its_quote() -> None:
    wrong = []
    for e in ENTRIES:
        if not e.quote:
            continue
        if e.written and normalise(e.written) not in normalise(e.quote):
            wrong.append(f"{e.key}: written {e.written!r} is not in its quote {e.quote!r}")
        elif not holds(e.value, figures_in(e.written or e.quote)):
            wrong.append(f"{e.key}: {e.value!r} is not a figure of {e.written or e.quote!r}")
    assert wrong == []


def test_the_check_catches_a_misquote() -> None:
    texts = seed_texts()
    misquote = Entry("sr_gain", 23, "%", "003", "the gain", "08", "there's a ~30% gain on this result")
    assert normalise(misquote.quote) in texts["003"]
    assert not holds(misquote.value, figures_in(misquote.quote))


# --- every entry shows up on a page -----------------------------------------------------------------


def _code_sources() -> dict[str, str]:
    sources = {}
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        sources[path.stem] = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return sources


def test_every_chapter_renders_its_comparison() -> None:
    # `writeups.comparison` refuses a table that leaves out any of its chapter's entries (tested above),
    # and test_notebooks runs every notebook, so a chapter whose notebook calls it shows every entry.
    # A search for each key's literal in the notebooks is not enough: some values come from library
    # functions (`superres.writeup_run_values`, `colorize.architecture_facts`), some keys from f-strings.
    sources = _code_sources()
    chapters = sorted({e.notebook for e in ENTRIES})
    silent = [
        nb
        for nb in chapters
        if not any(
            stem.startswith(nb) and f'writeups.comparison("{nb}"' in src for stem, src in sources.items()
        )
    ]
    assert chapters and not silent, f"chapters with write-up figures but no comparison table: {silent}"


def test_figures_show_as_the_write_up_printed_them() -> None:
    assert writeups.get("sr_nearest_score").formatted() == "0.120"  # not 0.12
    assert writeups.get("cuda_gtx1060").formatted() == "8.0"
    assert writeups.get("style_time_small").formatted() == "1 hour"  # not "1 hours"
    assert writeups.get("pix2pix_subset").formatted() == "2,200 images"
    assert writeups.get("style_blend_major").formatted() == "75%"
    rows = writeups.comparison_rows(
        "02",
        run={"circle_training_time": 2},
        not_run={e.key: "-" for e in writeups.entries(notebook="02") if e.key != "circle_training_time"},
    )
    assert {"write-up": "0.5 hours (000)", "this run": "2 hours"}.items() <= next(
        r for r in rows if r["write-up"].startswith("0.5")
    ).items()
