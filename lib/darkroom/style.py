"""Optimisation-based style transfer (Gatys, Ecker & Bethge 2015/2016) on VGG19 features.

The option set and defaults follow anishathalye/neural-style, the tool used by the
"Playing with Image Style Transfer" write-up: content layers relu4_2/relu5_2, style
layers relu1_1..relu5_1, gram matrices normalised by the feature map size, Adam at
lr 10 on an image held in VGG's own units (0..255, mean pixel removed), a
total-variation term, and the best-loss image kept.  Added on top: L-BFGS,
multi-resolution, a relative-change stopping rule, frames for a movie of the
optimisation, and an offline fallback to random VGG weights.

    from darkroom import style
    result = style.stylize(content, [starry, mosaic], style_blend_weights=[3, 1],
                           iterations=300, width=256)
    result.image, result.loss, result.stopped_at, result.weights

Which weights (``weights=``):

- ``"imagenet"``: Keras' ImageNet VGG19 (downloaded once into ``~/.keras/models``).
- a path (or the environment variable ``DARKROOM_VGG19_WEIGHTS``): a local ``.h5`` /
  ``.weights.h5`` file of ``keras.applications.VGG19(include_top=False)``.
- ``"random"``: seeded random filters rescaled layer by layer so that every channel's
  mean activation on natural-like (1/f) images is 1 -- the normalisation Gatys et al.
  applied to the trained net.  Untrained VGG-style nets still carry usable texture
  statistics (He, Wang & Hopcroft, NIPS 2016; Ustyuzhaninov et al., ICLR 2017); the
  rescaling keeps every layer's gram matrix on the same scale so the style layers
  contribute comparably.  Expect textures and colours, not painterly strokes.
- ``"multiscale"``: no VGG19 at all: one layer of seeded random 1x1, 3x3 and 7x7 filters
  (ReLU) on each level of a 5-level image pyramid, after Ustyuzhaninov, Brendel, Gatys &
  Bethge (ICLR 2017), who synthesised textures close to VGG's from one layer of random
  filters of 3..55 px.  VGG19's layer names map to pyramid levels by block number
  (relu3_1 -> level 3), so every option works unchanged; ``pooling`` does not apply.
- ``"auto"``: ImageNet if Keras has it cached, else a configured local file, else
  ImageNet if the download host answers within ~1.5 s, else ``OFFLINE_FALLBACK``
  ("multiscale": it matched styles closer than random VGG19 under :func:`style_distance`).
"""

from __future__ import annotations

import math
import os
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from darkroom import color

__all__ = [
    "CONTENT_LAYERS",
    "STYLE_LAYERS",
    "PROCEDURAL_STYLES",
    "OFFLINE_FALLBACK",
    "StyleResult",
    "resolve_weights",
    "vgg_features",
    "preprocess",
    "deprocess",
    "gram_matrix",
    "content_layer_loss",
    "style_layer_loss",
    "tv_loss",
    "style_layer_weights",
    "blend_weights",
    "relative_change_stop",
    "transfer_luminance",
    "preserve_colors_space",
    "COLOR_SPACES",
    "filter_bank_gram",
    "style_distance",
    "estimate_memory_bytes",
    "procedural_style",
    "stylize",
    "FeatureTrial",
    "feature_trial",
    "seconds_per_iteration",
    "time_to_reach",
]

CONTENT_LAYERS: tuple[str, ...] = ("relu4_2", "relu5_2")
STYLE_LAYERS: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
PROCEDURAL_STYLES: tuple[str, ...] = ("swirls", "mosaic", "stripes")

# The ImageNet mean pixel in RGB order, 0..255 (Simonyan & Zisserman; Keras' "caffe" mode).
VGG_MEAN_RGB = np.array([123.68, 116.779, 103.939], dtype=np.float32)
WEIGHTS_ENV = "DARKROOM_VGG19_WEIGHTS"
KERAS_NOTOP_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/vgg19/" + KERAS_NOTOP_FILE
_VGG19_BLOCKS = ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4))
_MIN_SIDE = 16  # relu5_x sits behind four 2x poolings
# Mean activation each random channel is scaled to: about the size of ImageNet VGG19's
# activations on 0..255 input, so neural-style's loss weights (5 / 500 / 100) keep their
# balance against the total-variation term, which lives in pixel units.
RANDOM_ACTIVATION_MEAN = 30.0
# What "auto" uses offline.  Chosen by style_distance (a filter bank neither candidate shares) at
# 128 px after 150 L-BFGS iterations on the swirls style: the multi-scale filters matched the style
# closer than random VGG19, from noise and from the photo, and from noise they alone formed the
# photo's layout (notebook 05 measures this again on every run).
OFFLINE_FALLBACK = "multiscale"

_announced: set[str] = set()
_extractor_cache: dict[tuple, Any] = {}


# --------------------------------------------------------------------------- weights


@dataclass(frozen=True)
class WeightsChoice:
    """Where VGG19's weights come from: ``kind`` is "imagenet", "file" or "random"."""

    kind: str
    path: str | None
    description: str


def _keras_cache_files() -> list[Path]:
    base = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    return [base / "models" / KERAS_NOTOP_FILE, Path("/tmp/.keras/models") / KERAS_NOTOP_FILE]


def _network_available(url: str = _WEIGHTS_URL, timeout: float = 1.5) -> bool:
    """True if an HTTP HEAD request for ``url`` succeeds within ``timeout`` seconds.

    A real request, not just a TCP connect: sandboxes and captive proxies accept any
    connection.  The probe runs in a daemon thread because name resolution ignores
    socket timeouts, so an offline machine with a slow resolver still answers in time.
    """
    import urllib.request

    answer: list[bool] = []

    def probe() -> None:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout) as r:
                answer.append(200 <= r.status < 400)
        except Exception:  # noqa: BLE001 - any failure means "not reachable now"
            answer.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(answer and answer[0])


def _describe_weights(kind: str, path: str | None) -> str:
    if kind == "imagenet":
        return "ImageNet VGG19 (Keras) -- the weights the write-up used"
    if kind == "file":
        return f"VGG19 weights from {path}"
    if kind == "multiscale":
        return (
            "MULTI-SCALE RANDOM FILTERS (one seeded layer of 1x1, 3x3 and 7x7 filters on a 5-level image pyramid; "
            "no VGG19, offline stand-in after Ustyuzhaninov et al. 2017). Textures and colours transfer, "
            "objects are not recognised; set DARKROOM_VGG19_WEIGHTS or use weights='imagenet' for the real look"
        )
    return (
        "RANDOM VGG19 weights (seeded, per-layer rescaled; offline fallback). Style transfer still "
        "works on texture statistics (He et al. 2016), but expect textures and colours rather than "
        "painterly strokes; set DARKROOM_VGG19_WEIGHTS or use weights='imagenet' for the real look"
    )


def resolve_weights(weights: str | os.PathLike | None = "auto", *, probe_timeout: float = 1.5) -> WeightsChoice:
    """Decide which features ``weights`` means ("auto", "imagenet", "random", "multiscale", None or a path).

    ``"auto"`` checks the Keras cache, then a local file named by ``DARKROOM_VGG19_WEIGHTS``,
    then whether the download URL answers within ``probe_timeout`` seconds, else
    ``OFFLINE_FALLBACK`` (the multi-scale random filters).
    The local file comes before the network probe so an offline machine that has one never
    waits on the probe.
    """
    if weights is None or weights == "random":
        return WeightsChoice("random", None, _describe_weights("random", None))
    if weights == "multiscale":
        return WeightsChoice("multiscale", None, _describe_weights("multiscale", None))
    if weights == "imagenet":
        return WeightsChoice("imagenet", None, _describe_weights("imagenet", None))
    if weights == "auto":
        if any(p.is_file() for p in _keras_cache_files()):
            return WeightsChoice("imagenet", None, _describe_weights("imagenet", None) + " [cached]")
        env = os.environ.get(WEIGHTS_ENV)
        if env:
            if Path(env).is_file():
                return WeightsChoice("file", env, _describe_weights("file", env))
            warnings.warn(f"{WEIGHTS_ENV}={env!r} is not a file; ignoring it", stacklevel=2)
        if _network_available(timeout=probe_timeout):
            return WeightsChoice("imagenet", None, _describe_weights("imagenet", None) + " [downloading]")
        return WeightsChoice(OFFLINE_FALLBACK, None, _describe_weights(OFFLINE_FALLBACK, None))
    if isinstance(weights, (str, os.PathLike)):
        path = Path(weights).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"weights: no file at {str(path)!r}; expected 'auto', 'imagenet', 'random' or the path "
                "of a keras.applications.VGG19(include_top=False) weights file (.h5 / .weights.h5)"
            )
        return WeightsChoice("file", str(path), _describe_weights("file", str(path)))
    raise TypeError(
        f"weights: expected 'auto', 'imagenet', 'random', 'multiscale', None or a path; received {weights!r}"
    )


def _announce(choice: WeightsChoice) -> None:
    """Say once per process and source which weights are in use."""
    key = f"{choice.kind}:{choice.path}"
    if key in _announced:
        return
    _announced.add(key)
    print(f"darkroom.style: using {choice.description}", flush=True)


# --------------------------------------------------------------------------- layer names


def keras_layer_name(name: str) -> str:
    """'relu4_2' or 'conv4_2' -> 'block4_conv2'; 'pool3' -> 'block3_pool'; Keras names pass through."""
    if name.startswith("block"):
        return name
    for prefix in ("relu", "conv"):
        if name.startswith(prefix) and "_" in name:
            block, idx = name[len(prefix) :].split("_", 1)
            return f"block{int(block)}_conv{int(idx)}"
    if name.startswith("pool") and name[4:].isdigit():
        return f"block{int(name[4:])}_pool"
    raise ValueError(f"layer: expected names like 'relu4_2' or 'block4_conv2'; received {name!r}")


def _vgg19_layer_names() -> list[str]:
    names = []
    for b, (_, n) in enumerate(_VGG19_BLOCKS, start=1):
        names += [f"block{b}_conv{i}" for i in range(1, n + 1)] + [f"block{b}_pool"]
    return names


# --------------------------------------------------------------------------- the network


def _random_kernels(seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """He-normal 3x3 kernels; beyond the first layer each filter is made zero-mean.

    Inputs past the first layer are ReLU outputs (all positive), so a zero-mean filter
    answers to structure instead of to the overall activity level; the first layer
    keeps its mean so colour itself is a feature.
    """
    rng = np.random.default_rng(seed)
    kernels, c_in, first = {}, 3, True
    for b, (c_out, n) in enumerate(_VGG19_BLOCKS, start=1):
        for i in range(1, n + 1):
            k = rng.normal(0.0, math.sqrt(2.0 / (9 * c_in)), size=(3, 3, c_in, c_out)).astype(np.float32)
            if not first:
                k -= k.mean(axis=(0, 1, 2), keepdims=True)
            kernels[f"block{b}_conv{i}"] = (k, np.zeros(c_out, np.float32))
            c_in, first = c_out, False
    return kernels


def _pink_noise_batch(n: int = 4, size: int = 96, seed: int = 1234) -> np.ndarray:
    """Colour 1/f noise in [0, 1]: natural-image-like spectra for normalising random filters."""
    rng = np.random.default_rng(seed)
    fy = np.fft.fftfreq(size)[:, None]
    fx = np.fft.fftfreq(size)[None, :]
    amp = 1.0 / np.maximum(np.hypot(fx, fy), 1.0 / size)
    out = np.empty((n, size, size, 3), np.float32)
    for j in range(n):
        mix = rng.normal(size=(3, 3)) * 0.5 + np.eye(3)
        chans = []
        for _ in range(3):
            spec = amp * np.exp(2j * np.pi * rng.random((size, size)))
            chans.append(np.real(np.fft.ifft2(spec)))
        img = np.einsum("hwc,dc->hwd", np.stack(chans, -1), mix)
        img = (img - img.min()) / (img.max() - img.min() + 1e-8)
        out[j] = img
    return out


def _keras_vgg19_weights(choice: WeightsChoice) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    import keras

    weights = "imagenet" if choice.kind == "imagenet" else None
    base = keras.applications.VGG19(include_top=False, weights=weights, input_shape=(None, None, 3))
    if choice.kind == "file":
        try:
            base.load_weights(choice.path)
        except Exception as err:  # noqa: BLE001 - re-raised with what was expected
            raise ValueError(
                f"weights: could not load {choice.path!r} into keras.applications.VGG19(include_top=False): {err}"
            ) from err
    return {layer.name: tuple(layer.get_weights()) for layer in base.layers if layer.get_weights()}


def _build_truncated(kernels: dict, pooling: str, last: str, outputs: Sequence[str]):
    """VGG19 up to ``last`` (Keras layer name), RGB-minus-mean input, dict of ``outputs``."""
    import keras

    inp = keras.Input((None, None, 3), name="image")
    x = keras.ops.flip(inp, axis=-1)  # the filters were trained on BGR (caffe order)
    taps = {}
    for name in _vgg19_layer_names():
        if name.endswith("pool"):
            pool = keras.layers.MaxPooling2D if pooling == "max" else keras.layers.AveragePooling2D
            x = pool(2, strides=2, name=name)(x)
        else:
            k, b = kernels[name]
            conv = keras.layers.Conv2D(k.shape[-1], 3, padding="same", activation="relu", name=name)
            x = conv(x)
            conv.set_weights([k, b])
        taps[name] = x
        if name == last:
            break
    return keras.Model(inp, {o: taps[o] for o in outputs}, name=f"vgg19_{pooling}_to_{last}")


def _normalise_random_net(model, probe: np.ndarray, target: float = RANDOM_ACTIVATION_MEAN) -> None:
    """Rescale each conv layer so that every channel's mean activation on ``probe`` is ``target``.

    ReLU is positively homogeneous, so dividing a filter and its bias by m divides that
    channel's output by m; going layer by layer keeps the later layers' inputs normalised.
    """
    import tensorflow as tf

    x = tf.constant(probe[..., ::-1] * 255.0 - VGG_MEAN_RGB[::-1])
    present = {layer.name: layer for layer in model.layers}
    for name in _vgg19_layer_names():
        if name not in present:
            break
        layer = present[name]
        if name.endswith("pool"):
            x = layer(x)
            continue
        y = layer(x)
        mean = tf.reduce_mean(y, axis=(0, 1, 2)).numpy()
        scale = np.where(mean > 1e-6, target / np.maximum(mean, 1e-6), 1.0).astype(np.float32)
        k, b = layer.get_weights()
        layer.set_weights([k * scale, b * scale])
        x = y * scale


# --------------------------------------------------------------------------- multi-scale random filters

MULTISCALE_LEVELS = 5
MULTISCALE_FILTERS = (32, 112, 112)  # per level: 1x1 colour filters, 3x3 and 7x7 structure filters


def _multiscale_kernels(seed: int, counts: tuple[int, int, int] = MULTISCALE_FILTERS) -> list[np.ndarray]:
    """One (7, 7, 3, n) Gaussian kernel stack per pyramid level: 1x1, 3x3 and 7x7 filters padded to 7x7.

    The 3x3 and 7x7 filters are made zero-mean in each input channel, so they answer to
    structure and not to the colour level; the 1x1 filters answer to colour alone.  Without
    this split the colour level dominates every response and one image's activations can be
    a hundred times another's.  Two structure sizes per level and five levels give receptive
    fields of 3..112 px, the range of Ustyuzhaninov et al.'s single layer of 3..55 px filters,
    at a small fraction of its cost (a 55 px filter at full size costs 300 times a 3x3 one).
    """
    rng = np.random.default_rng(seed)
    stacks = []
    for _ in range(MULTISCALE_LEVELS):
        parts = []
        for size, n in zip((1, 3, 7), counts):
            k = rng.normal(size=(size, size, 3, n))
            if size > 1:
                k -= k.mean(axis=(0, 1), keepdims=True)
            pad = (7 - size) // 2
            parts.append(np.pad(k, ((pad, pad), (pad, pad), (0, 0), (0, 0))))
        stacks.append(np.concatenate(parts, axis=-1).astype(np.float32))
    return stacks


def _multiscale_net(seed: int, levels: int):
    """Image pyramid (2x average pooling per level), one ReLU conv layer per level; outputs {level: features}.

    The pyramid always averages: max-pooling raw pixels keeps only the brightest, and in trials
    it made the loss a million times larger and stopped L-BFGS within three iterations.
    """
    import keras

    inp = keras.Input((None, None, 3), name="image")
    x, taps, kernels = inp, {}, _multiscale_kernels(seed)
    for level in range(1, levels + 1):
        if level > 1:
            x = keras.layers.AveragePooling2D(2, strides=2, name=f"pyramid{level}")(x)
        k = kernels[level - 1]
        conv = keras.layers.Conv2D(k.shape[-1], 7, padding="same", activation="relu", name=f"level{level}")
        taps[level] = conv(x)
        conv.set_weights([k, np.zeros(k.shape[-1], np.float32)])
    net = keras.Model(inp, taps, name=f"multiscale_{levels}")
    # Same normalisation as the random VGG19: every channel's mean activation on 1/f noise is the
    # target, so each level's gram matrix sits on the same scale.  The levels do not feed each
    # other, so one pass measures them all.
    probe = _pink_noise_batch()
    out = net(probe * 255.0 - VGG_MEAN_RGB)
    for level in range(1, levels + 1):
        mean = np.asarray(out[level]).mean(axis=(0, 1, 2))
        scale = np.where(mean > 1e-6, RANDOM_ACTIVATION_MEAN / np.maximum(mean, 1e-6), 1.0).astype(np.float32)
        layer = net.get_layer(f"level{level}")
        k, b = layer.get_weights()
        layer.set_weights([k * scale, b * scale])
    return net


def _multiscale_level(keras_name: str) -> int:
    """VGG19's block number stands for a pyramid level: relu3_1 and relu3_2 both read level 3."""
    if "_conv" not in keras_name:
        raise ValueError(f"layers: the multi-scale features have no pooling layers; received {keras_name!r}")
    return int(keras_name[len("block")])


def vgg_features(
    weights: str | os.PathLike | None = "auto",
    pooling: str = "max",
    layers: Sequence[str] = STYLE_LAYERS + CONTENT_LAYERS,
    *,
    seed: int = 0,
):
    """A Keras VGG19 feature extractor cut after the deepest layer in ``layers``.

    Input: a batch of RGB images in VGG units (0..255 minus the mean pixel, see
    :func:`preprocess`), any size >= 16 px.  Output: a dict from each requested name
    (as given, e.g. "relu4_2") to its ReLU activations.  ``pooling`` is "max" (VGG's own)
    or "avg" (every pooling layer replaced by 2x2 average pooling, as Gatys et al. suggest).
    The model's ``weights_description`` attribute says which weights it carries.
    """
    if pooling not in ("max", "avg"):
        raise ValueError(f"pooling: expected 'max' or 'avg'; received {pooling!r}")
    layers = tuple(layers)
    if not layers:
        raise ValueError("layers: expected at least one layer name, received none")
    keras_names = [keras_layer_name(n) for n in layers]
    order = _vgg19_layer_names()
    for given, kn in zip(layers, keras_names):
        if kn not in order:
            raise ValueError(f"layers: {given!r} is not a VGG19 layer; expected e.g. relu1_1..relu5_4")
    choice = resolve_weights(weights)
    seeded = choice.kind in ("random", "multiscale")
    if choice.kind == "multiscale":
        pooling = "avg"  # the image pyramid always averages; VGG19's pooling knob has nothing to change
    key = (choice.kind, choice.path, pooling, tuple(keras_names), seed if seeded else None)
    if key in _extractor_cache:
        _announce(choice)
        return _extractor_cache[key]
    import keras

    if choice.kind == "multiscale":
        _announce(choice)
        levels = [_multiscale_level(kn) for kn in keras_names]
        inner = _multiscale_net(seed, max(levels))
        inp = keras.Input((None, None, 3), name="image")
        taps = inner(inp)
        model = keras.Model(inp, {given: taps[lv] for given, lv in zip(layers, levels)}, name=inner.name)
        model.weights_description, model.weights_kind, model.inner = choice.description, choice.kind, inner
        _extractor_cache[key] = model
        return model
    if choice.kind == "random":
        kernels = _random_kernels(seed)
    else:
        try:
            kernels = _keras_vgg19_weights(choice)
        except Exception as err:
            if choice.kind == "imagenet" and weights == "auto":
                warnings.warn(f"ImageNet VGG19 weights unavailable ({err}); falling back to {OFFLINE_FALLBACK}",
                              stacklevel=2)
                return vgg_features(OFFLINE_FALLBACK, pooling, layers, seed=seed)
            else:
                raise
    _announce(choice)
    last = max(keras_names, key=order.index)
    # Build over Keras names, then rename the outputs to what the caller asked for.
    unique = list(dict.fromkeys(keras_names))
    inner = _build_truncated(kernels, pooling, last, unique)
    if choice.kind == "random":
        _normalise_random_net(inner, _pink_noise_batch())
    inp = keras.Input((None, None, 3), name="image")
    taps = inner(inp)
    model = keras.Model(inp, {given: taps[kn] for given, kn in zip(layers, keras_names)}, name=inner.name)
    model.weights_description = choice.description
    model.weights_kind = choice.kind
    model.inner = inner
    _extractor_cache[key] = model
    return model


# --------------------------------------------------------------------------- losses


def preprocess(image: Any) -> np.ndarray:
    """RGB in [0, 1] (or uint8) -> VGG units: 0..255 with the ImageNet mean pixel removed."""
    return color.as_float_rgb(image) * 255.0 - VGG_MEAN_RGB


def deprocess(x: Any) -> np.ndarray:
    """Inverse of :func:`preprocess`, clipped to [0, 1], float32."""
    return np.clip((np.asarray(x, np.float32) + VGG_MEAN_RGB) / 255.0, 0.0, 1.0).astype(np.float32)


def gram_matrix(features: Any):
    """F^T F / (H W C) per image: (N, H, W, C) -> (N, C, C), or (H, W, C) -> (C, C).

    The normalisation by the whole feature map size is neural-style's; it keeps layers
    of different sizes on comparable scales.
    """
    import tensorflow as tf

    f = tf.convert_to_tensor(features, tf.float32)
    squeeze = f.shape.rank == 3
    if squeeze:
        f = f[None]
    shape = tf.shape(f)
    size = tf.cast(shape[1] * shape[2] * shape[3], tf.float32)
    g = tf.einsum("nhwc,nhwd->ncd", f, f) / size
    return g[0] if squeeze else g


def content_layer_loss(features: Any, target: Any):
    """Mean squared difference of two feature maps (neural-style's 2*l2_loss/size)."""
    import tensorflow as tf

    return tf.reduce_mean(tf.square(tf.convert_to_tensor(features, tf.float32) - target))


def style_layer_loss(gram: Any, target_gram: Any):
    """Mean squared difference of two gram matrices (neural-style's 2*l2_loss/size)."""
    import tensorflow as tf

    return tf.reduce_mean(tf.square(tf.convert_to_tensor(gram, tf.float32) - target_gram))


def tv_loss(image: Any):
    """Total variation: mean squared vertical plus mean squared horizontal neighbour difference."""
    import tensorflow as tf

    x = tf.convert_to_tensor(image, tf.float32)
    if x.shape.rank == 3:
        x = x[None]
    dy = x[:, 1:, :, :] - x[:, :-1, :, :]
    dx = x[:, :, 1:, :] - x[:, :, :-1, :]
    return tf.reduce_mean(tf.square(dy)) + tf.reduce_mean(tf.square(dx))


def style_layer_weights(n_layers: int = len(STYLE_LAYERS), exp: float = 1.0) -> np.ndarray:
    """weight(layer n+1) = exp * weight(layer n), normalised to sum 1 (neural-style's rule)."""
    if n_layers < 1:
        raise ValueError(f"n_layers: expected >= 1, received {n_layers}")
    if not exp > 0:
        raise ValueError(f"style_layer_weight_exp: expected a positive number, received {exp!r}")
    w = np.asarray([exp**i for i in range(n_layers)], np.float64)
    return w / w.sum()


def blend_weights(weights: Sequence[float] | None, n_styles: int) -> np.ndarray:
    """Style blend weights normalised to sum 1; ``None`` means equal weights."""
    if n_styles < 1:
        raise ValueError("styles: expected at least one style image, received none")
    if weights is None:
        return np.full(n_styles, 1.0 / n_styles)
    w = np.asarray(list(weights), np.float64)
    if w.shape != (n_styles,):
        raise ValueError(f"style_blend_weights: expected {n_styles} weights (one per style), received {w.tolist()}")
    if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
        raise ValueError(
            f"style_blend_weights: expected non-negative weights with a positive sum, received {w.tolist()}"
        )
    return w / w.sum()


def _stalled(losses: Sequence[float], tol: float, window: int) -> np.ndarray:
    """For iterations ``window + 1 .. len(losses)``: did the running best improve by at most ``tol`` over ``window``?"""
    best = np.minimum.accumulate(np.asarray(losses, np.float64))
    then, now = best[:-window], best[window:]
    return then - now <= tol * np.abs(then)


def relative_change_stop(losses: Sequence[float], tol: float | None, window: int) -> bool:
    """True when the best loss so far improved by less than ``tol`` (relative) over ``window`` iterations.

    Using the running best makes the rule immune to Adam's small oscillations.
    """
    if tol is None or len(losses) <= window:
        return False
    return bool(_stalled(losses, tol, window)[-1])


def stopping_iteration(losses: Sequence[float], tol: float | None, window: int) -> int | None:
    """The number of iterations after which ``relative_change_stop`` would have stopped ``losses`` (None: never).

    The rule looks only at the loss history, so it can be replayed on a finished run to see what it saves.
    """
    if tol is None or len(losses) <= window:
        return None
    fired = np.flatnonzero(_stalled(losses, tol, window))
    return int(fired[0]) + window + 1 if fired.size else None


COLOR_SPACES: tuple[str, ...] = ("lab", "ycbcr")

# Full-range (JPEG / PIL) YCbCr with Rec. 601 luma, the conversion neural-style calls through PIL.
_YCBCR_FROM_RGB = np.array([[0.299, 0.587, 0.114],
                            [-0.168736, -0.331264, 0.5],
                            [0.5, -0.418688, -0.081312]], np.float64)
_RGB_FROM_YCBCR = np.linalg.inv(_YCBCR_FROM_RGB)


def _rgb_to_ycbcr(rgb: np.ndarray) -> np.ndarray:
    """RGB in [0, 1] -> Y in [0, 1], Cb and Cr centred on 0.5."""
    return rgb.astype(np.float64) @ _YCBCR_FROM_RGB.T + np.array([0.0, 0.5, 0.5])


def _ycbcr_to_rgb(ycc: np.ndarray) -> np.ndarray:
    return np.clip((ycc - np.array([0.0, 0.5, 0.5])) @ _RGB_FROM_YCBCR.T, 0.0, 1.0)


def preserve_colors_space(preserve_colors: bool | str | None) -> str | None:
    """``preserve_colors`` as a colour space: False/None -> None, True -> "lab", or "lab" / "ycbcr"."""
    if preserve_colors is None or preserve_colors is False:
        return None
    if preserve_colors is True:
        return "lab"
    if isinstance(preserve_colors, str) and preserve_colors.lower() in COLOR_SPACES:
        return preserve_colors.lower()
    raise ValueError(f"preserve_colors: expected False, True, 'lab' or 'ycbcr'; received {preserve_colors!r}")


def transfer_luminance(styled: Any, content: Any, space: str = "lab") -> np.ndarray:
    """Keep ``content``'s colours under ``styled``'s lightness; ``content`` is resized to ``styled``.

    The luminance-only transfer of Gatys et al. (2016, "Preserving colour"), after the
    optimisation as neural-style does it.  ``space="ycbcr"`` is neural-style's own recipe:
    Rec. 601 luma (Y) of the result with the content's Cb, Cr.  ``space="lab"`` (darkroom's
    default) takes CIE L of the result with the content's a, b: L follows perceived lightness,
    so saturated content colours keep their brightness relations better.
    """
    if space not in COLOR_SPACES:
        raise ValueError(f"space: expected one of {COLOR_SPACES}; received {space!r}")
    styled = color.as_float_rgb(styled, "styled")
    content = color.as_float_rgb(content, "content")
    if content.shape[:2] != styled.shape[:2]:
        content = _resize(content, styled.shape[:2])
    if space == "ycbcr":
        ycc = _rgb_to_ycbcr(content)
        ycc[..., 0] = _rgb_to_ycbcr(styled)[..., 0]
        return _ycbcr_to_rgb(ycc).astype(np.float32)
    L, _ = color.split_lab(color.rgb_to_lab(styled))
    _, ab = color.split_lab(color.rgb_to_lab(content))
    return color.lab_to_rgb(color.join_lab(L, ab)).astype(np.float32)


# --------------------------------------------------------------------------- an independent measure

# Scale-normalised Gaussian derivatives (x, y, xx, yy, xy) of the lightness at four scales.
_BANK_SIGMAS = (1.0, 2.0, 4.0, 8.0)
_BANK_ORDERS = ((0, 1), (1, 0), (0, 2), (2, 0), (1, 1))


def filter_bank_gram(image: Any) -> np.ndarray:
    """Gram matrix (43 x 43) of a fixed, hand-made filter bank: a texture description no network shares.

    Channels: lightness and two opponent colours (r-g, (r+g)/2-b), blurred at 1 px, then the
    positive and negative parts of Gaussian derivatives of the lightness (5 orders x 4 scales,
    1..8 px).  Correlations over all pixels, divided by their number, so sizes compare.
    """
    from scipy import ndimage

    img = color.as_float_rgb(image, "image")
    if img.ndim != 3:
        raise ValueError(f"image: expected one image (H, W, 3), received shape {img.shape}")
    lum = img.mean(axis=-1)
    opp = (img[..., 0] - img[..., 1], 0.5 * (img[..., 0] + img[..., 1]) - img[..., 2])
    chans = [ndimage.gaussian_filter(c, 1.0) for c in (lum, *opp)]
    for sigma in _BANK_SIGMAS:
        for order in _BANK_ORDERS:
            r = ndimage.gaussian_filter(lum, sigma, order=order) * sigma ** sum(order)
            chans += [np.maximum(r, 0.0), np.maximum(-r, 0.0)]
    f = np.stack(chans, axis=-1).reshape(-1, len(chans)).astype(np.float64)
    return f.T @ f / f.shape[0]


def style_distance(image: Any, style_image: Any) -> float:
    """How far ``image``'s texture statistics are from ``style_image``'s, under :func:`filter_bank_gram`.

    ||G(image) - G(style)|| / ||G(style)|| (Frobenius), with the style first resized to the
    image's width, as :func:`stylize` resizes it (``style_scales=1``).  0 is a perfect match.
    Neither VGG19 nor the multi-scale random filters enter it, so it can judge both.
    """
    img = color.as_float_rgb(image, "image")
    sty = color.as_float_rgb(style_image, "style_image")
    width = img.shape[1]
    sty = _resize(sty, (max(_MIN_SIDE, round(sty.shape[0] * width / sty.shape[1])), width))
    target = filter_bank_gram(sty)
    return float(np.linalg.norm(filter_bank_gram(img) - target) / np.linalg.norm(target))


# --------------------------------------------------------------------------- memory


def estimate_memory_bytes(height: int, width: int, *, last_layer: str = "relu5_1", n_images: int = 1) -> int:
    """Rough peak memory of one optimisation step: activations kept for the backward pass.

    Every conv layer up to ``last_layer`` stores its output and its gradient, plus about
    one more copy of working space (x3 overall), plus VGG19's ~80 MB of weights.
    """
    last = keras_layer_name(last_layer)
    h, w, total = height, width, 0
    for name in _vgg19_layer_names():
        b = int(name[5]) - 1
        if name.endswith("pool"):
            h, w = max(h // 2, 1), max(w // 2, 1)
        else:
            total += h * w * _VGG19_BLOCKS[b][0]
        if name == last:
            break
    return int(3 * 4 * total * n_images + 80e6)


def _warn_if_huge(height: int, width: int, last_layer: str) -> None:
    need = estimate_memory_bytes(height, width, last_layer=last_layer)
    try:
        import psutil

        avail = psutil.virtual_memory().available
    except ImportError:  # pragma: no cover
        avail = 8 * 2**30
    if need > 0.5 * avail or max(height, width) > 2048:
        warnings.warn(
            f"a {height}x{width} image needs about {need / 2**30:.1f} GiB for VGG19's activations "
            f"({avail / 2**30:.1f} GiB available); consider width= or max_side= to work smaller",
            stacklevel=3,
        )


# --------------------------------------------------------------------------- procedural styles


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
    if size < _MIN_SIDE:
        raise ValueError(f"size: expected >= {_MIN_SIDE} px, received {size}")
    return makers[name](int(size), np.random.default_rng(seed)).astype(np.float32)


# --------------------------------------------------------------------------- stylize


@dataclass
class StyleResult:
    """What :func:`stylize` returns.

    ``image`` is the best-loss image (float32 RGB [0, 1]); ``history`` has one entry per
    iteration across all stages ("loss", "content", "style", "tv", "seconds" since the
    start, "stage"), the loss of the image each step started from, plus (Adam) one entry
    per stage for the image after its last step; ``frames`` are (iteration, image) every ``checkpoint_iterations``;
    ``stopped_at`` is the iteration (1-based, counting all stages) where the stopping
    rule fired in the last stage, or None if it ran its full budget.
    """

    image: np.ndarray
    loss: float
    history: dict[str, list[float]]
    frames: list[tuple[int, np.ndarray]]
    stopped_at: int | None
    iterations: int
    seconds: float
    seconds_per_iteration: float
    weights: str
    stages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def caption(self) -> str:
        """A short line naming the weights (VGG19) or the features (anything else), for figure captions."""
        name = self.weights.split(" (")[0].split(" --")[0]
        return ("weights: " if "VGG19" in name else "features: ") + name


def _resize(image: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    import tensorflow as tf

    if tuple(image.shape[:2]) == tuple(hw):
        return image
    out = tf.image.resize(image, hw, method="bicubic", antialias=True).numpy()
    return np.clip(out, 0.0, 1.0).astype(np.float32)  # bicubic overshoots at edges


def _as_image(x: Any, name: str) -> np.ndarray:
    if isinstance(x, (str, os.PathLike)):
        from darkroom import images

        x = images.load_image(x)
    arr = np.asarray(x)
    if arr.ndim == 3 and arr.shape[-1] == 4:
        warnings.warn(f"{name}: dropping the alpha channel of an RGBA image", stacklevel=3)
        arr = arr[..., :3]
    if arr.ndim == 2 or (arr.ndim == 3 and arr.shape[-1] == 1):
        warnings.warn(f"{name}: gray image {arr.shape} repeated to RGB", stacklevel=3)
    img = color.as_float_rgb(arr, name)
    if img.ndim != 3:
        raise ValueError(f"{name}: expected one image (H, W, 3), received shape {img.shape}")
    if min(img.shape[:2]) < 2:
        raise ValueError(f"{name}: expected an image at least {_MIN_SIDE} px on its short side, received {img.shape}")
    return img


def _target_hw(content: np.ndarray, width: int | None, max_side: int | None) -> tuple[int, int]:
    h, w = content.shape[:2]
    if width is not None:
        h, w = max(1, int(round(h * width / w))), int(width)
    if max_side is not None and max(h, w) > max_side:
        s = max_side / max(h, w)
        h, w = max(1, int(round(h * s))), max(1, int(round(w * s)))
    if min(h, w) < _MIN_SIDE:
        raise ValueError(f"content: the working size {h}x{w} is below {_MIN_SIDE} px on a side; VGG19 needs more")
    return h, w


def _stage_sizes(final_hw: tuple[int, int], multires: int | Sequence[float] | None) -> list[tuple[int, int]]:
    if multires is None or multires == 0:
        scales: list[float] = []
    elif isinstance(multires, int):
        scales = [0.5**k for k in range(multires, 0, -1)]
    else:
        scales = sorted(float(s) for s in multires)
        if any(not 0 < s < 1 for s in scales):
            raise ValueError(f"multires: expected scales in (0, 1) for the stages before full size, received {multires}")
    sizes = []
    for s in scales:
        hw = (max(_MIN_SIDE, round(final_hw[0] * s)), max(_MIN_SIDE, round(final_hw[1] * s)))
        if hw != final_hw and hw not in sizes:
            sizes.append(hw)
    return sizes + [final_hw]


def _stage_budget(multires_iterations: int | Sequence[int] | None, iterations: int, n_pre: int) -> list[int]:
    if multires_iterations is None:
        pre = [iterations] * n_pre
    elif isinstance(multires_iterations, int):
        pre = [multires_iterations] * n_pre
    else:
        pre = list(multires_iterations)
        if len(pre) != n_pre:
            raise ValueError(f"multires_iterations: expected {n_pre} numbers, received {pre}")
    return [int(i) for i in pre] + [int(iterations)]


class _Objective:
    """The neural-style loss at one working size, as compiled TensorFlow functions."""

    def __init__(self, extractor, content_vgg, style_vggs, *, content_w, style_w, blend, layer_w, tv_w,
                 style_layers, content_layers, jit_compile):
        import tensorflow as tf

        self.content_layers = [(n, w) for n, w in content_layers if w != 0]
        self.style_layers = list(zip(style_layers, layer_w))
        self.extractor = extractor
        feats = extractor(tf.constant(content_vgg[None]))
        self.content_targets = {n: tf.constant(feats[n]) for n, _ in self.content_layers}
        self.style_targets = []
        for s in style_vggs:
            f = extractor(tf.constant(s[None]))
            self.style_targets.append({n: gram_matrix(f[n]) for n in style_layers})
        self.content_w, self.style_w, self.tv_w = float(content_w), float(style_w), float(tv_w)
        self.blend = [float(b) for b in blend]
        self.parts = tf.function(self._parts, jit_compile=jit_compile, reduce_retracing=True)

    def _parts(self, image):
        import tensorflow as tf

        feats = self.extractor(image)
        content = tf.add_n([w * content_layer_loss(feats[n], self.content_targets[n]) for n, w in self.content_layers]) \
            if self.content_layers else tf.constant(0.0)
        grams = {n: gram_matrix(feats[n]) for n, _ in self.style_layers}
        style = tf.add_n([
            b * tf.add_n([w * style_layer_loss(grams[n], t[n]) for n, w in self.style_layers])
            for b, t in zip(self.blend, self.style_targets)
        ])
        tv = tv_loss(image)
        content, style, tv = self.content_w * content, self.style_w * style, self.tv_w * tv
        return content + style + tv, content, style, tv


def _run_adam(obj: _Objective, x0: np.ndarray, budget: int, lr, b1, b2, eps, jit_compile, on_iter):
    import tensorflow as tf

    from darkroom.training import quiet_first_xla_compile

    image = tf.Variable(x0[None], dtype=tf.float32)
    m = tf.Variable(tf.zeros_like(image))
    v = tf.Variable(tf.zeros_like(image))
    t = tf.Variable(0.0)

    @tf.function(jit_compile=jit_compile)
    def step():
        with tf.GradientTape() as tape:
            total, c, s, tv = obj._parts(image)
        g = tape.gradient(total, image)
        before = tf.identity(image)
        t.assign_add(1.0)
        m.assign(b1 * m + (1 - b1) * g)
        v.assign(b2 * v + (1 - b2) * tf.square(g))
        # TF1 AdamOptimizer's bias correction folded into the step size, as neural-style ran it.
        alpha = lr * tf.sqrt(1 - tf.pow(b2, t)) / (1 - tf.pow(b1, t))
        image.assign_sub(alpha * m / (tf.sqrt(v) + eps))
        return before, total, c, s, tv

    for i in range(budget):
        with quiet_first_xla_compile(jit_compile and i == 0):
            before, total, c, s, tv = step()
        if on_iter(before, float(total), float(c), float(s), float(tv)):
            break
    final_parts = obj.parts(image)
    on_iter(image, *(float(p) for p in final_parts), final=True)


def _run_lbfgs(obj: _Objective, x0: np.ndarray, budget: int, memory: int, jit_compile, on_iter):
    import scipy.optimize
    import tensorflow as tf
    from threadpoolctl import threadpool_limits

    from darkroom.training import quiet_first_xla_compile

    shape = (1,) + x0.shape

    @tf.function(jit_compile=jit_compile, autograph=False)  # straight-line code: nothing for AutoGraph to do
    def value_and_grad(flat):
        img = tf.reshape(flat, shape)
        with tf.GradientTape() as tape:
            tape.watch(img)
            total, c, s, tv = obj._parts(img)
        return total, c, s, tv, tf.reshape(tape.gradient(total, img), [-1])

    last: dict[str, Any] = {}

    def fun(x64):
        total, c, s, tv, g = value_and_grad(tf.constant(x64, tf.float32))
        last.update(x=x64, parts=(float(total), float(c), float(s), float(tv)))
        return float(total), g.numpy().astype(np.float64)

    def callback(intermediate_result):
        x = intermediate_result.x
        if last.get("x") is not x and not np.array_equal(last.get("x"), x):
            fun(x)
        if on_iter(tf.reshape(tf.constant(x, tf.float32), shape), *last["parts"]):
            raise StopIteration

    lo = np.broadcast_to(-VGG_MEAN_RGB, x0.shape).ravel().astype(np.float64)
    hi = np.broadcast_to(255.0 - VGG_MEAN_RGB, x0.shape).ravel().astype(np.float64)
    x_init = np.clip(x0.ravel().astype(np.float64), lo, hi)
    # L-BFGS-B calls OpenBLAS, whose idle threads keep spinning on the cores TensorFlow needs for the next
    # gradient; one BLAS thread made each iteration 22% faster at 128 px on 2 cores.
    with threadpool_limits(limits=1, user_api="blas"):
        with quiet_first_xla_compile(jit_compile):
            fun(x_init)
        on_iter(tf.constant(x_init.reshape(shape), tf.float32), *last["parts"])  # iteration 0: the start
        scipy.optimize.minimize(
            fun, x_init, jac=True, method="L-BFGS-B", bounds=scipy.optimize.Bounds(lo, hi), callback=callback,
            options=dict(maxiter=max(budget - 1, 1), maxcor=memory, ftol=0.0, gtol=0.0, maxfun=budget * 3),
        )


def stylize(
    content: Any,
    styles: Any,
    *,
    iterations: int = 1000,
    content_weight: float = 5.0,
    content_weight_blend: float = 1.0,
    style_weight: float = 500.0,
    style_layer_weight_exp: float = 1.0,
    style_blend_weights: Sequence[float] | None = None,
    style_scales: Sequence[float] | float | None = None,
    tv_weight: float = 100.0,
    learning_rate: float = 10.0,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
    pooling: str = "max",
    initial: Any = None,
    initial_noiseblend: float | None = None,
    preserve_colors: bool | str = False,
    width: int | None = None,
    max_side: int | None = None,
    checkpoint_iterations: int | None = None,
    optimizer: str = "adam",
    lbfgs_memory: int = 20,
    tol: float | None = None,
    tol_window: int = 50,
    multires: int | Sequence[float] | None = None,
    multires_iterations: int | Sequence[int] | None = None,
    weights: str | os.PathLike | None = "auto",
    seed: int = 0,
    jit_compile: bool = False,
    progress: bool = True,
    style_layers: Sequence[str] = STYLE_LAYERS,
    content_layers: Sequence[str] = CONTENT_LAYERS,
) -> StyleResult:
    """Paint ``content`` in the style of ``styles`` by optimising the image (Gatys et al.).

    The options and defaults are neural-style's: ``content_weight`` 5, ``content_weight_blend``
    1 (relu4_2 vs relu5_2), ``style_weight`` 500, ``style_layer_weight_exp`` 1, equal
    ``style_blend_weights``, ``style_scales`` 1 (a style is resized to scale x the content's
    width), ``tv_weight`` 100, Adam with lr 10, betas 0.9/0.999, eps 1e-8, max ``pooling``,
    start from noise (``initial_noiseblend`` 1) unless ``initial`` is given, ``width`` resizes
    the content.  Additions: ``optimizer="lbfgs"``; ``tol``/``tol_window`` stop when the best
    loss improves by less than ``tol`` (relative) over ``tol_window`` iterations; ``multires``
    (an int n: stages at 1/2^n..1/2 size, or explicit scales) optimises small first, each
    earlier stage for ``multires_iterations`` (default ``iterations``) and upsamples the result;
    ``checkpoint_iterations`` records frames; ``max_side`` caps the working size.
    ``lbfgs_memory`` is the number of past steps L-BFGS keeps: 20 reached a given loss soonest at
    256 px on a 2-core CPU (SciPy's default 10 took 1.3x as long, 50 spent the gain on bookkeeping).
    Each kept step costs 16 bytes per pixel channel: 20 steps add about 250 MB at 512 px.
    """
    import tensorflow as tf

    t_start = time.perf_counter()
    content_img = _as_image(content, "content")
    if isinstance(styles, np.ndarray) and styles.ndim in (2, 3):
        styles = [styles]
    elif isinstance(styles, (str, os.PathLike)):
        styles = [styles]
    styles = list(styles)
    if not styles:
        raise ValueError("styles: expected at least one style image, received an empty list")
    style_imgs = [_as_image(s, f"styles[{i}]") for i, s in enumerate(styles)]
    blend = blend_weights(style_blend_weights, len(style_imgs))
    if style_scales is None:
        scales = [1.0] * len(style_imgs)
    elif np.isscalar(style_scales):
        scales = [float(style_scales)] * len(style_imgs)
    else:
        scales = [float(s) for s in style_scales]
        if len(scales) != len(style_imgs):
            raise ValueError(f"style_scales: expected {len(style_imgs)} scales (one per style), received {scales}")
    if any(s <= 0 for s in scales):
        raise ValueError(f"style_scales: expected positive scales, received {scales}")
    if optimizer not in ("adam", "lbfgs"):
        raise ValueError(f"optimizer: expected 'adam' or 'lbfgs', received {optimizer!r}")
    if iterations < 1:
        raise ValueError(f"iterations: expected >= 1, received {iterations}")
    if lbfgs_memory < 1:
        raise ValueError(f"lbfgs_memory: expected >= 1 past steps, received {lbfgs_memory}")
    if not 0 <= content_weight_blend <= 1:
        raise ValueError(f"content_weight_blend: expected a number in [0, 1], received {content_weight_blend}")
    if checkpoint_iterations is not None and checkpoint_iterations < 1:
        raise ValueError(f"checkpoint_iterations: expected >= 1 or None, received {checkpoint_iterations}")

    final_hw = _target_hw(content_img, width, max_side)
    layer_w = style_layer_weights(len(style_layers), style_layer_weight_exp)
    c_layers = list(zip(content_layers, [content_weight_blend, 1.0 - content_weight_blend]))
    used = list(style_layers) + [n for n, w in c_layers if w != 0]
    order = _vgg19_layer_names()
    deepest = max((keras_layer_name(n) for n in used), key=order.index)
    _warn_if_huge(*final_hw, deepest)
    extractor = vgg_features(weights, pooling, tuple(dict.fromkeys(used)), seed=seed)
    weights_text = extractor.weights_description

    sizes = _stage_sizes(final_hw, multires)
    budgets = _stage_budget(multires_iterations, iterations, len(sizes) - 1)

    rng = np.random.default_rng(seed)
    if initial is not None:
        init_img = _resize(_as_image(initial, "initial"), sizes[0])
        noiseblend = 0.0 if initial_noiseblend is None else float(initial_noiseblend)
    else:
        noiseblend = 1.0 if initial_noiseblend is None else float(initial_noiseblend)
        init_img = _resize(content_img, sizes[0])
    if not 0 <= noiseblend <= 1:
        raise ValueError(f"initial_noiseblend: expected a number in [0, 1], received {noiseblend}")
    # neural-style's noise: N(0, 1) * 0.256 in VGG units around the mean pixel.
    noise = rng.normal(size=sizes[0] + (3,)).astype(np.float32) * 0.256
    x0 = (1 - noiseblend) * preprocess(init_img) + noiseblend * noise

    history: dict[str, list[float]] = {k: [] for k in ("loss", "content", "style", "tv", "seconds", "stage")}
    frames: list[tuple[int, np.ndarray]] = []
    stages: list[dict[str, Any]] = []
    best = {"loss": math.inf, "x": None}
    total_budget = sum(budgets)
    bar = _progress_bar(total_budget, "style transfer") if progress else None
    counter = {"global": 0}
    stopped_at = None

    keep_space = preserve_colors_space(preserve_colors)

    def to_rgb(x) -> np.ndarray:
        img = deprocess(np.asarray(x)[0])
        return transfer_luminance(img, content_img, keep_space) if keep_space else img

    try:
        for stage, (hw, budget) in enumerate(zip(sizes, budgets)):
            t_stage = time.perf_counter()
            stage_content = preprocess(_resize(content_img, hw))
            style_vggs = []
            for img, sc in zip(style_imgs, scales):
                sw = max(_MIN_SIDE, int(round(sc * hw[1])))
                sh = max(_MIN_SIDE, int(round(img.shape[0] * sw / img.shape[1])))
                style_vggs.append(preprocess(_resize(img, (sh, sw))))
            obj = _Objective(extractor, stage_content, style_vggs, content_w=content_weight, style_w=style_weight,
                             blend=blend, layer_w=layer_w, tv_w=tv_weight, style_layers=list(style_layers),
                             content_layers=c_layers, jit_compile=jit_compile)
            if stage > 0:
                x0 = tf.image.resize(best["x"], hw, method="bicubic").numpy()[0]
            best = {"loss": math.inf, "x": None}
            stage_losses: list[float] = []
            last_stage = stage == len(sizes) - 1
            state = {"stopped": None, "iters": 0}

            def on_iter(x, total, c, s, tv, final=False, _stage=stage, _losses=stage_losses, _state=state,
                        _best=best, _budget=budget):
                if total < _best["loss"]:
                    _best["loss"], _best["x"] = total, tf.identity(x)
                if final:  # the image after the last update: recorded, not counted as an iteration
                    for k, val in zip(("loss", "content", "style", "tv"), (total, c, s, tv)):
                        history[k].append(val)
                    history["seconds"].append(time.perf_counter() - t_start)
                    history["stage"].append(_stage)
                    return False
                it = counter["global"]
                if checkpoint_iterations and it % checkpoint_iterations == 0:
                    frames.append((it, to_rgb(x)))
                for k, val in zip(("loss", "content", "style", "tv"), (total, c, s, tv)):
                    history[k].append(val)
                history["seconds"].append(time.perf_counter() - t_start)
                history["stage"].append(_stage)
                _losses.append(total)
                counter["global"] += 1
                _state["iters"] += 1
                _state["t_first" if _state["iters"] == 1 else "t_last"] = time.perf_counter()
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{total:.4g}", size=f"{hw[1]}x{hw[0]}", refresh=False)
                if relative_change_stop(_losses, tol, tol_window):
                    _state["stopped"] = counter["global"]
                    return True
                return _state["iters"] >= _budget

            if optimizer == "adam":
                _run_adam(obj, x0, budget, learning_rate, beta1, beta2, epsilon, jit_compile, on_iter)
            else:
                _run_lbfgs(obj, x0, budget, lbfgs_memory, jit_compile, on_iter)
            if bar is not None and state["stopped"] is not None:
                bar.total -= budget - state["iters"]  # an early stop shrinks the bar, not a gap
                bar.refresh()
            seconds = time.perf_counter() - t_stage
            # Per-iteration time excludes the first step, which pays for tracing and compiling.
            steady = (state["t_last"] - state["t_first"]) / (state["iters"] - 1) if state["iters"] > 1 else seconds
            stages.append(dict(size=hw, iterations=state["iters"], stopped_at=state["stopped"], seconds=seconds,
                               seconds_per_iteration=steady, best_loss=best["loss"]))
            if last_stage:
                stopped_at = state["stopped"]
    finally:
        if bar is not None:
            bar.close()

    image = to_rgb(best["x"].numpy())
    if checkpoint_iterations:
        frames.append((counter["global"], to_rgb(best["x"].numpy())))
    spi = stages[-1]["seconds_per_iteration"]
    return StyleResult(image=image, loss=float(best["loss"]), history=history, frames=frames, stopped_at=stopped_at,
                       iterations=counter["global"], seconds=time.perf_counter() - t_start,
                       seconds_per_iteration=spi, weights=weights_text, stages=stages)


@dataclass
class FeatureTrial:
    """What :func:`feature_trial` returns: two runs with one feature set and how close each came to the style."""

    weights: str
    texture: StyleResult
    transfer: StyleResult
    texture_distance: float
    transfer_distance: float


def feature_trial(content: Any, style_image: Any, weights: str | os.PathLike | None, *, iterations: int = 100,
                  width: int = 128, optimizer: str = "lbfgs", seed: int = 0) -> FeatureTrial:
    """Judge a feature set by what it makes: a texture from noise and a transfer from the photo.

    The texture run has content weight 0, so only the features' style statistics shape it; the
    transfer run uses neural-style's default weights starting from ``content``.  Each result is
    scored with :func:`style_distance`, which uses a filter bank of its own, so feature sets can
    be compared without any of them judging itself.
    """
    common = dict(iterations=iterations, width=width, optimizer=optimizer, weights=weights, seed=seed,
                  progress=False)
    texture = stylize(content, style_image, initial=None, content_weight=0.0, **common)
    transfer = stylize(content, style_image, initial=content, **common)
    return FeatureTrial(weights=transfer.weights, texture=texture, transfer=transfer,
                        texture_distance=style_distance(texture.image, style_image),
                        transfer_distance=style_distance(transfer.image, style_image))


def time_to_reach(result: StyleResult, loss: float) -> float | None:
    """Seconds from the start of ``result``'s run until its final-size loss first fell to ``loss`` (None: never).

    Only the last stage counts: earlier, smaller stages measure a different (smaller-image) loss.
    """
    last = max(result.history["stage"]) if result.history["stage"] else 0
    for value, stage, seconds in zip(result.history["loss"], result.history["stage"], result.history["seconds"]):
        if stage == last and value <= loss:
            return float(seconds)
    return None


def plot_convergence(runs: dict[str, StyleResult], target: float | None = None, ax: Any = None,
                     title: str | None = None) -> Any:
    """Full-size loss against wall-clock seconds for each named run (log scale); returns the Axes.

    Seconds, not iterations, on the x axis: an L-BFGS iteration and an Adam iteration cost different amounts.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for name, r in runs.items():
        last = max(r.history["stage"])
        pts = [(t, v) for v, st, t in zip(r.history["loss"], r.history["stage"], r.history["seconds"]) if st == last]
        ax.plot([t for t, _ in pts], [v for _, v in pts], label=name)
    if target is not None:
        ax.axhline(target, color="k", ls="--", lw=1, label=f"loss {target:.3g}")
    ax.set(xlabel="seconds", ylabel="loss", yscale="log")
    ax.grid(alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def _progress_bar(total: int, desc: str):
    try:
        from darkroom.training import progress as make_bar

        return make_bar(total, desc)
    except ImportError:  # the shared helper lands separately; tqdm.auto is what it wraps
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=desc)


def seconds_per_iteration(
    sizes: Sequence[int] = (128, 256, 512),
    *,
    iterations: int = 5,
    weights: str | os.PathLike | None = "auto",
    optimizer: str = "adam",
    jit_compile: bool = False,
) -> dict[int, float]:
    """Seconds per optimisation step at each square size on this machine (the compiling first step excluded)."""
    rng = np.random.default_rng(0)
    out = {}
    for size in sizes:
        content = rng.random((size, size, 3)).astype(np.float32)
        style = procedural_style("swirls", size)
        res = stylize(content, style, iterations=iterations, weights=weights, optimizer=optimizer, progress=False,
                      jit_compile=jit_compile)
        out[int(size)] = res.seconds_per_iteration
    return out
