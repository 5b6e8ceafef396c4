"""Every numbered notebook executes end to end with profile='smoke', and is stored clean."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from darkroom.app import runner

NOTEBOOKS = runner.find_notebooks()


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "notebooks/ holds no NN_*.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_a_clean_source(path: Path) -> None:
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c.get("outputs") == [] for c in code), "notebooks in git carry no outputs"
    assert all(c.get("execution_count") is None for c in code), "notebooks in git carry no execution counts"
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell is tagged 'parameters'"
    assert 'profile = "default"' in "".join(tagged[0]["source"])
    assert nb["cells"][0]["cell_type"] == "markdown" and "".join(nb["cells"][0]["source"]).startswith("# ")


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_in_smoke_profile(path: Path, tmp_path: Path) -> None:
    result = runner.run_notebook(path, profile="smoke", out=tmp_path)
    assert result.status == "ok", result.error
    assert (tmp_path / "notebooks" / path.name).is_file()
    assert not (tmp_path / "html").exists(), "the book renders notebooks; the runner writes no HTML"
