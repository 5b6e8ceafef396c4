"""darkroom.core.saving: models saved as outputs/models/<name>.keras and loaded back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from darkroom.core import saving


def test_save_model_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import keras

    monkeypatch.setenv("DARKROOM_OUTPUTS", str(tmp_path))
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    path = saving.save_model(model, "tiny")
    assert path == tmp_path / "models" / "tiny.keras"
    x = np.ones((1, 3), np.float32)
    np.testing.assert_allclose(saving.load_model("tiny")(x), model(x), rtol=1e-6)
    with pytest.raises(ValueError, match="bare name"):
        saving.save_model(model, "tiny.keras")
    with pytest.raises(FileNotFoundError, match=r"ghost\.keras"):
        saving.load_model("ghost")
