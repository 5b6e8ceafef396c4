"""darkroom.style.fast: the layers by hand, any-size round trips, saving and loading, a short training run."""

from __future__ import annotations

import numpy as np
import pytest

from darkroom import style
from darkroom.core import data, images, layers, perceptual, saving, synthetic, training, vgg


@pytest.fixture(scope="module")
def tiny() -> object:
    return style.build_transformer((4, 8, 8), num_blocks=1, name="tiny")


def test_instance_normalization_by_hand() -> None:
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(2, 5, 7, 3)).astype(np.float32)
    layer = layers.InstanceNormalization(epsilon=0.0)
    y = np.asarray(layer(x))
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0.0, atol=1e-5)  # per image and channel
    np.testing.assert_allclose(y.std(axis=(1, 2)), 1.0, atol=1e-4)
    layer.gamma.assign([2.0, 1.0, 1.0])
    layer.beta.assign([0.0, 0.0, 5.0])
    y = np.asarray(layer(x))
    assert y[..., 0].std(axis=(1, 2)) == pytest.approx([2.0, 2.0], abs=1e-3)
    assert y[..., 2].mean(axis=(1, 2)) == pytest.approx([5.0, 5.0], abs=1e-4)


def test_reflection_padding_mirrors_the_inside() -> None:
    x = np.arange(9, dtype=np.float32).reshape(1, 3, 3, 1)
    y = np.asarray(layers.ReflectionPadding2D(1)(x))[0, ..., 0]
    assert y.shape == (5, 5)
    np.testing.assert_array_equal(y[0, 1:4], [3, 4, 5])  # row 1 mirrored above row 0
    np.testing.assert_array_equal(y[1:4, 0], [1, 4, 7])


@pytest.mark.parametrize("hw", [(32, 32), (37, 50), (17, 23)])
def test_transformer_returns_rgb_in_range_at_any_size(tiny, hw) -> None:
    x = np.random.default_rng(1).random((2, *hw, 3)).astype(np.float32)
    y = np.asarray(tiny(x))
    assert y.shape == x.shape and y.dtype == np.float32
    assert 0.0 <= y.min() and y.max() <= 1.0


def test_saved_model_loads_with_keras_and_gives_the_same_pictures(tiny, tmp_path) -> None:
    import keras

    path = tmp_path / "style_fast_tiny.keras"
    tiny.save(path)
    loaded = keras.models.load_model(path)
    x = np.random.default_rng(2).random((1, 29, 41, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(tiny(x)), atol=1e-6)
    layer_types = {type(layer).__name__ for layer in loaded.layers}
    assert {"InstanceNormalization", "ReflectionPadding2D", "PadToMultiple", "CropLike"} <= layer_types


def test_apply_style_takes_one_image_or_a_batch_and_refuses_others(tiny) -> None:
    photo = images.resize(images.sample_image("astronaut"), (24, 20))
    one = style.apply_style(tiny, photo)
    assert one.shape == (24, 20, 3) and one.dtype == np.float32
    batch = style.apply_style(tiny, np.stack([photo, photo[::-1]]))
    np.testing.assert_allclose(batch[0], one, atol=1e-6)
    assert style.apply_style(tiny, (photo * 255).astype(np.uint8)).shape == (24, 20, 3)
    with pytest.raises(ValueError, match="RGB"):
        style.apply_style(tiny, np.zeros((1, 1, 8, 8, 3), np.float32))
    assert style.seconds_per_image(tiny, photo, repeats=1) > 0.0
    with pytest.raises(ValueError, match="repeats"):
        style.seconds_per_image(tiny, photo, repeats=0)


def test_the_trainer_scores_with_the_perceptual_loss() -> None:
    """One test step's logs are the PerceptualLoss of the network's painting, computed by hand."""
    import tensorflow as tf

    extractor = vgg.vgg_features(
        "multiscale", layers=perceptual.loss_layers(vgg.STYLE_LAYERS, [("relu4_2", 1.0)])
    )
    swirls = synthetic.procedural_style("swirls", 32)
    loss = perceptual.PerceptualLoss(extractor, [vgg.preprocess(swirls)])
    net = style.build_transformer((4, 8, 8), 1)
    trainer = style.FastStyleTrainer(net, loss)
    trainer.compile(optimizer="adam")
    x = data.random_patches(data.sample_photos("val"), 32, 2, seed=0)
    logs = trainer.test_step((tf.constant(x), tf.constant(x)))
    painted = vgg.preprocess(np.asarray(net(x)))
    by_hand = loss(tf.constant(painted), loss.content_targets(vgg.preprocess(x)))
    for key, value in zip(("loss", "content", "style", "tv"), by_hand):
        assert float(logs[key]) == pytest.approx(float(value), rel=1e-4)


def test_training_through_fit_lowers_the_loss_and_saves(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DARKROOM_OUTPUTS", str(tmp_path))
    swirls = synthetic.procedural_style("swirls", 64)
    photos = data.sample_photos("train")
    result = style.train_fast_style(
        swirls,
        photos,
        style_name="swirls_test",
        size=32,
        num_crops=16,
        batch_size=4,
        epochs=10,
        learning_rate=5e-3,
        weights="multiscale",
        filters=(4, 8, 8),
        num_blocks=1,
        validation_photos=data.sample_photos("val"),
    )
    assert isinstance(result.train, training.TrainResult) and result.train.stop_reason == "epochs"
    losses = result.history["loss"]
    assert len(losses) == 10 and losses[-1] < 0.85 * losses[0]
    assert len(result.history["val_loss"]) == 10 and "MULTI-SCALE" in result.weights
    assert result.path == str(tmp_path / "models" / "style_fast_swirls_test.keras")
    loaded = saving.load_model("style_fast_swirls_test")
    x = data.random_patches(data.sample_photos("test"), 40, 1, seed=3)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(result.model(x)), atol=1e-6)
    with pytest.raises(ValueError, match="style_name"):
        style.train_fast_style(swirls, photos, style_name="my style!", weights="multiscale")
    with pytest.raises(ValueError, match="size"):
        style.train_fast_style(swirls, photos, style_name="ok", size=8, weights="multiscale")


def test_saved_model_loads_after_importing_only_style(tiny, tmp_path) -> None:
    # Issue 13: a style_fast_* file must load in a fresh process that imported darkroom.style alone.
    import os
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "style_fast_tiny.keras"
    tiny.save(path)
    script = (
        "import keras, darkroom.style, numpy as np\n"
        f"m = keras.models.load_model({str(path)!r})\n"
        "print(m(np.zeros((1, 9, 13, 3), 'float32')).shape)\n"
    )
    lib = str(Path(__file__).resolve().parents[1] / "lib")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (lib, os.environ.get("PYTHONPATH"))))}
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "(1, 9, 13, 3)"


def test_comparison_rows_score_each_result_against_the_style() -> None:
    swirls = synthetic.procedural_style("swirls", 32)
    photo = images.resize(data.sample_photos("test")["chelsea"], (32, 32))
    results = {"the photo": (photo, None), "the style itself": (swirls, 0.25)}
    rows = style.comparison_rows(results, photo, swirls, label="chelsea", weights="multiscale")
    assert [r["chelsea"] for r in rows] == list(results)
    assert [r["seconds per image"] for r in rows] == [None, 0.25]
    assert rows[1]["style distance"] == pytest.approx(0.0, abs=1e-6)
    assert rows[0]["style distance"] > 0.01
    assert rows[1]["style loss"] < rows[0]["style loss"]
    assert rows[0]["total loss"] >= rows[0]["style loss"]
    with pytest.raises(ValueError, match="received none"):
        style.comparison_rows({}, photo, swirls)
