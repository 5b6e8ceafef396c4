"""The least-squares patch map: exact on linear data, optimal among linear maps, and a Keras model like the MLP."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from darkroom import superres
from darkroom.superres import linear


def _patches(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 4, 4, 1)).astype(np.float32)
    w = rng.normal(size=(16, 9)).astype(np.float32) / 4
    b = rng.normal(size=9).astype(np.float32)
    y = (x.reshape(n, 16) @ w + b).reshape(n, 3, 3, 1)
    return x, y, w, b


def test_recovers_an_affine_map_exactly() -> None:
    x, y, w, b = _patches()
    model = superres.fit_linear_map(x, y)
    kernel, bias = model.get_layer("patch_map").get_weights()
    np.testing.assert_allclose(kernel, w, atol=1e-4)
    np.testing.assert_allclose(bias, b, atol=1e-4)
    assert model.input_shape == (None, 4, 4, 1) and model.output_shape == (None, 3, 3, 1)
    np.testing.assert_allclose(model.predict(x, verbose=0), y, atol=1e-4)


def test_no_other_linear_map_and_not_the_mean_does_better_on_nonlinear_targets() -> None:
    x, _, _, _ = _patches()
    y = np.tanh(3 * x[:, :3, :3]) + 0.1 * x[:, 1:, 1:] ** 2
    model = superres.fit_linear_map(x, y)
    best = float(np.mean((model.predict(x, verbose=0) - y) ** 2))
    assert best < float(np.mean((y - y.mean(0)) ** 2))
    kernel, bias = model.get_layer("patch_map").get_weights()
    rng = np.random.default_rng(1)
    for _ in range(5):  # least squares is a minimum: every nudge of the weights costs error
        nudged = (x.reshape(len(x), -1) @ (kernel + 0.01 * rng.normal(size=kernel.shape)) + bias).reshape(
            y.shape
        )
        assert float(np.mean((nudged - y) ** 2)) > best


def test_chunked_normal_equations_equal_one_lstsq(monkeypatch: pytest.MonkeyPatch) -> None:
    x, _, _, _ = _patches(n=301)
    y = np.sin(2 * x[:, :3, :3])
    monkeypatch.setattr(linear, "_CHUNK", 64)  # five chunks, the last one short
    kernel, bias = superres.fit_linear_map(x, y).get_layer("patch_map").get_weights()
    a = np.concatenate([x.reshape(301, -1), np.ones((301, 1))], 1).astype(np.float64)
    direct = np.linalg.lstsq(a, y.reshape(301, -1).astype(np.float64), rcond=None)[0]
    np.testing.assert_allclose(kernel, direct[:-1], atol=1e-5)
    np.testing.assert_allclose(bias, direct[-1], atol=1e-5)


def test_ridge_shrinks_the_weights_but_not_the_bias() -> None:
    x, y, _, _ = _patches()
    plain = superres.fit_linear_map(x, y).get_layer("patch_map").get_weights()
    shrunk = superres.fit_linear_map(x, y, ridge=10.0).get_layer("patch_map").get_weights()
    assert np.abs(shrunk[0]).sum() < 0.5 * np.abs(plain[0]).sum()
    np.testing.assert_allclose(shrunk[1], y.reshape(len(y), -1).mean(0), atol=0.2)


def test_saved_map_loads_with_identical_output(tmp_path) -> None:
    x, y, _, _ = _patches()
    model = superres.fit_linear_map(x, y)
    model.save(tmp_path / "linear_map.keras")
    again = keras.models.load_model(tmp_path / "linear_map.keras")
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize(
    ("inputs", "targets", "message"),
    [
        (
            np.zeros((5, 4, 4)),
            np.zeros((5, 3, 3, 1)),
            r"\(n, height, width, channels\), got inputs \(5, 4, 4\)",
        ),
        (np.zeros((5, 4, 4, 1)), np.zeros((4, 3, 3, 1)), "got 5 and 4"),
        (np.zeros((0, 4, 4, 1)), np.zeros((0, 3, 3, 1)), "at least one; got 0 and 0"),
        (np.full((5, 4, 4, 1), np.nan), np.zeros((5, 3, 3, 1)), "inputs contain NaN"),
    ],
)
def test_bad_patches_are_refused_with_what_was_received(inputs, targets, message) -> None:
    with pytest.raises(ValueError, match=message):
        superres.fit_linear_map(inputs, targets)


def test_negative_ridge_is_refused() -> None:
    x, y, _, _ = _patches(n=20)
    with pytest.raises(ValueError, match="ridge must be >= 0, got -1"):
        superres.fit_linear_map(x, y, ridge=-1)
