"""Style transfer: time per finished image, ours vs a TensorFlow-tutorial-style baseline, in one process.

Baseline (written the way the TensorFlow style-transfer tutorial writes it): the full VGG19
(include_top=False, every layer through block5_pool), the image a tf.Variable in [0, 1] that
starts from the content photo and is clipped after every step, Adam(lr=0.02, beta_1=0.99,
epsilon=0.1), a fixed number of iterations (1000) at full size.  It minimises the same loss as
darkroom.style (neural-style's content + style + total-variation terms, same layers and weights),
so the two final losses are comparable.

Ours: (a) seconds per iteration of ``style.stylize`` (network cut after relu5_1, the image in VGG
units) at the same size; (b) the time until ``stylize(optimizer="lbfgs", multires=2, tol=...)``
first reaches the baseline's final loss at full size; (c) peak memory at 256 and 512 px, each in
a fresh process (peak resident set size, which only grows within a process).

    python benchmarks/bench_style.py            # 1000 baseline iterations at 256 px (~15 min on 2 cores)
    python benchmarks/bench_style.py --quick    # 150 baseline iterations: a few minutes

Prints ratios; asserts nothing.  Weights: "auto" (random VGG19 offline; say which).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import darkroom  # noqa: F401  (quiets TensorFlow before it is imported)


def _setup(size: int, weights: str):
    from darkroom import images, style

    content = images.resize(images.sample_image("astronaut"), (size, size))
    swirl = style.procedural_style("swirls", size)
    return style, content, swirl


def _objective(style, extractor, content, swirl):
    """neural-style's loss with the default weights, evaluated through ``extractor``."""
    layer_w = style.style_layer_weights(len(style.STYLE_LAYERS), 1.0)
    return style._Objective(
        extractor, style.preprocess(content), [style.preprocess(swirl)], content_w=5.0, style_w=500.0,
        blend=[1.0], layer_w=layer_w, tv_w=100.0, style_layers=list(style.STYLE_LAYERS),
        content_layers=[("relu4_2", 1.0), ("relu5_2", 0.0)], jit_compile=False,
    )


def tutorial_baseline(size: int, iterations: int, weights: str) -> dict:
    """The TF tutorial's loop on the full VGG19: Adam(0.02, 0.99, eps 0.1), clip to [0, 1], fixed iterations."""
    import keras
    import tensorflow as tf

    style, content, swirl = _setup(size, weights)
    start = time.perf_counter()
    full = style.vgg_features(weights, layers=style.STYLE_LAYERS + style.CONTENT_LAYERS + ("pool5",))
    obj = _objective(style, full, content, swirl)
    mean = tf.constant(style.VGG_MEAN_RGB)
    image = tf.Variable(content[None])
    opt = keras.optimizers.Adam(learning_rate=0.02, beta_1=0.99, epsilon=1e-1)

    @tf.function
    def train_step():
        with tf.GradientTape() as tape:
            loss = obj._parts(image * 255.0 - mean)[0]
        grad = tape.gradient(loss, image)
        opt.apply_gradients([(grad, image)])
        image.assign(tf.clip_by_value(image, 0.0, 1.0))
        return loss

    losses, times = [], []
    for _ in range(iterations):
        losses.append(float(train_step()))
        times.append(time.perf_counter() - start)
    final = float(obj.parts(image * 255.0 - mean)[0])
    seconds = time.perf_counter() - start
    steady = (times[-1] - times[0]) / max(len(times) - 1, 1)
    return dict(final_loss=final, seconds=seconds, seconds_per_iteration=steady, weights=full.weights_description)


def ours(size: int, target_loss: float, weights: str, iterations: int, spi_iterations: int) -> dict:
    """Per-iteration speed of stylize's Adam, then L-BFGS + multi-resolution + stopping rule to the target loss."""
    style, content, swirl = _setup(size, weights)
    speed = style.stylize(content, swirl, iterations=spi_iterations, initial=content, weights=weights, progress=False)
    fast = style.stylize(content, swirl, iterations=iterations, optimizer="lbfgs", multires=2, multires_iterations=60,
                         tol=1e-4, tol_window=50, initial=content, weights=weights, progress=False)
    return dict(seconds_per_iteration=speed.seconds_per_iteration, reach=style.time_to_reach(fast, target_loss),
                final_loss=fast.loss, seconds=fast.seconds, stages=[(s["size"][1], s["iterations"]) for s in fast.stages])


def _peak_child(kind: str, size: int, weights: str) -> None:
    """Run a few iterations of ``kind`` at ``size`` and print the peak RSS in MiB (used in a subprocess)."""
    if kind == "baseline":
        tutorial_baseline(size, 3, weights)
    else:
        style, content, swirl = _setup(size, weights)
        style.stylize(content, swirl, iterations=3, initial=content, weights=weights, progress=False)
    print(json.dumps({"peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def peak_memory(kind: str, size: int, weights: str) -> float:
    out = subprocess.run([sys.executable, __file__, "--child", kind, "--size", str(size), "--weights", weights],
                         capture_output=True, text=True, check=True, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_mib"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="150 baseline iterations instead of 1000")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--weights", default="auto")
    parser.add_argument("--memory-sizes", type=int, nargs="*", default=[256, 512], help="sizes for peak memory")
    parser.add_argument("--child", choices=["baseline", "ours"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _peak_child(args.child, args.size, args.weights)
        return
    darkroom.seed_everything(0)
    base_iters = 150 if args.quick else 1000
    print(f"style transfer at {args.size} px; baseline: {base_iters} Adam iterations (tutorial settings)", flush=True)
    base = tutorial_baseline(args.size, base_iters, args.weights)
    print(f"weights: {base['weights']}")
    print(f"baseline: final loss {base['final_loss']:.5g} after {base['seconds']:.1f} s "
          f"({base['seconds_per_iteration']:.3f} s/iteration)", flush=True)
    mine = ours(args.size, base["final_loss"], args.weights, iterations=300 if args.quick else 1000,
                spi_iterations=20 if args.quick else 50)
    print(f"ours: Adam {mine['seconds_per_iteration']:.3f} s/iteration; L-BFGS + multires + stop: stages "
          f"{mine['stages']}, final loss {mine['final_loss']:.5g} in {mine['seconds']:.1f} s", flush=True)
    memory = {(k, s): peak_memory(k, s, args.weights) for k in ("baseline", "ours") for s in args.memory_sizes}
    print("\n| measure | baseline | ours | ratio (baseline / ours) |\n|---|---|---|---|")
    print(f"| s / iteration at {args.size} px | {base['seconds_per_iteration']:.3f} | {mine['seconds_per_iteration']:.3f} "
          f"| {base['seconds_per_iteration'] / mine['seconds_per_iteration']:.2f}x |")
    if mine["reach"] is None:
        print(f"| time to the baseline's final loss | {base['seconds']:.1f} s | not reached | -- |")
    else:
        print(f"| time to the baseline's final loss | {base['seconds']:.1f} s | {mine['reach']:.1f} s "
              f"| {base['seconds'] / mine['reach']:.1f}x |")
    for s in args.memory_sizes:
        b, o = memory[("baseline", s)], memory[("ours", s)]
        print(f"| peak memory at {s} px (process RSS) | {b:.0f} MiB | {o:.0f} MiB | {b / o:.2f}x |")


if __name__ == "__main__":
    main()
