"""Linear regression on the Chicago fire-and-theft data: solved exactly, and by gradient descent.

Chapter 04. ``fire_theft`` loads the data and holds the result types (:class:`LineFit`, ...);
``fitting`` computes the fits; ``plots`` draws them. The fitting functions are re-exported here
(``from darkroom import regression as reg; reg.fit_exact(x, y)``); the data and the figures are
reached as ``from darkroom.regression import fire_theft, plots``.
"""

from __future__ import annotations

from darkroom.regression import fire_theft, fitting, plots
from darkroom.regression.fitting import (
    exact_graph,
    fit_exact,
    fit_gd,
    fit_keras_dense,
    fit_lstsq,
    fit_quadratic,
    fit_robust,
    fit_sgd_per_sample,
    fit_sgd_per_sample_eager,
    sgd_limit,
    sgd_path,
    sweep_sgd,
    sweep_steps,
)

__all__ = [
    "exact_graph",
    "fire_theft",
    "fit_exact",
    "fit_gd",
    "fit_keras_dense",
    "fit_lstsq",
    "fit_quadratic",
    "fit_robust",
    "fit_sgd_per_sample",
    "fit_sgd_per_sample_eager",
    "fitting",
    "plots",
    "sgd_limit",
    "sgd_path",
    "sweep_sgd",
    "sweep_steps",
]
