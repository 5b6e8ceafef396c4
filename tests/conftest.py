"""Shared test set-up: quiet TensorFlow, and keep every test's outputs out of the repository."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest

import darkroom  # noqa: F401  (first: it quiets TensorFlow before any test imports it)


@pytest.fixture(autouse=True)
def _outputs_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Send outputs/ to a temporary folder so tests never touch a user's results."""
    monkeypatch.setenv("DARKROOM_OUTPUTS", str(tmp_path_factory.mktemp("outputs")))


@pytest.fixture(autouse=True)
def _environment_restored():
    """Undo what a test's in-process ``darkroom`` command sets in ``os.environ`` (``-q`` sets
    TQDM_DISABLE), so the next test on the same worker starts from the same environment."""
    before = dict(os.environ)
    yield
    for key in set(os.environ) - set(before):
        del os.environ[key]
    os.environ.update(before)


@pytest.fixture()
def offline_vgg(tmp_path, monkeypatch):
    """No Keras cache, no configured weights file: what ``"auto"`` sees on a fresh offline machine."""
    from darkroom.core import vgg_weights

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv(vgg_weights.WEIGHTS_ENV, raising=False)
    monkeypatch.setattr(
        vgg_weights, "_keras_cache_files", lambda: [tmp_path / "keras_home" / "models" / "none.h5"]
    )


@pytest.fixture(scope="module")
def content():
    """A 64 x 64 float32 RGB test image: smooth gradients with a little noise (style transfer's content)."""
    import numpy as np

    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:64, 0:64] / 64.0
    img = np.stack([x, y, 0.5 + 0.3 * np.sin(6 * x)], -1) * 0.7 + 0.1 * rng.random((64, 64, 3))
    return img.astype(np.float32)


@pytest.fixture()
def folder(tmp_path):
    """A folder holding photo.png (40 x 48), style.png (32 x 32 noise) and rgba.png (photo + an alpha ramp)."""
    import numpy as np

    from darkroom.core import image_files, images

    rng = np.random.default_rng(0)
    photo = images.sample_image("chelsea")[:40, :48]
    image_files.write_image(tmp_path / "photo.png", photo)
    image_files.write_image(tmp_path / "style.png", rng.random((32, 32, 3)))
    rgba = np.concatenate([photo, np.linspace(0, 1, 48)[None, :, None].repeat(40, 0)], -1)
    image_files.write_image(tmp_path / "rgba.png", rgba)
    return tmp_path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Notebook and browser runs first, so that on two workers the long tests do not form the tail."""
    items.sort(
        key=lambda item: (
            item.get_closest_marker("notebook") is None and item.get_closest_marker("browser") is None
        )
    )
