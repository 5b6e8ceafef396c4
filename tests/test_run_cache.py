"""The runner's cache: one test per rule that re-executes a notebook, each able to fail if the rule breaks.

Most rules are checked on :func:`darkroom.app.cache.decide` with an "execution" written by the test
(no kernel starts) and a fake ``darkroom`` package in ``tmp_path``; two tests execute tiny
notebooks through the runner.
"""

from __future__ import annotations

import ast
import json
import subprocess
from pathlib import Path
from typing import Any

import nbformat
import pytest

from darkroom.app import book_chapters, cache, imports, runner
from darkroom.core.paths import find_notebooks

PARAMS = {"profile": "smoke"}
VERSIONS = {"python": "3.11.0", "numpy": "2.0.0"}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """A fake ``darkroom``: core.color imports core.util; core.unused is imported by nothing."""
    package = tmp_path / "lib" / "darkroom"
    files = {
        "__init__.py": "import os\n",
        "core/__init__.py": "",
        "core/color.py": "from darkroom.core import util\n",
        "core/util.py": "def f():\n    return 1\n",
        "core/unused.py": "X = 1\n",
        "topic/__init__.py": "from .model import build\n",
        "topic/model.py": "from ..core.util import f\n",
        "topic/weights/net.keras": "weights",
    }
    for name, text in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    return package


def _source(folder: Path, name: str, *code: str, text: str = "First words.", reads: tuple = ()) -> Path:
    """A notebook like the repository's: a title, a parameters cell, then ``code``."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('profile = "default"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {name}\n\n{text}"), params]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in code]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if reads:
        nb.metadata["darkroom"] = {"reads": list(reads)}
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{name}.ipynb")
    return folder / f"{name}.ipynb"


def _edit(path: Path, index: int, source: str) -> None:
    nb = json.loads(path.read_text())
    nb["cells"][index]["source"] = source
    path.write_text(json.dumps(nb, indent=1))


def _decide(path: Path, out: Path, library: Path, **kw: Any) -> cache.Decision:
    kw.setdefault("versions", VERSIONS)
    return cache.decide(path, kw.pop("params", PARAMS), out, library=library, **kw)


def _execute(path: Path, out: Path, library: Path, status: str = "ok", **kw: Any) -> dict[str, Any]:
    """Stand in for an execution: the copy papermill would write (outputs, injected cell) and its record."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"output {i}\n")]
        cell.execution_count = i + 1
    injected = nbformat.v4.new_code_cell('profile = "smoke"')
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(2, injected)
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out / "notebooks" / path.name)
    key = _decide(path, out, library, **kw).key
    facts = {"status": status, "seconds": 1.5, "profile": "smoke", "commit": "abc1234"}
    return cache.write_record(out, path.name, key, facts)


@pytest.fixture
def settled(tmp_path: Path, library: Path) -> tuple[Path, Path]:
    """A notebook importing core.color, "executed" once: (source, outputs folder)."""
    path = _source(tmp_path / "nbs", "01_a", "from darkroom.core import color\nprint(color)")
    out = tmp_path / "out"
    _execute(path, out, library)
    return path, out


# --------------------------------------------------------------------------- the rules


def test_unchanged_notebook_is_cached(settled: tuple[Path, Path], library: Path) -> None:
    decision = _decide(*settled, library)
    assert (decision.run, decision.reason) == (False, "cached")
    assert decision.record and decision.record["commit"] == "abc1234"


def test_markdown_only_edit_is_cached_and_merged_into_the_executed_copy(
    settled: tuple[Path, Path], library: Path
) -> None:
    path, out = settled
    _edit(path, 0, "# 01_a\n\nA sentence written after the run.")
    assert _decide(path, out, library).run is False
    assert cache.reuse(path, out) is True
    merged = json.loads((out / "notebooks" / path.name).read_text())
    assert "A sentence written after the run." in merged["cells"][0]["source"]
    code = [c for c in merged["cells"] if c["cell_type"] == "code"]
    assert [c["metadata"].get("tags") for c in code] == [["parameters"], ["injected-parameters"], None]
    assert ["".join(o["text"]) for c in code for o in c["outputs"]] == ["output 0\n", "output 1\n"]
    assert cache.reuse(path, out) is False  # once merged, nothing to write


def test_code_edit_runs(settled: tuple[Path, Path], library: Path) -> None:
    path, out = settled
    _edit(path, 2, "from darkroom.core import color\nprint(color, 2)")
    assert _decide(path, out, library).reason == "code changed"


def test_code_cell_ids_outputs_and_counts_are_not_code(settled: tuple[Path, Path], library: Path) -> None:
    path, out = settled
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        cell["id"] = "changed-" + cell["id"]
    nb["cells"][2]["execution_count"] = 7
    path.write_text(json.dumps(nb))
    assert _decide(path, out, library).run is False


def test_profile_and_parameter_changes_run(settled: tuple[Path, Path], library: Path) -> None:
    path, out = settled
    assert _decide(path, out, library, params={"profile": "default"}).reason == (
        "profile changed (smoke -> default)"
    )
    assert _decide(path, out, library, params={**PARAMS, "seed": 1}).reason == "parameters changed"


def test_library_change_inside_the_import_closure_runs(settled: tuple[Path, Path], library: Path) -> None:
    path, out = settled
    (library / "core" / "util.py").write_text("def f():\n    return 2\n")  # imported by core.color
    assert _decide(path, out, library).reason == "library changed: darkroom/core/util.py"


def test_library_change_outside_the_import_closure_is_cached(
    settled: tuple[Path, Path], library: Path
) -> None:
    path, out = settled
    (library / "core" / "unused.py").write_text("X = 2\n")
    (library / "topic" / "model.py").write_text("Y = 3\n")
    assert _decide(path, out, library).run is False


def test_the_closure_holds_the_package_inits_on_the_path_and_package_data(library: Path) -> None:
    def closure(source: str) -> list[str]:
        return [p.relative_to(library).as_posix() for p in imports.import_closure([source], library)]

    assert closure("from darkroom.core import color") == [
        "__init__.py",
        "core/__init__.py",
        "core/color.py",
        "core/util.py",
    ]
    assert closure("from darkroom.topic import build") == [
        "__init__.py",
        "core/__init__.py",
        "core/util.py",
        "topic/__init__.py",
        "topic/model.py",
        "topic/weights/net.keras",
    ]
    assert closure("import darkroom") == ["__init__.py"]
    assert closure("import numpy\n!pip list") == []


def test_the_real_closure_of_pix2pix_follows_the_package_and_stops_at_other_topics() -> None:
    nb = json.loads((find_notebooks()[0].parent / "07_colorization_pix2pix.ipynb").read_text())
    files = set(cache.library_digests(nb))
    assert {"darkroom/__init__.py", "darkroom/colorize/__init__.py", "darkroom/colorize/train.py"} <= files
    assert "darkroom/core/training.py" in files  # reached through colorize, not named by the notebook
    assert not any(f.startswith(("darkroom/style/", "darkroom/app/", "darkroom/superres/")) for f in files)


def test_package_version_change_runs(
    settled: tuple[Path, Path], library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, out = settled
    monkeypatch.setattr(cache, "_distribution_version", lambda name: "1.0")
    _execute(path, out, library, versions=None)
    assert _decide(path, out, library, versions=None).run is False
    monkeypatch.setattr(cache, "_distribution_version", lambda name: "2.0" if name == "numpy" else "1.0")
    assert _decide(path, out, library, versions=None).reason == "package versions changed: numpy 1.0 -> 2.0"


def test_upstream_rerun_makes_the_reader_run(tmp_path: Path, library: Path) -> None:
    out = tmp_path / "out"
    up = _source(tmp_path / "nbs", "06_up", "print('saves a model')")
    reader = _source(tmp_path / "nbs", "07_reader", "print('loads it')", reads=("06_up",))
    _execute(up, out, library)
    _execute(reader, out, library)
    assert _decide(reader, out, library).run is False
    _execute(up, out, library)  # 06 ran again: a new execution record
    assert _decide(reader, out, library).reason == "upstream 06_up re-ran"


def test_force_runs(settled: tuple[Path, Path], library: Path) -> None:
    assert _decide(*settled, library, force=True).reason == "forced"


def test_a_failed_run_runs_again(settled: tuple[Path, Path], library: Path) -> None:
    path, out = settled
    _execute(path, out, library, status="failed")
    assert _decide(path, out, library).reason == "last run failed"


def test_a_missing_or_foreign_executed_copy_runs(settled: tuple[Path, Path], library: Path) -> None:
    path, out = settled
    executed = out / "notebooks" / path.name
    nb = json.loads(executed.read_text())
    nb["cells"][3]["source"] = "print('someone else')"
    executed.write_text(json.dumps(nb))
    assert "holds other code" in _decide(path, out, library).reason
    executed.unlink()
    assert "missing" in _decide(path, out, library).reason


def test_the_merge_refuses_other_code_and_keeps_the_injected_cell_in_place() -> None:
    source = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("a = 1")])
    executed = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("a = 2")])
    with pytest.raises(ValueError, match="code differs"):
        cache.merge_markdown(source, executed)
    injected = nbformat.v4.new_code_cell("profile = 'smoke'")
    injected.metadata["tags"] = ["injected-parameters"]
    source.cells = [nbformat.v4.new_markdown_cell("new"), nbformat.v4.new_code_cell("a = 1")]
    executed.cells = [injected, nbformat.v4.new_markdown_cell("old"), nbformat.v4.new_code_cell("a = 1")]
    merged = cache.merge_markdown(source, executed)
    assert [c["source"] for c in merged["cells"]] == ["profile = 'smoke'", "new", "a = 1"]


def test_the_commit_is_short_head_with_dirty_lib(tmp_path: Path) -> None:
    assert cache.library_commit(tmp_path) == "unknown"

    def git(*args: str) -> str:
        cmd = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", *args]
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()

    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "m.py").write_text("x = 1\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "one")
    head = git("rev-parse", "--short", "HEAD")
    (tmp_path / "README").write_text("not the library\n")
    assert cache.library_commit(tmp_path) == head
    (tmp_path / "lib" / "m.py").write_text("x = 2\n")
    assert cache.library_commit(tmp_path) == f"{head}+dirty"


def test_the_chapter_card_says_ran_now_or_cached_with_when_and_the_commit(tmp_path: Path) -> None:
    folder, out = tmp_path / "nbs", tmp_path / "out"
    rows = []
    for name, run in (("01_a", "ran"), ("02_b", "cached"), ("03_c", None)):
        _source(folder, name, "print(1)")
        (out / "notebooks").mkdir(parents=True, exist_ok=True)
        (out / "notebooks" / f"{name}.ipynb").write_text((folder / f"{name}.ipynb").read_text())
        row = {"notebook": f"{name}.ipynb", "status": "ok", "seconds": 3.0, "profile": "smoke"}
        rows.append(
            row
            | ({"run": run, "last_executed": "2025-01-02T03:04:05+00:00", "commit": "abc1234"} if run else {})
        )
    (out / "summary.json").write_text(json.dumps(rows))
    facts = [book_chapters.run_facts(ch) for ch in book_chapters.chapters(out, folder)]
    assert facts == [
        "profile smoke · 3 s · ran now",
        "profile smoke · 3 s · cached, last ran 2025-01-02 03:04 at abc1234",
        "profile smoke · 3 s",  # a summary written before the cache
    ]


# --------------------------------------------------------------------------- declared reads


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and getattr(n.func, "attr", getattr(n.func, "id", None)) == name
    ]


def _literal_prefix(node: ast.expr) -> str:
    """``"colorizer_mse"`` -> itself; ``f"colorizer_{x}_mse"`` -> ``colorizer_`` (up to the first field)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        prefix = ""
        for part in node.values:
            if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
                break
            prefix += part.value
        return prefix
    return ""


def undeclared_reads(notebooks: dict[str, dict[str, Any]]) -> list[str]:
    """Each notebook that loads colorizers (``saved_colorizers(...)``) must declare, in
    ``metadata["darkroom"]["reads"]``, every other notebook that saves a ``colorizer_*`` model;
    every declared read must name a notebook that runs before it."""
    trees = {
        stem: ast.parse("\n".join(imports.code_cell_sources(nb["cells"]))) for stem, nb in notebooks.items()
    }
    savers = {
        stem
        for stem, tree in trees.items()
        for call in _calls(tree, "save_model")
        if len(call.args) > 1 and _literal_prefix(call.args[1]).startswith("colorizer_")
    }
    problems = []
    for stem, tree in trees.items():
        reads = cache.declared_reads(notebooks[stem])
        if _calls(tree, "saved_colorizers"):
            problems += [
                f"{stem} does not declare it reads {s}" for s in sorted(savers - {stem} - set(reads))
            ]
        problems += [f"{stem} reads {r}, which does not run before it" for r in reads if not r < stem]
    return problems


def test_notebooks_declare_the_notebooks_whose_models_they_load() -> None:
    notebooks = {p.stem: json.loads(p.read_text()) for p in find_notebooks()}
    assert cache.declared_reads(notebooks["07_colorization_pix2pix"]) == ["06_colorization_cnn"]
    assert undeclared_reads(notebooks) == []


def test_the_declaration_check_finds_a_missing_and_a_late_read() -> None:
    def nb(code: str, reads: tuple = ()) -> dict[str, Any]:
        meta = {"darkroom": {"reads": list(reads)}} if reads else {}
        return {"cells": [{"cell_type": "code", "source": code}], "metadata": meta}

    saver = nb('saving.save_model(m, f"colorizer_{data}_mse")\ntraining.save_model(m, "other")')
    loader = "saved = colorize.saved_colorizers(data)\ntraining.save_model(m, 'colorizer_x_gan')"
    assert undeclared_reads({"06_saves": saver, "07_loads": nb(loader)}) == [
        "07_loads does not declare it reads 06_saves"
    ]
    assert undeclared_reads({"06_saves": saver, "07_loads": nb(loader, ("06_saves",))}) == []
    assert undeclared_reads({"06_saves": nb("pass", ("07_loads",)), "07_loads": nb("pass")}) == [
        "06_saves reads 07_loads, which does not run before it"
    ]


# --------------------------------------------------------------------------- through the runner


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Tiny notebooks run three times: fresh, again unchanged, again after a Markdown edit."""
    folder, out = tmp_path_factory.mktemp("nbs"), tmp_path_factory.mktemp("out")
    fine = _source(folder, "01_fine", "import uuid\nprint('drawn', uuid.uuid4())")
    broken = _source(folder, "02_broken", "raise ValueError('on purpose')")
    runs: dict[str, Any] = {"out": out, "fine": fine}
    runs["first"] = runner.run_all([fine, broken], "smoke", out, timeout_s=60)
    runs["first_copy"] = (out / "notebooks" / fine.name).read_text()
    runs["second"] = runner.run_all([fine, broken], "smoke", out, timeout_s=60)
    _edit(fine, 0, "# 01_fine\n\nA sentence added later.")
    runs["third"] = runner.run_all([fine], "smoke", out, timeout_s=60)
    runs["summary"] = {r["notebook"]: r for r in json.loads((out / "summary.json").read_text())}
    return runs


def _drawn(text: str) -> list[str]:
    return [
        line for line in text.replace("\\n", "\n").splitlines() if "drawn " in line and "print" not in line
    ]


def test_the_runner_reuses_an_unchanged_notebook_and_reruns_a_failed_one(runs: dict[str, Any]) -> None:
    assert [(r.run, r.status) for r in runs["first"]] == [("ran", "ok"), ("ran", "failed")]
    assert [(r.run, r.status) for r in runs["second"]] == [("cached", "ok"), ("ran", "failed")]
    first, second = runs["first"][0], runs["second"][0]
    assert (second.last_executed, second.commit, second.seconds) == (
        first.last_executed,
        first.commit,
        first.seconds,
    )
    assert first.commit and first.last_executed[:4].isdigit() and "T" in first.last_executed
    record = cache.read_record(runs["out"], "01_fine.ipynb")
    assert record and record["key"]["parameters"] == {"profile": "smoke"} and record["status"] == "ok"


def test_the_runner_merges_a_markdown_edit_without_executing(runs: dict[str, Any]) -> None:
    assert [r.run for r in runs["third"]] == ["cached"]
    text = (runs["out"] / "notebooks" / "01_fine.ipynb").read_text()
    assert "A sentence added later." in text
    drawn = _drawn(text)
    assert len(drawn) == 1 and drawn == _drawn(runs["first_copy"])  # the uuid the first run drew
    row = runs["summary"]["01_fine.ipynb"]
    assert (row["run"], row["last_executed"]) == ("cached", runs["first"][0].last_executed)


def test_force_executes_a_named_notebook(runs: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    code = runner.main(
        [str(runs["fine"]), "--profile", "smoke", "--out", str(runs["out"]), "--no-book", "--force"]
    )
    assert code == 0
    assert "01_fine.ipynb (profile smoke) runs: forced" in capsys.readouterr().out
    row = {r["notebook"]: r for r in json.loads((runs["out"] / "summary.json").read_text())}["01_fine.ipynb"]
    assert row["run"] == "ran" and row["last_executed"] >= runs["first"][0].last_executed
    assert _drawn((runs["out"] / "notebooks" / "01_fine.ipynb").read_text()) != _drawn(runs["first_copy"])


def test_a_file_that_is_not_a_notebook_runs_and_fails_as_before(tmp_path: Path) -> None:
    (tmp_path / "01_junk.ipynb").write_text("not json")
    decision = cache.decide(tmp_path / "01_junk.ipynb", PARAMS, tmp_path / "out")
    assert decision.run and decision.reason.startswith("no cache key (JSONDecodeError")
    # its execution is recorded under an empty key, which no notebook's key matches
    cache.write_record(tmp_path / "out", "01_junk.ipynb", decision.key, {"status": "ok"})
    _source(tmp_path, "01_junk")
    assert "code changed" in cache.decide(tmp_path / "01_junk.ipynb", PARAMS, tmp_path / "out").reason
