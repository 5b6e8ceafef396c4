"""darkroom.core.spread: runs read against the range of the reference's seeds."""

from __future__ import annotations

import pytest

from darkroom.core import spread

SCORES = {
    "black": {"mse": 0.12, "iou": 0.0},
    "all fixes": {"mse": 0.003, "iou": 0.95},
    "all fixes, seed 1": {"mse": 0.004, "iou": 0.93},
    "but linear": {"mse": 0.0035, "iou": 0.94},
    "but SGD": {"mse": 0.1, "iou": 0.2},
    "lucky": {"mse": 0.001, "iou": 0.99},
}
SEEDS = ["all fixes", "all fixes, seed 1"]


def test_compare_to_seeds_reads_each_run_against_the_seeds_range() -> None:
    verdicts = spread.compare_to_seeds(SCORES, SEEDS)
    assert verdicts == {"black": "below", "but linear": "within", "but SGD": "below", "lucky": "above"}
    # On MSE, lower is better, and the reading is only "below/within/above" the range.
    assert spread.compare_to_seeds(SCORES, SEEDS, key="mse")["but linear"] == "within"
    with pytest.raises(ValueError, match="missing"):
        spread.compare_to_seeds(SCORES, ["all fixes, seed 7"])


def test_one_seed_is_a_range_of_one_value() -> None:
    verdicts = spread.compare_to_seeds(SCORES, ["all fixes"])
    assert verdicts["all fixes, seed 1"] == "below" and verdicts["lucky"] == "above"
    with pytest.raises(ValueError, match="needs scored seed runs"):
        spread.compare_to_seeds(SCORES, [])
