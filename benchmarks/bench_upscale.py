"""Benchmark the shipped upscalers: megapixels per second per scale, tiled vs untiled, 12-MP memory.

    python benchmarks/bench_upscale.py [--side 1024] [--big 4000x3000] [--tile 256]

Prints output megapixels per second for x2, x3 and x4 on a ``side`` x ``side`` photo (tiled, best
of 2 after a warm-up), the tiled/untiled time ratio at x2, and the peak resident memory of a fresh
process that enlarges a ``big`` photo x2 with tiles (``darkroom.peak_rss_bytes``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

import darkroom
from darkroom.core import images


def photo(height: int, width: int) -> np.ndarray:
    """A real photo tiled (mirrored) to ``height`` x ``width``, so the model sees natural content."""
    base = images.sample_image("astronaut")
    reps = (-(-height // base.shape[0]), -(-width // base.shape[1]), 1)
    return np.tile(np.concatenate([base, base[:, ::-1]], 1), reps)[:height, :width].copy()


def best_seconds(fn, repeats: int = 2) -> float:
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def big_run(height: int, width: int, tile: int) -> None:
    """In a fresh process: enlarge a big photo x2 with tiles; print seconds and peak memory as JSON."""
    from darkroom import superres

    image = (photo(height, width) * 255).astype(np.uint8)
    model = superres.load_upscaler(None, 2)
    start = time.perf_counter()
    out = superres.upscale(image, model, 2, tile=tile)
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": seconds,
                "out_mp": out.shape[0] * out.shape[1] / 1e6,
                "peak_gb": darkroom.peak_rss_bytes() / 1e9,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--side", type=int, default=1024)
    parser.add_argument("--big", default="4000x3000", help="WIDTHxHEIGHT of the memory run (12 MP)")
    parser.add_argument("--tile", type=int, default=256)
    parser.add_argument("--big-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    width, height = (int(v) for v in args.big.split("x"))
    if args.big_only:
        big_run(height, width, args.tile)
        return
    from darkroom import superres

    image = photo(args.side, args.side)
    print(f"input {args.side}x{args.side} RGB, tile {args.tile}")
    for scale in superres.SHIPPED_SCALES:
        model = superres.load_upscaler(None, scale)
        seconds = best_seconds(
            lambda model=model, scale=scale: superres.upscale(image, model, scale, tile=args.tile)
        )
        print(f"x{scale}: {args.side**2 * scale**2 / 1e6 / seconds:.2f} output MP/s ({seconds:.2f} s)")
    model = superres.load_upscaler(None, 2)
    tiled = best_seconds(lambda: superres.upscale(image, model, 2, tile=args.tile))
    whole = best_seconds(lambda: superres.upscale(image, model, 2))
    print(f"x2 tiled/untiled time: {tiled / whole:.2f} ({tiled:.2f} s / {whole:.2f} s)")
    result = subprocess.run(
        [sys.executable, __file__, "--big-only", "--big", args.big, "--tile", str(args.tile)],
        capture_output=True,
        text=True,
        check=True,
    )
    big = json.loads(result.stdout.strip().splitlines()[-1])
    print(
        f"{width}x{height} ({width * height / 1e6:.0f} MP) x2 tiled: {big['seconds']:.1f} s, "
        f"{big['out_mp'] / big['seconds']:.2f} output MP/s, peak memory {big['peak_gb']:.2f} GB"
    )


if __name__ == "__main__":
    main()
