"""The glossary of ARCHITECTURE.md: one name for one idea in every public signature.

Every parameter name that appears in the public signatures of more than one library module is in the
glossary, and no public signature uses a name the glossary retires.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lib" / "darkroom"
ARCHITECTURE = ROOT / "ARCHITECTURE.md"


def glossary(markdown: str) -> dict[str, set[str]]:
    """{name: the synonyms it retires} from the table under the "## Glossary" heading: its first
    column holds one or more `names`, its last the `retired` ones."""
    section = markdown.split("\n## Glossary", 1)[1].split("\n## ", 1)[0]
    entries: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 3 or set(cells[0]) <= set("-: "):
            continue
        names = re.findall(r"`([A-Za-z_][A-Za-z_0-9]*)`", cells[0])
        retired = set(re.findall(r"`([A-Za-z_][A-Za-z_0-9]*)`", cells[-1]))
        for name in names:
            entries[name] = retired
    return entries


def public_parameters(source: str) -> dict[str, list[str]]:
    """{parameter name: [the public functions that take it]} of a module's source: its public
    functions and the public methods (and ``__init__``) of its public classes."""
    found: dict[str, list[str]] = defaultdict(list)

    def visit(body: list[ast.stmt], prefix: str = "") -> None:
        for node in body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_") and not prefix:
                visit(node.body, f"{node.name}.")
            elif isinstance(node, ast.FunctionDef) and (
                not node.name.startswith("_") or (prefix and node.name == "__init__")
            ):
                args = node.args
                for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                    if arg.arg not in ("self", "cls"):
                        found[arg.arg].append(prefix + node.name)

    visit(ast.parse(source).body)
    return found


def _modules() -> dict[str, dict[str, list[str]]]:
    return {
        p.relative_to(PACKAGE).as_posix(): public_parameters(p.read_text(encoding="utf-8"))
        for p in sorted(PACKAGE.rglob("*.py"))
    }


def shared_names(modules: dict[str, dict[str, list[str]]]) -> dict[str, list[str]]:
    """Parameter names in the public signatures of two or more modules, with those modules."""
    where: dict[str, list[str]] = defaultdict(list)
    for module, params in modules.items():
        for name in params:
            where[name].append(module)
    return {name: mods for name, mods in where.items() if len(mods) > 1}


def retired_uses(modules: dict[str, dict[str, list[str]]], entries: dict[str, set[str]]) -> list[str]:
    retired = {old: new for new, olds in entries.items() for old in olds}
    return [
        f"{module}: {fn}({name}=...) -> {retired[name]}"
        for module, params in modules.items()
        for name, fns in params.items()
        if name in retired
        for fn in fns
    ]


ENTRIES = glossary(ARCHITECTURE.read_text(encoding="utf-8"))
MODULES = _modules()


def test_the_glossary_names_every_parameter_shared_by_two_modules() -> None:
    missing = {name: mods for name, mods in shared_names(MODULES).items() if name not in ENTRIES}
    assert missing == {}


def test_no_public_signature_uses_a_retired_synonym() -> None:
    assert retired_uses(MODULES, ENTRIES) == []


def test_a_retired_name_is_not_also_a_glossary_name() -> None:
    retired = set().union(*ENTRIES.values())
    assert ENTRIES and retired and not retired & set(ENTRIES), sorted(retired & set(ENTRIES))


def test_the_glossary_checks_can_fail() -> None:
    # The controls: a retired synonym in a public signature is found, and so is a shared name the
    # glossary lacks; private functions and locals are not signatures.
    table = "\n## Glossary\n\n| name | means | retires |\n|---|---|---|\n| `learning_rate` | step | `lr` |\n"
    entries = glossary(table)
    assert entries == {"learning_rate": {"lr"}}
    fake = {
        "a.py": public_parameters("def fit(x, lr=0.1):\n    pass\ndef _private(lr): pass\n"),
        "b.py": public_parameters("class Net:\n    def __init__(self, depth): pass\ndef grow(depth): pass\n"),
    }
    assert retired_uses(fake, entries) == ["a.py: fit(lr=...) -> learning_rate"]
    assert shared_names(fake) == {}  # two functions of one module share nothing across modules
    fake["c.py"] = public_parameters("def train(depth, lr): pass\n")
    assert shared_names(fake)["depth"] == ["b.py", "c.py"] and "depth" not in entries
    assert fake["b.py"]["depth"] == ["Net.__init__", "grow"]


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_every_glossary_name_is_used_by_the_library(name: str) -> None:
    # a glossary that names what no signature takes has drifted from the code
    assert any(name in params for params in MODULES.values()), f"{name} is in no public signature"
