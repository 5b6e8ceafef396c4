"""The book's chapters: a notebook's title and lesson, the modules it imports, the API pages, the repository."""

from __future__ import annotations

import pytest

from darkroom.app import book_chapters
from darkroom.core.paths import repo_root


def test_lesson_is_the_first_sentence_after_the_title() -> None:
    title, lesson = book_chapters.title_and_lesson(
        "# Colour spaces\n\nEvery model works in LAB. It reads L.\nMore.\n\nNext."
    )
    assert (title, lesson) == ("Colour spaces", "Every model works in LAB.")
    with pytest.raises(ValueError, match="starting with '# '"):
        book_chapters.title_and_lesson("no title here")


def test_modules_used_reads_imports_not_text() -> None:
    cells = [
        {
            "cell_type": "code",
            "source": "!pip install x\nfrom darkroom.core import color, images\nimport darkroom.style",
        },
        {
            "cell_type": "code",
            "source": "from darkroom.core.profiles import select  # darkroom.core.losses in a comment",
        },
        {
            "cell_type": "code",
            "source": "from darkroom.colorize import pix2pix\nfrom darkroom import regression",
        },
        {"cell_type": "markdown", "source": "from darkroom.core import metrics"},
    ]
    known = [
        "core.color",
        "core.images",
        "core.losses",
        "core.metrics",
        "core.profiles",
        "style",
        "colorize",
        "colorize.pix2pix",
        "regression",
    ]
    assert book_chapters.modules_used(cells, known) == [
        "core.color",
        "core.images",
        "style",
        "core.profiles",
        "colorize.pix2pix",
        "regression",
    ]


def test_library_modules_name_each_page_once() -> None:
    names = book_chapters.library_modules()
    assert {
        "core.color",
        "core.training",
        "colorize",
        "colorize.pix2pix",
        "regression",
        "regression.plots",
        "superres",
    } <= set(names)
    # re-exported modules are documented on their package's page; the running code has none
    assert not {"colorize.train", "superres.pixels", "app.runner", "core.__init__"} & set(names)


def test_repository_url_comes_from_pyproject() -> None:
    url = book_chapters.repository_url()
    assert url.startswith("https://github.com/") and url in (repo_root() / "pyproject.toml").read_text()


def test_the_source_metadata_chooses_the_lesson_and_thumbnail_over_the_executed_copy(tmp_path) -> None:
    import json

    sources, out = tmp_path / "notebooks", tmp_path / "out"
    for folder in (sources, out / "notebooks", out / "figures"):
        folder.mkdir(parents=True)
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# Title\n\nFirst sentence. Second."},
        {"cell_type": "code", "metadata": {}, "source": 'save_figure(f, "01_a")\nsave_figure(f, "01_b")'},
    ]
    meta = {"darkroom": {"lesson": "The chosen lesson.", "thumbnail": "01_b"}}
    (sources / "01_x.ipynb").write_text(json.dumps({"cells": cells, "metadata": meta}))
    (out / "notebooks" / "01_x.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}}))
    for name in ("01_a", "01_b"):
        (out / "figures" / f"{name}.png").write_bytes(b"png")
    (ch,) = book_chapters.chapters(out, sources)
    assert (ch.lesson, ch.thumbnail.name) == ("The chosen lesson.", "01_b.png")
    (sources / "01_x.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}}))  # the control
    (ch,) = book_chapters.chapters(out, sources)
    assert (ch.lesson, ch.thumbnail.name) == ("First sentence.", "01_a.png")
