"""The executed notebooks as a static book: chapter cards, sidebar, per-page contents, API reference.

    python -m darkroom.app.book                 # outputs/notebooks/ + outputs/summary.json -> outputs/book/
    python -m darkroom.app.book --out DIR       # another outputs folder (as written by darkroom.app.runner --out)

Built with Sphinx, MyST-NB (``nb_execution_mode = "off"``: the notebooks are never re-executed)
and sphinx-book-theme, whose fonts, icons and scripts ship inside the pip packages. Formulas are
turned into MathML at build time (latex2mathml), so no page needs MathJax or the network.

The book's sources are staged under ``outputs/.book/src`` from the executed notebooks: cells
tagged ``setup``, ``parameters`` or ``injected-parameters`` are collapsed, and each chapter gets a
line of links (Colab, source, the library modules it imports, how the run went) under its title.
This module builds the site and is the command; its parts are :mod:`~darkroom.app.book_chapters`
(what each chapter is), :mod:`~darkroom.app.book_landing` (the landing page's cards),
:mod:`~darkroom.app.book_staging` (the Sphinx sources) and :mod:`~darkroom.app.book_sphinx` (the
configuration and the MathML renderer). Like the runner, they sit beside the library: nothing in
the library imports them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from darkroom.app.book_chapters import Chapter
from darkroom.app.book_staging import stage
from darkroom.core.paths import outputs_dir

__all__ = ["BookBuild", "build", "main"]


@dataclass
class BookBuild:
    """Where the site went, how long it took, and what Sphinx warned about."""

    index: Path
    seconds: float
    chapters: list[Chapter]
    warnings: list[str]


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
