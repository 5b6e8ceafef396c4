"""What notebooks 02 and 03 print about a trained disc net: scores, inpainting inside the hole,
gradients, filters, an architecture sweep and the colour toy's colourfulness."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from darkroom.circles.discs import DEFAULT_PALETTE
from darkroom.circles.train import train_autoencoder
from darkroom.core import color, optimizers, timing

__all__ = [
    "architecture_sweep",
    "color_report",
    "colorize_discs",
    "evaluate_autoencoder",
    "gradient_report",
    "hue_accuracy",
    "inpainting_report",
    "plot_filters",
]


def evaluate_autoencoder(
    model: keras.Model, dataset: tf.data.Dataset, threshold: float = 0.5
) -> dict[str, float]:
    """Reconstruction MSE and pooled disc IoU of ``model`` over ``dataset`` (inference mode)."""
    inter = union = 0
    sq, count = 0.0, 0
    for x, y in dataset:
        p = model(x, training=False).numpy()
        y = y.numpy()
        sq += float(np.sum((p - y) ** 2))
        count += y.size
        t, q = y > threshold, p > threshold
        inter += int(np.logical_and(t, q).sum())
        union += int(np.logical_or(t, q).sum())
    return {"mse": sq / max(count, 1), "iou": 1.0 if union == 0 else inter / union}


def _hole_scores(clean: np.ndarray, pred: np.ndarray, hole: np.ndarray) -> dict[str, float]:
    t, p = (clean > 0.5) & hole, (pred > 0.5) & hole
    union = int(np.logical_or(t, p).sum())
    return {
        "MSE in hole": float(np.mean((pred[hole] - clean[hole]) ** 2)),
        "disc IoU in hole": 1.0 if union == 0 else float(np.logical_and(t, p).sum() / union),
    }


def inpainting_report(
    model: keras.Model, damaged: Any, clean: Any, hole: Any, batch_size: int = 32
) -> list[dict[str, Any]]:
    """Score inpainting inside the holes only: the model's output against leaving the hole black.

    Rows for ``"input (hole left black)"`` and ``"model output"``, each with the MSE of the hole's
    pixels against the clean image and the IoU of the discs inside the hole. A net that fills the
    hole beats the input on both; one that copies its input scores the same as the input.
    """
    damaged, clean, hole = (np.asarray(a) for a in (damaged, clean, hole))
    if not damaged.shape == clean.shape == hole.shape or not hole.any():
        raise ValueError(
            f"inpainting_report expects damaged, clean and hole of one shape with a non-empty "
            f"hole; received shapes {damaged.shape}, {clean.shape}, {hole.shape}"
        )
    pred = np.concatenate(
        [
            np.asarray(model(damaged[i : i + batch_size], training=False))
            for i in range(0, len(damaged), batch_size)
        ]
    )
    return [
        {"what": "input (hole left black)", **_hole_scores(clean, damaged, hole)},
        {"what": "model output", **_hole_scores(clean, pred, hole)},
    ]


def gradient_report(model: keras.Model, x: Any, y: Any, loss: Any = "mean_squared_error") -> dict[str, float]:
    """Loss value, global gradient norm and output statistics of ``model`` on one batch.

    The numbers that diagnose a net that will not train: a loss in the millions gives
    gradients in the millions, and plain SGD then needs a learning rate a million times
    smaller than usual to take sensible steps.
    """
    from darkroom.core import losses

    fn = losses.get(loss) if isinstance(loss, str) else loss
    with tf.GradientTape() as tape:
        out = model(x, training=True)
        value = tf.reduce_mean(fn(y, out))
    grads = tape.gradient(value, model.trainable_variables)
    return {
        "loss": float(value),
        "grad_norm": float(tf.linalg.global_norm(grads)),
        "output_mean": float(tf.reduce_mean(out)),
        "output_std": float(tf.math.reduce_std(out)),
        "target_mean": float(tf.reduce_mean(tf.cast(y, tf.float32))),
    }


def plot_filters(model: keras.Model, layer: str = "conv1", ncols: int = 8, size: float = 1.0) -> Any:
    """Show the first input channel of every kernel in ``layer`` as a small gray image; return the Figure."""
    import matplotlib.pyplot as plt

    kernel = model.get_layer(layer).get_weights()[0]  # (kh, kw, in, out)
    k = kernel[:, :, 0, :]
    n = k.shape[-1]
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3), squeeze=False)
    lim = float(np.abs(k).max()) or 1.0
    for ax in axes.flat:
        ax.axis("off")
    for i, ax in enumerate(axes.flat[:n]):
        ax.imshow(k[..., i], cmap="RdBu_r", vmin=-lim, vmax=lim)
    fig.suptitle(f"{layer}: {n} kernels {k.shape[0]}x{k.shape[1]} (red +, blue -)")
    fig.tight_layout()
    return fig


def architecture_sweep(
    builds: dict[str, Callable[[], keras.Model]],
    train: tf.data.Dataset,
    validation: tf.data.Dataset,
    learning_rates: Sequence[float],
    *,
    epochs: int = 1,
    time_budget_s: float | None = None,
    seed: int = 0,
    strategy: tf.distribute.Strategy | None = None,
) -> list[dict[str, Any]]:
    """Train every architecture at every learning rate on the same data and budget.

    Each row holds the training rate (images per second of :func:`darkroom.core.timing.throughput`
    on one training batch, Adam, MSE) and the learning rate's effect (validation MSE and IoU reached).
    """
    rows = []
    batch = next(iter(train))
    for name, build in builds.items():
        model = build()
        model.compile(optimizer=optimizers.optimizer("adam"), loss="mean_squared_error")
        speed = timing.throughput(model, batch, steps=3)
        for lr in learning_rates:
            res = train_autoencoder(
                build,
                train,
                validation,
                learning_rate=lr,
                epochs=epochs,
                time_budget_s=time_budget_s,
                seed=seed,
                strategy=strategy,
                desc=f"{name} lr={lr:g}",
            )
            rows.append(
                {
                    "architecture": name,
                    "params": res.model.count_params(),
                    "images/s": round(speed, 1),
                    "learning rate": lr,
                    "val MSE": round(res.history["val_mse"][-1], 5),
                    "val IoU": round(res.history["val_iou"][-1], 4),
                    "seconds": round(res.seconds, 1),
                }
            )
    return rows


def _finite_ab(pred: Any) -> np.ndarray:
    """Clip to [-1, 1]; a diverged model's NaNs become 0 (grey) so the rendering still works."""
    return np.clip(np.nan_to_num(np.asarray(pred, np.float32), nan=0.0), -1, 1)


def colorize_discs(model: keras.Model, L: Any) -> np.ndarray:
    """RGB images from normalised lightness ``L`` (B, H, W, 1) and the model's normalised ab."""
    L = np.asarray(L, np.float32)
    ab = _finite_ab(model(L, training=False))
    lab = color.denormalize_lab(np.concatenate([L, ab], axis=-1))
    return color.lab_to_rgb(lab).astype(np.float32)


def _hue_hits(L: np.ndarray, ab: np.ndarray, pred: np.ndarray, palette: np.ndarray) -> tuple[int, int]:
    lab_true = np.concatenate([L * 100, ab * 128], -1).reshape(-1, 3)
    true_idx = np.argmin(((lab_true[:, None, :] - palette[None]) ** 2).sum(-1), axis=1)
    same_level = palette[None, :, 0] == palette[true_idx, 0][:, None]
    dist = ((pred.reshape(-1, 2)[:, None, :] * 128 - palette[None, :, 1:]) ** 2).sum(-1)
    guess = np.argmin(np.where(same_level, dist, np.inf), axis=1)
    return int((guess == true_idx).sum()), len(true_idx)


def hue_accuracy(model: Any, dataset: tf.data.Dataset, palette: Any = None) -> float:
    """Share of pixels whose predicted ab lies nearest the right hue among the palette's hues of
    the same lightness: a score no loss is trained on.

    Each pixel's true colour is its nearest ``palette`` entry (default
    :data:`darkroom.circles.DEFAULT_PALETTE`); guessing, or any constant answer, scores about one
    over the number of hues per lightness (1/3 by default).
    """
    pal = DEFAULT_PALETTE if palette is None else np.asarray(palette, np.float32)
    hits = total = 0
    for L, ab in dataset:
        L, ab = np.asarray(L), np.asarray(ab)
        h, t = _hue_hits(L, ab, _finite_ab(model(L, training=False)), pal)
        hits, total = hits + h, total + t
    if total == 0:
        raise ValueError("hue_accuracy needs a non-empty (L, ab) stream; received none")
    return hits / total


def color_report(model: keras.Model, dataset: tf.data.Dataset) -> dict[str, float]:
    """How colourful the model's colorizations are next to the targets, over ``dataset``.

    Returns the mean chroma ``sqrt(a^2 + b^2)`` (LAB units) of predictions and targets,
    Hasler-Suesstrunk colourfulness of both RGB renderings, ab MSE (normalised units) and
    :func:`hue_accuracy` with the default palette.
    """
    from darkroom.core import metrics

    chroma_p, chroma_t, col_p, col_t, err = [], [], [], [], []
    hue_hits = hue_total = 0
    for L, ab in dataset:
        L, ab = L.numpy(), ab.numpy()
        pred = _finite_ab(model(L, training=False))
        chroma_p.append(np.hypot(*np.moveaxis(pred * 128, -1, 0)).mean())
        chroma_t.append(np.hypot(*np.moveaxis(ab * 128, -1, 0)).mean())
        rgb_true = color.lab_to_rgb(color.denormalize_lab(np.concatenate([L, ab], -1)))
        rgb_pred = color.lab_to_rgb(color.denormalize_lab(np.concatenate([L, pred], -1)))
        col_p.append(metrics.colorfulness(rgb_pred))
        col_t.append(metrics.colorfulness(rgb_true))
        err.append(float(np.mean((pred - ab) ** 2)))
        hits, count = _hue_hits(L, ab, pred, DEFAULT_PALETTE)
        hue_hits, hue_total = hue_hits + hits, hue_total + count
    return {
        "chroma_pred": float(np.mean(chroma_p)),
        "chroma_true": float(np.mean(chroma_t)),
        "colorfulness_pred": float(np.mean(col_p)),
        "colorfulness_true": float(np.mean(col_t)),
        "ab_mse": float(np.mean(err)),
        "hue_accuracy": hue_hits / max(hue_total, 1),
    }
