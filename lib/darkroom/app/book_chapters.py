"""The book's chapters: one per notebook, from its source, its executed copy and the runner's record.

:func:`chapters` reads every notebook into a :class:`Chapter` (title, one-line lesson, status,
time and memory of its last run, a thumbnail, the library modules it imports);
:func:`library_modules` names the modules the API reference documents; :func:`repository_url`
and the Colab and source links say where the notebooks live. Used by
:mod:`darkroom.app.book_staging` and :mod:`darkroom.app.book_landing`.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from darkroom.core.paths import find_notebooks, repo_root

__all__ = [
    "BRANCH",
    "Chapter",
    "cell_text",
    "chapter_metadata",
    "chapters",
    "colab_url",
    "library_modules",
    "load_notebook",
    "modules_used",
    "repository_url",
    "run_facts",
    "source_url",
    "title_and_lesson",
]

BRANCH = "main"


@dataclass
class Chapter:
    """One notebook as the book sees it: what it teaches and how its last run went."""

    stem: str
    title: str
    lesson: str
    status: str  # "ok", "failed" or "not run"
    error: str | None = None
    seconds: float | None = None
    peak_memory_mb: float | None = None
    profile: str | None = None
    executed: Path | None = None  # the executed copy in outputs/notebooks/, when there is one
    thumbnail: Path | None = None
    modules: list[str] = field(default_factory=list)
    # the runner's "run" ("ran" or "cached"), "last_executed" and "commit", when it recorded them
    run: dict[str, str] = field(default_factory=dict)

    @property
    def has_page(self) -> bool:
        return self.executed is not None


def repository_url(root: Path | None = None) -> str:
    """The repository's URL from ``pyproject.toml``'s ``[project.urls]`` (the one place it is kept)."""
    import tomllib

    pyproject = (root or repo_root()) / "pyproject.toml"
    if pyproject.is_file():
        urls = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {}).get("urls", {})
    else:  # an installed wheel: the same table, as package metadata
        from importlib.metadata import metadata

        urls = dict(u.split(", ", 1) for u in metadata("darkroom").get_all("Project-URL") or [])
    url = urls.get("Repository") or urls.get("Source")
    if not url:
        raise KeyError(f"{pyproject}: [project.urls] has no 'Repository' entry (found {sorted(urls)})")
    return url.rstrip("/")


def colab_url(repository: str, notebook: str) -> str:
    """Open ``notebooks/<notebook>`` of a GitHub ``repository`` in Google Colab."""
    path = repository.split("github.com/", 1)[-1]
    return f"https://colab.research.google.com/github/{path}/blob/{BRANCH}/notebooks/{notebook}"


def source_url(repository: str, notebook: str) -> str:
    return f"{repository}/blob/{BRANCH}/notebooks/{notebook}"


def library_modules() -> list[str]:
    """The library's documented modules, dotted below ``darkroom``: each foundation module
    (``core.color``, ...), each topic package (``colorize``, whose page holds the names it
    re-exports) and each topic module the package does not re-export (``colorize.pix2pix``).
    The running code in ``app`` has no page."""
    root = Path(__file__).resolve().parents[1]
    names = [f"core.{m.stem}" for m in sorted((root / "core").glob("[a-z]*.py"))]
    for package in sorted(p.parent for p in root.glob("*/__init__.py")):
        if package.name in ("core", "app"):
            continue
        names.append(package.name)
        init = (package / "__init__.py").read_text(encoding="utf-8")
        for module in sorted(package.glob("[a-z]*.py")):
            if f"from darkroom.{package.name}.{module.stem} import" not in init:
                names.append(f"{package.name}.{module.stem}")
    return names


def title_and_lesson(markdown: str) -> tuple[str, str]:
    """The ``# `` title of a notebook's first Markdown cell and the first sentence after it."""
    lines = markdown.strip().splitlines()
    if not lines or not lines[0].startswith("# "):
        raise ValueError(f"expected a first Markdown cell starting with '# ', received {markdown[:60]!r}")
    paragraph = []
    for line in lines[1:]:
        if line.strip():
            paragraph.append(line.strip())
        elif paragraph:
            break
    text = " ".join(paragraph)
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z\"“(*`])", text, maxsplit=1)
    return lines[0][2:].strip(), sentences[0] if sentences else ""


def modules_used(cells: Sequence[dict[str, Any]], known: Sequence[str]) -> list[str]:
    """The library modules (as :func:`library_modules` names them) that a notebook's code cells
    import: ``from darkroom.core import color`` is ``core.color``, ``import darkroom.colorize`` is
    ``colorize``, ``from darkroom.colorize import pix2pix`` is ``colorize.pix2pix``."""
    found: list[str] = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        source = cell_text(cell.get("source", ""))
        # shell escapes and magics are not Python: drop them before parsing
        code = "\n".join("" if line.lstrip()[:1] in "!%" else line for line in source.splitlines())
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "darkroom":
                base = node.module.removeprefix("darkroom").lstrip(".")
                for alias in node.names:
                    dotted = f"{base}.{alias.name}".lstrip(".")
                    found.append(dotted if dotted in known else base)
            elif isinstance(node, ast.Import):
                found += [
                    a.name.removeprefix("darkroom.") for a in node.names if a.name.startswith("darkroom.")
                ]
    return sorted(set(found) & set(known), key=found.index)


def chapter_metadata(nb: dict[str, Any]) -> dict[str, str]:
    """What a notebook's ``metadata.darkroom`` says about its card: its ``lesson`` (one sentence)
    and its ``thumbnail`` (the name of a figure it saves); either may be missing."""
    meta = nb.get("metadata", {}).get("darkroom", {})
    return {k: meta[k] for k in ("lesson", "thumbnail") if isinstance(meta.get(k), str)}


def cell_text(source: str | list[str]) -> str:
    return "".join(source) if isinstance(source, list) else source


def load_notebook(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _thumbnail(
    stem: str, cells: Sequence[dict[str, Any]], figures: Path, chosen: str | None = None
) -> Path | None:
    """The figure the notebook's metadata chose (``darkroom.thumbnail``), else the first of the
    chapter's saved figures its code names, else its first figure by name."""
    if chosen and (figures / f"{chosen}.png").is_file():
        return figures / f"{chosen}.png"
    prefix = stem.split("_", 1)[0] + "_"
    code = "\n".join(cell_text(c.get("source", "")) for c in cells if c.get("cell_type") == "code")
    for name in re.findall(rf"[\"']({re.escape(prefix)}[\w-]+)[\"']", code):
        if (figures / f"{name}.png").is_file():
            return figures / f"{name}.png"
    saved = sorted(figures.glob(f"{prefix}*.png"))
    return saved[0] if saved else None


def _summary(out: Path) -> dict[str, dict[str, Any]]:
    path = out / "summary.json"
    if not path.is_file():
        return {}
    try:
        return {row["notebook"]: row for row in json.loads(path.read_text(encoding="utf-8"))}
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{path}: expected the runner's list of results, could not read it ({err})") from err


def chapters(out: Path, notebooks: Path | None = None) -> list[Chapter]:
    """Every chapter: the sources in ``notebooks/`` and anything the runner recorded in ``out``."""

    sources = {p.name: p for p in find_notebooks(notebooks)}
    summary = _summary(out)
    known = library_modules()
    result = []
    for name in sorted(set(sources) | set(summary)):
        row = summary.get(name, {})
        executed = out / "notebooks" / name
        executed = executed if executed.is_file() else None
        origin = executed or sources.get(name)
        if origin is None:  # recorded once, source and executed copy both gone
            continue
        cells = load_notebook(origin)["cells"]
        first_md = next((c for c in cells if c["cell_type"] == "markdown"), None)
        try:
            title, lesson = title_and_lesson(cell_text(first_md["source"]) if first_md else "")
        except ValueError:  # test_notebooks flags the missing title; the book still lists the chapter
            title, lesson = Path(name).stem, ""
        # the source's metadata, not the executed copy's: a cached run keeps its old metadata
        chosen = chapter_metadata(load_notebook(sources[name])) if name in sources else {}
        lesson = chosen.get("lesson", lesson)
        status = row.get("status", "not run") if executed else "not run"
        error = row.get("error")
        if row and not executed:
            error = f"the executed copy {row.get('output') or name} is missing from {out}"
        result.append(
            Chapter(
                stem=Path(name).stem,
                title=title,
                lesson=lesson,
                status=status,
                error=error,
                seconds=row.get("seconds") if executed else None,
                peak_memory_mb=row.get("peak_memory_mb") if executed else None,
                profile=row.get("profile") if executed else None,
                executed=executed,
                thumbnail=_thumbnail(Path(name).stem, cells, out / "figures", chosen.get("thumbnail")),
                modules=modules_used(cells, known),
                run={k: row[k] for k in ("run", "last_executed", "commit") if row.get(k)} if executed else {},
            )
        )
    return result


def run_facts(ch: Chapter) -> str:
    parts = [f"profile {ch.profile}"] if ch.profile else []
    if ch.seconds is not None:
        parts.append(f"{ch.seconds:.0f} s")
    if ch.peak_memory_mb:
        parts.append(f"peak {ch.peak_memory_mb:.0f} MB")
    if ch.run.get("run") == "ran":
        parts.append("ran now")
    elif ch.run.get("run") == "cached":
        when = ch.run.get("last_executed", "?")[:16].replace("T", " ")
        parts.append(f"cached, last ran {when} at {ch.run.get('commit', 'unknown')}")
    return " · ".join(parts)
