"""Super-resolution throughput, measured side by side in one process (never asserted).

    flock /tmp/darkroom.cpu .venv/bin/python benchmarks/bench_superres.py [--size 512] [--scale 1.5]

Prints, for each method and model of ``darkroom.superres`` (random weights: speed does not
depend on them): inference megapixels/second enlarging to a size x size output, training
examples/second on 48x48 crops (patches for the MLP), and the ratio of the sub-pixel models'
speed to SRCNN's at equal output size.
"""

from __future__ import annotations

import argparse

import keras
import numpy as np

import darkroom
from darkroom import superres as sr
from darkroom.core import optimizers, timing
from darkroom.core.tables import text_table


def training_rate(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    """Examples/second of ``model.fit``'s training steps (L1, Adam) on one batch, via ``timing.throughput``."""
    model.compile(optimizers.optimizer("adam", 1e-3), loss="mae")
    return timing.throughput(model, (x, y), steps=20, warmup=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512, help="output side in pixels")
    parser.add_argument("--scale", type=float, default=1.5)
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()
    darkroom.seed_everything(0)
    frac = sr.scale_fraction(args.scale)
    rng = np.random.default_rng(0)
    crop = 48 if 48 % frac.numerator == 0 else 16 * frac.numerator
    x_conv = rng.uniform(-1, 1, (args.batch, int(crop / frac), int(crop / frac), 1)).astype(np.float32)
    y_conv = rng.uniform(-1, 1, (args.batch, crop, crop, 1)).astype(np.float32)

    models = {
        "SRCNN 9-1-5": sr.build_srcnn(args.scale),
        "ESPCN (folded)": sr.build_espcn(args.scale),
        "ESPCN (low-res grid)": sr.build_espcn(args.scale, fold=False),
        "residual sub-pixel (ours)": sr.build_residual_subpixel(args.scale, fold=False),
        "residual sub-pixel, folded": sr.build_residual_subpixel(args.scale),
    }
    rows = []
    for method in sr.METHODS:
        rows.append(
            dict(
                method=method,
                mp_per_s=sr.megapixels_per_second(method, args.size, args.scale),
                train_ex_per_s=None,
            )
        )
    if frac == sr.scale_fraction(1.5):
        mlp = sr.build_mlp()
        x_mlp = rng.uniform(-1, 1, (64, 10, 10, 1)).astype(np.float32)
        y_mlp = rng.uniform(-1, 1, (64, 15, 15, 1)).astype(np.float32)
        ex = training_rate(mlp, x_mlp, y_mlp)
        for blend in ("tile", "gaussian"):
            mp = sr.megapixels_per_second(mlp, args.size, args.scale, blend=blend)
            rows.append(dict(method=f"MLP ({blend}), patches", mp_per_s=mp, train_ex_per_s=ex))
    for name, model in models.items():
        rows.append(
            dict(
                method=name,
                mp_per_s=sr.megapixels_per_second(model, args.size, args.scale),
                train_ex_per_s=training_rate(model, x_conv, y_conv),
            )
        )
    print(
        f"x{args.scale:g}, output {args.size}x{args.size}, training batch {args.batch} of {crop}x{crop} crops"
    )
    print(text_table(rows))
    by_name = {r["method"]: r for r in rows}
    base = by_name["SRCNN 9-1-5"]
    for name in ("ESPCN (folded)", "ESPCN (low-res grid)", "residual sub-pixel (ours)"):
        r = by_name[name]
        print(
            f"{name} vs SRCNN 9-1-5: inference {r['mp_per_s'] / base['mp_per_s']:.1f}x, "
            f"training {r['train_ex_per_s'] / base['train_ex_per_s']:.1f}x"
        )


if __name__ == "__main__":
    main()
