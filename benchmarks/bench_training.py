"""Training throughput of ``training.fit`` against a bare ``model.fit`` on the same model and data.

Both sides build the same small CNN from the same seed, compile it with Adam and train it on the
same in-memory images for the same epochs and batch size, in one process. Repeats alternate
(bare, ours, bare, ours, ...) so that a busy moment of the machine hits both; each side's median
examples per second over whole calls (build, compile, tracing and fit) is printed, and their ratio.
The target is a ratio within 5% of 1: ``training.fit`` adds a progress bar and a step timer.

    flock /tmp/darkroom-cpu.lock .venv/bin/python benchmarks/bench_training.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics

import keras
import numpy as np

from darkroom.core import timing, training


def small_cnn(size: int) -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((size, size, 3)),
            keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
            keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
            keras.layers.Conv2D(3, 3, padding="same"),
        ]
    )


def bare_fit(x: np.ndarray, y: np.ndarray, epochs: int, batch_size: int) -> float:
    """Examples per second of the textbook call: seed, build, compile, ``model.fit(verbose=0)``."""
    with timing.Stopwatch() as watch:
        keras.utils.set_random_seed(0)
        model = small_cnn(x.shape[1])
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
        model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=False, verbose=0)
    return len(x) * epochs / watch.seconds


def our_fit(x: np.ndarray, y: np.ndarray, epochs: int, batch_size: int) -> float:
    """Examples per second of the same training through ``training.fit``."""
    with timing.Stopwatch() as watch:
        training.fit(
            lambda: small_cnn(x.shape[1]),
            (x, y),
            loss="mse",
            optimizer="adam",
            learning_rate=1e-3,
            epochs=epochs,
            batch_size=batch_size,
            shuffle=False,
            seed=0,
            desc="bench",
        )
    return len(x) * epochs / watch.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--examples", type=int, default=4096)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.random((args.examples, args.size, args.size, 3), dtype=np.float32)
    y = np.roll(x, 1, axis=-1)  # a learnable target: the channels shifted by one
    runs: dict[str, list[float]] = {"bare model.fit": [], "training.fit": []}
    bare_fit(x[:64], y[:64], 1, args.batch_size)  # one warm-up each: TensorFlow's first-use costs
    our_fit(x[:64], y[:64], 1, args.batch_size)
    for _ in range(args.repeats):
        runs["bare model.fit"].append(bare_fit(x, y, args.epochs, args.batch_size))
        runs["training.fit"].append(our_fit(x, y, args.epochs, args.batch_size))
    print(
        f"{args.examples} images {args.size}x{args.size}, batch {args.batch_size}, {args.epochs} epochs, "
        f"{args.repeats} interleaved repeats (whole calls: build, compile, trace, fit)"
    )
    medians = {name: statistics.median(values) for name, values in runs.items()}
    for name, values in runs.items():
        spread = ", ".join(f"{v:.0f}" for v in values)
        print(f"  {name:15s} median {medians[name]:8.1f} examples/s   (runs: {spread})")
    ratio = medians["training.fit"] / medians["bare model.fit"]
    print(f"training.fit / bare model.fit throughput: {ratio:.3f} (target: within 5% of 1)")


if __name__ == "__main__":
    main()
