"""darkroom.core.writeup_entries: each write-up's figures live in the module named for it, in chapter order,
and the registry is exactly those modules joined."""

from __future__ import annotations

import importlib
import pkgutil
from collections import Counter
from types import ModuleType

from darkroom.core import writeup_entries, writeups


def entry_modules() -> list[ModuleType]:
    names = [m.name for m in pkgutil.iter_modules(writeup_entries.__path__)]
    return [importlib.import_module(f"{writeup_entries.__name__}.{name}") for name in sorted(names)]


def test_each_module_holds_the_write_up_it_is_named_for_in_chapter_order() -> None:
    modules = entry_modules()
    assert modules
    for module in modules:
        source = module.__name__.rsplit(".", 1)[1].split("_")[1]  # writeup_003_setup -> "003"
        assert source in writeups.SOURCES, module.__name__
        assert module.ENTRIES and {e.source for e in module.ENTRIES} == {source}, module.__name__
        chapters = [e.notebook for e in module.ENTRIES]
        assert chapters == sorted(chapters), module.__name__


def test_the_registry_is_the_modules_joined() -> None:
    from_modules = Counter(e.key for module in entry_modules() for e in module.ENTRIES)
    assert from_modules == Counter(e.key for e in writeups.ENTRIES)
