"""The book: chapter cards from the runner's results, links that resolve, math and assets that need no network."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

from darkroom.app import book, book_chapters, runner
from darkroom.core import writeups
from darkroom.core.paths import repo_root

pytest.importorskip("sphinx", reason="the book needs the 'book' extra: pip install -e '.[book]'")

ASSET_TAGS = {
    "script": "src",
    "img": "src",
    "iframe": "src",
    "source": "src",
    "video": "src",
    "audio": "src",
    "embed": "src",
    "link": "href",
}


class _Page(HTMLParser):
    """Links, asset references and element ids of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.assets: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        key = ASSET_TAGS.get(tag)
        if key and a.get(key):
            is_nav_link = tag == "link" and a.get("rel") in ("index", "search", "next", "prev", "canonical")
            (self.links if is_nav_link else self.assets).append(a[key])


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _is_external(url: str) -> bool:
    return bool(re.match(r"^([a-z][a-z0-9+.-]*:|//)", url, re.I)) and not url.startswith(("data:", "#"))


def site_problems(site: Path) -> list[str]:
    """Internal links or assets that do not resolve, and assets fetched from the network."""
    pages = {p: _parse(p) for p in site.rglob("*.html")}
    problems = []
    for path, page in pages.items():
        name = path.relative_to(site)
        for url in page.assets:
            if _is_external(url):
                problems.append(f"{name}: asset from the network {url}")
        for url in page.links + page.assets:
            if _is_external(url) or url.startswith(("mailto:", "javascript:", "data:")):
                continue
            parts = urlsplit(url)
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if not target.exists():
                problems.append(f"{name}: broken link {url}")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{name}: no #{parts.fragment} in {target.relative_to(site)}")
    for css in site.rglob("*.css"):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text(encoding="utf-8", errors="replace")):
            if _is_external(url):
                problems.append(f"{css.relative_to(site)}: asset from the network {url}")
        if re.search(
            r"@import\s+(url\()?['\"]?(https?:)?//", css.read_text(encoding="utf-8", errors="replace")
        ):
            problems.append(f"{css.relative_to(site)}: @import from the network")
    return problems


# --------------------------------------------------------------------------- a book from made-up runs


def _source(folder: Path, name: str, title: str, *cells: nbformat.NotebookNode) -> Path:
    nb = nbformat.v4.new_notebook()
    setup = nbformat.v4.new_code_cell("# Setup. Colab only.\nimport darkroom")
    setup.metadata["tags"] = ["setup"]
    params = nbformat.v4.new_code_cell('profile = "default"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {title}\n\nThis chapter teaches `{name}`. Then more.\n"),
        setup,
        params,
        *cells,
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def fake_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, book.BookBuild]:
    """Three chapters: one ran, one failed, one never ran; nothing is executed, only rendered."""
    sources, out = tmp_path_factory.mktemp("sources"), tmp_path_factory.mktemp("out")
    (out / "notebooks").mkdir()
    (out / "figures").mkdir()
    formula = nbformat.v4.new_markdown_cell("## The line\n\n" + r"Least squares: $m = \sum (x-\bar x)^2$.")
    code = nbformat.v4.new_code_cell("from darkroom import tables, color\nprint('hello')")
    _source(sources, "01_fine", "A fine chapter", formula, code)
    _source(
        sources, "02_broken", "A broken chapter", nbformat.v4.new_code_cell("raise ValueError('on purpose')")
    )
    _source(sources, "03_never", "A chapter never run")
    for name in ("01_fine", "02_broken"):  # "executed" copies: the sources plus outputs
        nb = nbformat.read(sources / f"{name}.ipynb", as_version=4)
        injected = nbformat.v4.new_code_cell('profile = "smoke"')
        injected.metadata["tags"] = ["injected-parameters"]
        nb.cells.insert(3, injected)
        if name == "01_fine":
            table = nbformat.v4.new_output(
                "display_data",
                data={
                    "text/markdown": "| loss | PSNR |\n| --- | --- |\n| MSE | 21.5 |",
                    "text/plain": "<Markdown>",
                },
            )
            nb.cells[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hello\n"), table]
        nbformat.write(nb, out / "notebooks" / f"{name}.ipynb")
    from PIL import Image

    Image.new("RGB", (800, 400), (200, 30, 30)).save(out / "figures" / "01_fine_plot.png")
    rows = [
        dict(
            notebook="01_fine.ipynb",
            status="ok",
            seconds=12.3,
            peak_memory_mb=456.0,
            profile="smoke",
            output="notebooks/01_fine.ipynb",
            error=None,
            finished="",
        ),
        dict(
            notebook="02_broken.ipynb",
            status="failed",
            seconds=1.0,
            peak_memory_mb=100.0,
            profile="smoke",
            output="notebooks/02_broken.ipynb",
            error="ValueError: on purpose",
            finished="",
        ),
    ]
    (out / "summary.json").write_text(json.dumps(rows))
    return out, book.build(out, notebooks=sources, modules=["core.tables"])


def test_landing_page_has_a_card_per_chapter_with_its_lesson_and_run(
    fake_book: tuple[Path, book.BookBuild],
) -> None:
    out, result = fake_book
    index = (out / "book" / "index.html").read_text(encoding="utf-8")
    assert [c.stem for c in result.chapters] == ["01_fine", "02_broken", "03_never"]
    assert 'href="01_fine.html"' in index and "A fine chapter" in index
    assert "This chapter teaches <code>01_fine</code>." in index and "Then more" not in index
    assert '<p class="dr-foot">profile smoke · 12 s · peak 456 MB</p>' in index
    assert "1 of 3 chapters executed without error; 1 failed; 1 not run; profile smoke." in index
    assert all(title in index for title in writeups.SOURCES.values())
    assert '<img class="dr-thumb" src="_static/thumbs/01_fine.png"' in index
    assert (out / "book" / "_static" / "thumbs" / "01_fine.png").is_file()


def test_failed_and_missing_chapters_show_as_such_never_as_broken_links(
    fake_book: tuple[Path, book.BookBuild],
) -> None:
    out, _ = fake_book
    index = (out / "book" / "index.html").read_text(encoding="utf-8")
    failed = re.search(r'<a class="dr-card dr-failed" href="02_broken.html">.*?</a>', index, re.S)
    assert failed and "ValueError: on purpose" in failed.group(0)
    never = re.search(r'<div class="dr-card dr-not-run">.*?A chapter never run.*?</div></div>', index, re.S)
    assert never and "not run yet" in never.group(0)
    assert "03_never.html" not in index and not (out / "book" / "03_never.html").exists()
    assert "This run failed: ValueError: on purpose" in (out / "book" / "02_broken.html").read_text(
        encoding="utf-8"
    )


def test_chapter_page_links_colab_source_and_the_api_and_hides_setup(
    fake_book: tuple[Path, book.BookBuild],
) -> None:
    out, _ = fake_book
    page = (out / "book" / "01_fine.html").read_text(encoding="utf-8")
    repo = book_chapters.repository_url()
    assert f'href="{repo}/blob/main/notebooks/01_fine.ipynb"' in page
    assert 'href="https://colab.research.google.com/github/' in page and "/notebooks/01_fine.ipynb" in page
    assert 'href="api/core.tables.html"' in page
    assert "api/core.color.html" not in page  # this book was built with the tables page only
    assert re.search(r'class="left-prev"\s+href="index.html"', page)
    assert re.search(r'class="right-next"\s+href="02_broken.html"', page)
    api = (out / "book" / "api" / "core.tables.html").read_text(encoding="utf-8")
    assert 'href="../01_fine.html"' in api and "markdown_table" in api
    for tag in ("setup", "parameters", "injected-parameters"):
        cell = re.search(rf'<div class="cell tag_{tag}[^"]*"', page)
        assert cell and "tag_hide-cell" in cell.group(0), f"{tag} cell is shown"


def test_markdown_outputs_render_as_tables(fake_book: tuple[Path, book.BookBuild]) -> None:
    """display(Markdown(tables.markdown_table(...))) is a table on the page, not a line of pipes."""
    page = (fake_book[0] / "book" / "01_fine.html").read_text(encoding="utf-8")
    table = re.search(r"<table.*?</table>", page, re.S)
    assert table and "PSNR" in table.group(0) and "21.5" in table.group(0)
    assert "| MSE |" not in page


def test_math_is_rendered_at_build_time(fake_book: tuple[Path, book.BookBuild]) -> None:
    page = (fake_book[0] / "book" / "01_fine.html").read_text(encoding="utf-8")
    math = re.findall(r"<math.*?</math>", page, re.S)
    assert len(math) == 1 and ("&#x02211;" in math[0] or "∑" in math[0]), math
    assert r"\sum" not in page
    assert not re.search(r"<script[^>]*(mathjax|katex)", page, re.I), "math needs no script"


def test_fake_book_links_resolve_and_assets_are_local(fake_book: tuple[Path, book.BookBuild]) -> None:
    assert site_problems(fake_book[0] / "book") == []


def test_site_checker_catches_broken_links_and_network_assets(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(
        '<a href="b.html">b</a><a href="a.html#nowhere">x</a><a href="https://x.org">ok</a>'
        '<script src="https://cdn.example/mathjax.js"></script><p id="here"></p>'
    )
    (tmp_path / "s.css").write_text("@font-face{src:url(https://fonts.example/f.woff2)}")
    assert sorted(site_problems(tmp_path)) == [
        "a.html: asset from the network https://cdn.example/mathjax.js",
        "a.html: broken link b.html",
        "a.html: no #nowhere in a.html",
        "s.css: asset from the network https://fonts.example/f.woff2",
    ]


# --------------------------------------------------------------------------- a book from a real smoke run


@pytest.mark.notebook
def test_book_from_a_smoke_run_of_two_notebooks(tmp_path: Path) -> None:
    names = ["01_color_spaces.ipynb", "04_linear_regression.ipynb"]
    results = runner.run_all([repo_root() / "notebooks" / n for n in names], profile="smoke", out=tmp_path)
    assert [r.status for r in results] == ["ok", "ok"], [r.error for r in results]
    built = book.build(tmp_path)
    site = tmp_path / "book"
    for name in names:
        assert (site / name.replace(".ipynb", ".html")).is_file()
    for module in book_chapters.library_modules():
        assert (site / "api" / f"{module}.html").is_file()
    assert sum(c.has_page for c in built.chapters) == 2 and len(built.chapters) >= 8
    assert site_problems(site) == []
    regression = (site / "04_linear_regression.html").read_text(encoding="utf-8")
    assert "<math" in regression and r"\bar x" not in regression
    # the runner's headless bars: one line each, on stdout, no terminal redraws in the saved page
    nb = json.loads((tmp_path / "notebooks" / "04_linear_regression.ipynb").read_text())
    streams = [o for c in nb["cells"] for o in c.get("outputs", []) if o["output_type"] == "stream"]
    text = "".join("".join(o["text"]) for o in streams)
    assert "\r" not in text and "Dense(1)" in text
    assert not [o for o in streams if o["name"] == "stderr" and "it/s" in "".join(o["text"])]
