"""darkroom.circles.recipes: one choice changed per row, scores that do not depend on the scale."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest

from darkroom import circles

SCENE = dict(height=24, width=16, radius=(3, 6), num_discs=(1, 3))
SHAPE = (24, 16, 1)


def test_leave_one_out_changes_exactly_one_choice_per_row_to_the_writeups() -> None:
    recipes = circles.leave_one_out()
    assert next(iter(recipes)) == "all fixes" and recipes["all fixes"] == circles.FIXED
    assert len(recipes) == 6
    fields = [f.name for f in dataclasses.fields(circles.Recipe)]
    for label, recipe in list(recipes.items())[1:]:
        changed = [f for f in fields if getattr(recipe, f) != getattr(circles.FIXED, f)]
        assert len(changed) == 1, (label, changed)
        assert getattr(recipe, changed[0]) == getattr(circles.WRITEUP, changed[0])
        assert recipe.learning_rate == circles.FIXED.learning_rate


def test_leave_one_out_skips_choices_both_recipes_share() -> None:
    writeup = dataclasses.replace(circles.WRITEUP, optimizer="adam")
    recipes = circles.leave_one_out(writeup=writeup)
    assert "all fixes but plain SGD" not in recipes and len(recipes) == 5


def test_recipe_rejects_an_unknown_choice_naming_it() -> None:
    with pytest.raises(ValueError, match=r"Recipe.reduction .*'median'"):
        dataclasses.replace(circles.FIXED, reduction="median")
    with pytest.raises(ValueError, match="learning_rate must be > 0; received 0"):
        dataclasses.replace(circles.FIXED, learning_rate=0)


def test_recipe_names_its_loss_and_units() -> None:
    assert (circles.FIXED.loss, circles.FIXED.units) == ("mean_squared_error", "unit")
    assert (circles.WRITEUP.loss, circles.WRITEUP.units) == ("sum_of_squares", "lab")


def test_a_sigmoid_on_lightness_is_the_unit_sigmoid_times_100() -> None:
    x = np.random.default_rng(0).uniform(0, 1, (2, *SHAPE)).astype("float32")
    keras.utils.set_random_seed(0)
    unit = circles.FIXED.build(SHAPE)
    keras.utils.set_random_seed(0)
    lab = dataclasses.replace(circles.FIXED, scale=100.0).build(SHAPE)
    np.testing.assert_allclose(lab(x, training=False), 100 * unit(x, training=False), rtol=1e-5)
    assert lab.count_params() == unit.count_params()


def test_post_autoencoder_rejects_a_non_positive_output_scale() -> None:
    with pytest.raises(ValueError, match="output_scale must be > 0; received -1"):
        circles.post_autoencoder(SHAPE, output_scale=-1)


class _Echo(keras.Model):
    """Returns its input: a perfect autoencoder, to check the scores' scale."""

    def call(self, x, training=False):
        return x


def test_scores_read_the_same_on_either_scale() -> None:
    unit = circles.circle_dataset(8, 4, split="validation", **SCENE)
    lab = circles.circle_dataset(8, 4, split="validation", units="lab", **SCENE)
    assert circles.score_recipe(_Echo(), unit, 1.0) == {"mse": 0.0, "iou": 1.0}
    black_unit, black_lab = circles.black_baseline(unit), circles.black_baseline(lab, 100.0)
    assert black_unit["iou"] == 0.0
    share = float(np.mean(np.concatenate([y.numpy() for _, y in unit])))
    assert black_unit["mse"] == pytest.approx(share)  # discs are 1, so y² is y
    assert black_lab["mse"] == pytest.approx(black_unit["mse"], rel=1e-6)


def test_black_baseline_rejects_an_empty_stream() -> None:
    empty = circles.circle_dataset(8, 4, split="validation", **SCENE).take(0)
    with pytest.raises(ValueError, match="non-empty"):
        circles.black_baseline(empty)


def test_the_full_fix_learns_where_the_writeups_recipe_does_not() -> None:
    untrained = None
    scores = {}
    for name, recipe in {"fixed": circles.FIXED, "writeup": circles.WRITEUP}.items():
        run, val = circles.train_recipe(recipe, 64, 16, SCENE, batch_size=8, epochs=2, desc=name)
        assert run.steps == 16
        scores[name] = circles.score_recipe(run.model, val, recipe.scale)
        if name == "fixed":
            untrained = circles.untrained_baseline(recipe, val, SHAPE)
    # 16 Adam steps take the fixed net well below its starting error; SGD at 1e-9 stays put.
    assert scores["fixed"]["mse"] < 0.8 * untrained["mse"]
    assert scores["writeup"]["mse"] > scores["fixed"]["mse"]


SCORES = {
    "all-black output": {"mse": 0.1, "iou": 0.0},
    "all fixes": {"mse": 0.003, "iou": 0.95},
    "all fixes, seed 1": {"mse": 0.004, "iou": 0.93},
    "all fixes but plain SGD": {"mse": 0.2, "iou": 0.6},
}
SEEDS = ["all fixes", "all fixes, seed 1"]


def test_recipe_rows_give_steps_only_to_trained_runs() -> None:
    class Run:
        steps = 48

    rows = circles.recipe_rows(SCORES, {"all fixes": Run()})
    assert [r["run"] for r in rows] == list(SCORES)
    assert rows[1] == {"run": "all fixes", "held-out MSE": 0.003, "held-out IoU": 0.95, "steps": 48}
    assert rows[0]["steps"] is None


def test_plot_recipe_scores_draws_one_bar_per_run_and_the_seed_band() -> None:
    import matplotlib

    matplotlib.use("Agg")
    fig = circles.plot_recipe_scores(SCORES, SEEDS)
    ax = fig.axes[0]
    assert len(ax.patches) == len(SCORES) + 1  # the bars and the shaded band
    assert [t.get_text() for t in ax.get_yticklabels()] == list(SCORES)[::-1]
    assert ax.get_xlim() == (0.0, 1.0)


def test_outcome_reads_a_run_against_the_untrained_net_and_black() -> None:
    untrained, black = {"mse": 0.14, "iou": 0.33}, {"mse": 0.10, "iou": 0.0}

    def read(mse: float, iou: float) -> str:
        return circles.outcome({"mse": mse, "iou": iou}, untrained, black)

    assert read(float("nan"), 0.0) == "diverged"
    assert read(0.135, 0.34) == "stuck"
    assert read(0.1024, 0.0) == "painted black"  # the write-up's SGD at 1e-9 in chapter 02
    assert read(0.013, 0.89) == "learned"
    assert read(0.3, 0.2) == "moved"
