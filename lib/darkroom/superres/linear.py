"""The patch regressor's trivial baseline: the best linear map from input patch to output patch.

An MLP that maps 10x10 patches to 15x15 ones has to beat what a single linear layer can do when
it is solved exactly rather than trained. Least squares gives that layer in closed form (chapter
04's lesson: solve exactly what can be solved exactly), in seconds, with no learning rate, no
steps and no seed. :func:`fit_linear_map` returns it as a Keras model with the MLP's input and
output shapes, so every scoring and upscaling function takes it unchanged.
"""

from __future__ import annotations

import keras
import numpy as np

__all__ = ["fit_linear_map"]

# Patches are added to the normal equations this many at a time, so memory stays bounded
# however many patches there are (the full profile has millions).
_CHUNK = 65_536


def _check_patches(inputs: np.ndarray, targets: np.ndarray) -> None:
    if inputs.ndim != 4 or targets.ndim != 4:
        raise ValueError(
            "fit_linear_map expects patches shaped (n, height, width, channels), got inputs "
            f"{inputs.shape} and targets {targets.shape}"
        )
    if len(inputs) != len(targets) or len(inputs) == 0:
        raise ValueError(
            f"fit_linear_map needs as many input patches as target patches, at least one; got "
            f"{len(inputs)} and {len(targets)}"
        )
    for name, array in (("inputs", inputs), ("targets", targets)):
        if not np.isfinite(array).all():
            raise ValueError(f"fit_linear_map: {name} contain NaN or infinite values")


def _normal_equations(inputs: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(A^T A, A^T Y) in float64, where A is the flattened inputs with a column of ones."""
    n, d_in, d_out = len(inputs), int(np.prod(inputs.shape[1:])), int(np.prod(targets.shape[1:]))
    gram, rhs = np.zeros((d_in + 1, d_in + 1)), np.zeros((d_in + 1, d_out))
    for start in range(0, n, _CHUNK):
        a = inputs[start : start + _CHUNK].reshape(-1, d_in).astype(np.float64)
        a = np.concatenate([a, np.ones((len(a), 1))], axis=1)
        y = targets[start : start + _CHUNK].reshape(-1, d_out).astype(np.float64)
        gram += a.T @ a
        rhs += a.T @ y
    return gram, rhs


def fit_linear_map(
    inputs: np.ndarray, targets: np.ndarray, ridge: float = 0.0, name: str = "linear_map"
) -> keras.Model:
    """The affine map ``targets ~ W inputs + b`` that minimises the squared error over the patches.

    ``inputs`` (n, h, w, c) and ``targets`` (n, H, W, C), e.g. 10x10 and 15x15 patches in [-1, 1].
    ``ridge`` > 0 adds ``ridge * n`` to the diagonal of the normal equations (not to the bias), for
    nearly collinear patches; at 0 the solution is NumPy's least-squares one, which also handles
    a singular system. Returns Flatten -> Dense (linear) -> Reshape, input and output shaped like
    the patches, its weights set from the solution: no training step is taken.
    """
    inputs, targets = np.asarray(inputs), np.asarray(targets)
    _check_patches(inputs, targets)
    if ridge < 0:
        raise ValueError(f"ridge must be >= 0, got {ridge!r}")
    gram, rhs = _normal_equations(inputs, targets)
    if ridge:
        gram[:-1, :-1] += ridge * len(inputs) * np.eye(len(gram) - 1)
    solution = np.linalg.lstsq(gram, rhs, rcond=None)[0]
    x = keras.Input(inputs.shape[1:])
    dense = keras.layers.Dense(solution.shape[1], name="patch_map")
    y = keras.layers.Reshape(targets.shape[1:])(dense(keras.layers.Flatten()(x)))
    model = keras.Model(x, y, name=name)
    dense.set_weights([solution[:-1].astype(np.float32), solution[-1].astype(np.float32)])
    return model
