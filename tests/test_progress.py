"""darkroom.core.progress: in a headless run one summary line per bar on stdout, nothing from Keras
itself, and no XLA announcement; the Keras callback's bar over epochs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from darkroom.core import progress, training
from darkroom.core.paths import repo_root

SCRIPT = textwrap.dedent(
    """
    import time
    import numpy as np
    import keras
    from darkroom.core import progress

    for _ in progress.progress(range(30), desc="loop-bar"):
        time.sleep(0.002)
    with progress.progress(total=20, desc="manual-bar") as bar:
        for _ in range(20):
            bar.update(1)
    for _ in progress.progress(range(5), desc="vanishing-bar", leave=False):
        pass

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.zeros((64, 2), "float32"), np.zeros((64, 1), "float32")
    # verbose="auto" is what a reader's own fit() uses: Keras' bar must stay out of the page too
    model.fit(x, y, epochs=4, batch_size=8, callbacks=[progress.keras_progress(4, "keras-bar")])
    model.predict(x, batch_size=8)
    print("done")
    """
)


def _run_headless(headless: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        DARKROOM_HEADLESS=headless,
        TQDM_MININTERVAL="0",
        TF_CPP_MIN_LOG_LEVEL="3",
        PYTHONPATH=str(repo_root() / "lib") + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )


def _lines(text: str) -> list[str]:
    # a terminal redraw starts with "\r": every redraw counts as a line of the saved page
    return [line for line in re.split(r"[\r\n]", text) if line.strip()]


@pytest.fixture(scope="module")
def headless_run() -> subprocess.CompletedProcess[str]:
    proc = _run_headless("1")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


@pytest.mark.parametrize("desc,total", [("loop-bar", 30), ("manual-bar", 20), ("keras-bar", 4)])
def test_each_bar_leaves_one_summary_line_on_stdout(
    headless_run: subprocess.CompletedProcess[str], desc: str, total: int
) -> None:
    out = [line for line in _lines(headless_run.stdout) if desc in line]
    assert len(out) == 1, f"{desc}: expected one line on stdout, got {out}"
    assert f"{total}/{total}" in out[0] and "100%" in out[0]
    assert desc not in headless_run.stderr, f"{desc} drew on stderr: {headless_run.stderr[-500:]}"


def test_a_bar_closed_with_leave_false_leaves_nothing(headless_run: subprocess.CompletedProcess[str]) -> None:
    assert "vanishing-bar" not in headless_run.stdout + headless_run.stderr
    assert "\r" not in headless_run.stdout


def test_keras_own_progress_is_off(headless_run: subprocess.CompletedProcess[str]) -> None:
    both = headless_run.stdout + headless_run.stderr
    assert "Epoch 1/4" not in both and "step" not in both, both[-1000:]
    assert _lines(headless_run.stdout)[-1] == "done"


def test_bars_stay_live_outside_headless_runs() -> None:
    """The control: the same script with a reader watching redraws its bars (tqdm on stderr, Keras' bars)."""
    proc = _run_headless("0")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len([line for line in _lines(proc.stderr) if "loop-bar" in line]) > 1
    assert "Epoch 1/4" in proc.stdout


def test_keras_progress_counts_epochs_and_strategy_scope() -> None:
    import keras
    import tensorflow as tf

    with training.strategy_scope() as strategy:
        assert strategy is tf.distribute.get_strategy()
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        model.compile("sgd", "mse")
    cb = progress.keras_progress(3, "fit")
    model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=3, verbose=0, callbacks=[cb])
    assert cb.bar.n == 3 and "loss" in cb.bar.postfix


_XLA_SCRIPT = """
import sys
import darkroom, tensorflow as tf
from darkroom.core.progress import quiet_first_xla_compile
f = tf.function(lambda x: tf.reduce_sum(x * x), jit_compile=True)
with quiet_first_xla_compile(sys.argv[1] == "quiet"):
    print(float(f(tf.ones(3))))
"""


def test_quiet_first_xla_compile_hides_only_the_xla_announcement() -> None:
    # Run twice in fresh processes: XLA announces itself once per process, from native code.
    runs = {
        mode: subprocess.run(
            [sys.executable, "-c", _XLA_SCRIPT, mode], capture_output=True, text=True, timeout=300, check=True
        )
        for mode in ("loud", "quiet")
    }
    assert "Compiled cluster using XLA" in runs["loud"].stderr  # the control: the line exists to hide
    assert "Compiled cluster using XLA" not in runs["quiet"].stderr
    assert runs["quiet"].stdout.strip() == runs["loud"].stdout.strip() == "3.0"
