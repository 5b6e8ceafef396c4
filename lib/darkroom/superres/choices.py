"""Choices compared one change at a time: the post's grid for its MLP (and the figures of its set-up
this run measures), and what each ingredient of the residual sub-pixel net is worth."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import keras
import numpy as np

from darkroom.core import writeups
from darkroom.superres.networks import build_mlp, build_residual_subpixel
from darkroom.superres.pairs import patch_pairs
from darkroom.superres.pixels import scale_fraction
from darkroom.superres.scores import evaluate, plot_scores, score, writeup_r2
from darkroom.superres.train import train_upscaler

# ----------------------------------------------------------------------------- the post's choices
SETTING_KEYS = (
    "hidden",
    "activation",
    "initializer",
    "keep_prob",
    "optimizer",
    "learning_rate",
    "schedule",
    "patch",
)
GRIDS = ("default", "full")


def writeup_settings(grid: str = "default") -> dict[str, dict[str, object]]:
    """What the post tried for its MLP, one factor at a time, as changes to its final pick (two tanh
    layers, Xavier, RMSProp with a decaying rate, no dropout, 10 -> 15 patches): for :func:`compare_settings`.

    Depth (one fully connected layer, the post's first attempt; four hidden layers), activation
    (sigmoid, ReLU), Gaussian initialisation (TensorFlow's truncated normal, the post's), optimiser
    (plain gradient descent, AdaDelta), RMSProp at the post's rate, a constant rate, dropout at the
    post's two keep_prob values, and the post's other input patch sides (8 and 16, enlarged x1.5 here).
    ``"default"`` halves the four-layer widths (a CPU budget); ``"full"`` uses the post's widths and
    adds whole-image patches and a second Gaussian spread. Widths, rates and keep_prob come from
    :mod:`darkroom.core.writeups`. The rates of gradient descent and AdaDelta are ours (the post gives
    only RMSProp's): AdaDelta's 1.0 is its paper's; gradient descent's 1.0 learned fastest of 0.01,
    0.1 and 1.0 on notebook 08's patches (one epoch of 12,000, default profile).
    """
    if grid not in GRIDS:
        raise ValueError(f"grid must be one of {GRIDS}, got {grid!r}")
    deep = tuple(
        int(writeups.value(f"sr_deep_width_{i}")) // (1 if grid == "full" else 2) for i in range(1, 5)
    )
    keep_low, keep_high = writeups.value("sr_keep_prob_low"), writeups.value("sr_keep_prob_high")
    post_lr = writeups.value("sr_learning_rate")
    small, large = int(writeups.value("sr_patch_8_in")), int(writeups.value("sr_patch_16_in"))
    settings: dict[str, dict[str, object]] = {
        "the post's pick": {},
        "depth: one layer": {"hidden": ()},
        f"depth: four hidden ({'-'.join(map(str, deep))})": {"hidden": deep},
        "activation: sigmoid": {"activation": "sigmoid"},
        "activation: ReLU": {"activation": "relu"},
        "init: Gaussian": {"initializer": "truncated_normal"},
        "optimiser: plain GD": {"optimizer": "sgd", "learning_rate": 1.0},
        "optimiser: AdaDelta": {"optimizer": "adadelta", "learning_rate": 1.0},
        f"rate: RMSProp at {post_lr:g}": {"learning_rate": post_lr},
        "rate: constant": {"schedule": "constant"},
        f"dropout: keep_prob {keep_high:g}": {"keep_prob": keep_high},
        f"dropout: keep_prob {keep_low:g}": {"keep_prob": keep_low},
        f"patch: {small} in": {"patch": small},
        f"patch: {large} in": {"patch": large},
    }
    if grid == "full":
        settings["init: Gaussian, spread 0.01"] = {"initializer": "gaussian_0.01"}
        settings["patch: whole image"] = {"patch": "whole"}
    return settings


def _initializer(name: str) -> str | keras.initializers.Initializer:
    """A Keras initializer name, or ``gaussian_<std>``: TensorFlow's truncated normal at that spread."""
    if name.startswith("gaussian_"):
        return keras.initializers.TruncatedNormal(stddev=float(name.split("_", 1)[1]))
    return name


def _setting_build(
    change: dict[str, object], in_size: int, out_size: int, hidden: Sequence[int]
) -> Callable[[], keras.Model]:
    build: dict[str, object] = {k: change[k] for k in ("activation", "keep_prob") if k in change}
    if "activation" in change:
        build["output_activation"] = None  # as the post's code: the output uses the same activation
    init = _initializer(str(change.get("initializer", "glorot_uniform")))
    layers = tuple(change.get("hidden", hidden))  # type: ignore[arg-type]
    return functools.partial(build_mlp, in_size, out_size, hidden=layers, initializer=init, **build)


def _subsample(
    pairs: tuple[np.ndarray, np.ndarray], limit: int | None, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    x, y = pairs
    if limit is None or len(x) <= limit:
        return x, y
    keep = np.random.default_rng(seed).permutation(len(x))[:limit]
    return x[keep], y[keep]


def _setting_patches(
    change: dict[str, object],
    train_pairs,
    val_pairs,
    scale: float,
    stride: int,
    limits: tuple[int | None, int | None],
    seed: int,
):
    """(in, out) sides and the train / validation patch pairs for one setting's patch size."""
    frac = scale_fraction(scale)
    patch = change.get("patch", int(writeups.value("sr_patch_in")))
    in_size = int(np.shape(train_pairs[0])[1]) if patch == "whole" else int(patch)  # type: ignore[arg-type]
    step = in_size if patch == "whole" else stride
    train = patch_pairs(*train_pairs, in_size, scale, stride=step)
    val = patch_pairs(*val_pairs, in_size, scale, stride=step)
    return (
        (in_size, int(in_size * frac)),
        _subsample(train, limits[0], seed),
        _subsample(val, limits[1], seed + 1),
    )


def compare_settings(
    settings: dict[str, dict[str, object]],
    train_pairs: tuple[np.ndarray, np.ndarray],
    validation_pairs: tuple[np.ndarray, np.ndarray],
    test_pairs: tuple[np.ndarray, np.ndarray],
    photos: Sequence[np.ndarray],
    *,
    hidden: Sequence[int] = (2048, 1024),
    num_patches: int | None = None,
    num_validation_patches: int | None = None,
    stride: int = 4,
    epochs: int = 10,
    patience: int = 1,
    min_delta: float = 0.0,
    batch_size: int = 64,
    learning_rate: float = 5e-4,
    schedule: str = "exponential",
    scale: float = 1.5,
    r2_patches: int = 4,
    seed: int = 0,
) -> list[dict[str, float | str | int | None]]:
    """Train the post's MLP once per entry of ``settings`` (name -> changes, see
    :func:`writeup_settings`) from the same seed and score each: the comparison the post made.

    Image pairs in [-1, 1] (as from :func:`prepare_pairs`) give the patch pairs for each setting's
    patch size (``stride`` apart, at most ``num_patches`` / ``num_validation_patches`` of them). The base recipe is
    ``hidden`` tanh layers, Xavier, RMSProp at ``learning_rate`` with ``schedule``, MSE; each run
    stops after ``epochs`` or when the validation loss has not fallen by more than ``min_delta`` for
    ``patience`` epochs (the post stopped on such a plateau), keeping the best epoch. Rows:
    ``setting``, mae / psnr / ssim on the held-out ``photos`` (:func:`evaluate`, blended), the
    post's r2 (:func:`writeup_r2`) on ``test_pairs`` and on ``validation_pairs``, ``epochs_run``,
    ``best_epoch`` and ``train_s``.
    """
    rows: list[dict[str, float | str | int | None]] = []
    for name, change in settings.items():
        unknown = sorted(set(change) - set(SETTING_KEYS))
        if unknown:
            raise ValueError(
                f"setting {name!r}: unknown keys {unknown}; expected some of {list(SETTING_KEYS)}"
            )
        sizes, train, val = _setting_patches(
            change, train_pairs, validation_pairs, scale, stride, (num_patches, num_validation_patches), seed
        )
        res = train_upscaler(
            _setting_build(change, *sizes, hidden),
            *train,
            epochs=epochs,
            batch_size=batch_size,
            loss="mse",
            optimizer=str(change.get("optimizer", "rmsprop")),
            learning_rate=float(change.get("learning_rate", learning_rate)),  # type: ignore[arg-type]
            schedule=str(change.get("schedule", schedule)),
            validation_data=val,
            early_stopping=patience,
            min_delta=min_delta,
            seed=seed,
            desc=name[:24],
        )
        r2 = {
            f"r2_{k}": writeup_r2(*pairs, res.model, scale, patches_per_image=r2_patches, seed=seed)
            for k, pairs in (("test", test_pairs), ("val", validation_pairs))
        }
        rows.append(
            {
                "setting": name,
                **evaluate(photos, res.model, scale),
                **r2,
                "epochs_run": res.epochs_run,
                "best_epoch": res.best_epoch,
                "train_s": res.seconds,
            }
        )
    return rows


def untrained_setting_row(
    photos: Sequence[np.ndarray],
    test_pairs: tuple[np.ndarray, np.ndarray],
    validation_pairs: tuple[np.ndarray, np.ndarray],
    *,
    hidden: Sequence[int] = (2048, 1024),
    scale: float = 1.5,
    r2_patches: int = 4,
    seed: int = 0,
) -> dict[str, float | str | int | None]:
    """The :func:`compare_settings` row of the base recipe's net before any step: the weights every
    run with the base architecture starts from, so a row that scores like it has barely moved."""
    in_size = int(writeups.value("sr_patch_in"))
    out_size = int(in_size * scale_fraction(scale))
    keras.utils.set_random_seed(seed)
    model = _setting_build({}, in_size, out_size, hidden)()
    r2 = {
        f"r2_{k}": writeup_r2(*pairs, model, scale, patches_per_image=r2_patches, seed=seed)
        for k, pairs in (("test", test_pairs), ("val", validation_pairs))
    }
    return {
        "setting": "untrained (the shared initial weights)",
        **evaluate(photos, model, scale),
        **r2,
        "epochs_run": 0,
        "best_epoch": None,
        "train_s": 0.0,
    }


def plot_settings(rows: Sequence[dict], reference_psnr: float, title: str | None = None):
    """Two panels for :func:`compare_settings` rows: PSNR against ``reference_psnr`` (dB, e.g.
    bicubic's) and the post's r2 on the test pairs (lower is better). Returns the figure."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 0.35 * len(rows) + 1.2), sharey=True)
    plot_scores(rows, "psnr", "setting", reference=reference_psnr, ax=left, title="PSNR against bicubic (dB)")
    plot_scores(rows, "r2_test", "setting", ax=right, title="the post's r2 on test patches (lower is better)")
    right.set_xlabel("r2 (MSE on [-1, 1])")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def rows_by_change(
    rows: Sequence[dict], settings: dict[str, dict[str, object]], key: str
) -> dict[object, dict]:
    """:func:`compare_settings` ``rows`` keyed by the value their setting gives ``key`` (e.g.
    ``"patch"`` -> {8: row, 16: row}); settings that leave ``key`` alone are left out."""
    if len(rows) != len(settings):
        raise ValueError(
            f"rows_by_change: {len(rows)} rows for {len(settings)} settings; expected one row each"
        )
    return {change[key]: row for row, change in zip(rows, settings.values()) if key in change}


# ----------------------------------------------------------------------------- the post's set-up, measured
def _data_values(
    photos: dict[str, Sequence[np.ndarray]], inputs: np.ndarray, labels: np.ndarray
) -> dict[str, float | int]:
    """Photo counts per split and the sides of the prepared pairs (N, side, side[, C])."""
    counts = {k: len(v) for k, v in photos.items()}
    if set(counts) != {"train", "test", "val"}:
        raise ValueError(
            f"photos must be split into train, test and val (as photo_splits does), got {sorted(counts)}"
        )
    total = sum(counts.values())
    in_side, label_side = int(inputs.shape[1]), int(labels.shape[1])
    return {
        "sr_images_extracted": total,
        "sr_channels": 1 if inputs.ndim == 3 else int(inputs.shape[-1]),
        "sr_label_side": label_side,
        "sr_input_side": in_side,
        "sr_smaller_percent": 100 * (1 - in_side / label_side),
        "sr_bigger_percent": 100 * (label_side / in_side - 1),
        "sr_train_percent": 100 * counts["train"] / total,
        "sr_test_percent": 100 * counts["test"] / total,
        "sr_validation_percent": 100 * counts["val"] / total,
    }


def _mlp_values(mlp: keras.Model) -> dict[str, int]:
    """Patch sides, input and output widths and hidden layer widths of a :func:`build_mlp` model."""
    hidden = [layer.units for layer in mlp.layers if isinstance(layer, keras.layers.Dense)][:-1]
    if len(hidden) != 2:
        raise ValueError(
            f"expected the post's MLP with two hidden layers, got {mlp.name!r} with {len(hidden)}"
        )
    return {
        "sr_patch_in": int(mlp.input_shape[1]),
        "sr_patch_out": int(mlp.output_shape[1]),
        "sr_mlp_inputs": int(np.prod(mlp.input_shape[1:])),
        "sr_mlp_outputs": int(np.prod(mlp.output_shape[1:])),
        "sr_hidden_layers": len(hidden),
        "sr_hidden_1": int(hidden[0]),
        "sr_hidden_2": int(hidden[1]),
    }


def _settings_values(settings: dict[str, dict[str, object]], scale: float) -> dict[str, float | int]:
    """How many values of each choice were tried (the pick's and the others), dropout's keep_prob
    range, the deepest net's widths and the other patch sides (in, and out at ``scale``)."""
    changes = list(settings.values())

    def tried(key: str) -> int:
        return 1 + len({c[key] for c in changes if key in c})

    keep = [c["keep_prob"] for c in changes if "keep_prob" in c]
    deep = max((tuple(c.get("hidden", ())) for c in changes), key=len)  # type: ignore[arg-type]
    values: dict[str, float | int] = {
        "sr_activations_tried": tried("activation"),
        "sr_inits_tried": tried("initializer"),
        "sr_optimizers_tried": tried("optimizer"),
        "sr_keep_prob_high": max(keep),
        "sr_keep_prob_low": min(keep),
        "sr_deep_hidden_layers": len(deep),
    }
    values.update({f"sr_deep_width_{i}": width for i, width in enumerate(deep, 1)})
    for side in sorted(c["patch"] for c in changes if isinstance(c.get("patch"), int)):
        values[f"sr_patch_{side}_in"] = side
        values[f"sr_patch_{side}_out"] = int(side * scale_fraction(scale))
    return values


def writeup_run_values(
    photos: dict[str, Sequence[np.ndarray]],
    inputs: np.ndarray,
    labels: np.ndarray,
    mlp: keras.Model,
    settings: dict[str, dict[str, object]],
    scale: float = 1.5,
) -> dict[str, float | int]:
    """This run's counterparts of the post's set-up figures, read off the objects that hold them.

    ``photos`` (split name -> photos: train, test, val), the prepared train pairs ``inputs`` and
    ``labels`` (:func:`prepare_pairs`), the trained :func:`build_mlp` model and the ``settings``
    compared (:func:`writeup_settings`) give counts, sides, split shares, patch and layer sizes and
    what was tried, under the keys of :mod:`darkroom.core.writeups` (chapter "08"); with them, the MAE of
    black against white (the top of the post's score). Scores and timings are the notebook's to add.
    """
    return {
        **_data_values(photos, np.asarray(inputs), np.asarray(labels)),
        **_mlp_values(mlp),
        **_settings_values(settings, scale),
        "sr_score_completely_different": score(np.ones((16, 16)), np.zeros((16, 16)), 0)["mae"],
    }


# ----------------------------------------------------------------------------- what mattered
ABLATION_KEYS = ("data", "loss", "schedule", "residual", "subpixel", "fold")


def ablate_residual_subpixel(
    variants: dict[str, dict[str, object]],
    pairs: tuple[np.ndarray, np.ndarray],
    photos: Sequence[np.ndarray],
    scale: float = 1.5,
    *,
    filters: int = 64,
    num_layers: int = 6,
    epochs: int = 3,
    batch_size: int = 16,
    learning_rate: float = 5e-4,
    reference: str = "bicubic",
) -> dict[str, dict[str, float | str]]:
    """Retrain the residual sub-pixel net once per variant (name -> changes) and score each on ``photos``.

    The base recipe is :func:`build_residual_subpixel` (``filters``, ``num_layers``) trained on
    ``pairs`` with L1 and a cosine schedule; a variant changes some of ``data`` (other training
    pairs), ``loss``, ``schedule``, ``residual``, ``subpixel`` and ``fold``. Rows ``{name: row}``:
    ``variant``, ``psnr`` (:func:`evaluate`), ``dB_vs_<reference>`` and ``train_s``.
    """
    ref = evaluate(photos, reference, scale)["psnr"]
    rows: dict[str, dict[str, float | str]] = {}
    for name, change in variants.items():
        unknown = sorted(set(change) - set(ABLATION_KEYS))
        if unknown:
            raise ValueError(
                f"variant {name!r}: unknown keys {unknown}; expected some of {list(ABLATION_KEYS)}"
            )
        build_args = {k: v for k, v in change.items() if k in ("residual", "subpixel", "fold")}
        res = train_upscaler(
            functools.partial(build_residual_subpixel, scale, filters, num_layers, **build_args),
            *change.get("data", pairs),
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            loss=str(change.get("loss", "l1")),
            schedule=str(change.get("schedule", "cosine")),
            desc=name[:24],
        )
        psnr = evaluate(photos, res.model, scale)["psnr"]
        rows[name] = {"variant": name, "psnr": psnr, f"dB_vs_{reference}": psnr - ref, "train_s": res.seconds}
    return rows
