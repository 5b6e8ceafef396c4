"""How far runs move by chance: reading a difference against the spread of seeds.

A chapter that compares settings trains its reference setting from a few seeds (other initial
weights, dropout masks and batch orders). :func:`compare_to_seeds` then reads every other run as
below, within or above the range those seeds span; "within" means chance alone moves a run that far.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["compare_to_seeds"]


def compare_to_seeds(
    scores: Mapping[str, Mapping[str, float]], seeds: Sequence[str], key: str = "iou"
) -> dict[str, str]:
    """Read each run's ``key`` against the range the ``seeds`` runs span (the same recipe from
    different initial weights): "below", "within" or "above" that range.

    A run inside the range differs from the reference by no more than chance moved the reference.
    """
    missing = [name for name in seeds if name not in scores]
    if len(seeds) < 1 or missing:
        raise ValueError(
            f"compare_to_seeds needs scored seed runs; received {list(seeds)}, missing {missing}"
        )
    values = [scores[name][key] for name in seeds]
    low, high = min(values), max(values)
    verdicts = {}
    for name, s in scores.items():
        if name in seeds:
            continue
        value = s[key]
        verdicts[name] = "below" if value < low else "above" if value > high else "within"
    return verdicts
