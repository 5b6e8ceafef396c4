"""Write ``data/fire_theft.xls``: the Chicago fire-and-theft data of the CS 20SI lecture notes.

The 42 rows are one per Chicago ZIP-code area: ``X`` is fires per 1000 housing units and ``Y`` is
thefts per 1000 population. The workbook is a real Excel 97 (BIFF8) file written with xlwt so that
``darkroom.regression.fire_theft.load_fire_theft`` can read it with xlrd, as the original post did.

Run from the repository root::

    python data/make_fire_theft.py            # writes data/fire_theft.xls
    python data/make_fire_theft.py out.xls    # writes somewhere else
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import xlwt

HEADER: tuple[str, str] = ("X", "Y")

# (fires per 1000 housing units, thefts per 1000 population), in the order of the original file;
# the order matters because per-sample SGD visits the rows in file order.
ROWS: tuple[tuple[float, float], ...] = (
    (6.2, 29),
    (9.5, 44),
    (10.5, 36),
    (7.7, 37),
    (8.6, 53),
    (34.1, 68),
    (11, 75),
    (6.9, 18),
    (7.3, 31),
    (15.1, 25),
    (29.1, 34),
    (2.2, 14),
    (5.7, 11),
    (2, 11),
    (2.5, 22),
    (4, 16),
    (5.4, 27),
    (2.2, 9),
    (7.2, 29),
    (15.1, 30),
    (16.5, 40),
    (18.4, 32),
    (36.2, 41),
    (39.7, 147),
    (18.5, 22),
    (23.3, 29),
    (12.2, 46),
    (5.6, 23),
    (21.8, 4),
    (21.6, 31),
    (9, 39),
    (3.6, 15),
    (5, 32),
    (28.6, 27),
    (17.4, 32),
    (11.3, 34),
    (3.4, 17),
    (11.9, 46),
    (10.5, 42),
    (10.7, 43),
    (10.8, 34),
    (4.8, 19),
)

DEFAULT_PATH = Path(__file__).resolve().parent / "fire_theft.xls"


def write_fire_theft(path: str | os.PathLike = DEFAULT_PATH) -> Path:
    """Write the header and the 42 rows to an Excel 97 workbook at ``path``, atomically.

    The workbook is saved to a temporary file in the same folder and renamed onto ``path`` only
    once it is complete, so an interrupted run never leaves a truncated workbook behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("fire_theft")
    for col, name in enumerate(HEADER):
        sheet.write(0, col, name)
    for row, values in enumerate(ROWS, start=1):
        for col, value in enumerate(values):
            sheet.write(row, col, float(value))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        book.save(tmp)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a committed data file should be world-readable
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


if __name__ == "__main__":
    target = write_fire_theft(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_PATH)
    print(f"wrote {len(ROWS)} rows to {target}")
