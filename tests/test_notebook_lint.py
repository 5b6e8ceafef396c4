"""Notebook code reads on the page: no code line longer than the book's code column (100 characters),
no code cell longer than a screenful of logic (15 lines; the profile cell excepted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from darkroom.app import runner

MAX_LINE = 100  # what a chapter page shows without a scroll bar; also ruff's line-length for notebooks
NOTEBOOKS = runner.find_notebooks()


def long_code_lines(path: Path, limit: int = MAX_LINE) -> list[str]:
    """``"cell N line M (L chars): text"`` for every code line of ``path`` longer than ``limit``."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    found = []
    code_cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    for n, cell in enumerate(code_cells, start=1):
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for m, line in enumerate(source.splitlines(), start=1):
            if len(line) > limit:
                found.append(f"code cell {n} line {m} ({len(line)} chars): {line[:60]}...")
    return found


def test_the_checker_finds_a_long_line(tmp_path: Path) -> None:
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["x" * 300]},
            {"cell_type": "code", "source": ["ok = 1\n", "y = " + "1 + " * 30 + "1\n"]},
        ]
    }
    path = tmp_path / "01_x.ipynb"
    path.write_text(json.dumps(nb))
    assert long_code_lines(path) == [f"code cell 1 line 2 (125 chars): {('y = ' + '1 + ' * 30)[:60]}..."]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_code_line_over_100_characters(path: Path) -> None:
    long = long_code_lines(path)
    assert not long, f"{path.name}: {len(long)} code lines over {MAX_LINE} characters:\n" + "\n".join(long)


MAX_CELL = 15  # code lines per cell (blank and comment lines not counted): more is a library function


def code_lines(source: str) -> int:
    """Lines of ``source`` that are neither blank nor a comment."""
    return sum(1 for line in source.splitlines() if line.strip() and not line.strip().startswith("#"))


def long_code_cells(path: Path, limit: int = MAX_CELL) -> list[str]:
    """``"code cell N (L lines): first line"`` for every code cell of ``path`` over ``limit`` lines.

    The profile cell (``cfg = select(...)``: the three profiles' settings side by side) is exempt:
    it is a table of parameters, read across, not logic.
    """
    nb = json.loads(path.read_text(encoding="utf-8"))
    found = []
    code_cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    for n, cell in enumerate(code_cells, start=1):
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if "cfg = select(" in source:
            continue
        if code_lines(source) > limit:
            found.append(f"code cell {n} ({code_lines(source)} lines): {source.splitlines()[0][:60]}")
    return found


def test_the_checker_finds_a_long_cell(tmp_path: Path) -> None:
    body = "".join(f"x{i} = {i}\n" for i in range(16))
    nb = {
        "cells": [
            {"cell_type": "code", "source": ["# why\n", "\n", *body.splitlines(True)[:15]]},
            {"cell_type": "code", "source": body},
            {"cell_type": "code", "source": "cfg = select(profile,\n" + body},
        ]
    }
    path = tmp_path / "01_x.ipynb"
    path.write_text(json.dumps(nb))
    assert long_code_cells(path) == ["code cell 2 (16 lines): x0 = 0"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_code_cell_over_15_lines(path: Path) -> None:
    long = long_code_cells(path)
    assert not long, (
        f"{path.name}: {len(long)} code cells over {MAX_CELL} lines (move the logic into "
        "lib/darkroom or split the cell):\n" + "\n".join(long)
    )
