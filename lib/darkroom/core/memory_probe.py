"""A real training step's memory, measured in a fresh process: the check on :mod:`darkroom.core.memory`.

TensorFlow's own ``get_memory_info`` reports zeros on a CPU, so :func:`measure_training_memory`
runs one training step per batch size in a new Python process (a probe script it writes) and
reads that process's peak resident memory (:func:`darkroom.peak_rss_bytes`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence

import keras

__all__ = ["measure_training_memory"]

_PROBE = r"""
import json, sys
import darkroom  # first: it quiets TensorFlow
import numpy as np
import psutil
import keras, tensorflow as tf
spec = json.load(open(sys.argv[1]))
# TensorFlow's first training step sets up thread pools and kernels; a tiny model pays for that
# before the start mark, so what follows the mark is the planned model's own memory.
tiny = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
tiny.compile(optimizer="sgd", loss="mse")
tiny.train_on_batch(np.zeros((1, 2), "float32"), np.zeros((1, 1), "float32"))
start = psutil.Process().memory_info().rss
model = keras.models.model_from_json(spec["model"])
opt = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD}[spec["optimizer"]](1e-3)
model.compile(optimizer=opt, loss="mse")
def batch(n):
    return tf.random.uniform((n, *model.input_shape[1:])), tf.random.uniform((n, *model.output_shape[1:]))
# Warm up with batch 1 (traces the graph, creates weights and optimizer slots) ...
model.train_on_batch(*batch(1))
x, y = batch(spec["batch_size"])
before = psutil.Process().memory_info().rss
# ... and restart the high-water mark (Linux: "5" to clear_refs), so the peak is this step's alone,
# not the warm-up's. Where that is refused, the warm-up's peak can only raise the figure.
try:
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
except OSError:
    pass
model.train_on_batch(x, y)
print(json.dumps({"rss_start": start, "rss_before": before, "peak": darkroom.peak_rss_bytes()}))
"""


def measure_training_memory(
    model: keras.Model,
    batch_sizes: Sequence[int],
    optimizer: str = "adam",
    timeout_s: float = 300,
    include_model: bool = False,
) -> dict[int, int]:
    """Measured growth of peak resident memory during one training step, per batch size.

    Each batch size runs in a fresh Python process: build the model from its config,
    warm up with batch 1, then take the peak RSS (:func:`darkroom.peak_rss_bytes`) during one step at
    the given batch minus the RSS just before it. This includes the batch tensors,
    activations, gradients of activations and the framework's scratch buffers, but
    not the weights and optimizer slots, which exist before the step. The weights' gradients
    are in it when the allocator returned the warm-up's to the system, so between none and all
    of :attr:`darkroom.core.memory.LayerTable.param_bytes` of them, depending on the platform's
    ``malloc``.

    With ``include_model`` the growth counts from before the model is built instead, so it
    includes the weights, their gradients and the optimizer slots: compare it with
    :attr:`darkroom.core.memory.LayerTable.total_bytes`. TensorFlow's runtime is started first
    (one step of a tiny model) so its own setup stays out of both figures.
    """
    if optimizer not in ("adam", "sgd"):
        raise ValueError(
            f"measure_training_memory supports optimizer 'adam' or 'sgd'; received {optimizer!r}"
        )
    out: dict[int, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        probe = os.path.join(tmp, "probe.py")
        with open(probe, "w") as f:
            f.write(_PROBE)
        for b in batch_sizes:
            spec_path = os.path.join(tmp, f"spec_{b}.json")
            with open(spec_path, "w") as f:
                json.dump({"model": model.to_json(), "optimizer": optimizer, "batch_size": int(b)}, f)
            env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
            proc = subprocess.run(
                [sys.executable, probe, spec_path], capture_output=True, text=True, timeout=timeout_s, env=env
            )
            if proc.returncode != 0:
                raise RuntimeError(f"memory probe failed for batch {b}: {proc.stderr.strip()[-500:]}")
            res = json.loads(proc.stdout.strip().splitlines()[-1])
            base = res["rss_start"] if include_model else res["rss_before"]
            out[int(b)] = int(max(res["peak"] - base, 0))
    return out
