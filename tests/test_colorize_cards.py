"""darkroom.colorize.cards: what a saved colorizer was trained on and how it scores beside gray on
photos it never saw; and the darkroom command saying so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from darkroom import colorize
from darkroom.colorize import cards
from darkroom.core import data, image_files, paths


def _constant_ab_colorizer(ab: float, name: str, channels: int = 2) -> Path:
    """A saved 'colorizer' that paints every pixel the same ab / 128 (0.0 is exactly gray)."""
    inputs = keras.Input((None, None, 1))
    head = keras.layers.Conv2D(
        channels, 1, kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(ab)
    )
    path = paths.models_dir() / f"{name}.keras"
    path.parent.mkdir(parents=True, exist_ok=True)
    keras.Model(inputs, head(inputs), name=name).save(path)
    return path


def test_the_name_says_what_a_colorizer_was_trained_on_and_which_photos_it_never_saw():
    trained_on, unseen = cards.training_data("colorizer_photos_mse")
    assert "train split" in trained_on and set(unseen) == {
        n for s in ("val", "test") for n in data.SAMPLE_PHOTO_SPLITS[s]
    }
    assert not set(unseen) & set(data.SAMPLE_PHOTO_SPLITS["train"])
    trained_on, unseen = cards.training_data("colorizer_toy_ssim")
    assert "toy scenes" in trained_on and len(unseen) == len(data.sample_photos())
    assert cards.training_data("my_model")[0].startswith("unknown")


def test_a_card_scores_against_gray_and_is_cached_until_the_model_changes(monkeypatch):
    gray = colorize.card(_constant_ab_colorizer(0.0, "colorizer_photos_gray"), max_side=64)
    assert abs(gray.db_vs_gray) < 0.01 and len(gray.photos) == 3
    orange = colorize.card(_constant_ab_colorizer(0.6, "colorizer_photos_orange"), max_side=64)
    assert orange.worse_than_gray and orange.db_vs_gray < -3
    assert "worse than leaving the photo gray" in orange.line() and "photos it never saw" in orange.line()

    def no_rescoring(*args, **kwargs):
        raise AssertionError("the cached card should have been read")

    monkeypatch.setattr(cards, "_score", no_rescoring)
    path = paths.models_dir() / "colorizer_photos_orange.keras"
    assert colorize.card(path, max_side=64) == orange
    os.utime(path, (1, 1))  # the model file changed: the card is computed again
    with pytest.raises(AssertionError, match="cached card"):
        colorize.card(path, max_side=64)


def _darkroom(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    lib = str(Path(__file__).resolve().parents[1] / "lib")
    env = dict(os.environ, PYTHONPATH=lib, TQDM_DISABLE="1", TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run(
        [sys.executable, "-m", "darkroom", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_darkroom_models_and_colorize_say_when_a_colorizer_is_worse_than_gray(tmp_path):
    orange = _constant_ab_colorizer(0.6, "colorizer_photos_orange")
    out = _darkroom("models", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    line = next(x for x in out.stdout.splitlines() if "colorizer_photos_orange:" in x)
    assert (
        "trained on the embedded photos' train split" in line and "worse than leaving the photo gray" in line
    )
    image_files.write_image(tmp_path / "old.png", np.random.default_rng(0).random((24, 32)))
    out = _darkroom("colorize", "old.png", "new.png", "--model", str(orange), cwd=tmp_path)
    assert out.returncode == 0 and "note: colorizer_photos_orange" in out.stderr, out.stderr
    out = _darkroom("-q", "colorize", "old.png", "new2.png", "--model", str(orange), cwd=tmp_path)
    assert out.returncode == 0 and out.stderr == "", out.stderr


def test_darkroom_colorize_refuses_a_model_with_three_output_channels(tmp_path):
    rgb_out = _constant_ab_colorizer(0.1, "rgb_out", channels=3)
    image_files.write_image(tmp_path / "old.png", np.zeros((8, 8)))
    out = _darkroom("colorize", "old.png", "new.png", "--model", str(rgb_out), cwd=tmp_path)
    errors = [x for x in out.stderr.splitlines() if x.strip()]
    assert out.returncode == 1 and len(errors) == 1 and "a colorizer maps L / 100" in errors[0], out.stderr
    assert not (tmp_path / "new.png").exists()
