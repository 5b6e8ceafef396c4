"""The module map of DESIGN.md: foundation modules never import a topic; topics never import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lib" / "darkroom"
TOPICS = {"regression", "circles", "style", "fast_style", "colorize", "superres"}
# Foundation modules topics share (DESIGN.md); each must exist and stay free of topic imports.
FOUNDATION = {"color", "images", "data", "metrics", "losses", "training", "vgg", "writeups", "inspect", "tables"}
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


def test_the_foundation_modules_exist_and_are_not_topics() -> None:
    assert sorted(m for m in FOUNDATION if not (PACKAGE / f"{m}.py").is_file()) == []
    assert FOUNDATION.isdisjoint(TOPICS) and FOUNDATION.isdisjoint(BESIDE)


def test_importing_darkroom_does_not_import_tensorflow() -> None:
    import subprocess
    import sys

    code = "import sys, darkroom, darkroom.paths, darkroom.profiles; print('tensorflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
