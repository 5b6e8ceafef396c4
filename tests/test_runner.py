"""The runner: failing notebooks are saved and reported, others still run, outputs are atomic."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from darkroom.app import runner
from darkroom.core import paths


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('profile = "default"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params] + [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path, str]:
    folder = tmp_path_factory.mktemp("nbs")
    out = tmp_path_factory.mktemp("out")
    _notebook(folder / "01_fine.ipynb", "x = [0] * 2_000_000\nprint('profile is', profile)")
    _notebook(folder / "02_broken.ipynb", "raise ValueError('on purpose')", "print('never reached')")
    _notebook(folder / "03_after.ipynb", "print('still ran')")
    code = runner.main(
        [str(p) for p in paths.find_notebooks(folder)]
        + ["--profile", "smoke", "--out", str(out), "--no-book"]
    )
    return code, out, (out / "summary.json").read_text()


def test_failure_gives_nonzero_exit(ran: tuple[int, Path, str]) -> None:
    assert ran[0] == 1


def test_failing_notebook_is_saved_with_its_error(ran: tuple[int, Path, str]) -> None:
    nb = nbformat.read(ran[1] / "notebooks" / "02_broken.ipynb", as_version=4)
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"
    ]
    assert errors and errors[0].ename == "ValueError" and "on purpose" in errors[0].evalue


def test_other_notebooks_still_run_with_the_profile(ran: tuple[int, Path, str]) -> None:
    text = (ran[1] / "notebooks" / "01_fine.ipynb").read_text()
    assert "profile is smoke" in text
    assert "still ran" in (ran[1] / "notebooks" / "03_after.ipynb").read_text()


def test_summary_lists_every_notebook_with_status_time_and_memory(ran: tuple[int, Path, str]) -> None:
    summary = {r["notebook"]: r for r in json.loads(ran[2])}
    assert sorted(summary) == ["01_fine.ipynb", "02_broken.ipynb", "03_after.ipynb"]
    assert summary["02_broken.ipynb"]["status"] == "failed"
    assert summary["02_broken.ipynb"]["error"] == "ValueError: on purpose"
    assert summary["01_fine.ipynb"]["status"] == "ok"
    # the kernel held a 2-million-item list, so its peak is well above a bare interpreter's
    assert summary["01_fine.ipynb"]["peak_memory_mb"] > 20
    assert summary["01_fine.ipynb"]["seconds"] > 0


def test_no_html_is_rendered_beside_the_book(ran: tuple[int, Path, str]) -> None:
    """One rendered form is enough: the book (outputs/book/), not nbconvert pages in outputs/html/."""
    assert not (ran[1] / "html").exists()
    assert not (ran[1] / "book").exists()  # --no-book


def test_summary_merges_with_rows_of_earlier_runs(tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text(
        json.dumps(
            [
                {
                    "notebook": "09_old.ipynb",
                    "status": "ok",
                    "seconds": 1.0,
                    "peak_memory_mb": 1.0,
                    "profile": "smoke",
                    "output": "notebooks/09_old.ipynb",
                    "html": "09_old.html",
                    "error": None,
                    "finished": "",
                }
            ]
        )
    )
    new = runner.NotebookResult("01_new.ipynb", "ok", 2.0, 3.0, "smoke", "notebooks/01_new.ipynb")
    rows = json.loads(runner.write_summary([new], tmp_path).read_text())
    assert [r["notebook"] for r in rows] == ["01_new.ipynb", "09_old.ipynb"]
    assert all("html" not in r for r in rows)


def test_no_temporary_files_are_left_behind(ran: tuple[int, Path, str]) -> None:
    leftovers = [p.name for p in ran[1].rglob("*") if ".tmp" in p.name or p.name.endswith(".result.json")]
    assert leftovers == []


def test_missing_notebook_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = runner.main([str(tmp_path / "99_nope.ipynb"), "--out", str(tmp_path)])
    assert code == 2
    assert "no such notebook" in capsys.readouterr().err


def test_unknown_profile_is_refused(tmp_path: Path) -> None:
    nb = _notebook(tmp_path / "01_x.ipynb", "pass")
    with pytest.raises(ValueError, match="unknown profile 'huge'"):
        runner.run_notebook(nb, profile="huge", out=tmp_path)


def test_params_parse_as_python_literals() -> None:
    assert runner._param("epochs=3") == ("epochs", 3)
    assert runner._param("name=astronaut") == ("name", "astronaut")
    with pytest.raises(Exception, match="NAME=VALUE"):
        runner._param("oops")
