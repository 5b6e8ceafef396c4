"""Synthetic images, generated from code rather than photographed: toy scenes and procedural styles.

Both are float32 RGB in [0, 1] and seeded, so every run sees the same pictures.

* :func:`toy_scenes` -- landscapes whose colours follow from structure (sky above, grass below),
  with a ball that is red or blue at one lightness: what the colorization chapters train and test on.
* :func:`procedural_style` -- "swirls", "mosaic" or "stripes", stand-ins for the paintings that no
  package ships, for the style-transfer chapters to paint with.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["PROCEDURAL_STYLES", "TOY_COLORS", "procedural_style", "toy_scenes"]

# ----------------------------------------------------------------------------------------
# Toy scenes: colours that follow from structure
# ----------------------------------------------------------------------------------------

# (name -> sRGB in [0, 1]). The ball's two colours have (almost) the same CIE L*, so the
# gray input cannot tell them apart: the right answer there is genuinely "red OR blue".
TOY_COLORS: dict[str, tuple[float, float, float]] = {
    "sky": (0.45, 0.68, 0.95),
    "grass": (0.25, 0.62, 0.22),
    "sun": (1.0, 0.85, 0.15),
    "trunk": (0.45, 0.30, 0.16),
    "leaves": (0.10, 0.42, 0.12),
    "ball_red": (0.86, 0.16, 0.16),
    "ball_blue": (0.2754, 0.3754, 1.00),
}


def toy_scenes(
    num_scenes: int, size: int = 64, seed: int = 0, *, return_masks: bool = False
) -> np.ndarray | tuple[np.ndarray, dict[str, np.ndarray]]:
    """``num_scenes`` synthetic landscapes (n, size, size, 3) float32 whose colours follow from structure.

    Sky above a horizon, grass below, a sun in the sky, sometimes a tree; and a ball on the
    grass that is red or blue at random with the same lightness -- the multimodal case in
    which a colorizer trained with MSE averages to a desaturated colour. Shading and noise
    vary the lightness so that colour has to be inferred from context. With
    ``return_masks=True`` also returns boolean masks ``{"ball", "ball_red", "sky", ...}``.
    """
    if num_scenes < 0 or size < 8:
        raise ValueError(f"expected num_scenes >= 0 and size >= 8, got num_scenes={num_scenes}, size={size}")
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    images = np.empty((num_scenes, size, size, 3), np.float32)
    masks = {
        k: np.zeros((num_scenes, size, size), bool)
        for k in ("sky", "grass", "sun", "tree", "ball", "ball_red")
    }
    col = {k: np.asarray(v, np.float32) for k, v in TOY_COLORS.items()}
    for i in range(num_scenes):
        horizon = rng.uniform(0.35, 0.65) + rng.uniform(-0.1, 0.1) * (xx - 0.5)
        sky = yy < horizon
        img = np.where(sky[..., None], col["sky"], col["grass"])
        # Vertical gradients: the sky lightens towards the horizon, the grass darkens away.
        shade = np.where(sky, 0.85 + 0.25 * yy / np.maximum(horizon, 1e-3), 1.1 - 0.3 * (yy - horizon))
        img = img * shade[..., None]
        sun_r = rng.uniform(0.06, 0.1)
        sy, sx = rng.uniform(0.08, 0.25), rng.uniform(0.1, 0.9)
        sun = ((yy - sy) ** 2 + (xx - sx) ** 2 < sun_r**2) & sky
        img[sun] = col["sun"]
        tree = np.zeros_like(sky)
        if rng.uniform() < 0.5:
            tx = rng.uniform(0.1, 0.9)
            base = float(np.interp(tx, xx[0], horizon[int(size * 0.5)]))
            trunk = (np.abs(xx - tx) < 0.025) & (yy > base - 0.18) & (yy < base + 0.05)
            crown = (yy - (base - 0.22)) ** 2 + (xx - tx) ** 2 < 0.09**2
            img[trunk] = col["trunk"]
            img[crown] = col["leaves"]
            tree = trunk | crown
        red = bool(rng.uniform() < 0.5)
        br = rng.uniform(0.06, 0.1)
        by = rng.uniform(0.75, 0.9)
        bx = rng.uniform(0.15, 0.85)
        d2 = (yy - by) ** 2 + (xx - bx) ** 2
        ball = d2 < br**2
        # A little 3-D shading (same for both colours, so L still cannot tell them apart).
        ball_shade = 1.05 - 0.35 * np.sqrt(np.clip(d2, 0, None)) / br
        img[ball] = (col["ball_red"] if red else col["ball_blue"]) * ball_shade[ball, None]
        img = img + rng.normal(0.0, 0.015, img.shape).astype(np.float32)
        images[i] = np.clip(img, 0.0, 1.0)
        masks["sky"][i] = sky & ~sun & ~tree
        masks["grass"][i] = ~sky & ~tree & ~ball
        masks["sun"][i] = sun
        masks["tree"][i] = tree
        masks["ball"][i] = ball
        masks["ball_red"][i] = ball & red
    return (images, masks) if return_masks else images


# ----------------------------------------------------------------------------------------
# Procedural style images (stand-ins for paintings that no package ships)
# ----------------------------------------------------------------------------------------

PROCEDURAL_STYLES: tuple[str, ...] = ("swirls", "mosaic", "stripes")


def _palette(colors: Sequence[str]) -> np.ndarray:
    return np.array([[int(c[i : i + 2], 16) / 255.0 for i in (1, 3, 5)] for c in colors], np.float32)


def _interp_palette(t: np.ndarray, pal: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0, 1) * (len(pal) - 1)
    i = np.minimum(t.astype(int), len(pal) - 2)
    f = (t - i)[..., None]
    return pal[i] * (1 - f) + pal[i + 1] * f


def _swirls(size: int, rng: np.random.Generator) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) / size
    u, v = x.copy(), y.copy()
    for _ in range(7):  # each vortex rotates space around its centre, strongest at the core
        cx, cy = rng.random(2)
        strength = rng.uniform(-6, 6)
        radius = rng.uniform(0.08, 0.25)
        du, dv = u - cx, v - cy
        ang = strength * np.exp(-(du**2 + dv**2) / radius**2)
        c, s = np.cos(ang), np.sin(ang)
        u, v = cx + c * du - s * dv, cy + s * du + c * dv
    field_ = 0.5 + 0.25 * np.sin(28 * u + 3 * np.sin(9 * v)) + 0.25 * np.sin(23 * v + 2 * np.cos(7 * u))
    pal = _palette(["#0b1d51", "#1f4e9c", "#5b8fd6", "#f2d45c", "#fbf3c2"])
    return _interp_palette(field_, pal)


def _mosaic(size: int, rng: np.random.Generator) -> np.ndarray:
    n = max(12, size * size // 500)
    pts = rng.random((n, 2)) * size
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    d = np.sqrt((x[..., None] - pts[:, 0]) ** 2 + (y[..., None] - pts[:, 1]) ** 2)
    part = np.partition(d, 1, axis=-1)
    nearest = np.argmin(d, axis=-1)
    pal = _palette(["#c0392b", "#e67e22", "#f1c40f", "#16a085", "#2980b9", "#8e44ad", "#ecf0f1"])
    tiles = pal[rng.integers(0, len(pal), n)] * rng.uniform(0.8, 1.1, (n, 1))
    img = tiles[nearest]
    grout = (part[..., 1] - part[..., 0]) < max(1.5, size / 128)
    img[grout] = (0.12, 0.1, 0.09)
    return np.clip(img, 0, 1)


def _stripes(size: int, rng: np.random.Generator) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) / size
    theta = rng.uniform(0, np.pi)
    t = x * np.cos(theta) + y * np.sin(theta)
    t += 0.04 * np.sin(2 * np.pi * 3 * (x * np.sin(theta) - y * np.cos(theta)))
    pal = _palette(["#1b1b1b", "#e63946", "#f1faee", "#457b9d", "#ffb703"])
    band = np.floor(t * 14).astype(int) % len(pal)
    return pal[band]


def procedural_style(name: str, size: int = 256, seed: int = 0) -> np.ndarray:
    """A generated style image, float32 RGB (size, size, 3): "swirls", "mosaic" or "stripes"."""
    makers = {"swirls": _swirls, "mosaic": _mosaic, "stripes": _stripes}
    if name not in makers:
        raise ValueError(f"procedural_style: expected one of {PROCEDURAL_STYLES}, received {name!r}")
    if size < 16:  # the smallest image VGG19 features accept
        raise ValueError(f"size: expected >= 16 px, received {size}")
    return makers[name](int(size), np.random.default_rng(seed)).astype(np.float32)
