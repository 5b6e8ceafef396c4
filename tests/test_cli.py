"""The ``darkroom`` command line, run as a user would: in a subprocess, on small files."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from commands import command_env, darkroom

from darkroom.core import image_files


def test_help_lists_every_command_and_bad_usage_exits_2(tmp_path: Path) -> None:
    out = darkroom("--help", cwd=tmp_path)
    assert out.returncode == 0
    for command in ("stylize", "upscale", "colorize", "run", "models"):
        assert command in out.stdout
    assert darkroom("frobnicate", cwd=tmp_path).returncode == 2
    scale = darkroom("upscale", "a.png", "b.png", "--scale", "5", cwd=tmp_path)
    assert scale.returncode == 2 and "invalid choice: 5" in scale.stderr


def test_bad_files_get_one_line_errors_naming_them(folder: Path) -> None:
    (folder / "empty.png").write_bytes(b"")
    (folder / "notes.png").write_text("hello")
    (folder / "cut.png").write_bytes((folder / "photo.png").read_bytes()[:400])
    cases = [
        (("missing.png", "o.png"), "missing.png: no such file"),
        (("empty.png", "o.png"), "empty.png: empty file"),
        (("notes.png", "o.png"), "notes.png: not an image"),
        (("cut.png", "o.png"), "cut.png: truncated"),
        (("photo.png", "nowhere/o.png"), "output folder nowhere does not exist"),
        (("photo.png", "style.png"), "style.png: exists; pass --overwrite"),
    ]
    for files, message in cases:
        out = darkroom("upscale", *files, "--scale", "2", cwd=folder)
        assert out.returncode == 1, (files, out.stderr)
        errors = [line for line in out.stderr.splitlines() if line.strip()]
        assert len(errors) == 1 and message in errors[0], (files, out.stderr)
    assert not (folder / "o.png").exists()


def test_upscale_refuses_a_thin_panorama_with_the_model_and_enlarges_it_with_bicubic(folder: Path) -> None:
    # a 1 x 4000 strip used to go through the shipped model and exit 0
    image_files.write_image(folder / "strip.png", np.linspace(0, 1, 4000, dtype=np.float32)[None])
    out = darkroom("upscale", "strip.png", "wide.png", "--scale", "2", cwd=folder)
    errors = [line for line in out.stderr.splitlines() if line.strip()]
    assert out.returncode == 1 and len(errors) == 1, out.stderr
    assert "1x4000 pixels; a learned upscaler needs at least 8" in errors[0] and "'bicubic'" in errors[0]
    assert not (folder / "wide.png").exists()
    out = darkroom("upscale", "strip.png", "wide.png", "--scale", "2", "--model", "bicubic", cwd=folder)
    assert out.returncode == 0, out.stderr
    assert image_files.read_image(folder / "wide.png")[0].shape == (2, 8000)


def test_upscale_colour_with_alpha_and_overwrite(folder: Path) -> None:
    before = (folder / "style.png").read_bytes()
    out = darkroom("upscale", "rgba.png", "big.png", "--scale", "2", "--tile", "16", cwd=folder)
    assert out.returncode == 0, out.stderr
    big, bits = image_files.read_image(folder / "big.png")
    assert big.shape == (80, 96, 4) and bits == 8
    assert big[:, -1, 3].mean() > 0.9 and big[:, 0, 3].mean() < 0.1  # the alpha ramp survived, enlarged
    out = darkroom(
        "-q",
        "upscale",
        "photo.png",
        "style.png",
        "--scale",
        "3",
        "--model",
        "bicubic",
        "--overwrite",
        cwd=folder,
    )
    assert out.returncode == 0 and out.stderr == "", out.stderr
    assert (folder / "style.png").read_bytes() != before
    assert image_files.read_image(folder / "style.png")[0].shape == (120, 144, 3)


def test_colorize_with_a_saved_model_and_without_one(folder: Path) -> None:
    from darkroom import colorize

    model = colorize.build_light_cnn()
    model.save(folder / "col.keras")
    image_files.write_image(folder / "gray.png", image_files.read_image(folder / "photo.png")[0].mean(-1))
    out = darkroom("colorize", "gray.png", "colour.png", "--model", "col.keras", cwd=folder)
    assert out.returncode == 0, out.stderr
    assert image_files.read_image(folder / "colour.png")[0].shape == (40, 48, 3)
    out = darkroom("colorize", "gray.png", "c2.png", "--model", "nope.keras", cwd=folder)
    assert out.returncode == 1 and "nope.keras: no such model file" in out.stderr


def test_models_lists_shipped_and_outputs(tmp_path: Path) -> None:
    (tmp_path / "outputs" / "models").mkdir(parents=True)
    (tmp_path / "outputs" / "models" / "mine.keras").write_bytes(b"x")
    env = dict(command_env(), DARKROOM_OUTPUTS=str(tmp_path / "outputs"))
    out = subprocess.run(
        [sys.executable, "-m", "darkroom", "models"], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0
    for name in ("resub_x2", "resub_x3", "resub_x4", "mine"):
        assert name in out.stdout


def test_run_passes_force_and_no_book_to_the_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    from darkroom.app import cli, runner

    seen: list[list[str]] = []
    monkeypatch.setattr(runner, "main", lambda argv: seen.append(list(argv)) or 0)
    assert cli.main(["run", "notebooks/04_linear_regression.ipynb", "--force", "--no-book"]) == 0
    assert cli.main(["run", "--profile", "smoke"]) == 0
    assert seen == [
        ["notebooks/04_linear_regression.ipynb", "--profile", "default", "--no-book", "--force"],
        ["--profile", "smoke"],
    ]


def test_run_passes_to_the_runner(tmp_path: Path) -> None:
    out = darkroom("run", "no_such_notebook.ipynb", "--profile", "smoke", "--no-book", cwd=tmp_path)
    assert out.returncode == 2 and "no_such_notebook.ipynb" in out.stderr
    assert darkroom("run", "--profile", "huge", cwd=tmp_path).returncode == 2


SLOW_WRITER = """
import sys, time
import PIL.Image
real_save = PIL.Image.Image.save
def slow_save(self, fp, *args, **kwargs):
    with open(fp, "wb") as fh:
        fh.write(b"half a file")
        fh.flush()
    print("WRITING", flush=True)
    time.sleep(60)
PIL.Image.Image.save = slow_save
from darkroom.app.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_an_interrupted_write_leaves_no_output(folder: Path, sig: int) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SLOW_WRITER,
            "upscale",
            "photo.png",
            "out.png",
            "--scale",
            "2",
            "--model",
            "bicubic",
        ],
        cwd=folder,
        env=command_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "WRITING"  # half the bytes are on disk now
        assert any(p.name.startswith(".out.") for p in folder.iterdir())
        proc.send_signal(sig)
        proc.wait(30)
    finally:
        proc.kill()
    assert not (folder / "out.png").exists()
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".out.")]
    if sig == signal.SIGTERM:  # a catchable signal also removes the temporary file
        assert leftovers == [] and proc.returncode == 130
