"""Markdown cells never state a figure the run produced.

A figure with a unit (dB, %, ×, s, MB, px ...) in a source notebook's Markdown must be a write-up's
figure from ``darkroom.core.writeups``, a setting the notebook's profiles choose (a number in its
``select(profile, smoke=..., default=..., full=...)`` call, e.g. "128 px"), or a fact listed in
``ALLOWED`` below; anything else is a number a run printed once and froze into prose, which the next
run on another machine contradicts. Code cells are not scanned: ``display(Markdown(f"..."))``
renders the run's own variables.
"""

from __future__ import annotations

import ast
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from darkroom.core import writeups

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

# The pattern, except that a size written N×M (48×48, 19×13×4) names a shape, not a factor.
FIGURE = re.compile(
    r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?\s?(?:dB|%|×(?!\d)|x\b|s\b|seconds|minutes|hours|MB|GB|MiB|GiB|px)"
)

# Facts that hold whatever a run prints, as the scan finds them (the matched text), per notebook.
# Keep it short: a write-up's figure belongs in the registry, and a run's figure in code.
ALLOWED: dict[str, dict[str, str]] = {
    "01_color_spaces": {
        "8×": "the demo shrinks ab by a fixed factor of 8 (a code constant, not a result)",
        "2.5×": "the overshoot demo scales a and b by a fixed 2.5 (a code constant)",
    },
    "02_circle_autoencoder": {
        "5.4×": "49/9, the multiply-adds of a 7×7 kernel over a 3×3 one (arithmetic)",
    },
    "04_linear_regression": {
        "0.1 %": "sweep_sgd's definition of 'converged' (tol=1e-3 relative error)",
    },
}

# The registry's units a figure's unit may stand for, and the factor to a common base.
_TIME = {"s": 1.0, "seconds": 1.0, "minutes": 60.0, "hours": 3600.0, "days": 86400.0, "weeks": 604800.0}
_SIZE = {"KB": 1e3, "MB": 1e6, "GB": 1e9, "MiB": 2**20, "GiB": 2**30}
_RATIO = {"": 1.0}  # a factor (3.7×) can only be a write-up's pure number, never its px or layers


def _family(unit: str) -> dict[str, float]:
    if unit in _TIME:
        return _TIME
    if unit in _SIZE:
        return _SIZE
    if unit in ("×", "x"):
        return _RATIO
    return {unit: 1.0}  # dB, %, px: only the same unit


@dataclass(frozen=True)
class Finding:
    notebook: str
    cell: int
    figure: str
    sentence: str

    def __str__(self) -> str:
        return f"{self.notebook} cell {self.cell}: {self.figure!r} in “{self.sentence}”"


def parse_figure(text: str) -> tuple[float, str]:
    """``"+2.58 dB"`` -> ``(2.58, "dB")``; ``"9,294 px"`` -> ``(9294.0, "px")``."""
    m = re.fullmatch(r"([-+]?\d[\d,]*(?:\.\d+)?)\s?(\S+)", text.strip())
    if m is None:
        raise ValueError(f"not a figure with a unit: {text!r}")
    return float(m.group(1).replace(",", "")), m.group(2)


def is_registry_figure(text: str) -> bool:
    """Whether the figure is some write-up's registered value in a compatible unit (scaled: 30 minutes
    is the registry's 0.5 hours)."""
    number, unit = parse_figure(text)
    family = _family(unit)
    for entry in writeups.ENTRIES:
        if entry.unit in family:
            ours, theirs = abs(number) * family.get(unit, 1.0), entry.value * family[entry.unit]
            if math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12):
                return True
    return False


def _sentence(text: str, start: int, end: int) -> str:
    left = max(text.rfind("\n", 0, start), text.rfind(". ", 0, start) + 1)
    right_candidates = [i for i in (text.find("\n", end), text.find(". ", end)) if i != -1]
    right = min(right_candidates) + 1 if right_candidates else len(text)
    return " ".join(text[left:right].split())[:200]


def _python(source: str) -> ast.Module | None:
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def profile_settings(notebook: dict[str, Any]) -> set[float]:
    """Every number the notebook's ``select(profile, smoke=..., default=..., full=...)`` call sets."""
    numbers: set[float] = set()
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code" or "select(" not in "".join(cell.get("source", "")):
            continue
        tree = _python("".join(cell["source"]))
        for call in ast.walk(tree) if tree else ():
            func = getattr(call, "func", None)
            if getattr(func, "id", getattr(func, "attr", None)) != "select":
                continue
            for node in ast.walk(call):
                if isinstance(node, ast.Constant) and type(node.value) in (int, float):
                    numbers.add(float(node.value))
    return numbers


def _is_setting(figure: str, settings: set[float]) -> bool:
    number, unit = parse_figure(figure)
    # A setting is a size, a duration or an amount of memory; a factor or a score is a result.
    return unit not in ("dB", "%", "×", "x") and any(math.isclose(number, x, rel_tol=1e-9) for x in settings)


def run_figures(notebook: dict[str, Any], stem: str) -> list[Finding]:
    """Figures with units in the Markdown cells of ``notebook`` that are neither a write-up's, nor a
    profile's setting, nor allowed."""
    allowed = ALLOWED.get(stem, {})
    settings = profile_settings(notebook)
    found = []
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("cell_type") != "markdown":
            continue
        text = "".join(cell.get("source", ""))
        for m in FIGURE.finditer(text):
            figure = m.group()
            if figure in allowed or is_registry_figure(figure) or _is_setting(figure, settings):
                continue
            found.append(Finding(stem, index, figure, _sentence(text, m.start(), m.end())))
    return found


def _markdown_notebook(*cells: str) -> dict[str, Any]:
    return {"cells": [{"cell_type": "markdown", "source": c, "metadata": {}} for c in cells]}


# --- the scanner ------------------------------------------------------------------------------------


def test_a_run_figure_in_prose_is_flagged() -> None:
    nb = _markdown_notebook(
        "# Title", "Residual learning gave **+2.58 dB** over bicubic. It trained in 46 seconds."
    )
    found = run_figures(nb, "99_synthetic")
    assert [(f.cell, f.figure) for f in found] == [(1, "+2.58 dB"), (1, "46 seconds")]
    assert "Residual learning gave **+2.58 dB** over bicubic." in found[0].sentence
    assert "99_synthetic cell 1" in str(found[0])


def test_a_write_up_figure_in_prose_passes() -> None:
    deepart = writeups.get("style_deepart_time")
    nb = _markdown_notebook(
        f"deepart.io typically took {deepart.value:g} minutes for a new style; "
        f"the GTX970 had {writeups.value('gpu_memory_usable')} GB usable; "
        "labels are 150×150 px."
    )
    assert run_figures(nb, "99_synthetic") == []


def test_a_write_up_figure_in_another_unit_passes_only_when_equal() -> None:
    assert is_registry_figure("30 minutes")  # circle training: half an hour
    assert not is_registry_figure("31 minutes")
    assert not is_registry_figure("3.5 MB")  # 3.5 is registered in GB, not MB
    assert not is_registry_figure("0.092 dB")  # a registered score, but not in decibels
    assert is_registry_figure("1.3043×") and not is_registry_figure("4×")  # 4 is registered only in px, GB


def test_the_allow_list_is_per_notebook() -> None:
    nb = _markdown_notebook("A 7×7 kernel costs 49/9 ≈ 5.4× a 3×3 one.")
    assert run_figures(nb, "02_circle_autoencoder") == []
    assert [f.figure for f in run_figures(nb, "08_super_resolution")] == ["5.4×"]


def test_a_profile_setting_passes_but_not_a_result_in_its_units() -> None:
    nb = _markdown_notebook("The default profile works at 96 px for 7 s; it reached +7 dB, 7× faster.")
    nb["cells"].append(
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": "cfg = select(profile, smoke=dict(size=32, s=1),\n"
            "             default=dict(size=96, s=7), full=dict(size=512, s=60))\n"
            "%time x = 1",
        }
    )
    assert profile_settings(nb) == {32.0, 1.0, 96.0, 7.0, 512.0, 60.0}
    assert [f.figure for f in run_figures(nb, "99_synthetic")] == ["+7 dB", "7×"]


def test_a_shape_is_not_a_factor() -> None:
    nb = _markdown_notebook("Crops of 47×47 px; the net is 3.3× faster.")
    assert [f.figure for f in run_figures(nb, "99_synthetic")] == ["47 px", "3.3×"]


def test_code_cells_are_not_scanned() -> None:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "source": 'display(Markdown(f"{gain:+.2f} dB"))  # +2.58 dB',
                "metadata": {},
                "outputs": [],
                "execution_count": None,
            }
        ]
    }
    assert run_figures(nb, "99_synthetic") == []


def test_allow_list_names_real_notebooks_and_gives_reasons() -> None:
    stems = {p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")}
    assert set(ALLOWED) <= stems
    for figures in ALLOWED.values():
        for text, why in figures.items():
            assert FIGURE.fullmatch(text), f"{text!r} is not something the scan would flag"
            assert why.strip()


# --- the notebooks --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.stem)
def test_markdown_states_no_run_figure(path: Path) -> None:
    found = run_figures(json.loads(path.read_text(encoding="utf-8")), path.stem)
    listing = "\n".join(f"  {f}" for f in found)
    assert not found, (
        f"{len(found)} figure(s) in Markdown are neither a write-up's (darkroom.core.writeups) "
        f"nor an allowed fact; print them from code instead:\n{listing}"
    )
