"""``darkroom``: stylize, enlarge and colorize your own photos, run the notebooks, list the models.

    darkroom stylize --content photo.jpg --styles wave.jpg --output out.png
    darkroom upscale photo.jpg big.png --scale 2
    darkroom colorize old.jpg colour.png --model outputs/models/colorizer.keras
    darkroom run notebooks/05_style_transfer.ipynb --profile smoke
    darkroom models

Exit codes: 0 success, 1 failure (a file that cannot be read or written, a run that fails),
2 bad usage (unknown flags, values out of range, flags darkroom cannot honour).
The ``stylize`` flags are neural-style's (anishathalye/neural-style); the README maps each one.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from darkroom.app.cli_common import UsageError, _positive_int, muted, say
from darkroom.app.cli_stylize import add_stylize
from darkroom.core import image_files

__all__ = ["build_parser", "main"]

PROG = "darkroom"


# --------------------------------------------------------------------------- parser
def _add_files(p: Any, input_help: str) -> None:
    """INPUT, OUTPUT and --overwrite: the same three for every command that turns one photo into another."""
    p.add_argument("input", help=input_help)
    p.add_argument("output", help="output image (format from the suffix)")
    p.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")


def _add_upscale(sub: Any) -> None:
    p = sub.add_parser(
        "upscale",
        help="enlarge a photo x2, x3 or x4 with a shipped (or your) model",
        description="Enlarge a photo: luminance by the model, colour and alpha bicubic; tiled.",
    )
    _add_files(p, "input image")
    p.add_argument("--scale", type=int, choices=(2, 3, 4), required=True)
    p.add_argument(
        "--model",
        default=None,
        help="shipped name (resub_x2 ...), a name in outputs/models/, a .keras path, "
        "or nearest|bilinear|bicubic (default: the shipped model for --scale)",
    )
    p.add_argument(
        "--tile",
        type=_positive_int,
        default=256,
        help="tile side in input pixels; memory stays bounded (default %(default)s)",
    )
    p.set_defaults(func=cmd_upscale)


def _add_colorize(sub: Any) -> None:
    p = sub.add_parser(
        "colorize",
        help="colour a gray photo with a model from notebook 06/07 or your own",
        description="Colorize: the model predicts a*b* from the photo's lightness.",
    )
    _add_files(p, "input image (gray or colour: only its lightness is used)")
    p.add_argument("--model", required=True, help="a .keras colorizer (notebook 06 or 07, or yours)")
    p.set_defaults(func=cmd_colorize)


def _add_run(sub: Any) -> None:
    from darkroom.core.profiles import PROFILES

    p = sub.add_parser("run", help="execute notebooks headless (darkroom.app.runner)")
    p.add_argument("notebooks", nargs="*", help="notebooks (default: every notebooks/NN_*.ipynb)")
    p.add_argument("--profile", choices=PROFILES, default="default")
    p.add_argument("--no-book", action="store_true", help="do not build outputs/book/ at the end")
    p.add_argument(
        "--force", action="store_true", help="execute even the notebooks the run cache would reuse"
    )
    p.set_defaults(func=cmd_run)


def _add_models(sub: Any) -> None:
    p = sub.add_parser("models", help="list shipped upscalers and the models in outputs/models/")
    p.add_argument(
        "--train",
        action="store_true",
        help="retrain the shipped upscalers into the package (what `make models` runs)",
    )
    p.set_defaults(func=cmd_models)


def build_parser() -> argparse.ArgumentParser:
    """The ``darkroom`` argument parser (one sub-parser per command)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__.split("\n\n")[0],
        epilog="exit codes: 0 success, 1 failure, 2 bad usage",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bars or messages, only errors"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (add_stylize, _add_upscale, _add_colorize, _add_run, _add_models):
        add(sub)
    return parser


# --------------------------------------------------------------------------- helpers
def _bar(args: argparse.Namespace, total: int, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, disable=args.quiet, file=sys.stderr)


# --------------------------------------------------------------------------- commands
def cmd_upscale(args: argparse.Namespace) -> int:
    """Enlarge one photo by 2, 3 or 4, tiled so that any size fits in memory."""
    output = image_files.check_writable(args.output, args.overwrite)
    pixels, bits = image_files.read_image(args.input)
    from darkroom import superres

    if args.model in superres.METHODS:
        model: Any = args.model
    else:
        model = superres.load_upscaler(args.model, args.scale)
    superres.check_upscalable(pixels, model)  # before the bar starts
    h, w = pixels.shape[:2]
    with _bar(args, superres.tile_count((h, w), args.tile), f"x{args.scale} {w}x{h}") as bar:
        out = superres.upscale(pixels, model, args.scale, tile=args.tile, progress=lambda done: bar.update(1))
    image_files.write_image(output, out, bits=bits, overwrite=args.overwrite)
    say(args, f"wrote {output} ({out.shape[1]}x{out.shape[0]})")
    return 0


def cmd_colorize(args: argparse.Namespace) -> int:
    """Colour a photo from its lightness with a trained colorizer."""
    output = image_files.check_writable(args.output, args.overwrite)
    pixels, bits = image_files.read_image(args.input)
    model_path = Path(args.model)
    if not model_path.is_file():
        raise FileNotFoundError(f"{model_path}: no such model file (expected a .keras colorizer)")
    import keras
    import numpy as np

    from darkroom import colorize as colorize_mod

    try:
        model = keras.saving.load_model(model_path, compile=False)
    except Exception as err:  # Keras raises many types for a file that is not a model
        raise image_files.ImageFileError(f"{model_path}: not a Keras model ({type(err).__name__})") from None
    colorize_mod.check_colorizer(model)
    if not args.quiet:
        with muted(True):
            card = colorize_mod.card(model_path)
        if card.worse_than_gray:
            print(f"note: {card.line()}", file=sys.stderr)
    alpha = None
    if pixels.ndim == 3 and pixels.shape[-1] in (2, 4):
        pixels, alpha = pixels[..., :-1], pixels[..., -1]
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    with muted(args.quiet):
        out = colorize_mod.colorize(model, pixels)
    if alpha is not None:
        out = np.concatenate([out, alpha[..., None]], -1)
    image_files.write_image(output, out, bits=bits, overwrite=args.overwrite)
    say(args, f"wrote {output}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """The notebook runner, as ``python -m darkroom.app.runner``."""
    from darkroom.app import runner

    argv = [*args.notebooks, "--profile", args.profile]
    argv += (["--no-book"] if args.no_book else []) + (["--force"] if args.force else [])
    with muted(args.quiet):
        return runner.main(argv)


def cmd_models(args: argparse.Namespace) -> int:
    """List the shipped upscalers and outputs/models/; with --train, remake the shipped ones."""
    if args.train:
        return _train_shipped(args)
    from darkroom.core import paths

    # where superres keeps its weights, found without importing it (and TensorFlow) to list files
    weights = Path(importlib.util.find_spec("darkroom.superres").submodule_search_locations[0]) / "weights"
    shipped = sorted(weights.glob("*.keras"))
    print("shipped upscalers (darkroom upscale --model NAME):")
    for path in shipped:
        print(f"  {path.stem:24s} {path.stat().st_size / 1e3:7.0f} kB  {path}")
    if not shipped:
        print("  (none: run `make models`)")
    local = sorted(paths.models_dir().glob("*.keras"))
    print(f"your models ({paths.models_dir()}):")
    for path in local:
        print(f"  {path.stem:24s} {path.stat().st_size / 1e3:7.0f} kB")
    if not local:
        print("  (none yet: the notebooks save theirs here)")
    _print_colorizer_cards([p for p in local if p.stem.startswith("colorizer_")])
    return 0


def _print_colorizer_cards(models: list[Path]) -> None:
    """What each saved colorizer was trained on and how it scores beside gray on unseen photos."""
    if not models:
        return
    from darkroom import colorize

    print("colorizers, on photos they never saw (PSNR against the photo, beside leaving it gray):")
    for path in models:
        with muted(True):
            card = colorize.card(path)
        print("  " + card.line())


def _train_shipped(args: argparse.Namespace) -> int:
    import time

    import darkroom
    from darkroom import superres
    from darkroom.core import tables

    darkroom.seed_everything(0)
    photos = superres.photo_splits("embedded")
    models = {}
    for scale in superres.SHIPPED_SCALES:
        start = time.perf_counter()
        with muted(args.quiet):
            result = superres.train_shipped(scale, photos=photos["train"])
        path = superres.shipped_model_path(scale)
        superres.save_upscaler(result.model, path)
        models[scale] = result.model
        print(
            f"x{scale}: {result.model.count_params():,} parameters, {path.stat().st_size / 1e3:.0f} kB, "
            f"trained in {time.perf_counter() - start:.0f} s -> {path}",
            flush=True,
        )
    rows = superres.quality_table(models, photos["test"])
    print("luma PSNR (dB) on the held-out test photos, degradation: antialiased bicubic downscale")
    print(tables.markdown_table(rows, digits=4))
    return 0


# --------------------------------------------------------------------------- entry point
def _terminate(signum: int, frame: Any) -> None:
    # Raising lets the atomic writers' cleanup run, so a killed run leaves no temporary file.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``darkroom``; returns the exit code (0 success, 1 failure, 2 bad usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)  # exits with 2 on bad usage
    if args.quiet:
        os.environ.setdefault("TQDM_DISABLE", "1")
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return int(args.func(args) or 0)
    except UsageError as err:
        parser.print_usage(sys.stderr)
        print(f"{PROG} {args.command}: error: {err}", file=sys.stderr)
        return 2
    except (FileNotFoundError, image_files.ImageFileError, ValueError, OSError) as err:
        print(f"{PROG} {args.command}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG} {args.command}: interrupted; no output written", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
