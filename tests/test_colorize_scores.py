"""darkroom.colorize.scores: the score table, the gray baseline, picking on crops, checks, the ball test."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from darkroom import colorize as C
from darkroom.core import color, saving, synthetic


@pytest.fixture(scope="module")
def scenes():
    return synthetic.toy_scenes(16, 32, seed=0)


def test_gray_baseline_and_score(scenes):
    gray = C.gray_baseline(scenes[:2])
    s = C.score(scenes[:2], gray)
    assert s["colorfulness"] < 1.0 and 0 < s["ab_mae"] and s["psnr"] > 10
    assert C.score(scenes[:2], scenes[:2])["psnr"] == np.inf


def test_ball_report_tells_a_true_colour_from_an_average():
    imgs, masks = synthetic.toy_scenes(16, 32, seed=3, return_masks=True)
    exact = C.ball_report(imgs, imgs, masks)
    assert exact["distance_to_nearer"] < 5.0 and exact["neither_share"] == 0.0
    lab = color.rgb_to_lab(imgs)
    ball, red = masks["ball"], masks["ball_red"]
    lab[ball, 1:] = (lab[red, 1:].mean(0) + lab[ball & ~red, 1:].mean(0)) / 2  # what MSE would predict
    purple = color.lab_to_rgb(lab)
    averaged = C.ball_report(imgs, purple, masks)
    assert averaged["neither_share"] == 1.0 and averaged["distance_to_nearer"] > 20
    with pytest.raises(ValueError, match="expected"):
        C.ball_report(imgs, imgs[:2], masks)


def test_score_rows_put_gray_at_zero_and_truth_last(scenes):
    gray = C.gray_baseline(scenes)
    rows = C.score_rows(scenes, {"gray": gray, "truth copy": scenes})
    assert rows[0]["dB vs gray"] == 0.0 and rows[1]["dB vs gray"] > 30
    assert rows[-1]["model"] == "truth" and "psnr" not in rows[-1]


def test_pick_on_crops_reports_the_margin_and_its_noise(scenes):
    keras.utils.set_random_seed(0)
    good = C.train_colorizer(scenes, epochs=3, filters=8, learning_rate=2e-3).model
    blank = keras.Sequential(
        [keras.Input((None, None, 1)), keras.layers.Conv2D(2, 1, kernel_initializer="zeros")]
    )
    choice = C.pick_on_crops({"trained": good, "gray": blank}, scenes)
    assert choice.best in ("trained", "gray") and choice.margin_db >= 0 and choice.margin_stderr_db >= 0
    assert choice.num_sources == len(scenes) and choice.within_noise in (True, False)
    assert set(choice.mean_psnr) == {"trained", "gray"}
    # Crops of one photo are one source: the same margin, but no spread to judge it by.
    one = C.pick_on_crops({"trained": good, "gray": blank}, scenes, origins=["a"] * len(scenes))
    assert (one.best, one.margin_db) == (choice.best, choice.margin_db)
    assert one.num_sources == 1 and one.margin_stderr_db is None and one.within_noise is None
    with pytest.raises(ValueError, match="needs >= 2 models"):
        C.pick_on_crops({"gray": blank}, scenes)
    with pytest.raises(ValueError, match="received 1 origins for"):
        C.pick_on_crops({"trained": good, "gray": blank}, scenes, origins=["a"])


def test_pick_on_crops_takes_the_standard_error_over_photos_not_crops(monkeypatch):
    # Two photos, two crops each. Model a wins by 1 and 3 dB on photo x, by 2 and 2 on photo y:
    # per photo both margins are 2 dB, so the spread over photos is zero (over crops it is not).
    from darkroom.colorize import scores

    psnr = iter([31.0, 33.0, 32.0, 32.0, 30.0, 30.0, 30.0, 30.0])  # model a's crops, then b's
    monkeypatch.setattr(scores.metrics, "psnr", lambda t, p: next(psnr))
    blank = keras.Sequential(
        [keras.Input((None, None, 1)), keras.layers.Conv2D(2, 1, kernel_initializer="zeros")]
    )
    crops = np.full((4, 8, 8, 3), 0.5, np.float32)
    got = C.pick_on_crops({"a": blank, "b": blank}, crops, origins=["x", "x", "y", "y"])
    assert got.best == "a" and got.margin_db == pytest.approx(2.0)
    assert got.num_sources == 2 and got.margin_stderr_db == pytest.approx(0.0)


def test_predictions_and_score_rows_make_the_notebooks_score_table(scenes):
    blank = keras.Sequential(
        [keras.Input((None, None, 1)), keras.layers.Conv2D(2, 1, kernel_initializer="zeros")]
    )
    preds = C.predictions({"gray": None, "blank": blank}, scenes[:3])
    np.testing.assert_allclose(preds["blank"], preds["gray"], atol=1e-5)  # ab = 0 is gray
    rows = C.score_rows(scenes[:3], preds)
    assert [r["model"] for r in rows] == ["gray", "blank", "truth"]
    assert rows[1]["dB vs gray"] == pytest.approx(0.0, abs=1e-3)


def test_check_rows_and_saved_colorizers(scenes):
    r = C.train_colorizer(scenes[:4], epochs=1, filters=4)
    (row,) = C.check_rows({"mse": r})
    assert (
        row["model"] == "mse" and row["ratio"] == pytest.approx(r.check.ratio) and row["ok"] in ("yes", "NO")
    )
    assert C.saved_colorizers("toy") == {}

    saving.save_model(r.model, "colorizer_toy_mse")
    saving.save_model(r.model, "colorizer_toy_pix2pix")
    saving.save_model(r.model, "colorizer_photos_mse")
    assert list(C.saved_colorizers("toy", exclude=("pix2pix",))) == ["mse"]


def test_compare_variants_scores_each_run_and_keeps_only_the_best_model(scenes):
    calls = []

    def train(images, **kwargs):
        calls.append(kwargs)
        return C.train_colorizer(images, **kwargs)

    test = scenes[8:12]
    runs = C.compare_variants(
        train,
        scenes[:8],
        test,
        {"one": dict(epochs=1), "two": dict(epochs=2)},
        common=dict(filters=4, batch_size=4),
    )
    assert calls == [dict(filters=4, batch_size=4, epochs=1), dict(filters=4, batch_size=4, epochs=2)]
    assert set(runs.predictions) == {"one", "two"} and runs.predictions["one"].shape == test.shape
    assert runs.steps == {"one": 2, "two": 4}
    assert set(runs.ok) == {"one", "two"} and all(r > 0 for r in runs.check_ratio.values())
    # The model kept is the best run's: it reproduces that run's predictions.
    np.testing.assert_allclose(
        C.colorize_batch(runs.best_model, test), runs.predictions[runs.best], atol=1e-5
    )
    with pytest.raises(ValueError, match="at least one variant"):
        C.compare_variants(train, scenes[:8], test, {})
