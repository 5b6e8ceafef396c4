"""The module map of DESIGN.md: foundation modules never import a topic; topics never import each other."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lib" / "darkroom"
TOPICS = {"regression", "regression_plots", "circles", "style", "colorize", "pix2pix", "superres"}
# DESIGN.md: the `darkroom` command sits beside the library; it may import anything, nothing imports it.
BESIDE = {"cli", "__main__"}


def _darkroom_imports(path: Path) -> set[str]:
    """Names of darkroom modules that ``path`` imports (absolute or relative)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("darkroom.")}
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1 or module == "darkroom":
                base = module.split(".")[0] if node.level == 1 and module else None
                found |= {base} if base else {a.name for a in node.names}
            elif module.startswith("darkroom."):
                found.add(module.split(".")[1])
    return found


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.stem)
def test_imports_follow_the_module_map(path: Path) -> None:
    imported = _darkroom_imports(path) - {path.stem}
    if path.stem in BESIDE:
        return
    assert not imported & BESIDE, f"library module {path.stem} imports {imported & BESIDE}"
    if path.stem in TOPICS:
        assert not imported & TOPICS, f"topic {path.stem} imports topic(s) {imported & TOPICS}"
    else:
        assert not imported & TOPICS, f"foundation {path.stem} imports topic(s) {imported & TOPICS}"


def test_importing_darkroom_does_not_import_tensorflow() -> None:
    import subprocess
    import sys

    code = "import sys, darkroom, darkroom.paths, darkroom.profiles; print('tensorflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


# --------------------------------------------------------------------------- notebooks and benchmarks

ROOT = PACKAGE.parents[1]
MODULES = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
FOUNDATION = MODULES - TOPICS - BESIDE
CLIENTS = sorted(ROOT.glob("notebooks/*.ipynb")) + sorted(ROOT.glob("benchmarks/*.py"))


def _client_tree(path: Path) -> ast.Module:
    """The Python of a benchmark, or of a notebook's code cells (IPython's ``!`` and ``%`` lines blanked)."""
    if path.suffix == ".py":
        return ast.parse(path.read_text())
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    lines = [
        "" if line.lstrip().startswith(("!", "%")) else line
        for cell in cells
        for line in ("".join(cell["source"]) + "\n").splitlines()
    ]
    return ast.parse("\n".join(lines))


def _darkroom_bindings(tree: ast.Module) -> tuple[set[str], dict[str, str]]:
    """(darkroom modules imported, {local name: darkroom module it is bound to})."""
    modules: set[str] = set()
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("darkroom."):
                    module = alias.name.split(".")[1]
                    modules.add(module)
                    if alias.asname:
                        names[alias.asname] = module
        elif isinstance(node, ast.ImportFrom) and node.module == "darkroom":
            for alias in node.names:
                # `from darkroom import seed_everything` names a function, not a module
                if alias.name in MODULES or alias.name[0].islower() and alias.name not in _PACKAGE_NAMES:
                    modules.add(alias.name)
                    names[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("darkroom."):
            modules.add(node.module.split(".")[1])
    return modules, names


def _package_names() -> set[str]:
    """Names ``darkroom/__init__.py`` defines itself (functions, constants), which are not modules."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    found = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            found |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return found


_PACKAGE_NAMES = _package_names()


@pytest.mark.parametrize("path", CLIENTS, ids=lambda p: p.name)
def test_notebooks_and_benchmarks_import_only_darkroom_modules_that_exist(path: Path) -> None:
    modules, _ = _darkroom_bindings(_client_tree(path))
    assert modules, f"{path.name} imports no darkroom module"
    assert modules <= MODULES, f"{path.name} imports darkroom.{sorted(modules - MODULES)}, which do not exist"


def _topic_reaches(tree: ast.Module, names: dict[str, str]) -> list[str]:
    """Every `<topic>.<foundation module>` attribute chain, e.g. `colorize.metrics.colorfulness`."""
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and names.get(node.value.id) in TOPICS and node.attr in FOUNDATION):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


@pytest.mark.parametrize("path", CLIENTS, ids=lambda p: p.name)
def test_notebooks_and_benchmarks_reach_foundation_modules_directly(path: Path) -> None:
    tree = _client_tree(path)
    _, names = _darkroom_bindings(tree)
    reaches = _topic_reaches(tree, names)
    assert not reaches, f"{path.name} reaches foundation modules through a topic: {reaches}"


def test_the_topic_reach_scan_finds_a_reach() -> None:
    # The control: the scan sees the pattern the issue names, and not a direct use.
    tree = ast.parse("from darkroom import colorize, metrics\ncolorize.metrics.colorfulness(x)\nmetrics.psnr(a, b)")
    assert _topic_reaches(tree, _darkroom_bindings(tree)[1]) == ["line 2: colorize.metrics"]
    tree = ast.parse("from darkroom import nosuch, training")
    assert _darkroom_bindings(tree)[0] - MODULES == {"nosuch"}


# Size limits keep every function readable on one screen and every module small enough to hold in one's
# head (issue 12): a function over MAX_FUNCTION_LINES lines is a sign it does more than one thing.
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 900


def _long_functions(source: str, limit: int) -> list[str]:
    return [f"{node.name} (line {node.lineno}): {node.end_lineno - node.lineno + 1} lines"
            for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > limit]


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_no_library_function_is_over_the_limit(path: Path) -> None:
    assert _long_functions(path.read_text(encoding="utf-8"), MAX_FUNCTION_LINES) == []


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_no_library_module_is_over_the_limit(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.name}: {lines} lines, limit {MAX_MODULE_LINES}"


def test_the_length_scan_finds_a_long_function() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    assert _long_functions(f"def long():\n{body}\n", MAX_FUNCTION_LINES) == ["long (line 1): 61 lines"]
    assert _long_functions("def short():\n    return 1\n", MAX_FUNCTION_LINES) == []
