"""Running the ``darkroom`` command as a user would, in a subprocess, for the command-line tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

LIB = str(Path(__file__).resolve().parents[1] / "lib")


def command_env() -> dict[str, str]:
    """The test process's environment with this checkout's library first and progress bars off."""
    env = dict(os.environ, PYTHONPATH=LIB + os.pathsep + os.environ.get("PYTHONPATH", ""), TQDM_DISABLE="1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return env


def darkroom(*args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    """``python -m darkroom ARGS`` in ``cwd``, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "darkroom", *args],
        cwd=cwd,
        env=command_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
