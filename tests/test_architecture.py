"""The rules of ARCHITECTURE.md, each checked on the code and each with a control that can fail.

- ``lib/darkroom/`` holds packages by role: ``core`` (foundations), one package per topic, ``app``.
- Imports point down: ``core`` imports no topic and no ``app``; a topic imports ``core`` and itself;
  nothing but ``app`` imports ``app``. The module graph has no cycle.
- Clients (notebooks, benchmarks) import modules that exist, and reach a foundation module directly,
  not through a topic.
- No library function is over 60 lines and no module over 500.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

from darkroom.app import imports

PACKAGE = Path(__file__).resolve().parents[1] / "lib" / "darkroom"
ROOT = PACKAGE.parents[1]
CORE = "core"
APP = "app"
# The topic packages, one per chapter family (ARCHITECTURE.md, "Layers").
TOPICS = {"circles", "colorize", "regression", "style", "superres"}
# What the top of the package may hold besides the packages above.
TOP_FILES = {"__init__.py", "__main__.py"}
FILES = imports.library_files(PACKAGE)
LIBRARY = sorted(FILES.values())
MODULES = set(FILES)
PACKAGES = {m for m, p in FILES.items() if p.name == "__init__.py"}


def _label(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _dotted(path: Path) -> str:
    """``core/color.py`` -> ``darkroom.core.color``; ``colorize/__init__.py`` -> ``darkroom.colorize``."""
    return imports.module_name(path, PACKAGE)


def _role(module: str) -> str:
    """The layer of a dotted darkroom module: core, app, a topic's name, or ``top``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "top"


def imported_modules(source: str, here: str, modules: Iterable[str] = MODULES) -> set[str]:
    """The darkroom modules ``source`` (the module ``here``) imports: the library's own reader
    (:func:`darkroom.app.imports.imported_modules`, which the run cache follows too) on this library."""
    return imports.imported_modules(source, here, modules, PACKAGES)


def _is_package(module: str) -> bool:
    return module in PACKAGES


def layer_violation(here: str, imported: str) -> str | None:
    """Why ``here`` may not import ``imported``, or None when the rule allows it."""
    src, dst = _role(here), _role(imported)
    if src == dst or (dst == CORE and src != "top") or (src in (APP, "top") and dst != "top"):
        return None
    if dst == APP:
        return f"{here} imports {imported}: only the running code imports darkroom.app"
    if src == CORE:
        return f"foundation {here} imports {imported}: core knows no topic"
    if src in TOPICS:
        return f"topic {here} imports {imported}: a topic imports core and itself only"
    return f"{here} imports {imported}"


def test_the_top_level_holds_only_packages_by_role() -> None:
    loose = sorted(p.name for p in PACKAGE.iterdir() if p.suffix == ".py" and p.name not in TOP_FILES)
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert loose == [], f"modules outside a package: {loose}"
    assert packages == TOPICS | {CORE, APP}, sorted(packages ^ (TOPICS | {CORE, APP}))


@pytest.mark.parametrize("path", LIBRARY, ids=_label)
def test_imports_point_down_the_layers(path: Path) -> None:
    here = _dotted(path)
    if path.name == "__main__.py":
        here = "darkroom.app.__main__"  # `python -m darkroom` is the command: running code
    problems = [v for m in imported_modules(path.read_text(), here) if (v := layer_violation(here, m))]
    assert problems == []


def test_the_layer_rule_refuses_an_upward_import() -> None:
    # The control: each forbidden direction is seen, however it is imported.
    core = "darkroom.core.color"
    assert layer_violation(core, "darkroom.colorize") and layer_violation(core, "darkroom.app.book")
    assert layer_violation("darkroom.style.fast", "darkroom.colorize.pairs")
    assert layer_violation("darkroom.superres.pixels", "darkroom.app.cli")
    assert layer_violation("darkroom.colorize.train", "darkroom.core.color") is None
    assert layer_violation("darkroom.app.cli", "darkroom.superres") is None
    assert imported_modules("from darkroom.colorize import pairs, colorize", "darkroom.style.fast") == {
        "darkroom.colorize.pairs",
        "darkroom.colorize",
    }
    assert imported_modules("from ..core import color", "darkroom.superres.pixels") == {"darkroom.core.color"}
    assert imported_modules("from . import scores", "darkroom.superres.pixels") == {
        "darkroom.superres.scores"
    }


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of ``graph`` (module -> modules it imports), or [] when there is none."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        stack.pop()
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_the_module_graph_has_no_cycle() -> None:
    # A package's __init__ re-exports its modules, so the edges that count run between modules:
    # an import of a package stands for the modules it re-exports, which are not the importer.
    graph = {}
    for path in LIBRARY:
        if path.name == "__init__.py":
            continue
        here = _dotted(path)
        graph[here] = {m for m in imported_modules(path.read_text(), here) if not _is_package(m)}
    assert _cycle(graph) == []


def test_the_cycle_scan_finds_the_runner_book_circle() -> None:
    graph = {
        "darkroom.app.runner": {"darkroom.app.book"},
        "darkroom.app.book": {"darkroom.app.runner"},
        "darkroom.core.color": set(),
    }
    assert _cycle(graph) == ["darkroom.app.book", "darkroom.app.runner", "darkroom.app.book"]
    assert _cycle({"a": {"b"}, "b": set()}) == []


def test_importing_darkroom_does_not_import_tensorflow() -> None:
    import subprocess
    import sys

    code = "import sys, darkroom, darkroom.core.paths, darkroom.core.profiles; print('tensorflow' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
    )


# --------------------------------------------------------------------------- notebooks and benchmarks

CLIENTS = sorted(ROOT.glob("notebooks/*.ipynb")) + sorted(ROOT.glob("benchmarks/*.py"))


def _client_source(path: Path) -> str:
    """The Python of a benchmark, or of a notebook's code cells (IPython's ``!`` and ``%`` lines blanked)."""
    if path.suffix == ".py":
        return path.read_text()
    return "\n".join(imports.code_cell_sources(json.loads(path.read_text())["cells"]))


def _client_imports(source: str) -> set[str]:
    """Darkroom modules a client imports, as written (``from darkroom.core import nosuch`` included)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("darkroom.")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("darkroom"):
            for alias in node.names:
                dotted = f"{node.module}.{alias.name}"
                # `from darkroom.core import x` names a module; `from darkroom.core.color import f` a function
                found.add(
                    dotted
                    if node.module in ("darkroom", "darkroom.core")
                    and alias.name[0].islower()
                    and dotted not in _TOP_NAMES
                    else node.module
                )
    return found - {"darkroom"}


_TOP_NAMES = {f"darkroom.{n}" for n in ("seed_everything", "peak_rss_bytes", "__version__")}


@pytest.mark.parametrize("path", CLIENTS, ids=lambda p: p.name)
def test_notebooks_and_benchmarks_import_only_darkroom_modules_that_exist(path: Path) -> None:
    imported = _client_imports(_client_source(path))
    assert imported, f"{path.name} imports no darkroom module"
    assert imported <= MODULES, f"{path.name} imports {sorted(imported - MODULES)}, which do not exist"


def _topic_reaches(source: str) -> list[str]:
    """Every ``<topic>.<foundation module>`` attribute chain, e.g. ``colorize.metrics.colorfulness``."""
    core = {m.rpartition(".")[2] for m in MODULES if _role(m) == CORE}
    topics = set()
    for node in ast.walk(tree := ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "darkroom":
            topics |= {a.asname or a.name for a in node.names if a.name in TOPICS}
    return [
        f"line {n.lineno}: {n.value.id}.{n.attr}"
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute)
        and isinstance(n.value, ast.Name)
        and n.value.id in topics
        and n.attr in core
    ]


@pytest.mark.parametrize("path", CLIENTS, ids=lambda p: p.name)
def test_notebooks_and_benchmarks_reach_foundation_modules_directly(path: Path) -> None:
    assert _topic_reaches(_client_source(path)) == []


def test_the_client_scans_find_a_reach_and_a_missing_module() -> None:
    source = "from darkroom import colorize\nfrom darkroom.core import metrics\ncolorize.metrics.psnr(a, b)\n"
    assert _topic_reaches(source + "metrics.psnr(a, b)") == ["line 3: colorize.metrics"]
    assert _client_imports("from darkroom.core import nosuch, color") - MODULES == {"darkroom.core.nosuch"}
    assert _client_imports("from darkroom.core.color import rgb_to_lab") == {"darkroom.core.color"}


def test_a_topic_package_names_no_module_like_a_foundation_module() -> None:
    # `superres.data` would read as a foundation module reached through a topic
    core = {m.rpartition(".")[2] for m in MODULES if _role(m) == CORE}
    inner = {m.rpartition(".")[2] for m in MODULES if _role(m) in TOPICS}
    assert "pixels" in inner and not inner & core, sorted(inner & core)


# --------------------------------------------------------------------------- sizes

# A function whose body is over 60 lines does more than one thing; a module over 500 lines holds more
# than one concern. The body is counted from its first statement (the docstring): the formatter puts
# one parameter per line in a long signature, which says nothing about what the function does.
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 500


def _long_functions(source: str, limit: int) -> list[str]:
    return [
        f"{node.name} (line {node.lineno}): {node.end_lineno - node.body[0].lineno + 1} lines"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.body[0].lineno + 1 > limit
    ]


@pytest.mark.parametrize("path", LIBRARY, ids=_label)
def test_no_library_function_is_over_the_limit(path: Path) -> None:
    assert _long_functions(path.read_text(encoding="utf-8"), MAX_FUNCTION_LINES) == []


@pytest.mark.parametrize("path", LIBRARY, ids=_label)
def test_no_library_module_is_over_the_limit(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{_label(path)}: {lines} lines, limit {MAX_MODULE_LINES}"


def test_the_length_scan_finds_a_long_function() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES + 1))
    long = _long_functions(f"def long(\n    a,\n    b,\n):\n{body}\n", MAX_FUNCTION_LINES)
    assert long == [f"long (line 1): {MAX_FUNCTION_LINES + 1} lines"]
    assert _long_functions(f"def short(\n{'    a,' * 80}\n):\n    return 1\n", MAX_FUNCTION_LINES) == []


def _attribute_uses(source: str) -> list[tuple[int, str, str]]:
    """(line, module, attribute) for every ``name.attr`` where ``name`` is bound to a darkroom module
    by ``from darkroom... import name`` or ``import darkroom.x as name``."""
    tree = ast.parse(source)
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "darkroom":
            for alias in node.names:
                if f"{node.module}.{alias.name}" in MODULES:
                    bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            bound |= {a.asname: a.name for a in node.names if a.asname and a.name in MODULES}
    return [
        (n.lineno, bound[n.value.id], n.attr)
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in bound
    ]


def _missing_attributes(source: str) -> list[str]:
    import importlib

    return [
        f"line {line}: {module}.{attr}"
        for line, module, attr in _attribute_uses(source)
        if not hasattr(importlib.import_module(module), attr)
    ]


@pytest.mark.parametrize(
    "path", CLIENTS + sorted(ROOT.glob("tests/test_*.py")) + LIBRARY, ids=lambda p: p.name
)
def test_clients_use_only_names_the_library_has(path: Path) -> None:
    # A moved or renamed function fails here, without running the notebook that calls it.
    assert _missing_attributes(_client_source(path)) == []


def test_the_name_scan_finds_a_name_that_moved() -> None:
    source = "from darkroom.core import paths as p, color\np.repo_root()\ncolor.no_such_function(x)\n"
    assert _missing_attributes(source) == ["line 3: darkroom.core.color.no_such_function"]


# --------------------------------------------------------------------------- ARCHITECTURE.md

ARCHITECTURE = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")


def _where_table(markdown: str) -> list[tuple[list[str], list[str]]]:
    """([module paths], [example names]) per row of the "Where things go" table."""
    section = markdown.split("\n## Where things go", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 3 and not set(cells[1]) <= set("-: "):
            rows.append((re.findall(r"`([\w/<>]+\.py)`", cells[1]), re.findall(r"`(\w+)`", cells[2])))
    return rows


def _stale_rows(rows: list[tuple[list[str], list[str]]]) -> list[str]:
    import importlib

    stale = []
    for paths, names in rows:
        files = [PACKAGE / p for p in paths if "<" not in p]
        stale += [f"{f.relative_to(PACKAGE)}: no such module" for f in files if not f.is_file()]
        modules = [importlib.import_module(_dotted(f)) for f in files if f.is_file()]
        stale += [
            f"{n}: in none of {paths}" for n in names if modules and not any(hasattr(m, n) for m in modules)
        ]
    return stale


def test_architecture_md_names_modules_and_functions_that_exist() -> None:
    rows = _where_table(ARCHITECTURE)
    assert len(rows) > 10 and _stale_rows(rows) == []
    # every foundation module has a row: a newcomer finds it from the table
    named = {p for paths, _ in rows for p in paths}
    core = {_label(p) for p in LIBRARY if _role(_dotted(p)) == CORE and p.name != "__init__.py"}
    assert sorted(m for m in core if m not in named and "writeup_entries/" not in m) == []


def test_the_architecture_table_check_finds_a_stale_row() -> None:
    rows = [(["core/color.py"], ["rgb_to_lab", "no_such_function"]), (["core/nowhere.py"], [])]
    assert _stale_rows(rows) == [
        "no_such_function: in none of ['core/color.py']",
        "core/nowhere.py: no such module",
    ]
