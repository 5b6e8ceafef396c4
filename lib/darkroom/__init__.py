"""darkroom: deep learning on images with TensorFlow, one notebook at a time.

Importing the package is cheap (it does not import TensorFlow) and quiets
TensorFlow's C++ logging, so import it before ``tensorflow``::

    import darkroom
    darkroom.seed_everything(0)
"""

from __future__ import annotations

import os
import random
import sys

# TensorFlow reads these when it is first imported; later changes have no effect.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

__version__ = "0.1.0"

__all__ = ["__version__", "peak_rss_bytes", "seed_everything"]


def seed_everything(seed: int = 0, *, deterministic: bool = False) -> None:
    """Seed Python, NumPy and TensorFlow so that a run repeats its numbers.

    With ``deterministic=True`` TensorFlow also picks deterministic kernels
    (slower on GPU; on a CPU most kernels already are).
    """
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002  (the legacy global generator, for code that still draws from it)
    import tensorflow as tf

    tf.random.set_seed(seed)
    try:
        import keras

        keras.utils.set_random_seed(seed)
    except ImportError:  # pragma: no cover - keras ships with tensorflow
        pass
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    _quiet_python_loggers()


def _quiet_python_loggers() -> None:
    """Silence the Python-side TensorFlow/absl warnings that clutter notebooks."""
    import logging

    import tensorflow as tf

    tf.get_logger().setLevel(logging.ERROR)
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:  # pragma: no cover
        pass


def peak_rss_bytes() -> int:
    """This process's peak resident memory so far, in bytes (Linux ``VmHWM``).

    Not ``ru_maxrss``: Linux carries a parent's resident size at fork into the child's
    ``ru_maxrss``, so a probe started by a 2 GB process would report at least 2 GB.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # no /proc (macOS): ru_maxrss is the best there is
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)  # bytes on macOS, KiB elsewhere
