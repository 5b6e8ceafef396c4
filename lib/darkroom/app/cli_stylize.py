"""``darkroom stylize``: neural-style's flags, checked and passed to :func:`darkroom.style.stylize`.

:func:`add_stylize` adds the command and its flags (tables of neural-style's flags, then darkroom's;
the README maps each one); :func:`cmd_stylize` optimises the content, writes the result, its
checkpoints and its progress files, or with ``--model`` paints it in one pass of a trained
fast-style network (:mod:`darkroom.style.fast`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from darkroom.app.cli_common import UsageError, _positive_int, muted, say
from darkroom.core import image_files, images

__all__ = ["add_stylize", "cmd_stylize"]


# --------------------------------------------------------------------------- flags
# `darkroom stylize`'s flags after --content, --styles | --model and --output, in --help's order:
# (flag, add_argument's keywords). First neural-style's own (the README maps each one to stylize's
# keyword), then darkroom's additions.
_NEURAL_STYLE_FLAGS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("--iterations", dict(type=_positive_int, default=1000, help="iterations (default %(default)s)")),
    (
        "--print-iterations",
        dict(
            type=_positive_int,
            default=None,
            help="print the losses every N iterations (from the run's history, after it ends)",
        ),
    ),
    (
        "--checkpoint-output",
        dict(default=None, help="checkpoint file name with %%s for the iteration, e.g. out_%%s.png"),
    ),
    ("--checkpoint-iterations", dict(type=_positive_int, default=None, help="checkpoint every N iterations")),
    (
        "--progress-write",
        dict(action="store_true", help="write the loss history to progress.txt in the output's folder"),
    ),
    (
        "--progress-plot",
        dict(action="store_true", help="plot the loss history to progress.png in the output's folder"),
    ),
    ("--width", dict(type=_positive_int, default=None, help="resize the content to this width")),
    (
        "--style-scales",
        dict(
            type=float,
            nargs="+",
            default=None,
            help="one scale per style, relative to the content's width (default 1)",
        ),
    ),
    (
        "--network",
        dict(
            default="auto",
            help="VGG19 weights: auto | imagenet | random | multiscale | a Keras .h5 file | neural-style's "
            "imagenet-vgg-verydeep-19.mat (default auto)",
        ),
    ),
    (
        "--content-weight-blend",
        dict(
            type=float,
            default=1.0,
            help="relu4_2 share of the content loss, the rest relu5_2 (default %(default)s)",
        ),
    ),
    ("--content-weight", dict(type=float, default=5.0, help="default %(default)s")),
    ("--style-weight", dict(type=float, default=500.0, help="default %(default)s")),
    (
        "--style-layer-weight-exp",
        dict(
            type=float,
            default=1.0,
            help="style layer weight ratio between successive layers (default %(default)s)",
        ),
    ),
    ("--style-blend-weights", dict(type=float, nargs="+", default=None, help="one weight per style")),
    ("--tv-weight", dict(type=float, default=100.0, help="total variation weight (default %(default)s)")),
    ("--learning-rate", dict(type=float, default=10.0, help="Adam's step (default %(default)s)")),
    ("--beta1", dict(type=float, default=0.9, help="Adam beta1 (default %(default)s)")),
    ("--beta2", dict(type=float, default=0.999, help="Adam beta2 (default %(default)s)")),
    ("--eps", dict(type=float, default=1e-8, help="Adam epsilon (default %(default)s)")),
    ("--initial", dict(default=None, help="initial image (default: the content plus noise)")),
    (
        "--initial-noiseblend",
        dict(
            type=float,
            default=None,
            help="noise share of the initial image, 0-1 (default 1 without --initial, 0 with it)",
        ),
    ),
    (
        "--preserve-colors",
        dict(
            nargs="?",
            const="lab",
            default=None,
            choices=("lab", "ycbcr"),
            help="keep the content's colours (luminance transfer; 'lab' if no value)",
        ),
    ),
    ("--pooling", dict(choices=("max", "avg"), default="max", help="default %(default)s")),
    ("--overwrite", dict(action="store_true", help="replace OUTPUT (and checkpoints) if they exist")),
)
_DARKROOM_FLAGS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("--optimizer", dict(choices=("adam", "lbfgs"), default="adam", help="default %(default)s")),
    ("--lbfgs-memory", dict(type=_positive_int, default=20, help="L-BFGS past steps (default %(default)s)")),
    (
        "--multires",
        dict(
            type=int,
            default=None,
            help="optimise at 1/2^N .. 1/2 size first, each stage upsampled into the next",
        ),
    ),
    (
        "--multires-iterations",
        dict(type=_positive_int, default=None, help="iterations per earlier stage (default --iterations)"),
    ),
    (
        "--tol",
        dict(
            type=float,
            default=None,
            help="stop when the best loss improves by less than this (relative) over --tol-window",
        ),
    ),
    ("--tol-window", dict(type=_positive_int, default=50, help="default %(default)s")),
    ("--max-side", dict(type=_positive_int, default=None, help="cap the working size")),
    ("--seed", dict(type=int, default=0, help="default %(default)s")),
)


def add_stylize(sub: Any) -> None:
    """The ``stylize`` subcommand and its flags, on ``sub`` (argparse's subparsers)."""
    p = sub.add_parser(
        "stylize",
        help="paint a photo in the style of others (neural-style's flags)",
        description="Style transfer (Gatys et al.) with neural-style's flags; see the README's table.",
    )
    p.add_argument("--content", required=True, help="content image")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--styles", nargs="+", help="one or more style images (optimise the image)")
    which.add_argument(
        "--model",
        default=None,
        help="a trained fast-style network instead: a name in outputs/models (style_fast_swirls) "
        "or a .keras path; one forward pass, the optimisation flags do not apply",
    )
    p.add_argument("--output", required=True, help="output image (format from the suffix)")
    for flag, keywords in (*_NEURAL_STYLE_FLAGS, *_DARKROOM_FLAGS):
        p.add_argument(flag, **keywords)
    p.set_defaults(func=cmd_stylize)


# --------------------------------------------------------------------------- the command
def _read_rgb(path: str) -> tuple[Any, int]:
    """RGB pixels of a user's file for stylize: gray repeated, alpha dropped."""
    import numpy as np

    pixels, bits = image_files.read_image(path)
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if pixels.shape[-1] in (2, 4):
        pixels = pixels[..., :-1]
    if pixels.shape[-1] == 1:
        pixels = np.repeat(pixels, 3, -1)
    return pixels, bits


def _checkpoint_pattern(args: argparse.Namespace) -> str | None:
    pattern = args.checkpoint_output
    if pattern is None and args.checkpoint_iterations is None:
        return None
    if pattern is None or args.checkpoint_iterations is None:
        raise UsageError("--checkpoint-output and --checkpoint-iterations go together; pass both")
    if pattern.count("%s") != 1:
        raise UsageError(f"--checkpoint-output must contain %s once (the iteration), received {pattern!r}")
    return pattern


def _stylize_options(args: argparse.Namespace) -> dict[str, Any]:
    network = args.network
    if not 0 <= args.content_weight_blend <= 1:
        raise UsageError(f"--content-weight-blend must be in [0, 1], received {args.content_weight_blend}")
    if args.initial_noiseblend is not None and not 0 <= args.initial_noiseblend <= 1:
        raise UsageError(f"--initial-noiseblend must be in [0, 1], received {args.initial_noiseblend}")
    for flag, values in (
        ("--style-scales", args.style_scales),
        ("--style-blend-weights", args.style_blend_weights),
    ):
        if values is not None and len(values) != len(args.styles):
            raise UsageError(
                f"{flag}: expected {len(args.styles)} values (one per style), received {len(values)}"
            )
    return dict(
        iterations=args.iterations,
        content_weight=args.content_weight,
        content_weight_blend=args.content_weight_blend,
        style_weight=args.style_weight,
        style_layer_weight_exp=args.style_layer_weight_exp,
        style_blend_weights=args.style_blend_weights,
        style_scales=args.style_scales,
        tv_weight=args.tv_weight,
        learning_rate=args.learning_rate,
        beta_1=args.beta1,
        beta_2=args.beta2,
        epsilon=args.eps,
        pooling=args.pooling,
        initial_noiseblend=args.initial_noiseblend,
        preserve_colors=args.preserve_colors or False,
        width=args.width,
        max_side=args.max_side,
        checkpoint_iterations=args.checkpoint_iterations,
        optimizer=args.optimizer,
        lbfgs_memory=args.lbfgs_memory,
        tol=args.tol,
        tol_window=args.tol_window,
        multires=args.multires,
        multires_iterations=args.multires_iterations,
        weights=network,
        seed=args.seed,
        progress=not args.quiet,
    )


def _write_progress(args: argparse.Namespace, history: dict[str, list[float]], folder: Path) -> None:
    keys = ("loss", "content", "style", "tv")
    if args.progress_write:
        path = folder / "progress.txt"
        lines = ["iteration\t" + "\t".join(keys)]
        lines += [
            f"{i}\t" + "\t".join(f"{history[k][i]:.6g}" for k in keys) for i in range(len(history["loss"]))
        ]
        with images.atomic_write(path) as tmp:
            tmp.write_text("\n".join(lines) + "\n")
        say(args, f"wrote {path}")
    if args.progress_plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 3.5))
        for k in keys:
            ax.plot(history[k], label=k)
        ax.set_yscale("log")
        ax.set_xlabel("iteration")
        ax.legend()
        path = folder / "progress.png"
        with images.atomic_write(path) as tmp:
            fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
        plt.close(fig)
        say(args, f"wrote {path}")


def _working_size(pixels: Any, width: int | None, max_side: int | None) -> Any:
    """``pixels`` resized to ``width`` (keeping the aspect) and shrunk to ``max_side``, as stylize sizes a photo."""
    h, w = pixels.shape[:2]
    if width is not None:
        h, w = max(1, round(h * width / w)), width
    if max_side is not None and max(h, w) > max_side:
        h, w = max(1, round(h * max_side / max(h, w))), max(1, round(w * max_side / max(h, w)))
    return pixels if (h, w) == pixels.shape[:2] else images.resize(pixels, (h, w))


def _stylize_with_model(args: argparse.Namespace) -> int:
    """Paint the content with a trained fast-style network: one forward pass."""
    output = image_files.check_writable(args.output, args.overwrite)
    content, bits = _read_rgb(args.content)
    path = Path(args.model)
    if path.suffix != ".keras":
        from darkroom.core.paths import models_dir

        path = models_dir() / f"{args.model}.keras"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no such model file (expected a .keras network from darkroom.style.fast)"
        )
    import time

    import keras

    from darkroom.style import fast

    with muted(args.quiet):
        model = keras.models.load_model(path)
        start = time.perf_counter()
        painted = fast.apply_style(model, _working_size(content, args.width, args.max_side))
    image_files.write_image(output, painted, bits=bits, overwrite=args.overwrite)
    say(args, f"wrote {output} ({path.stem}, one pass, {time.perf_counter() - start:.2f} s)")
    return 0


def cmd_stylize(args: argparse.Namespace) -> int:
    """neural-style's command: optimise an image, write it (and checkpoints, progress); or one pass of --model."""
    if args.model is not None:
        return _stylize_with_model(args)
    pattern = _checkpoint_pattern(args)
    options = _stylize_options(args)
    output = image_files.check_writable(args.output, args.overwrite)
    content, bits = _read_rgb(args.content)
    styles = [_read_rgb(s)[0] for s in args.styles]
    initial = _read_rgb(args.initial)[0] if args.initial else None
    from darkroom import style

    with muted(args.quiet):
        result = style.stylize(content, styles, initial=initial, **options)
    if args.print_iterations:
        for i in range(0, len(result.history["loss"]), args.print_iterations):
            h = result.history
            print(
                f"iteration {i}: loss {h['loss'][i]:.6g} content {h['content'][i]:.6g} "
                f"style {h['style'][i]:.6g} tv {h['tv'][i]:.6g}"
            )
    if pattern:
        for iteration, frame in result.frames:
            image_files.write_image(pattern % iteration, frame, overwrite=args.overwrite)
    _write_progress(args, result.history, output.parent)
    image_files.write_image(output, result.image, bits=bits, overwrite=args.overwrite)
    say(
        args,
        f"wrote {output} ({result.iterations} iterations, loss {result.loss:.4g}, {result.seconds:.1f} s)",
    )
    return 0
