"""Colorization throughput and memory, measured side by side in one run (printed, never asserted).

* training images/second of each colorizer at 128 px on this machine;
* input pipeline throughput (``folders.image_folder`` with augmentation) against the training rate;
* peak RSS while streaming a folder of 1,000 and of 10,000 JPEGs (generated in a temporary folder),
  each in its own process, against holding the same images as one float32 array.

    flock /tmp/darkroom.cpu .venv/bin/python benchmarks/bench_colorize.py [--quick]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import darkroom

STREAM = """
import sys, darkroom
from darkroom.core import folders
folder, size, cache = sys.argv[1], int(sys.argv[2]), sys.argv[3]
cache = {"auto": "auto", "off": False}[cache]
ds = folders.image_folder(folder, size, batch_size=32, augment=False, cache=cache)
n = 0
for epoch in range(2):
    for batch in ds:
        n += int(batch.shape[0])
print("IMAGES", n, "PEAK_MB", darkroom.peak_rss_bytes() / 2**20)
"""


def make_folder(root: Path, n: int, seed: int = 0) -> Path:
    """``n`` JPEGs of 192x144 px: random crops of the embedded photos, saved at quality 90."""
    from PIL import Image

    from darkroom.core import data

    root.mkdir(parents=True, exist_ok=True)
    photos = data.sample_photos("train")
    done = len(list(root.glob("*.jpg")))
    if done >= n:
        return root
    for start in range(done, n, 500):  # in chunks, so that making the files does not need the memory
        patches = data.random_patches(photos, 192, min(500, n - start), seed=seed + start, zoom=(0.3, 1.0))
        for i, p in enumerate(patches, start=start):
            Image.fromarray((p[:144] * 255).astype(np.uint8)).save(root / f"{i:05d}.jpg", quality=90)
    return root


def _colorizer(name: str, ab: np.ndarray) -> tuple[Any, Any]:
    """The Keras model and loss a benchmark row names."""
    from darkroom import colorize

    if name.startswith("post"):
        return colorize.build_post_cnn(), colorize.SSIMLoss()
    if "classification" in name:
        bins = colorize.ab_bins()
        model = colorize.build_light_cnn(32, head="classification", num_bins=len(bins))
        return model, colorize.RebalancedCrossEntropy(bins.centers, bins.class_weights(ab * 128))
    return colorize.build_light_cnn(32), "mse"


def training_rate(name: str, batch: int, steps: int) -> float:
    """Training images/second of one model at 128 px, after two warm-up steps: Keras models through
    ``timing.throughput`` (the steps ``model.fit`` runs); pix2pix's own compiled GAN step timed here."""
    import tensorflow as tf

    from darkroom.colorize import pairs, pix2pix
    from darkroom.core import data, optimizers, timing

    rgb = data.random_patches(data.sample_photos("train"), 128, batch, seed=0)
    L, ab = pairs.to_model_pairs(rgb)
    if not name.startswith("pix2pix"):
        model, loss = _colorizer(name, ab)
        model.compile(optimizer=optimizers.optimizer("adam", 1e-3), loss=loss)
        return timing.throughput(model, (L, ab), steps=steps, warmup=2)
    base = 64 if "64" in name else 16
    gan = pix2pix.Pix2Pix(128, gen_base=base, disc_base=base)
    L, ab = tf.constant(L), tf.constant(ab)
    for _ in range(2):
        gan.train_step(L, ab)
    t = time.perf_counter()
    for _ in range(steps):
        gan.train_step(L, ab)
    return steps * batch / (time.perf_counter() - t)


def pipeline_rate(folder: Path, size: int, augment: bool) -> float:
    """Images/second of one pass of ``image_folder`` (no caching) over ``folder``."""
    from darkroom.core import folders

    ds = folders.image_folder(folder, size, batch_size=32, augment=augment, cache=False)
    n, t = 0, time.perf_counter()
    for batch in ds:
        n += int(batch.shape[0])
    return n / (time.perf_counter() - t)


def stream_peak(folder: Path, size: int, cache: str) -> tuple[int, float]:
    out = subprocess.run(
        [sys.executable, "-c", STREAM, str(folder), str(size), cache],
        capture_output=True,
        text=True,
        timeout=1800,
        check=True,
    ).stdout
    line = [x for x in out.splitlines() if x.startswith("IMAGES")][-1].split()
    return int(line[1]), float(line[3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer steps and 200 / 2,000 files (about a minute)"
    )
    args = parser.parse_args()
    darkroom.seed_everything(0)
    steps = 3 if args.quick else 10
    counts = (200, 2000) if args.quick else (1000, 10000)
    print(f"# bench_colorize ({'quick' if args.quick else 'full'}), 128 px, batch 8")

    rates = {}
    for name in (
        "light CNN / MSE",
        "light CNN / classification",
        "post CNN / SSIM",
        "pix2pix (base 16)",
        "pix2pix (base 64, as the post)",
    ):
        if args.quick and "64" in name:
            continue
        rates[name] = training_rate(name, 8, steps)
        print(f"training  {name:32s} {rates[name]:8.1f} images/s")

    with tempfile.TemporaryDirectory(prefix="bench_colorize_") as tmp:
        small = make_folder(Path(tmp) / "small", counts[0])
        for augment in (False, True):
            r = pipeline_rate(small, 128, augment)
            fastest = max(rates.values())
            print(
                f"pipeline  image_folder 128 px, augment={augment!s:5s}   {r:8.1f} images/s "
                f"= {r / fastest:.1f}x the fastest training step ({fastest:.1f} images/s)"
            )
        big = make_folder(Path(tmp) / "big", counts[1], seed=1)
        for n, folder in ((counts[0], small), (counts[1], big)):
            for cache in ("off", "auto"):
                images, peak = stream_peak(folder, 128, cache)
                as_array = n * 128 * 128 * 3 * 4 / 2**20
                print(
                    f"memory    {n:6d} files, cache={cache:4s}: peak RSS {peak:7.0f} MB "
                    f"over {images} images (2 epochs); one float32 array would be {as_array:6.0f} MB"
                )
    print(f"# this process: peak RSS {darkroom.peak_rss_bytes() / 2**20:.0f} MB")


if __name__ == "__main__":
    main()
