"""Staging the book for Sphinx: the chapters' notebooks, thumbnails, API pages and ``conf.py`` in one folder.

:func:`stage` empties ``src`` and writes there each executed notebook with a line of links under
its title (Colab, source, the library modules it imports, how the run went) and its ``setup``,
``parameters`` and ``injected-parameters`` cells collapsed; the landing page
(:mod:`darkroom.app.book_landing`); an API page per library module; and a ``conf.py`` that reads
:func:`darkroom.app.book_sphinx.sphinx_config`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from darkroom.app.book_chapters import (
    Chapter,
    cell_text,
    chapters,
    colab_url,
    library_modules,
    load_notebook,
    repository_url,
    run_facts,
    source_url,
)
from darkroom.app.book_landing import CSS, index_page

__all__ = ["HIDDEN_TAGS", "THUMB_WIDTH", "stage"]

HIDDEN_TAGS = ("setup", "parameters", "injected-parameters")  # collapsed on the page, kept in the source
THUMB_WIDTH = 480


def _api_pages(src: Path, chs: Sequence[Chapter], modules: Sequence[str]) -> None:
    api = src / "api"
    api.mkdir(parents=True, exist_ok=True)
    lines = [
        "API reference",
        "=============",
        "",
        "Every module of ``lib/darkroom/``, from its docstrings. Topic modules import only foundation modules.",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
    ]
    lines += [f"   {m}" for m in modules]
    (api / "index.rst").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for module in modules:
        used_in = [ch for ch in chs if module in ch.modules and ch.has_page]
        title = f"darkroom.{module}"
        text = [title, "=" * len(title), ""]
        if used_in:
            text += ["Used in " + ", ".join(f":doc:`../{ch.stem}`" for ch in used_in) + ".", ""]
        text += [f".. automodule:: darkroom.{module}", "   :members:", "   :member-order: bysource", ""]
        (api / f"{module}.rst").write_text("\n".join(text), encoding="utf-8")


def _chapter_bar(ch: Chapter, repository: str) -> str:
    links = [
        f"[Open in Colab]({colab_url(repository, ch.stem + '.ipynb')})",
        f"[source]({source_url(repository, ch.stem + '.ipynb')})",
    ]
    if ch.modules:
        links.append("library: " + ", ".join(f"[`darkroom.{m}`](api/{m}.rst)" for m in ch.modules))
    facts = run_facts(ch)
    links.append(f"this run: {ch.status}" + (f", {facts}" if facts else ""))
    bar = " · ".join(links)
    if ch.status != "ok":
        bar += f"\n\n```{{warning}}\nThis run failed: {ch.error or 'no error recorded'}\n```"
    return bar


def _stage_chapter(ch: Chapter, src: Path, repository: str) -> None:
    assert ch.executed is not None
    nb = load_notebook(ch.executed)
    for cell in nb["cells"]:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if cell["cell_type"] == "code" and set(tags) & set(HIDDEN_TAGS):
            tags.append("hide-cell")
    first = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
    title, _, rest = cell_text(first["source"]).partition("\n")
    first["source"] = f"{title}\n\n{_chapter_bar(ch, repository)}\n{rest}"
    (src / f"{ch.stem}.ipynb").write_text(json.dumps(nb), encoding="utf-8")


def _thumbnail_file(source: Path, target: Path) -> None:
    from PIL import Image

    with Image.open(source) as img:
        img = img.convert("RGB")
        if img.width > THUMB_WIDTH:
            img = img.resize((THUMB_WIDTH, round(img.height * THUMB_WIDTH / img.width)), Image.LANCZOS)
        img.save(target, optimize=True)


def stage(
    out: Path, src: Path, notebooks: Path | None = None, modules: Sequence[str] | None = None
) -> list[Chapter]:
    """Write the book's Sphinx sources into ``src`` (emptied first) and return its chapters."""
    chs = chapters(out, notebooks)
    modules = list(modules) if modules is not None else library_modules()
    repository = repository_url()
    if src.exists():
        shutil.rmtree(src)
    (src / "_static" / "thumbs").mkdir(parents=True)
    (src / "_static" / "darkroom.css").write_text(CSS, encoding="utf-8")
    for ch in chs:
        ch.modules = [m for m in ch.modules if m in modules]  # link only to pages this book has
        if ch.has_page:
            _stage_chapter(ch, src, repository)
            if ch.thumbnail:
                _thumbnail_file(ch.thumbnail, src / "_static" / "thumbs" / f"{ch.stem}.png")
    (src / "index.md").write_text(index_page(chs), encoding="utf-8")
    _api_pages(src, chs, modules)
    (src / "conf.py").write_text(
        "# Written by darkroom.app.book at every build; change lib/darkroom/app/book_sphinx.py instead.\n"
        "from darkroom.app.book_sphinx import sphinx_config\n\n"
        f"globals().update(sphinx_config({repository!r}))\n",
        encoding="utf-8",
    )
    return chs
