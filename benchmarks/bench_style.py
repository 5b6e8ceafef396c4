"""Style transfer: time per finished image, ours vs a TensorFlow-tutorial-style baseline, in one process.

Baseline (written the way the TensorFlow style-transfer tutorial writes it): the full VGG19
(include_top=False, every layer through block5_pool), the image a tf.Variable in [0, 1] that
starts from the content photo and is clipped after every step, Adam(lr=0.02, beta_1=0.99,
epsilon=0.1), a fixed number of iterations (1000) at full size.  It minimises the same loss as
darkroom.style (neural-style's content + style + total-variation terms, same layers and weights),
so the losses are comparable.

Ours, each from the same photo at the same size, each stopped after ``--iterations``:
  * Adam with neural-style's settings (lr 10 in VGG units), the network cut after relu5_1:
    seconds per iteration against the baseline's;
  * L-BFGS (SciPy's L-BFGS-B fed by the compiled TensorFlow gradient, 20 past steps);
  * L-BFGS after a short half-size stage (``multires=1``), to see whether working small first pays;
and for each the time until its full-size loss first reaches the baseline's final loss.  The
stopping rule is replayed on the L-BFGS run: where it would stop, and at what loss.  Peak memory at
256 and 512 px, for the baseline and both our optimisers, is measured in fresh processes (peak RSS
only grows within a process).

    python benchmarks/bench_style.py            # 1000 baseline iterations at 256 px (17 min on 2 cores)
    python benchmarks/bench_style.py --quick    # 150 baseline iterations: about 5 minutes

Prints ratios; asserts nothing.  Weights: "auto" (VGG19 with random weights offline; it says which).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import darkroom  # first: it quiets TensorFlow before TensorFlow is imported


def _setup(size: int, weights: str):
    from darkroom import style
    from darkroom.core import images, synthetic

    content = images.resize(images.sample_image("astronaut"), (size, size))
    swirl = synthetic.procedural_style("swirls", size)
    return style, content, swirl


def _objective(extractor, content, swirl):
    """neural-style's loss with the default weights, evaluated through ``extractor``: (image) -> parts."""
    from darkroom.core import perceptual, vgg

    loss = perceptual.PerceptualLoss(
        extractor,
        [vgg.preprocess(swirl)],
        content_weight=5.0,
        style_weight=500.0,
        tv_weight=100.0,
        content_layers=[("relu4_2", 1.0), ("relu5_2", 0.0)],
    )
    targets = loss.content_targets(vgg.preprocess(content)[None])
    return lambda image: loss(image, targets)


def vgg19_weights(requested: str) -> str:
    """What the benchmark runs: VGG19 always, so offline "auto" means random VGG19, not the stand-in.

    ``weights="auto"`` falls back to the multi-scale random filters offline, which have no VGG19 to
    time; an iteration's cost is the network's, not its weights', so random VGG19 times ImageNet's.
    """
    from darkroom.core import vgg_weights

    return "random" if vgg_weights.resolve_weights(requested).kind == "multiscale" else requested


def tutorial_baseline(size: int, iterations: int, weights: str) -> dict:
    """The TF tutorial's loop on the full VGG19: Adam(0.02, 0.99, eps 0.1), clip to [0, 1], fixed iterations."""
    import keras
    import tensorflow as tf

    from darkroom.core import vgg

    _, content, swirl = _setup(size, weights)
    start = time.perf_counter()
    full = vgg.vgg_features(weights, layers=vgg.STYLE_LAYERS + vgg.CONTENT_LAYERS + ("pool5",))
    parts = _objective(full, content, swirl)
    mean = tf.constant(vgg.VGG_MEAN_RGB)
    image = tf.Variable(content[None])
    opt = keras.optimizers.Adam(learning_rate=0.02, beta_1=0.99, epsilon=1e-1)

    @tf.function
    def train_step():
        with tf.GradientTape() as tape:
            loss = parts(image * 255.0 - mean)[0]
        grad = tape.gradient(loss, image)
        opt.apply_gradients([(grad, image)])
        image.assign(tf.clip_by_value(image, 0.0, 1.0))
        return loss

    losses, times = [], []
    for _ in range(iterations):
        losses.append(float(train_step()))
        times.append(time.perf_counter() - start)
    final = float(parts(image * 255.0 - mean)[0])
    seconds = time.perf_counter() - start
    steady = (times[-1] - times[0]) / max(len(times) - 1, 1)
    return dict(
        final_loss=final, seconds=seconds, seconds_per_iteration=steady, weights=full.weights_description
    )


def ours(size: int, weights: str, iterations: int) -> dict:
    """Our three configurations at ``size``, each from the photo, each for ``iterations`` full-size iterations."""
    style, content, swirl = _setup(size, weights)
    configs = {
        "Adam, neural-style settings (lr 10)": dict(optimizer="adam"),
        "L-BFGS": dict(optimizer="lbfgs"),
        "L-BFGS after 40 iterations at half size": dict(
            optimizer="lbfgs", multires=1, multires_iterations=40
        ),
    }
    return {
        name: style.stylize(
            content, swirl, iterations=iterations, initial=content, weights=weights, progress=False, **knobs
        )
        for name, knobs in configs.items()
    }


def _peak_child(kind: str, size: int, weights: str) -> None:
    """Run a few iterations of ``kind`` at ``size`` and print the peak RSS in MiB (used in a subprocess)."""
    if kind == "baseline":
        tutorial_baseline(size, 3, weights)
    else:
        style, content, swirl = _setup(size, weights)
        iterations = 25 if kind == "lbfgs" else 3  # L-BFGS: enough to fill its 20-step history
        style.stylize(
            content,
            swirl,
            iterations=iterations,
            optimizer=kind,
            initial=content,
            weights=weights,
            progress=False,
        )
    print(json.dumps({"peak_mib": darkroom.peak_rss_bytes() / 2**20}))


def peak_memory(kind: str, size: int, weights: str) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--size", str(size), "--weights", weights],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_mib"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="150 baseline iterations instead of 1000")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument(
        "--iterations", type=int, help="full-size iterations for each of ours (default 300; 60 quick)"
    )
    parser.add_argument("--weights", default="auto")
    parser.add_argument(
        "--memory-sizes", type=int, nargs="*", default=[256, 512], help="sizes for peak memory"
    )
    parser.add_argument("--child", choices=["baseline", "adam", "lbfgs"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.weights = vgg19_weights(args.weights)
    if args.child:
        _peak_child(args.child, args.size, args.weights)
        return
    from darkroom import style
    from darkroom.core.tables import markdown_table

    darkroom.seed_everything(0)
    base_iters = 150 if args.quick else 1000
    iterations = args.iterations or (60 if args.quick else 300)
    print(
        f"style transfer at {args.size} px; baseline: {base_iters} Adam iterations (tutorial settings)",
        flush=True,
    )
    base = tutorial_baseline(args.size, base_iters, args.weights)
    target = base["final_loss"]
    print(f"weights: {base['weights']}")
    print(
        f"baseline: final loss {target:.5g} after {base['seconds']:.1f} s "
        f"({base['seconds_per_iteration']:.3f} s/iteration)",
        flush=True,
    )
    runs = ours(args.size, args.weights, iterations)
    memory = {
        (k, s): peak_memory(k, s, args.weights)
        for k in ("baseline", "adam", "lbfgs")
        for s in args.memory_sizes
    }

    reached = f"reached {target:.4g} after"
    rows = [
        {
            f"{args.size} px, same loss": f"baseline: tutorial Adam, full VGG19, {base_iters} iterations",
            "s / iteration": f"{base['seconds_per_iteration']:.3f}",
            "final loss": f"{target:.4g}",
            reached: f"{base['seconds']:.1f} s",
            "speed-up": "1.0x",
        }
    ]
    for name, r in runs.items():
        reach = style.time_to_reach(r, target)
        rows.append(
            {
                f"{args.size} px, same loss": f"ours: {name}, {iterations} iterations",
                "s / iteration": f"{r.seconds_per_iteration:.3f}",
                "final loss": f"{r.loss:.4g}",
                reached: f"{reach:.1f} s" if reach is not None else f"not within {r.seconds:.0f} s",
                "speed-up": f"**{base['seconds'] / reach:.1f}x**" if reach is not None else "--",
            }
        )
    print("\n" + markdown_table(rows))

    losses, seconds = runs["L-BFGS"].history["loss"], runs["L-BFGS"].history["seconds"]
    print(
        "\nstopping rule replayed on the L-BFGS run (stop when the best loss improved by less than tol over window):"
    )
    for tol, window in ((1e-2, 20), (1e-2, 50), (1e-3, 50)):
        n = style.stopping_iteration(losses, tol, window)
        if n is None:
            print(f"  tol {tol:g}, window {window}: does not fire within {len(losses)} iterations")
            continue
        best, when = min(losses[:n]), seconds[n - 1]
        print(
            f"  tol {tol:g}, window {window}: stops after {n} iterations, {when:.1f} s, best loss {best:.4g} "
            f"({best / target:.3f}x the baseline's final loss, in {base['seconds'] / when:.1f}x less time)"
        )

    print(
        "\n"
        + markdown_table(
            [
                {
                    "peak memory (process RSS)": f"{size} px",
                    "baseline": f"{memory[('baseline', size)]:.0f} MiB",
                    "ours, Adam": f"{memory[('adam', size)]:.0f} MiB",
                    "ours, L-BFGS": f"{memory[('lbfgs', size)]:.0f} MiB",
                    "L-BFGS / baseline": f"{memory[('lbfgs', size)] / memory[('baseline', size)]:.2f}x",
                }
                for size in args.memory_sizes
            ]
        )
    )


if __name__ == "__main__":
    main()
