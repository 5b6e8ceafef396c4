"""darkroom.core.vgg_weights: what each weights= value resolves to, the network probe, the offline
fallback and a weights file."""

from __future__ import annotations

import numpy as np
import pytest

from darkroom.core import vgg, vgg_weights

pytestmark = pytest.mark.usefixtures("offline_vgg")


def test_network_probe_gives_up_quickly() -> None:
    # A name that cannot resolve, and an address that accepts connections (sandbox proxies do)
    # or never answers: the probe must say False, not hang.
    assert vgg_weights._network_available("https://darkroom.invalid/vgg19.h5", timeout=0.5) is False
    assert vgg_weights._network_available("http://10.255.255.1:9/vgg19.h5", timeout=0.5) is False


def test_auto_falls_back_to_multiscale_offline_and_says_so(monkeypatch, capsys) -> None:
    monkeypatch.setattr(vgg_weights, "_network_available", lambda *a, **k: False)
    monkeypatch.setattr(vgg, "_announced", set())
    choice = vgg_weights.resolve_weights("auto")
    assert choice.kind == "multiscale" == vgg_weights.OFFLINE_FALLBACK and "MULTI-SCALE" in choice.description
    model = vgg.vgg_features("auto", layers=("relu1_1",))
    assert model.weights_kind == "multiscale"
    out = capsys.readouterr().out
    assert "MULTI-SCALE RANDOM FILTERS" in out
    vgg.vgg_features("auto", layers=("relu1_1",))
    assert capsys.readouterr().out == ""  # said once
    assert vgg_weights.resolve_weights("random").kind == "random"  # still there when asked for by name


def test_resolve_weights_refuses_missing_file(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="no file"):
        vgg_weights.resolve_weights(tmp_path / "missing.h5")
    with pytest.raises(TypeError):
        vgg_weights.resolve_weights(3)


def test_weights_file_round_trip(tmp_path, monkeypatch) -> None:
    import keras

    keras.utils.set_random_seed(7)
    reference = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))
    path = tmp_path / "vgg19_random.weights.h5"
    reference.save_weights(path)
    model = vgg.vgg_features(path, layers=("relu2_1",))
    assert model.weights_kind == "file"
    for name in ("block1_conv1", "block2_conv1"):
        np.testing.assert_array_equal(
            model.inner.get_layer(name).get_weights()[0], reference.get_layer(name).get_weights()[0]
        )
    x = np.random.default_rng(0).normal(size=(1, 32, 32, 3)).astype(np.float32)
    expected = keras.Model(reference.input, reference.get_layer("block2_conv1").output)(x[..., ::-1])
    np.testing.assert_allclose(np.asarray(model(x)["relu2_1"]), np.asarray(expected), rtol=1e-4, atol=1e-4)
    # The environment variable is what "auto" uses offline.
    monkeypatch.setenv(vgg_weights.WEIGHTS_ENV, str(path))
    assert vgg_weights.resolve_weights("auto").kind == "file"
