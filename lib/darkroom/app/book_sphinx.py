"""The book's Sphinx side: its configuration, and the extension that renders formulas as MathML.

:func:`sphinx_config` is what the staged ``conf.py`` loads; this module is also the Sphinx
extension it names (:func:`setup`), which turns every formula into MathML at build time
(latex2mathml), so no page needs MathJax or the network.
"""

from __future__ import annotations

import html
from typing import Any

from darkroom.app.book_chapters import BRANCH

__all__ = ["setup", "sphinx_config"]


def sphinx_config(repository: str) -> dict[str, Any]:
    """The Sphinx configuration of the book (``conf.py`` calls this)."""
    return dict(
        project="darkroom",
        author="darkroom contributors",
        extensions=["myst_nb", "sphinx.ext.autodoc", "darkroom.app.book_sphinx"],
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
