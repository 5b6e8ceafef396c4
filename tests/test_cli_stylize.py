"""``darkroom stylize``, run as a user would: neural-style's flags mapped and checked, and a fast-style network."""

from __future__ import annotations

from pathlib import Path

import pytest
from commands import darkroom

from darkroom.core import image_files


def test_stylize_maps_neural_style_flags_and_writes_checkpoints(folder: Path) -> None:
    out = darkroom(
        "stylize",
        "--content",
        "photo.png",
        "--styles",
        "style.png",
        "--output",
        "art.jpg",
        "--iterations",
        "2",
        "--width",
        "32",
        "--network",
        "random",
        "--checkpoint-iterations",
        "1",
        "--checkpoint-output",
        "ck_%s.png",
        "--print-iterations",
        "1",
        "--progress-write",
        "--style-scales",
        "0.5",
        "--preserve-colors",
        "ycbcr",
        "--pooling",
        "avg",
        cwd=folder,
    )
    assert out.returncode == 0, out.stderr
    assert image_files.read_image(folder / "art.jpg")[0].shape == (27, 32, 3)
    assert sorted(p.name for p in folder.glob("ck_*.png")) == ["ck_0.png", "ck_1.png", "ck_2.png"]
    assert "iteration 1: loss" in out.stdout
    assert len((folder / "progress.txt").read_text().splitlines()) >= 3
    again = darkroom(
        "stylize",
        "--content",
        "photo.png",
        "--styles",
        "style.png",
        "--output",
        "art.jpg",
        "--iterations",
        "2",
        cwd=folder,
    )
    assert again.returncode == 1 and "art.jpg: exists" in again.stderr


def test_stylize_with_a_trained_fast_style_network(folder: Path) -> None:
    from darkroom import style

    style.build_transformer((4, 8, 8), num_blocks=1).save(folder / "tiny.keras")
    out = darkroom(
        "stylize",
        "--content",
        "photo.png",
        "--model",
        "tiny.keras",
        "--output",
        "fast.png",
        "--width",
        "30",
        cwd=folder,
    )
    assert out.returncode == 0, out.stderr
    assert image_files.read_image(folder / "fast.png")[0].shape == (25, 30, 3) and "one pass" in out.stderr
    missing = darkroom(
        "stylize", "--content", "photo.png", "--model", "style_fast_nothing", "--output", "f2.png", cwd=folder
    )
    assert missing.returncode == 1 and "style_fast_nothing.keras: no such model file" in missing.stderr
    both = darkroom(
        "stylize",
        "--content",
        "photo.png",
        "--model",
        "tiny.keras",
        "--styles",
        "style.png",
        "--output",
        "f3.png",
        cwd=folder,
    )
    assert both.returncode == 2 and "not allowed with" in both.stderr


@pytest.mark.parametrize(
    "flags,message",
    [
        (["--checkpoint-output", "ck.png", "--checkpoint-iterations", "1"], "%s"),
        (["--checkpoint-iterations", "5"], "go together"),
        (["--style-blend-weights", "0.5", "0.5"], "one per style"),
    ],
)
def test_stylize_flags_darkroom_cannot_honour_exit_2(folder: Path, flags: list[str], message: str) -> None:
    out = darkroom(
        "stylize", "--content", "photo.png", "--styles", "style.png", "--output", "o.png", *flags, cwd=folder
    )
    assert out.returncode == 2 and message in out.stderr, out.stderr
    assert not (folder / "o.png").exists()
