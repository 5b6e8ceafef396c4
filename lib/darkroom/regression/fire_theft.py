"""The Chicago fire-and-theft data set, and the lines (and parabolas) fitted to it.

The foundation under the regression write-up ("Dangers of tunable parameters in TensorFlow"):
:func:`load_fire_theft` reads the committed workbook, :func:`without_outlier` drops the post's
upper-right point, and the result types every fit returns live here -- :class:`LineFit`,
:class:`QuadFit`, :class:`SweepResult` and :class:`StepsSweep` -- with :func:`mse` and
:func:`line_mse` to score them, and the checks every fit makes of its input (:func:`check_xy`) and
settings (:func:`check_positive`, :func:`check_schedule`). :mod:`darkroom.regression` computes the
fits and :mod:`darkroom.regression.plots` draws them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "OUTLIER",
    "LineFit",
    "QuadFit",
    "StepsSweep",
    "SweepResult",
    "check_fit_data",
    "check_positive",
    "check_schedule",
    "check_xy",
    "fire_theft_path",
    "line_mse",
    "load_fire_theft",
    "mse",
    "without_outlier",
]

# The write-ups' numbers (the course's SGD line, the exact line, the estimator's) live in
# darkroom.core.writeups under "fire_theft_*"; nothing here restates them.
# The upper-right point that pulls a parabola through it.
OUTLIER = (39.7, 147.0)


@dataclass
class LineFit:
    """A fitted line ``y = slope * x + intercept`` and what it cost.

    ``history`` is the mean squared error over the whole data set after each epoch (empty for
    closed-form fits); ``seconds`` is the wall time of the call, compilation included.
    """

    slope: float
    intercept: float
    seconds: float = 0.0
    history: list[float] = field(default_factory=list)
    method: str = ""
    model: Any = None

    def predict(self, x: np.ndarray | Sequence[float]) -> np.ndarray:
        """The line evaluated at ``x``."""
        return self.slope * np.asarray(x, dtype=np.float64) + self.intercept


@dataclass
class QuadFit:
    """A fitted parabola ``y = a x^2 + b x + c``."""

    a: float
    b: float
    c: float
    seconds: float = 0.0
    method: str = "quadratic least squares"

    def predict(self, x: np.ndarray | Sequence[float]) -> np.ndarray:
        """The parabola evaluated at ``x``."""
        x = np.asarray(x, dtype=np.float64)
        return (self.a * x + self.b) * x + self.c


@dataclass
class SweepResult:
    """Per-sample SGD over a grid of learning rates x epoch counts.

    Arrays are indexed ``[i_learning_rate, j_epochs]``. ``verdict`` is one of ``"diverged"``
    (the loss blew up), ``"crawling"`` (still moving towards the answer), ``"circling"``
    (settled, but away from the answer) and ``"converged"``. ``limit_slope``,
    ``limit_intercept`` and ``rate`` (per learning rate) are where the run settles and how fast
    (see :func:`darkroom.regression.per_sample_sgd.sgd_limit`).
    """

    learning_rates: list[float]
    epochs: list[int]
    slope: np.ndarray
    intercept: np.ndarray
    loss: np.ndarray
    verdict: np.ndarray
    exact: LineFit
    seconds: float = 0.0
    limit_slope: np.ndarray = field(default_factory=lambda: np.zeros(0))
    limit_intercept: np.ndarray = field(default_factory=lambda: np.zeros(0))
    rate: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def settling_rows(self, shrink: float = 1e-3) -> list[dict[str, Any]]:
        """Per learning rate: where the run settles, the per-epoch shrink factor, and the epochs
        needed to shrink the distance to the settling point by ``shrink`` (``lr x epochs`` too,
        which stays nearly constant when the epochs needed grow like 1/lr)."""
        if not 0 < shrink < 1:
            raise ValueError(f"shrink must be in (0, 1), got {shrink!r}")
        out = []
        for lr, w, b, r in zip(self.learning_rates, self.limit_slope, self.limit_intercept, self.rate):
            stable = bool(r < 1.0)
            epochs = float(np.log(shrink) / np.log(r)) if stable else None
            out.append(
                dict(
                    learning_rate=lr,
                    settles_at_slope=float(w) if stable else "diverges",
                    settles_at_intercept=float(b) if stable else "diverges",
                    shrink_per_epoch=float(r),
                    epochs_needed=epochs,
                    lr_x_epochs=lr * epochs if stable else None,
                )
            )
        return out

    def rows(self) -> list[dict[str, Any]]:
        """One dict per grid cell, for a table."""
        out = []
        for i, lr in enumerate(self.learning_rates):
            for j, ep in enumerate(self.epochs):
                out.append(
                    dict(
                        learning_rate=lr,
                        epochs=ep,
                        slope=float(self.slope[i, j]),
                        intercept=float(self.intercept[i, j]),
                        mse=float(self.loss[i, j]),
                        verdict=str(self.verdict[i, j]),
                    )
                )
        return out


@dataclass
class StepsSweep:
    """One optimizer run read off after several step counts (the estimator's ``steps``).

    ``slope``, ``intercept`` and ``mse`` (over all the data) are indexed like ``steps``;
    ``batch_size`` is ``None`` for full-batch steps.
    """

    steps: list[int]
    slope: np.ndarray
    intercept: np.ndarray
    mse: np.ndarray
    exact: LineFit
    optimizer: str
    learning_rate: float
    batch_size: int | None
    seconds: float = 0.0

    def relative_error(self) -> np.ndarray:
        """Per step count, the larger of the slope's and the intercept's relative error."""
        return np.maximum(
            np.abs(self.slope - self.exact.slope) / abs(self.exact.slope),
            np.abs(self.intercept - self.exact.intercept) / abs(self.exact.intercept),
        )

    def first_within(self, tol: float = 1e-3) -> int | None:
        """The first step count whose line is within ``tol`` relative error of least squares."""
        hits = [n for n, e in zip(self.steps, self.relative_error()) if e <= tol]
        return hits[0] if hits else None

    def rows(self) -> list[dict[str, Any]]:
        """One dict per step count, for a table."""
        return [
            dict(steps=n, slope=float(w), intercept=float(b), mse=float(m), rel_error=float(e))
            for n, w, b, m, e in zip(self.steps, self.slope, self.intercept, self.mse, self.relative_error())
        ]


def fire_theft_path() -> Path:
    """Where the committed workbook lives: ``data/fire_theft.xls`` in the checkout.

    ``DARKROOM_DATA`` (see :mod:`darkroom.core.paths`) is looked at first, so a copy placed there wins;
    otherwise the file committed in the repository is used.
    """
    from darkroom.core import paths

    override = os.environ.get("DARKROOM_DATA")
    if override and (Path(override) / "fire_theft.xls").is_file():
        return Path(override) / "fire_theft.xls"
    return paths.repo_root() / "data" / "fire_theft.xls"


def load_fire_theft(path: str | os.PathLike[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Read the fire-and-theft workbook with xlrd and return ``(x, y)`` as float64 arrays.

    ``x`` is fires per 1000 housing units, ``y`` thefts per 1000 population, in file order.
    The first row must be the header ``X, Y``. A missing file raises ``FileNotFoundError`` and an
    unreadable or malformed one ``ValueError``, both naming the path.
    """
    import xlrd

    path = Path(path) if path is not None else fire_theft_path()
    if not path.is_file():
        raise FileNotFoundError(
            f"fire-and-theft workbook not found at {path}: expected an Excel 97 .xls file "
            "(regenerate it with `python data/make_fire_theft.py`)"
        )
    try:
        book = xlrd.open_workbook(str(path), encoding_override="utf-8")
    except Exception as exc:  # xlrd raises several unrelated types for a damaged file
        raise ValueError(
            f"could not read {path} as an Excel 97 workbook ({type(exc).__name__}: {exc}); "
            "expected the file written by data/make_fire_theft.py"
        ) from exc
    sheet = book.sheet_by_index(0)
    if sheet.nrows < 2 or sheet.ncols < 2:
        raise ValueError(
            f"{path} has {sheet.nrows} rows x {sheet.ncols} columns: expected a header row "
            "'X, Y' and at least one data row"
        )
    header = [str(v).strip() for v in sheet.row_values(0)[:2]]
    if header != ["X", "Y"]:
        raise ValueError(f"{path} starts with header {header}: expected ['X', 'Y']")
    try:
        data = np.asarray([sheet.row_values(i)[:2] for i in range(1, sheet.nrows)], dtype=np.float64)
    except ValueError as exc:
        raise ValueError(f"{path} holds a non-numeric value below the header: {exc}") from exc
    return data[:, 0].copy(), data[:, 1].copy()


def without_outlier(
    x: np.ndarray, y: np.ndarray, point: tuple[float, float] = OUTLIER
) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` with every row equal to ``point`` removed (the post's upper-right point)."""
    x, y = check_xy(x, y)
    keep = ~(np.isclose(x, point[0]) & np.isclose(y, point[1]))
    if keep.all():
        raise ValueError(f"point {point} is not in the data")
    return x[keep], y[keep]


def mse(fit: LineFit | QuadFit, x: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error of ``fit`` on ``(x, y)``."""
    x, y = check_xy(x, y)
    return float(np.mean((fit.predict(x) - y) ** 2))


def check_xy(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """``x`` and ``y`` as float64 1-D arrays of one length >= 2, finite, or a ValueError."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or y.ndim != 1 or x.shape != y.shape or x.size < 2:
        raise ValueError(
            f"expected x and y as 1-D arrays of the same length >= 2, got shapes {x.shape} and {y.shape}"
        )
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("x and y must be finite (no NaN or inf)")
    return x, y


def check_fit_data(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """:func:`check_xy`, and ``x`` must take two values at least: through a constant ``x`` every
    line with the right mean fits equally well, so no fit has an answer (its denominator is zero)."""
    x, y = check_xy(x, y)
    if np.ptp(x) == 0:
        raise ValueError(f"x is constant ({x[0]:g} for all {x.size} points); a line needs x to vary")
    return x, y


def check_positive(name: str, value: float) -> None:
    """A ValueError naming ``name`` unless ``value > 0`` (a learning rate, Huber's delta)."""
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


def check_schedule(learning_rate: float, epochs: int) -> None:
    """A positive learning rate and at least one epoch, or a ValueError naming the bad value."""
    check_positive("learning_rate", learning_rate)
    if int(epochs) < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs!r}")


def line_mse(x: np.ndarray, y: np.ndarray, ws: np.ndarray, batch_size: np.ndarray) -> np.ndarray:
    """MSE of every ``(w, b)`` in broadcastable arrays, in float64; inf where it overflowed."""
    with np.errstate(over="ignore", invalid="ignore"):
        pred = ws[..., None].astype(np.float64) * x + batch_size[..., None].astype(np.float64)
        loss = np.mean((pred - y) ** 2, axis=-1)
    return np.where(np.isfinite(loss), loss, np.inf)
