"""Every chapter reads as a tutorial: no asserts or changelogs on the page, headings that name ideas,
computed sentences whose code is hidden (and that hide nothing else), and an ending of findings and exercises."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

from darkroom.app import book_chapters
from darkroom.core.paths import find_notebooks

NOTEBOOKS = find_notebooks()

# What a hidden cell may not call: the reader must see every experiment's code.
EXPERIMENT_CALLS = ("train", "fit", "evaluate", "score", "plot", "save_figure", "show", "imshow", "stylize")
SEED_HEADING = re.compile(r"^#+ .*\b(seed|write-up) 0\d\d", re.I | re.M)
CHANGELOG = re.compile(r"corrections to earlier|changelog|earlier versions of this page", re.I)
LIST_ITEM = re.compile(r"^(\d+\.|[-*]) \S", re.M)


def _source(cell: dict[str, Any]) -> str:
    return book_chapters.cell_text(cell["source"])


def _is_hidden(cell: dict[str, Any]) -> bool:
    md = cell.get("metadata", {})
    return "remove-input" in md.get("tags", []) and md.get("jupyter", {}).get("source_hidden") is True


def _emits_prose(tree: ast.AST) -> bool:
    """Whether the code displays Markdown that is not a table: a sentence computed from the run."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "Markdown" and node.args:
            if "table" not in ast.unparse(node.args[0]):
                return True
    return False


def _prints_the_settings(tree: ast.AST) -> bool:
    """Whether the code prints or displays the settings object itself (``print(cfg)``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and ast.unparse(node.func) in ("print", "display"):
            if any(isinstance(a, ast.Name) and a.id == "cfg" for a in node.args):
                return True
    return False


def _runs_an_experiment(tree: ast.AST) -> bool:
    """Whether the code trains, fits, scores or draws (any call named so, or any ``plt`` call)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if name.startswith("plt.") or name.split(".")[-1].startswith(EXPERIMENT_CALLS):
                return True
    return False


def _sections(nb: dict[str, Any]) -> list[tuple[str, str]]:
    """(second-level heading, the Markdown under it up to the next one), in order."""
    sections: list[tuple[str, str]] = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for part in re.split(r"^(?=## )", _source(cell), flags=re.M):
            if part.startswith("## "):
                heading, _, body = part.partition("\n")
                sections.append((heading[3:].strip(), body))
            elif sections:
                sections[-1] = (sections[-1][0], sections[-1][1] + part)
    return sections


def chapter_problems(nb: dict[str, Any]) -> list[str]:
    """What keeps a chapter from reading as a tutorial, one line per problem, with the cell index."""
    problems = []
    for i, cell in enumerate(nb["cells"]):
        text = _source(cell)
        if cell["cell_type"] == "markdown":
            if SEED_HEADING.search(text):
                problems.append(f"cell {i}: a heading names a seed, not an idea")
            if CHANGELOG.search(text):
                problems.append(f"cell {i}: a changelog on the page")
            continue
        try:
            tree = ast.parse(text)
        except SyntaxError:  # IPython magics (the Colab set-up cell)
            continue
        if any(isinstance(node, ast.Assert) for node in ast.walk(tree)):
            problems.append(f"cell {i}: an assert on the page (assertions belong in tests)")
        if _prints_the_settings(tree):
            problems.append(f"cell {i}: prints the whole settings (a configuration dump)")
        if CHANGELOG.search(text):
            problems.append(f"cell {i}: a changelog on the page")
        if _emits_prose(tree) and not _is_hidden(cell):
            problems.append(
                f"cell {i}: computes a sentence but shows its code (tag remove-input, source_hidden)"
            )
        if _is_hidden(cell) and _runs_an_experiment(tree):
            problems.append(f"cell {i}: hides an experiment's code")
    sections = _sections(nb)
    names = [name for name, _ in sections]
    if names[-2:] != ["Findings", "Exercises"]:
        problems.append(f"the chapter ends with {names[-2:]}, not ['Findings', 'Exercises']")
    else:
        if len(LIST_ITEM.findall(sections[-1][1])) < 3:
            problems.append("fewer than 3 exercises")
        if not LIST_ITEM.findall(sections[-2][1]):
            problems.append("the findings list no verdict")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_chapter_reads_as_a_tutorial(path: Path) -> None:
    assert chapter_problems(json.loads(path.read_text())) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_card_has_a_lesson_and_a_thumbnail_the_chapter_saves(path: Path) -> None:
    """The landing page's card: one sentence, and a figure chosen for it rather than the first one saved."""
    nb = json.loads(path.read_text())
    card = book_chapters.chapter_metadata(nb)
    assert card.get("lesson", "").endswith(".") and card["lesson"].count(". ") == 0, card
    code = "\n".join(_source(c) for c in nb["cells"] if c["cell_type"] == "code")
    assert f'"{card.get("thumbnail")}"' in code, f"{card.get('thumbnail')} is not a figure the chapter saves"


def _notebook(*cells: tuple[str, str, dict[str, Any] | None]) -> dict[str, Any]:
    return {"cells": [{"cell_type": kind, "source": src, "metadata": md or {}} for kind, src, md in cells]}


HIDDEN = {"tags": ["remove-input"], "jupyter": {"source_hidden": True}}
ENDING = (
    ("markdown", "## Findings\n\n- MSE paints the mean.", None),
    ("markdown", "## Exercises\n\n1. One.\n2. Two.\n3. Three.", None),
)


def test_a_chapter_that_follows_every_rule_has_no_problem() -> None:
    nb = _notebook(
        ("markdown", "# Title\n\n## Loss functions", None),
        ("code", "fit = train(x)\nplt.show()", None),
        ("code", 'display(Markdown(f"It reached {fit.loss:.2f}."))', HIDDEN),
        ("code", "display(Markdown(tables.markdown_table(rows)))", None),
        *ENDING,
    )
    assert chapter_problems(nb) == []


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        ((("code", "assert x == 1", None),), "cell 0: an assert on the page"),
        ((("code", "cfg = select(profile)\nprint(cfg)", None),), "cell 0: prints the whole settings"),
        ((("markdown", "## Seed 003's photo set", None),), "cell 0: a heading names a seed"),
        (
            (("code", 'display(Markdown("Corrections to earlier versions of this page"))', HIDDEN),),
            "changelog",
        ),
        ((("code", 'display(Markdown(f"It reached {loss:.2f}."))', None),), "cell 0: computes a sentence"),
        (
            (("code", 'r = train(x)\ndisplay(Markdown(f"{r}"))', HIDDEN),),
            "cell 0: hides an experiment's code",
        ),
    ],
)
def test_each_rule_flags_its_control(cells: tuple, problem: str) -> None:
    problems = chapter_problems(_notebook(*cells, *ENDING))
    assert any(problem in p for p in problems), problems


def test_an_ending_without_exercises_or_with_too_few_is_flagged() -> None:
    summary = _notebook(("markdown", "## Summary\n\n- done", None))
    assert chapter_problems(summary) == ["the chapter ends with ['Summary'], not ['Findings', 'Exercises']"]
    two = _notebook(ENDING[0], ("markdown", "## Exercises\n\n1. One.\n2. Two.", None))
    assert chapter_problems(two) == ["fewer than 3 exercises"]
