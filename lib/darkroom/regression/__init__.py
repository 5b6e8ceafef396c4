"""Linear regression on the Chicago fire-and-theft data: solved exactly, and by gradient descent.

Chapter 04. ``fire_theft`` loads the data and holds the result types (:class:`LineFit`, ...);
``least_squares`` computes the exact answers (the line, a parabola, robust lines), ``per_sample_sgd``
the course's per-sample SGD and its sweep, ``full_batch`` gradient descent with a Keras optimizer
(and a Keras ``Dense(1)``); ``plots`` draws them. The fitting functions are re-exported here
(``from darkroom import regression as reg; reg.fit_exact(x, y)``); the data and the figures are
reached as ``from darkroom.regression import fire_theft, plots``.
"""

from __future__ import annotations

from darkroom.regression import fire_theft, full_batch, least_squares, per_sample_sgd, plots
from darkroom.regression.full_batch import fit_gd, fit_keras_dense, sweep_steps
from darkroom.regression.least_squares import exact_graph, fit_exact, fit_lstsq, fit_quadratic, fit_robust
from darkroom.regression.per_sample_sgd import (
    fit_sgd_per_sample,
    fit_sgd_per_sample_eager,
    sgd_limit,
    sgd_path,
    sweep_sgd,
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
    "full_batch",
    "least_squares",
    "per_sample_sgd",
    "plots",
    "sgd_limit",
    "sgd_path",
    "sweep_sgd",
    "sweep_steps",
]
