"""Why a patch regressor loses: saturated tanh units, and where its error sits beside a baseline's.

A tanh network trained at too high a learning rate pushes its units to +-1, where the gradient
vanishes and training stalls; :func:`saturated_share` measures that per layer. :func:`error_maps`
and :func:`plot_error_maps` show, pixel by pixel, where a model is worse or better than a
baseline such as nearest neighbour on one photo.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import matplotlib.pyplot as plt
import numpy as np

from darkroom.superres.scores import BORDER, Candidate, _shave, _upscaler, round_trip

__all__ = ["error_maps", "plot_error_maps", "saturated_share"]


def saturated_share(model: keras.Model, inputs: np.ndarray, limit: float = 0.99) -> list[float]:
    """For each Dense layer with a tanh activation, the share of its outputs on ``inputs`` beyond
    ``limit`` in absolute value: units stuck where tanh is flat and their gradient nearly zero."""
    if not 0.0 < limit < 1.0:
        raise ValueError(f"limit must be between 0 and 1 (a tanh value), got {limit!r}")
    dense = [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.Dense) and keras.activations.serialize(layer.activation) == "tanh"
    ]
    if not dense:
        raise ValueError(f"{model.name} has no Dense layer with a tanh activation to measure")
    probe = keras.Model(model.inputs, [layer.output for layer in dense])
    outputs = probe.predict(np.asarray(inputs, np.float32), verbose=0, batch_size=1024)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    return [float(np.mean(np.abs(out) > limit)) for out in outputs]


def error_maps(
    photo: np.ndarray, candidates: dict[str, Candidate], scale: float = 1.5, border: int = BORDER
) -> dict[str, np.ndarray]:
    """``{name: |enlargement - photo|}``: the :func:`round_trip` of ``photo`` through each candidate
    (a method name, a model or a training result, optionally with its blend), the border cut away.
    Each map's mean is the MAE that :func:`evaluate` reports for that photo."""
    photo = np.asarray(photo)
    if photo.ndim not in (2, 3):
        raise ValueError(f"error_maps expects an (H, W) or (H, W, C) photo, got shape {photo.shape}")
    maps = {}
    for name, candidate in candidates.items():
        upscaler, blend = _upscaler(candidate)
        hr, enlarged = round_trip(photo, upscaler, scale, blend)
        maps[name] = _shave(np.abs(enlarged - hr), border)
    return maps


def plot_error_maps(
    maps: dict[str, np.ndarray],
    reference: str,
    others: Sequence[str] | None = None,
    vmax: float | None = None,
) -> plt.Figure:
    """Each map of :func:`error_maps` (top), and each map minus ``reference``'s (bottom: red where
    it is worse than the reference, blue where it is better, with the share of worse pixels)."""
    if reference not in maps:
        raise ValueError(f"reference {reference!r} is not one of the maps: {sorted(maps)}")
    others = [k for k in (others or maps) if k != reference]
    names = [reference, *others]
    vmax = vmax or float(np.percentile(np.concatenate([maps[k].ravel() for k in names]), 99))
    fig, axes = plt.subplots(
        2, len(names), figsize=(3.4 * len(names), 6.4), squeeze=False, layout="constrained"
    )
    for ax, name in zip(axes[0], names):
        top = ax.imshow(maps[name], cmap="magma", vmin=0, vmax=vmax)
        ax.set_title(f"|error|: {name}\nmean {maps[name].mean():.4f}", fontsize=9)
    fig.colorbar(top, ax=list(axes[0]), shrink=0.8, label="absolute error on [0, 1]")
    axes[1, 0].axis("off")
    axes[1, 0].text(
        0.5,
        0.5,
        f"below: each error\nminus {reference}'s\n(red: worse than {reference})",
        ha="center",
        va="center",
    )
    for ax, name in zip(axes[1, 1:], others):
        diff = maps[name] - maps[reference]
        bottom = ax.imshow(diff, cmap="coolwarm", vmin=-vmax, vmax=vmax)
        ax.set_title(f"{name} - {reference}\nworse at {np.mean(diff > 0):.0%} of pixels", fontsize=9)
    if others:
        fig.colorbar(bottom, ax=list(axes[1]), shrink=0.8, label=f"error minus {reference}'s")
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    return fig
