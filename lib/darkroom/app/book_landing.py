"""The book's landing page: who it is for, the write-ups it retells, how to run it, a card per chapter
(its lesson and the figure its metadata names, the run in small print) and the CSS.

:func:`index_page` writes ``index.md``, the cards and the two tables of contents (chapters,
library); ``CSS`` styles the cards and widens the page for the notebooks' code lines.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from darkroom.app.book_chapters import Chapter, run_facts
from darkroom.core import writeups

__all__ = ["CSS", "index_page"]


def _inline_markdown(text: str) -> str:
    """Enough Markdown for a card: escaped text, `code` and **bold**."""
    text = html.escape(text, quote=False)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)


def _number(ch: Chapter) -> int:
    return int(ch.stem.split("_", 1)[0])


def _card(number: int, ch: Chapter) -> str:
    status = {"ok": "ok", "failed": "failed"}.get(ch.status, "not run")
    thumb = (
        f'<img class="dr-thumb" src="_static/thumbs/{ch.stem}.png" alt="">'
        if ch.thumbnail and ch.has_page
        else '<div class="dr-thumb dr-nothumb"></div>'
    )
    facts = run_facts(ch)
    error = f'<p class="dr-error">{html.escape(ch.error)}</p>' if ch.error and ch.status != "ok" else ""
    if not ch.has_page and not ch.error:
        error = (
            '<p class="dr-hint">not run yet: <code>python -m darkroom.app.runner '
            f"notebooks/{ch.stem}.ipynb</code></p>"
        )
    # A chapter that ran says so in small print at the foot; only a failure or a missing run is a label.
    label = "" if status == "ok" else f'<span class="dr-status">{status}</span> '
    foot = f'<p class="dr-foot">{label}{html.escape(facts)}</p>' if facts or label else ""
    body = (
        f'{thumb}<div class="dr-body"><p class="dr-num">Chapter {number}</p>'
        f'<p class="dr-title">{html.escape(ch.title)}</p>'
        f'<p class="dr-lesson">{_inline_markdown(ch.lesson)}</p>{error}{foot}</div>'
    )
    cls = f"dr-card dr-{status.replace(' ', '-')}"
    if ch.has_page:
        return f'<a class="{cls}" href="{ch.stem}.html">{body}</a>'
    return f'<div class="{cls}">{body}</div>'


def _run_line(chs: Sequence[Chapter]) -> str:
    """One line for the foot of the page: how many chapters ran, failed or were never run, and the profile."""
    counts = {s: sum(ch.status == s for ch in chs) for s in ("ok", "failed", "not run")}
    profiles = sorted({ch.profile for ch in chs if ch.profile})
    parts = [f"{counts['ok']} of {len(chs)} chapters executed without error"]
    parts += [f"{counts[s]} {s}" for s in ("failed", "not run") if counts[s]]
    if profiles:
        parts.append("profile " + ", ".join(profiles))
    return "; ".join(parts) + "."


def index_page(chs: Sequence[Chapter]) -> str:
    cards = "\n".join(_card(_number(ch), ch) for ch in chs)
    pages = "\n".join(ch.stem for ch in chs if ch.has_page)
    sources = "\n".join(f"- {title}" for title in writeups.SOURCES.values())
    return f"""# darkroom

Deep learning on images with TensorFlow, one experiment at a time. The book is for readers who know
some Python and NumPy and have met a neural network before, and who want to see why a model works or
fails, not only that it does. Each chapter is a notebook: it explains an idea, runs it on a small
budget, shows the figure or table that decides the question, and ends with its findings and
exercises. Read them in order; later chapters use the colour spaces of chapter 1 and the losses of
chapter 3.

The chapters retell, test and take further four write-ups from 2016-2017, and set every number they
reported beside this run's:

{sources}

To run it yourself: `make run-all` executes every notebook (a few minutes each on a laptop CPU) and
rebuilds this book; `make lab` opens them in JupyterLab, and each chapter has an "Open in Colab"
link. The library behind the notebooks is documented under [API reference](api/index.rst).

<div class="dr-cards">
{cards}
</div>

<p class="dr-runline">This build: {html.escape(_run_line(chs))}</p>

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


CSS = """
.dr-cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(17rem,1fr));gap:1rem;margin:1.5rem 0}
.dr-card{display:flex;flex-direction:column;border:1px solid var(--pst-color-border);border-radius:.5rem;
  overflow:hidden;color:inherit;text-decoration:none;background:var(--pst-color-surface)}
a.dr-card:hover{box-shadow:0 .2rem .8rem rgba(0,0,0,.15);text-decoration:none}
.dr-thumb{width:100%;height:9rem;object-fit:cover;object-position:top;background:var(--pst-color-border)}
.dr-body{padding:.6rem .8rem;display:flex;flex-direction:column;flex:1}.dr-body p{margin:.2rem 0}
.dr-num{font-size:.8rem;text-transform:uppercase;letter-spacing:.05em;opacity:.7}
.dr-title{font-weight:600;font-size:1.05rem;line-height:1.3}
.dr-lesson{font-size:.9rem}
.dr-foot{font-size:.72rem;opacity:.65;margin-top:auto}.dr-runline{font-size:.8rem;opacity:.7}
.dr-status{font-weight:600;padding:0 .35rem;border-radius:.25rem}
.dr-failed .dr-status{background:#fbd9d9;color:#8a1c1c}
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
