"""The module map of DESIGN.md: foundation modules never import a topic; topics never import each other."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Sequence

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lib" / "darkroom"
TOPICS = {"regression", "regression_plots", "circles", "style", "fast_style", "colorize", "pix2pix",
          "superres"}
# Foundation modules topics share (DESIGN.md); each must exist and stay free of topic imports.
FOUNDATION = {"color", "images", "data", "lab_pairs", "fire_theft", "layers", "metrics", "losses", "training", "vgg",
              "writeups", "inspect", "tables"}
# DESIGN.md: the `darkroom` command sits beside the library; it may import anything, nothing imports it.
BESIDE = {"cli", "__main__"}


def _in_a_package(path: Path) -> bool:
    """Whether every folder from ``PACKAGE`` down to ``path`` is a Python package (not a data folder
    such as ``models/``, which holds the shipped .keras files)."""
    folder = path.parent
    while folder != PACKAGE:
        if not (folder / "__init__.py").is_file():
            return False
        folder = folder.parent
    return True


# Every library file, in subpackages too: a topic may be a package (darkroom/superres/).
LIBRARY = sorted(p for p in PACKAGE.rglob("*.py") if _in_a_package(p))


def _label(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _owner(path: Path) -> str:
    """The top-level module a file belongs to: ``color.py`` -> color, ``superres/pixels.py`` -> superres."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _darkroom_imports(source: str, package: Sequence[str] = ("darkroom",)) -> set[str]:
    """Top-level darkroom modules that ``source`` imports (absolute or relative), for a file inside
    ``package`` (``("darkroom", "superres")`` for ``superres/pixels.py``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            module = ".".join(base + (node.module.split(".") if node.module else []))
            names = [f"{module}.{a.name}" for a in node.names] if module == "darkroom" else [module]
        else:
            continue
        found |= {name.split(".")[1] for name in names if name.startswith("darkroom.")}
    return found


def _package_of(path: Path) -> tuple[str, ...]:
    return ("darkroom", *path.relative_to(PACKAGE).parent.parts)


@pytest.mark.parametrize("path", LIBRARY, ids=_label)
def test_imports_follow_the_module_map(path: Path) -> None:
    # a topic package's modules may import each other: they are one topic
    owner = _owner(path)
    imported = _darkroom_imports(path.read_text(), _package_of(path)) - {owner}
    if owner in BESIDE:
        return
    assert not imported & BESIDE, f"library module {_label(path)} imports {imported & BESIDE}"
    if owner in TOPICS:
        assert not imported & TOPICS, f"topic {_label(path)} imports topic(s) {imported & TOPICS}"
    else:
        assert not imported & TOPICS, f"foundation {_label(path)} imports topic(s) {imported & TOPICS}"


def test_the_import_scan_reads_a_topic_package() -> None:
    # The control: inside superres/, `from . import x` is superres itself, `from .. import color` a
    # foundation module, and another topic is seen however it is imported.
    package = _package_of(PACKAGE / "superres" / "pixels.py")
    source = "from . import scores\nfrom .models import build_mlp\nfrom .. import color\nfrom darkroom.style import x"
    assert _darkroom_imports(source, package) == {"superres", "color", "style"}
    assert _darkroom_imports("from .. import colorize", package) == {"colorize"}
    assert _darkroom_imports("from . import images\nimport darkroom.superres.pixels") == {"images", "superres"}
    assert _owner(PACKAGE / "superres" / "pixels.py") == "superres" and _owner(PACKAGE / "color.py") == "color"
    assert not _in_a_package(PACKAGE / "models" / "stray.py")


def test_the_foundation_modules_exist_and_are_not_topics() -> None:
    assert sorted(m for m in FOUNDATION if not (PACKAGE / f"{m}.py").is_file()) == []
    assert FOUNDATION.isdisjoint(TOPICS) and FOUNDATION.isdisjoint(BESIDE)


def test_importing_darkroom_does_not_import_tensorflow() -> None:
    import subprocess
    import sys

    code = "import sys, darkroom, darkroom.paths, darkroom.profiles; print('tensorflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


# --------------------------------------------------------------------------- notebooks and benchmarks

ROOT = PACKAGE.parents[1]
MODULES = {_owner(p) for p in LIBRARY} - {"__init__"}  # top-level modules and packages
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


def test_a_topic_package_names_no_module_like_a_foundation_module() -> None:
    # `superres.data` would read as a foundation module reached through a topic, the pattern above
    inner = {p.stem for p in LIBRARY if len(p.relative_to(PACKAGE).parts) > 1}
    assert "pixels" in inner and not inner & FOUNDATION, sorted(inner & FOUNDATION)


# Size limits keep every function readable on one screen and every module small enough to hold in one's
# head (issue 12): a function over MAX_FUNCTION_LINES lines is a sign it does more than one thing.
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 900


def _long_functions(source: str, limit: int) -> list[str]:
    return [f"{node.name} (line {node.lineno}): {node.end_lineno - node.lineno + 1} lines"
            for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > limit]


@pytest.mark.parametrize("path", LIBRARY, ids=_label)
def test_no_library_function_is_over_the_limit(path: Path) -> None:
    assert _long_functions(path.read_text(encoding="utf-8"), MAX_FUNCTION_LINES) == []


@pytest.mark.parametrize("path", LIBRARY, ids=_label)
def test_no_library_module_is_over_the_limit(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{_label(path)}: {lines} lines, limit {MAX_MODULE_LINES}"


def test_the_length_scan_finds_a_long_function() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    assert _long_functions(f"def long():\n{body}\n", MAX_FUNCTION_LINES) == ["long (line 1): 61 lines"]
    assert _long_functions("def short():\n    return 1\n", MAX_FUNCTION_LINES) == []
