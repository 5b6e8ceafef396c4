"""Notebook code reads on the page: no code line longer than the book's code column (100 characters)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from darkroom import runner

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
    nb = {"cells": [{"cell_type": "markdown", "source": ["x" * 300]},
                    {"cell_type": "code", "source": ["ok = 1\n", "y = " + "1 + " * 30 + "1\n"]}]}
    path = tmp_path / "01_x.ipynb"
    path.write_text(json.dumps(nb))
    assert long_code_lines(path) == [f"code cell 1 line 2 (125 chars): {('y = ' + '1 + ' * 30)[:60]}..."]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_code_line_over_100_characters(path: Path) -> None:
    long = long_code_lines(path)
    assert not long, f"{path.name}: {len(long)} code lines over {MAX_LINE} characters:\n" + "\n".join(long)
