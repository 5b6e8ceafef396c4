"""The library's import graph, read from the source with :mod:`ast` (nothing is imported).

``tests/test_architecture.py`` checks the layer rules on this graph, and the runner's cache
(:mod:`darkroom.app.cache`) follows it from a notebook's imports to every library file whose
source can change that notebook's outputs: :func:`import_closure`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = [
    "PACKAGE",
    "code_cell_sources",
    "import_closure",
    "import_graph",
    "imported_modules",
    "library_files",
    "module_name",
]

PACKAGE = Path(__file__).resolve().parents[1]  # lib/darkroom/
TOP = "darkroom"


def module_name(path: Path, package: Path = PACKAGE) -> str:
    """``core/color.py`` -> ``darkroom.core.color``; ``colorize/__init__.py`` -> ``darkroom.colorize``."""
    parts = path.relative_to(package).with_suffix("").parts
    return ".".join((TOP, *(parts[:-1] if parts[-1] == "__init__" else parts)))


def library_files(package: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the library ``package`` (the ``darkroom`` folder), dotted name -> file."""
    files = sorted(
        p for p in package.rglob("*.py") if "__pycache__" not in p.parts and "weights" not in p.parts
    )
    return {module_name(p, package): p for p in files}


def _imported(source: str | ast.AST, here: str, modules: Iterable[str], packages: Iterable[str]) -> set[str]:
    """The darkroom modules ``source`` imports, ``darkroom`` itself included (see :func:`imported_modules`)."""
    modules, packages = set(modules), set(packages)
    package = here if here in packages else here.rpartition(".")[0]
    tree = ast.parse(source) if isinstance(source, str) else source
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == TOP}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != TOP:
                continue
            for alias in node.names:
                found.add(f"{module}.{alias.name}" if f"{module}.{alias.name}" in modules else module)
    return found


def imported_modules(
    source: str | ast.AST, here: str, modules: Iterable[str], packages: Iterable[str] = ()
) -> set[str]:
    """The darkroom modules ``source`` (the module ``here``) imports, each resolved to the most specific
    of ``modules``: ``from darkroom.colorize import pairs`` is ``darkroom.colorize.pairs``, ``from
    darkroom.colorize import colorize`` (a function) is the package ``darkroom.colorize``. ``packages``
    are the modules that are packages (relative imports inside an ``__init__`` start there)."""
    return _imported(source, here, modules, packages) - {TOP}


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Each library module -> the darkroom modules its source imports (``darkroom`` itself included)."""
    files = library_files(package)
    packages = {m for m, p in files.items() if p.name == "__init__.py"}
    return {m: _imported(p.read_text(encoding="utf-8"), m, files, packages) for m, p in files.items()}


def code_cell_sources(cells: Sequence[dict]) -> list[str]:
    """The Python of each code cell of a notebook, IPython's ``!`` and ``%`` lines blanked."""
    sources = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        text = cell.get("source", "")
        text = "".join(text) if isinstance(text, list) else text
        sources.append("\n".join("" if ln.lstrip()[:1] in ("!", "%") else ln for ln in text.splitlines()))
    return sources


def _package_data(folder: Path) -> list[Path]:
    """Files a package reads beside its modules: everything in its subfolders that are not packages."""
    found = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and p.name != "__pycache__"):
        if not (sub / "__init__.py").is_file():
            found += sorted(p for p in sub.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return found


def import_closure(sources: Iterable[str], package: Path = PACKAGE) -> list[Path]:
    """Every library file that importing what ``sources`` import runs or reads, in path order.

    Importing ``darkroom.core.color`` runs ``darkroom/__init__.py`` and ``darkroom/core/__init__.py``
    before ``darkroom/core/color.py``, then whatever those import, and so on; a package's data
    folders (``superres/weights/``) count with it. A source that does not parse imports nothing here.
    """
    files = library_files(package)
    graph = import_graph(package)
    todo: list[str] = []
    for source in sources:
        try:
            todo += sorted(_imported(source, "__main__", files, ()))
        except SyntaxError:
            continue
    seen: set[str] = set()
    while todo:
        module = todo.pop()
        parts = module.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts)) if ".".join(parts[:i]) not in seen]
        if module in seen or module not in files:
            continue
        seen.add(module)
        todo += sorted(graph[module] - seen)
    found = [files[m] for m in seen]
    found += [d for m in seen if files[m].name == "__init__.py" for d in _package_data(files[m].parent)]
    return sorted(set(found))
