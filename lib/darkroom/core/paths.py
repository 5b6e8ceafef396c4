"""Where darkroom reads and writes: the repository root, ``outputs/`` and ``data/``.

``DARKROOM_OUTPUTS`` and ``DARKROOM_DATA`` override the two folders (the runner
and the tests use this to write into a temporary directory).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "atomic_write",
    "data_dir",
    "figures_dir",
    "log_path",
    "models_dir",
    "outputs_dir",
    "repo_root",
]


def repo_root() -> Path:
    """The darkroom checkout this package was installed from (editable), else the cwd."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "notebooks").is_dir():
            return parent
    for parent in [Path.cwd(), *Path.cwd().parents]:
        if (parent / "pyproject.toml").is_file() and (parent / "notebooks").is_dir():
            return parent
    return Path.cwd()


def find_notebooks(folder: str | os.PathLike[str] | None = None) -> list[Path]:
    """The numbered notebooks ``NN_*.ipynb`` of ``folder`` (default: the repository's), in order."""
    folder = Path(folder) if folder is not None else repo_root() / "notebooks"
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if p.is_file())


def _dir(env: str, default: Path, parts: tuple[str, ...]) -> Path:
    base = Path(os.environ[env]) if os.environ.get(env) else default
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def outputs_dir(*parts: str) -> Path:
    """``outputs/<parts>``, created on demand: everything a run produces."""
    return _dir("DARKROOM_OUTPUTS", repo_root() / "outputs", parts)


def models_dir() -> Path:
    """``outputs/models``: trained models as ``<name>.keras``."""
    return outputs_dir("models")


def figures_dir() -> Path:
    """``outputs/figures``: figures saved by notebooks."""
    return outputs_dir("figures")


def log_path(log_dir: str | os.PathLike[str]) -> Path:
    """Where TensorBoard logs go: a bare run name becomes ``outputs/logs/<name>``; a path stays as is."""
    text = os.fspath(log_dir)
    if not text:
        raise ValueError("log_dir: expected a run name like 'regression' or a path; received ''")
    if os.sep in text or (os.altsep and os.altsep in text) or text in (".", ".."):
        return Path(text)
    return outputs_dir("logs", text)


def data_dir(*parts: str) -> Path:
    """``data/<parts>``, created on demand: committed small data and cached downloads."""
    return _dir("DARKROOM_DATA", repo_root() / "data", parts)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success.

    A run killed half-way leaves the old file (or none), never a truncated one.
    The temporary file keeps ``path``'s suffix so that writers which pick a
    format from the extension (Keras, matplotlib) still work.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
