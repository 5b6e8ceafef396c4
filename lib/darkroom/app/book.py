"""The executed notebooks as a static book: chapter cards, sidebar, per-page contents, API reference.

    python -m darkroom.app.book                 # outputs/notebooks/ + outputs/summary.json -> outputs/book/
    python -m darkroom.app.book --out DIR       # another outputs folder (as written by darkroom.app.runner --out)

Built with Sphinx, MyST-NB (``nb_execution_mode = "off"``: the notebooks are never re-executed)
and sphinx-book-theme, whose fonts, icons and scripts ship inside the pip packages. Formulas are
turned into MathML at build time (latex2mathml), so no page needs MathJax or the network.

The book's sources are staged under ``outputs/.book/src`` from the executed notebooks: cells
tagged ``setup``, ``parameters`` or ``injected-parameters`` are collapsed, and each chapter gets a
line of links (Colab, source, the library modules it imports, how the run went) under its title.
Like the runner, this module sits beside the library: nothing in the library imports it.
"""

from __future__ import annotations

import argparse
import ast
import html
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from darkroom.core.paths import find_notebooks, outputs_dir, repo_root

__all__ = ["BookBuild", "Chapter", "build", "chapters", "library_modules", "main", "repository_url"]

HIDDEN_TAGS = ("setup", "parameters", "injected-parameters")  # collapsed on the page, kept in the source
BRANCH = "main"
THUMB_WIDTH = 480


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


@dataclass
class BookBuild:
    """Where the site went, how long it took, and what Sphinx warned about."""

    index: Path
    seconds: float
    chapters: list[Chapter]
    warnings: list[str]


# --------------------------------------------------------------------------- what the book shows


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
        source = _text(cell.get("source", ""))
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


def _text(source: str | list[str]) -> str:
    return "".join(source) if isinstance(source, list) else source


def _load_notebook(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _thumbnail(stem: str, cells: Sequence[dict[str, Any]], figures: Path) -> Path | None:
    """The first of the chapter's saved figures its code names, else its first figure by name."""
    prefix = stem.split("_", 1)[0] + "_"
    code = "\n".join(_text(c.get("source", "")) for c in cells if c.get("cell_type") == "code")
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
        cells = _load_notebook(origin)["cells"]
        first_md = next((c for c in cells if c["cell_type"] == "markdown"), None)
        try:
            title, lesson = title_and_lesson(_text(first_md["source"]) if first_md else "")
        except ValueError:  # test_notebooks flags the missing title; the book still lists the chapter
            title, lesson = Path(name).stem, ""
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
                thumbnail=_thumbnail(Path(name).stem, cells, out / "figures"),
                modules=modules_used(cells, known),
                run={k: row[k] for k in ("run", "last_executed", "commit") if row.get(k)} if executed else {},
            )
        )
    return result


# --------------------------------------------------------------------------- staging the sources


def _inline_markdown(text: str) -> str:
    """Enough Markdown for a card: escaped text, `code` and **bold**."""
    text = html.escape(text, quote=False)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)


def _run_facts(ch: Chapter) -> str:
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


def _number(ch: Chapter) -> int:
    return int(ch.stem.split("_", 1)[0])


def _card(number: int, ch: Chapter) -> str:
    status = {"ok": "ok", "failed": "failed"}.get(ch.status, "not run")
    thumb = (
        f'<img class="dr-thumb" src="_static/thumbs/{ch.stem}.png" alt="">'
        if ch.thumbnail and ch.has_page
        else '<div class="dr-thumb dr-nothumb"></div>'
    )
    facts = _run_facts(ch)
    error = f'<p class="dr-error">{html.escape(ch.error)}</p>' if ch.error and ch.status != "ok" else ""
    if not ch.has_page and not ch.error:
        error = (
            '<p class="dr-hint">not run yet: <code>python -m darkroom.app.runner '
            f"notebooks/{ch.stem}.ipynb</code></p>"
        )
    body = (
        f'{thumb}<div class="dr-body"><p class="dr-num">Chapter {number}</p>'
        f'<p class="dr-title">{html.escape(ch.title)}</p>'
        f'<p class="dr-lesson">{_inline_markdown(ch.lesson)}</p>'
        f'<p class="dr-meta"><span class="dr-status dr-{status.replace(" ", "-")}">{status}</span>'
        f"{' · ' + html.escape(facts) if facts else ''}</p>{error}</div>"
    )
    cls = f"dr-card dr-{status.replace(' ', '-')}"
    if ch.has_page:
        return f'<a class="{cls}" href="{ch.stem}.html">{body}</a>'
    return f'<div class="{cls}">{body}</div>'


def _index_page(chs: Sequence[Chapter]) -> str:
    cards = "\n".join(_card(_number(ch), ch) for ch in chs)
    pages = "\n".join(ch.stem for ch in chs if ch.has_page)
    ran = sum(ch.has_page for ch in chs)
    return f"""# darkroom

Deep learning on images with TensorFlow, told as a sequence of notebooks. Each chapter below is a
notebook as it last ran here ({ran} of {len(chs)} chapters have a page): its one-line lesson, a
figure it made, and how the run went. The library behind the notebooks is documented under
[API reference](api/index.rst).

<div class="dr-cards">
{cards}
</div>

```{{toctree}}
:hidden:
:caption: Chapters

{pages}
```

```{{toctree}}
:hidden:
:caption: Library

api/index
```
"""


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
    facts = _run_facts(ch)
    links.append(f"this run: {ch.status}" + (f", {facts}" if facts else ""))
    bar = " · ".join(links)
    if ch.status != "ok":
        bar += f"\n\n```{{warning}}\nThis run failed: {ch.error or 'no error recorded'}\n```"
    return bar


def _stage_chapter(ch: Chapter, src: Path, repository: str) -> None:
    assert ch.executed is not None
    nb = _load_notebook(ch.executed)
    for cell in nb["cells"]:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if cell["cell_type"] == "code" and set(tags) & set(HIDDEN_TAGS):
            tags.append("hide-cell")
    first = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
    title, _, rest = _text(first["source"]).partition("\n")
    first["source"] = f"{title}\n\n{_chapter_bar(ch, repository)}\n{rest}"
    (src / f"{ch.stem}.ipynb").write_text(json.dumps(nb), encoding="utf-8")


def _thumbnail_file(source: Path, target: Path) -> None:
    from PIL import Image

    with Image.open(source) as img:
        img = img.convert("RGB")
        if img.width > THUMB_WIDTH:
            img = img.resize((THUMB_WIDTH, round(img.height * THUMB_WIDTH / img.width)), Image.LANCZOS)
        img.save(target, optimize=True)


CSS = """
.dr-cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(17rem,1fr));gap:1rem;margin:1.5rem 0}
.dr-card{display:flex;flex-direction:column;border:1px solid var(--pst-color-border);border-radius:.5rem;
  overflow:hidden;color:inherit;text-decoration:none;background:var(--pst-color-surface)}
a.dr-card:hover{box-shadow:0 .2rem .8rem rgba(0,0,0,.15);text-decoration:none}
.dr-thumb{width:100%;height:9rem;object-fit:cover;object-position:top;background:var(--pst-color-border)}
.dr-body{padding:.6rem .8rem}.dr-body p{margin:.2rem 0}
.dr-num{font-size:.8rem;text-transform:uppercase;letter-spacing:.05em;opacity:.7}
.dr-title{font-weight:600;font-size:1.05rem;line-height:1.3}
.dr-lesson{font-size:.9rem}.dr-meta{font-size:.8rem;opacity:.85}
.dr-status{font-weight:600;padding:0 .35rem;border-radius:.25rem}
.dr-ok .dr-status{background:#d7f0dc;color:#17502a}.dr-failed .dr-status{background:#fbd9d9;color:#8a1c1c}
.dr-not-run .dr-status{background:#e6e6e6;color:#444}
.dr-error{font-size:.8rem;color:#8a1c1c;overflow-wrap:anywhere}
.dr-hint{font-size:.8rem}.dr-not-run{opacity:.75}
/* room for a 100-character code line (the notebooks' lint limit) on a 1280-pixel screen */
:root{--pst-sidebar-secondary:14rem}
@media(min-width:992px){.bd-sidebar-primary{flex-basis:14rem;max-width:14rem}}
div.cell div.highlight pre,div.cell_output pre{font-size:.75rem}
/* the sidebar carries the search box on wide screens; the top bar would repeat it */
@media(min-width:992px){#pst-header{display:none}}
"""


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
    (src / "index.md").write_text(_index_page(chs), encoding="utf-8")
    _api_pages(src, chs, modules)
    (src / "conf.py").write_text(
        "# Written by darkroom.app.book at every build; change lib/darkroom/book.py instead.\n"
        "from darkroom.app.book import sphinx_config\n\n"
        f"globals().update(sphinx_config({repository!r}))\n",
        encoding="utf-8",
    )
    return chs


def sphinx_config(repository: str) -> dict[str, Any]:
    """The Sphinx configuration of the book (``conf.py`` calls this)."""
    return dict(
        project="darkroom",
        author="darkroom contributors",
        extensions=["myst_nb", "sphinx.ext.autodoc", "darkroom.app.book"],
        exclude_patterns=["_build"],
        nb_execution_mode="off",  # the runner executed them; the book only renders
        nb_merge_streams=True,
        # display(Markdown(...)) outputs: results tables (darkroom.core.tables) and formulas, not CommonMark text
        nb_render_markdown_format="myst",
        nb_ipywidgets_js={},  # widget managers come from a CDN; headless runs draw no widgets
        myst_enable_extensions=["dollarmath", "amsmath", "colon_fence"],
        myst_heading_anchors=3,
        html_math_renderer="mathml",
        html_theme="sphinx_book_theme",
        html_title="darkroom",
        html_static_path=["_static"],
        html_css_files=["darkroom.css"],
        html_copy_source=False,
        html_show_sourcelink=False,
        html_last_updated_fmt=None,
        html_theme_options={
            "repository_url": repository,
            "repository_branch": BRANCH,
            "use_repository_button": True,
            "use_download_button": False,
            "use_fullscreen_button": False,
            "home_page_in_toc": True,
            "show_toc_level": 2,
            "show_navbar_depth": 1,
            "navigation_with_keys": False,
        },
        autodoc_member_order="bysource",
        autodoc_typehints="description",
        suppress_warnings=["myst.header", "mystnb.unknown_mime_type"],
    )


# --------------------------------------------------------------------------- math at build time


def _mathml(latex: str, display: str) -> str:
    from latex2mathml.converter import convert

    try:
        return convert(latex, display=display)
    except Exception:
        return f'<code class="dr-tex">{html.escape(latex)}</code>'


def _visit_math(self: Any, node: Any) -> None:
    from docutils import nodes

    self.body.append(f'<span class="math">{_mathml(node.astext(), "inline")}</span>')
    raise nodes.SkipNode


def _visit_displaymath(self: Any, node: Any) -> None:
    from docutils import nodes

    parts = [p for p in node.astext().split("\n\n") if p.strip()]
    self.body.append(self.starttag(node, "div", CLASS="math"))
    self.body.extend(_mathml(p, "block") for p in parts)
    self.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app: Any) -> dict[str, Any]:
    """Sphinx extension: render math as MathML when the page is built, so no script is needed."""
    app.add_html_math_renderer("mathml", (_visit_math, None), (_visit_displaymath, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# --------------------------------------------------------------------------- building


def build(
    out: str | os.PathLike[str] | None = None,
    notebooks: str | os.PathLike[str] | None = None,
    modules: Sequence[str] | None = None,
    quiet: bool = True,
) -> BookBuild:
    """Stage and build the book from ``out`` (default ``outputs/``) into ``out/book/``.

    The new site replaces the old one only once it is complete. ``modules`` limits the API
    reference (default: every library module).
    """
    from sphinx.cmd.build import build_main

    start = time.perf_counter()
    out = Path(out) if out is not None else outputs_dir()
    work = out / ".book"
    src, site, warnings_file = work / "src", work / "site", work / "warnings.txt"
    chs = stage(out, src, Path(notebooks) if notebooks is not None else None, modules)
    if site.exists():
        shutil.rmtree(site)
    args = [
        "-b",
        "html",
        "-E",
        "-q" if quiet else "-v",
        "-d",
        str(work / "doctrees"),
        "-w",
        str(warnings_file),
        str(src),
        str(site),
    ]
    code = build_main(args)
    warnings = (
        [w for w in warnings_file.read_text(encoding="utf-8").splitlines() if w.strip()]
        if warnings_file.is_file()
        else []
    )
    if code != 0 or not (site / "index.html").is_file():
        raise RuntimeError(f"Sphinx could not build the book (exit {code}):\n" + "\n".join(warnings[-20:]))
    target, old = out / "book", work / "old-site"
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    site.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    # Source maps (3.5 MB) serve the theme's developers; the macro files are Jinja templates the
    # theme copies along, not pages: a reader's browser needs neither.
    for leftover in [
        *(target / "_static").rglob("*.map"),
        *(target / "_static").glob("*webpack-macros.html"),
    ]:
        leftover.unlink()
    return BookBuild(target / "index.html", time.perf_counter() - start, chs, warnings)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m darkroom.app.book", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=None, help="outputs folder holding notebooks/ and summary.json")
    parser.add_argument(
        "--notebooks", default=None, help="folder of NN_*.ipynb sources (default: notebooks/)"
    )
    parser.add_argument("--verbose", action="store_true", help="show Sphinx's progress")
    args = parser.parse_args(argv)
    try:
        result = build(args.out, args.notebooks, quiet=not args.verbose)
    except ImportError as err:
        print(
            f"[darkroom] book: {err}; the book needs the 'book' extra: pip install -e '.[book]'",
            file=sys.stderr,
        )
        return 1
    except (RuntimeError, ValueError, KeyError) as err:
        print(f"[darkroom] book: {err}", file=sys.stderr)
        return 1
    pages = sum(ch.has_page for ch in result.chapters)
    print(
        f"[darkroom] book: {pages} of {len(result.chapters)} chapters in {result.seconds:.0f} s, "
        f"{len(result.warnings)} Sphinx warnings; open {result.index}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
