"""Tests for darkroom.regression.fire_theft: the committed workbook, reading it, and its errors."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from darkroom.regression import fire_theft

REPO = Path(__file__).resolve().parents[1]


def _maker():
    """Import data/make_fire_theft.py (a script, not a package module)."""
    path = REPO / "data" / "make_fire_theft.py"
    spec = importlib.util.spec_from_file_location("make_fire_theft", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_fire_theft", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def xy() -> tuple[np.ndarray, np.ndarray]:
    return fire_theft.load_fire_theft(REPO / "data" / "fire_theft.xls")


def test_committed_workbook_has_the_42_rows_of_the_issue(xy):
    x, y = xy
    rows = _maker().ROWS
    assert len(x) == len(y) == 42
    np.testing.assert_array_equal(x, [r[0] for r in rows])
    np.testing.assert_array_equal(y, [r[1] for r in rows])
    assert (x[0], y[0]) == (6.2, 29.0) and (x[-1], y[-1]) == (4.8, 19.0)
    assert (x[23], y[23]) == fire_theft.OUTLIER


def test_default_path_is_the_committed_workbook():
    x, _ = fire_theft.load_fire_theft()
    assert len(x) == 42


def test_xls_round_trip_writes_a_real_excel97_file_with_header(tmp_path):
    import xlrd

    target = _maker().write_fire_theft(tmp_path / "sub" / "ft.xls")
    assert target.read_bytes()[:8] == bytes.fromhex("d0cf11e0a1b11ae1")  # OLE2 = Excel 97 .xls
    sheet = xlrd.open_workbook(str(target)).sheet_by_index(0)
    assert sheet.nrows == 43 and sheet.row_values(0) == ["X", "Y"]
    x, y = fire_theft.load_fire_theft(target)
    assert len(x) == 42 and x.dtype == np.float64 and y.dtype == np.float64
    assert not list(tmp_path.glob("sub/*.tmp"))  # the atomic write left no temporary behind


def test_missing_file_error_names_the_path(tmp_path):
    missing = tmp_path / "nope.xls"
    with pytest.raises(FileNotFoundError, match=r"nope\.xls"):
        fire_theft.load_fire_theft(missing)


def test_corrupt_file_error_names_the_path(tmp_path):
    bad = tmp_path / "corrupt.xls"
    bad.write_bytes(b"this is not an excel workbook at all" * 20)
    with pytest.raises(ValueError, match=r"corrupt\.xls"):
        fire_theft.load_fire_theft(bad)


def test_truncated_file_is_rejected(tmp_path):
    good = (REPO / "data" / "fire_theft.xls").read_bytes()
    bad = tmp_path / "half.xls"
    bad.write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match=r"half\.xls"):
        fire_theft.load_fire_theft(bad)


def test_wrong_header_is_rejected(tmp_path):
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("s")
    for col, name in enumerate(["fires", "thefts"]):
        sheet.write(0, col, name)
    sheet.write(1, 0, 1.0)
    sheet.write(1, 1, 2.0)
    path = tmp_path / "header.xls"
    book.save(str(path))
    with pytest.raises(ValueError, match=r"header.*expected \['X', 'Y'\]"):
        fire_theft.load_fire_theft(path)


def test_check_xy_names_the_shapes_it_refuses():
    with pytest.raises(ValueError, match=r"\(3,\) and \(2,\)"):
        fire_theft.check_xy([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="finite"):
        fire_theft.check_xy([1.0, np.nan], [1.0, 2.0])


def test_line_mse_scores_a_grid_of_lines_like_mse_and_overflow_as_inf(xy):
    x, y = xy
    fit = fire_theft.LineFit(1.3, 17.0)
    grid = fire_theft.line_mse(x, y, np.array([[1.3, 0.0]]), np.array([[17.0, 0.0]]))
    assert grid.shape == (1, 2)
    assert grid[0, 0] == pytest.approx(fire_theft.mse(fit, x, y))
    assert grid[0, 1] == pytest.approx(np.mean(y**2))
    assert fire_theft.line_mse(x, y, np.array([1e200]), np.array([0.0]))[0] == np.inf
