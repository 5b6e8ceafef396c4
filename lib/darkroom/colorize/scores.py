"""Scoring colorizations: the score table of notebooks 06 and 07, picking a model on crops, the
inference check and the toy scenes' ball test."""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np

from darkroom.colorize.inference import colorize_batch
from darkroom.colorize.pairs import to_model_pairs
from darkroom.core import color, metrics

__all__ = [
    "Choice",
    "VariantRuns",
    "ball_report",
    "check_rows",
    "compare_variants",
    "pick_on_crops",
    "score",
    "score_rows",
    "tanh_saturation",
]


def score(target: Any, prediction: Any) -> dict[str, float]:
    """PSNR (dB), SSIM, ab MAE (LAB units) and colourfulness of ``prediction`` against ``target``."""
    t, p = color.as_float_rgb(target, "target"), color.as_float_rgb(prediction, "prediction")
    return {
        "psnr": metrics.psnr(t, p),
        "ssim": metrics.ssim(t, p),
        "ab_mae": metrics.ab_mae(color.rgb_to_lab(t), color.rgb_to_lab(p)),
        "colorfulness": metrics.colorfulness(p),
    }


def score_rows(target: Any, predictions: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per prediction (``model``, PSNR, SSIM, ab MAE, colourfulness, dB over gray when a
    ``"gray"`` prediction is given), then the truth's colourfulness: a table for ``tables``.

    With :func:`darkroom.colorize.inference.predictions` this is notebooks 06 and 07's score table:
    ``score_rows(photos, predictions({"gray": None, **models}, photos))``.
    """
    scores = {name: score(target, pred) for name, pred in predictions.items()}
    gray = scores.get("gray", {}).get("psnr")
    rows = [
        {"model": name, **s, **({"dB vs gray": s["psnr"] - gray} if gray is not None else {})}
        for name, s in scores.items()
    ]
    rows.append({"model": "truth", "colorfulness": metrics.colorfulness(color.as_float_rgb(target))})
    return rows


@dataclasses.dataclass(frozen=True)
class Choice:
    """A model picked on validation crops: each candidate's mean PSNR and the winner's margin.

    ``margin_stderr_db`` is the margin's standard error over ``num_sources`` independent
    sources (the photos the crops came from); it is ``None`` when there is only one, because
    crops of one photo overlap and say nothing about other photos.
    """

    best: str
    mean_psnr: dict[str, float]
    margin_db: float
    margin_stderr_db: float | None
    num_sources: int

    @property
    def within_noise(self) -> bool | None:
        """Whether the margin is under two standard errors (``None``: no spread to judge by)."""
        if self.margin_stderr_db is None:
            return None
        return self.margin_db < 2 * self.margin_stderr_db


def pick_on_crops(models: dict[str, keras.Model], crops: Any, origins: Sequence[str] | None = None) -> Choice:
    """Pick the model with the best mean PSNR over validation ``crops`` (N, H, W, 3).

    ``origins`` names the photo each crop was cut from (``None``: every crop is its own photo).
    The margin over the runner-up is paired, averaged per source, and its standard error is taken
    over sources, so overlapping crops of one photo do not pass for independent evidence.
    """
    crops = color.as_float_rgb(crops, "crops")
    if len(models) < 2 or crops.ndim != 4 or len(crops) < 2:
        raise ValueError(
            f"pick_on_crops needs >= 2 models and >= 2 crops; received {len(models)} models "
            f"and crops of shape {crops.shape}"
        )
    origins = list(range(len(crops))) if origins is None else list(origins)
    if len(origins) != len(crops):
        raise ValueError(
            f"pick_on_crops: origins must name one photo per crop; received {len(origins)} "
            f"origins for {len(crops)} crops"
        )
    per_crop = {
        name: np.array([metrics.psnr(t, p) for t, p in zip(crops, colorize_batch(m, crops))])
        for name, m in models.items()
    }
    ranked = sorted(per_crop, key=lambda k: -per_crop[k].mean())
    diff = per_crop[ranked[0]] - per_crop[ranked[1]]
    keys = np.array([str(s) for s in origins])
    per_source = np.array([diff[keys == k].mean() for k in dict.fromkeys(keys)])
    stderr = float(per_source.std(ddof=1) / np.sqrt(len(per_source))) if len(per_source) > 1 else None
    return Choice(
        ranked[0],
        {k: float(v.mean()) for k, v in per_crop.items()},
        float(diff.mean()),
        stderr,
        len(per_source),
    )


def tanh_saturation(model: keras.Model, L: np.ndarray, limit: float = 0.95) -> float:
    """Share of predicted ab values (inference mode) beyond ``limit`` of the tanh range."""
    return float(np.mean(np.abs(model.predict(np.asarray(L, np.float32), verbose=0)) > limit))


def check_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The inference check of each trained result (anything with a ``check``) as table rows."""
    return [
        {
            "model": name,
            "training loss": r.check.training_loss,
            "inference loss": r.check.inference_loss,
            "ratio": r.check.ratio,
            "ok": "yes" if r.check.ok() else "NO",
        }
        for name, r in results.items()
    ]


def ball_report(target: Any, prediction: Any, masks: dict[str, np.ndarray]) -> dict[str, float]:
    """Per toy ball: ab distance (LAB units) from its mean predicted colour to the nearer of the two
    true ball colours, and the share of balls given neither.

    The two references are the mean ab of the red and of the blue balls in ``target``. "Neither"
    means a ball's mean ab is farther from both than a third of their distance apart (the exact
    average of the two sits at half): a purple-brown average, a grass-green guess or plain gray. ``masks`` comes from
    ``synthetic.toy_scenes(..., return_masks=True)``.
    """
    t_lab = color.rgb_to_lab(color.as_float_rgb(target, "target"))
    p_lab = color.rgb_to_lab(color.as_float_rgb(prediction, "prediction"))
    ball, red = np.asarray(masks["ball"], bool), np.asarray(masks["ball_red"], bool)
    if not (ball.shape == t_lab.shape[:3] == p_lab.shape[:3]):
        raise ValueError(
            f"masks['ball'] {ball.shape}, target {t_lab.shape[:3]} and prediction {p_lab.shape[:3]}: "
            "expected one mask per image, all the same shape"
        )
    if not red.any() or not (ball & ~red).any():
        raise ValueError("expected toy scenes with both red and blue balls; received only one colour")
    refs = np.stack([t_lab[red][:, 1:].mean(0), t_lab[ball & ~red][:, 1:].mean(0)])
    means = np.array([p_lab[i][ball[i]][:, 1:].mean(0) for i in range(len(p_lab)) if ball[i].any()])
    dist = np.linalg.norm(means[:, None, :] - refs[None], axis=-1)
    third = float(np.linalg.norm(refs[0] - refs[1])) / 3
    return {
        "balls": float(len(means)),
        "distance_to_nearer": float(dist.min(1).mean()),
        "neither_share": float((dist.min(1) > third).mean()),
    }


@dataclasses.dataclass
class VariantRuns:
    """What :func:`compare_variants` keeps of each run: its predictions on the test images, the
    saturation and inference check of its model, its steps, and the best run's model only."""

    predictions: dict[str, np.ndarray]
    saturated: dict[str, float]
    check_ratio: dict[str, float]
    ok: dict[str, bool]
    steps: dict[str, int]
    best: str
    best_model: keras.Model


def compare_variants(
    train: Callable[..., Any],
    images: Any,
    test_images: Any,
    variants: dict[str, dict[str, Any]],
    common: dict[str, Any] | None = None,
) -> VariantRuns:
    """Train ``train(images, **{**common, **change})`` for each named change, score it on
    ``test_images`` at once and drop its model unless it is the best so far (by PSNR), so a
    comparison of large networks holds one trained model at a time instead of all of them."""
    if not variants:
        raise ValueError("compare_variants needs at least one variant; received none")
    L = to_model_pairs(test_images)[0]
    kept: dict[str, Any] = {k: {} for k in ("predictions", "saturated", "check_ratio", "ok", "steps")}
    best, best_psnr, best_model = "", -np.inf, None
    for name, change in variants.items():
        result = train(images, **{**(common or {}), **change})
        kept["predictions"][name] = colorize_batch(result.model, test_images)
        kept["saturated"][name] = tanh_saturation(result.model, L)
        kept["check_ratio"][name] = result.check.ratio
        kept["ok"][name] = result.check.ok()
        kept["steps"][name] = result.steps
        quality = metrics.psnr(color.as_float_rgb(test_images, "test_images"), kept["predictions"][name])
        if quality > best_psnr:
            best, best_psnr, best_model = name, quality, result.model
        del result
        gc.collect()
    return VariantRuns(**kept, best=best, best_model=best_model)
