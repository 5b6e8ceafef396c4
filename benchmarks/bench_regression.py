"""How much the compiled per-sample SGD loop gains over a Python loop of eager steps.

Runs the course's recipe (per-sample SGD on the fire-and-theft data) three ways in one process
and prints seconds per SGD step and the ratios:

- a Python loop of eager TensorFlow steps (how the TF1 code ran it: one session.run per sample);
- one ``tf.function`` loop (``tf.range`` over epochs and samples), graph mode;
- the same loop compiled with XLA (what ``fit_sgd_per_sample`` uses by default);

plus full-batch gradient descent as one compiled loop vs Keras ``model.fit`` (one step per epoch).

    flock /tmp/darkroom.cpu .venv/bin/python benchmarks/bench_regression.py [--eager-epochs 5]
"""

from __future__ import annotations

import argparse

from darkroom import regression as reg
from darkroom.regression import fire_theft


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eager-epochs", type=int, default=5)
    parser.add_argument("--compiled-epochs", type=int, default=10_000)
    parser.add_argument("--keras-epochs", type=int, default=200)
    args = parser.parse_args()
    x, y = fire_theft.load_fire_theft()
    n = len(x)

    # Warm up both compiled variants (tracing and XLA compilation) before timing.
    for jit in (True, False):
        reg.fit_sgd_per_sample(x, y, 1e-5, args.compiled_epochs, jit_compile=jit)
    eager = reg.fit_sgd_per_sample_eager(x, y, 1e-5, args.eager_epochs)
    graph = reg.fit_sgd_per_sample(x, y, 1e-5, args.compiled_epochs, jit_compile=False)
    xla = reg.fit_sgd_per_sample(x, y, 1e-5, args.compiled_epochs, jit_compile=True)
    per_step = {
        f"eager Python loop ({args.eager_epochs} epochs)": eager.seconds / (args.eager_epochs * n),
        f"tf.function loop ({args.compiled_epochs} epochs)": graph.seconds / (args.compiled_epochs * n),
        f"tf.function + XLA ({args.compiled_epochs} epochs)": xla.seconds / (args.compiled_epochs * n),
    }
    print("per-sample SGD, lr 1e-5 (the write-up's 10,000-epoch run is 420,000 steps)")
    base = per_step[next(iter(per_step))]
    for name, sec in per_step.items():
        print(
            f"  {name:38s} {sec * 1e6:9.3g} us/step  -> 10,000 epochs in {sec * 420_000:8.3g} s"
            f"  speed-up x{base / sec:8.0f}"
        )

    reg.fit_gd(x, y, 0.5, 10, "adam")
    gd = reg.fit_gd(x, y, 0.5, args.keras_epochs, "adam")
    keras_fit = reg.fit_keras_dense(x, y, 0.5, args.keras_epochs, "adam")
    print(f"full-batch Adam, {args.keras_epochs} epochs (whole calls, tracing and model build included)")
    print(f"  compiled loop (fit_gd)      {gd.seconds / args.keras_epochs * 1e3:8.3f} ms/epoch")
    print(
        f"  Keras Dense(1) model.fit    {keras_fit.seconds / args.keras_epochs * 1e3:8.3f} ms/epoch"
        f"  ratio x{keras_fit.seconds / gd.seconds:.1f}"
    )


if __name__ == "__main__":
    main()
