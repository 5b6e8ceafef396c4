"""VGG19 features for style and perceptual losses: which weights, the extractor, the losses on its features.

A foundation module: :mod:`darkroom.style` optimises images with it, and any topic that wants a
perceptual loss (colorization, super-resolution, a feed-forward style network) can use it
without importing a topic::

    from darkroom.core import vgg
    extractor = vgg.vgg_features("auto", layers=vgg.STYLE_LAYERS + vgg.CONTENT_LAYERS)
    feats = extractor(vgg.preprocess(batch))            # {"relu1_1": ..., "relu4_2": ...}
    loss = vgg.PerceptualLoss(extractor, style_images=[painting])

Which weights (``weights=``):

- ``"imagenet"``: Keras' ImageNet VGG19 (downloaded once into ``~/.keras/models``).
- a path (or the environment variable ``DARKROOM_VGG19_WEIGHTS``): a local ``.h5`` /
  ``.weights.h5`` file of ``keras.applications.VGG19(include_top=False)``, or neural-style's
  MatConvNet ``imagenet-vgg-verydeep-19.mat`` (read by :mod:`darkroom.core.matconvnet`).
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
  ("multiscale": it matched styles closer than random VGG19 under ``metrics.style_distance``).
"""

from __future__ import annotations

import math
import os
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from darkroom.core import color, matconvnet

__all__ = [
    "CONTENT_LAYERS",
    "MIN_SIDE",
    "OFFLINE_FALLBACK",
    "STYLE_LAYERS",
    "VGG_MEAN_RGB",
    "WEIGHTS_ENV",
    "PerceptualLoss",
    "WeightsChoice",
    "content_layer_loss",
    "deepest_layer",
    "deprocess",
    "estimate_memory_bytes",
    "gram_matrix",
    "keras_layer_name",
    "loss_layers",
    "perceptual_parts",
    "preprocess",
    "resolve_weights",
    "style_layer_loss",
    "style_layer_weights",
    "tv_loss",
    "vgg_features",
    "warn_if_huge",
]


CONTENT_LAYERS: tuple[str, ...] = ("relu4_2", "relu5_2")
STYLE_LAYERS: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")

# The ImageNet mean pixel in RGB order, 0..255 (Simonyan & Zisserman; Keras' "caffe" mode).
VGG_MEAN_RGB = np.array([123.68, 116.779, 103.939], dtype=np.float32)
WEIGHTS_ENV = "DARKROOM_VGG19_WEIGHTS"
KERAS_NOTOP_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/vgg19/" + KERAS_NOTOP_FILE
_VGG19_BLOCKS = ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4))
MIN_SIDE = 16  # relu5_x sits behind four 2x poolings
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
    """Where VGG19's weights come from: ``kind`` is "imagenet", "file", "matconvnet" (a .mat) or "random"."""

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
        except Exception:
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


def resolve_weights(
    weights: str | os.PathLike | None = "auto", *, probe_timeout: float = 1.5
) -> WeightsChoice:
    """Decide which features ``weights`` means ("auto", "imagenet", "random", "multiscale", None or a path).

    A path is a Keras VGG19 ``.h5`` or neural-style's MatConvNet ``.mat`` (:mod:`darkroom.core.matconvnet`).

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
                return resolve_weights(env)
            warnings.warn(f"{WEIGHTS_ENV}={env!r} is not a file; ignoring it", stacklevel=2)
        if _network_available(timeout=probe_timeout):
            return WeightsChoice("imagenet", None, _describe_weights("imagenet", None) + " [downloading]")
        return WeightsChoice(OFFLINE_FALLBACK, None, _describe_weights(OFFLINE_FALLBACK, None))
    if isinstance(weights, (str, os.PathLike)):
        path = Path(weights).expanduser()
        if matconvnet.is_mat_path(path):
            return WeightsChoice("matconvnet", str(path), matconvnet.check_file(path))
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
    print(f"darkroom.core.vgg: using {choice.description}", flush=True)


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
    if choice.kind == "matconvnet":
        return matconvnet.keras_kernels(choice.path, VGG_MEAN_RGB)
    import keras

    weights = "imagenet" if choice.kind == "imagenet" else None
    base = keras.applications.VGG19(include_top=False, weights=weights, input_shape=(None, None, 3))
    if choice.kind == "file":
        try:
            base.load_weights(choice.path)
        except Exception as err:
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


def _check_layers(layers: Sequence[str], pooling: str) -> list[str]:
    """The Keras names of ``layers``, after checking ``pooling`` and that each name is a VGG19 layer."""
    if pooling not in ("max", "avg"):
        raise ValueError(f"pooling: expected 'max' or 'avg'; received {pooling!r}")
    if not layers:
        raise ValueError("layers: expected at least one layer name, received none")
    keras_names = [keras_layer_name(n) for n in layers]
    order = _vgg19_layer_names()
    for given, kn in zip(layers, keras_names):
        if kn not in order:
            raise ValueError(f"layers: {given!r} is not a VGG19 layer; expected e.g. relu1_1..relu5_4")
    return keras_names


def deepest_layer(layers: Sequence[str]) -> str:
    """The Keras name of the layer of ``layers`` that sits deepest in VGG19."""
    return max((keras_layer_name(n) for n in layers), key=_vgg19_layer_names().index)


def _renamed(inner, taps_for: dict[str, Any], choice: WeightsChoice):
    """Wrap ``inner`` so its outputs carry the caller's layer names; label it with the weights it carries."""
    import keras

    inp = keras.Input((None, None, 3), name="image")
    taps = inner(inp)
    model = keras.Model(inp, {given: taps[tap] for given, tap in taps_for.items()}, name=inner.name)
    model.weights_description, model.weights_kind, model.inner = choice.description, choice.kind, inner
    return model


def _vgg19_kernels(choice: WeightsChoice, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return _random_kernels(seed) if choice.kind == "random" else _keras_vgg19_weights(choice)


def _build_extractor(
    choice: WeightsChoice, pooling: str, layers: tuple[str, ...], keras_names: list[str], seed: int
):
    if choice.kind == "multiscale":
        levels = [_multiscale_level(kn) for kn in keras_names]
        return _renamed(_multiscale_net(seed, max(levels)), dict(zip(layers, levels)), choice)
    kernels = _vgg19_kernels(choice, seed)
    # Build over Keras names, then rename the outputs to what the caller asked for.
    inner = _build_truncated(kernels, pooling, deepest_layer(keras_names), list(dict.fromkeys(keras_names)))
    if choice.kind == "random":
        _normalise_random_net(inner, _pink_noise_batch())
    return _renamed(inner, dict(zip(layers, keras_names)), choice)


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
    Extractors are cached per weights, pooling, layers and (for seeded features) seed.
    """
    layers = tuple(layers)
    keras_names = _check_layers(layers, pooling)
    choice = resolve_weights(weights)
    if choice.kind == "multiscale":
        pooling = "avg"  # the image pyramid always averages; VGG19's pooling knob has nothing to change
    seeded = choice.kind in ("random", "multiscale")
    key = (choice.kind, choice.path, pooling, tuple(keras_names), seed if seeded else None)
    if key not in _extractor_cache:
        try:
            _extractor_cache[key] = _build_extractor(choice, pooling, layers, keras_names, seed)
        except Exception as err:
            if choice.kind == "imagenet" and weights == "auto":
                warnings.warn(
                    f"ImageNet VGG19 weights unavailable ({err}); falling back to {OFFLINE_FALLBACK}",
                    stacklevel=2,
                )
                return vgg_features(OFFLINE_FALLBACK, pooling, layers, seed=seed)
            raise
    _announce(choice)
    return _extractor_cache[key]


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


def loss_layers(style_layers: Sequence[str], content_layers: Sequence[tuple[str, float]]) -> tuple[str, ...]:
    """The layers a :class:`PerceptualLoss` reads: every style layer, then each content layer of non-zero weight."""
    return tuple(dict.fromkeys(list(style_layers) + [n for n, w in content_layers if w != 0]))


class PerceptualLoss:
    """neural-style's loss on an extractor's features: weighted content, Gram style and total variation.

    ``styles`` are style images already in VGG units (see :func:`preprocess`), one (H, W, 3) array
    each; their Gram matrices are the fixed targets.  ``content_layers`` pairs each content layer
    with its weight (neural-style's ``content_weight_blend`` splits 1 between relu4_2 and relu5_2);
    ``layer_weights`` weight the style layers (default :func:`style_layer_weights`), ``blend`` the
    styles (default equal).  Calling it on a batch in VGG units and the content targets
    (:meth:`content_targets` of the content batch) returns ``(total, content, style, tv)``, each
    already multiplied by its weight.  :func:`darkroom.style.transfer.stylize` optimises an image with it;
    a feed-forward network can be trained with it, the content targets then being its input's.
    """

    def __init__(
        self,
        extractor,
        styles: Sequence[np.ndarray],
        *,
        content_weight: float = 5.0,
        style_weight: float = 500.0,
        tv_weight: float = 100.0,
        style_layers: Sequence[str] = STYLE_LAYERS,
        content_layers: Sequence[tuple[str, float]] = ((CONTENT_LAYERS[0], 1.0),),
        layer_weights: Sequence[float] | None = None,
        blend: Sequence[float] | None = None,
    ):
        import tensorflow as tf

        self.extractor = extractor
        self.content_layers = [(n, float(w)) for n, w in content_layers if w != 0]
        if layer_weights is None:
            layer_weights = style_layer_weights(len(style_layers))
        self.style_layers = list(zip(style_layers, layer_weights))
        self.blend = [1.0 / len(styles)] * len(styles) if blend is None else [float(b) for b in blend]
        self.style_targets = []
        for s in styles:
            f = extractor(tf.constant(np.asarray(s, np.float32)[None]))
            self.style_targets.append({n: gram_matrix(f[n]) for n in style_layers})
        self.content_w, self.style_w, self.tv_w = float(content_weight), float(style_weight), float(tv_weight)

    def content_targets(self, content: Any) -> dict[str, Any]:
        """The content layers' features of ``content`` (a batch in VGG units), the targets for :meth:`__call__`."""
        import tensorflow as tf

        feats = self.extractor(tf.convert_to_tensor(content, tf.float32))
        return {n: tf.stop_gradient(feats[n]) for n, _ in self.content_layers}

    def __call__(self, image: Any, content_targets: dict[str, Any]):
        import tensorflow as tf

        feats = self.extractor(image)
        content = (
            tf.add_n([w * content_layer_loss(feats[n], content_targets[n]) for n, w in self.content_layers])
            if self.content_layers
            else tf.constant(0.0)
        )
        grams = {n: gram_matrix(feats[n]) for n, _ in self.style_layers}
        style = tf.add_n(
            [
                b * tf.add_n([w * style_layer_loss(grams[n], t[n]) for n, w in self.style_layers])
                for b, t in zip(self.blend, self.style_targets)
            ]
        )
        tv = tv_loss(image)
        content, style, tv = self.content_w * content, self.style_w * style, self.tv_w * tv
        return content + style + tv, content, style, tv


def perceptual_parts(
    image: Any,
    content: Any,
    style_image: Any,
    *,
    weights: str | os.PathLike | None = "auto",
    seed: int = 0,
    **loss_kwargs: Any,
) -> dict[str, float]:
    """neural-style's loss of ``image`` as ``content`` painted in ``style_image``'s style, by part.

    The score :func:`darkroom.style.transfer.stylize` minimises, with its defaults (``loss_kwargs`` go to
    :class:`PerceptualLoss`): ``content`` is resized to ``image``'s size and the style to its width,
    as ``stylize`` does, so results of any method at one size compare.  Returns ``loss``, ``content``,
    ``style`` and ``tv``, each weighted.
    """
    import tensorflow as tf

    from darkroom.core import images

    img = color.as_float_rgb(image, "image")
    if img.ndim != 3:
        raise ValueError(f"image: expected one image (H, W, 3), received shape {img.shape}")
    hw = img.shape[:2]
    photo = color.as_float_rgb(content, "content")
    sty = color.as_float_rgb(style_image, "style_image")
    sty_hw = (max(MIN_SIDE, round(sty.shape[0] * hw[1] / sty.shape[1])), hw[1])
    photo = photo if photo.shape[:2] == hw else images.resize(photo, hw)
    sty = sty if sty.shape[:2] == sty_hw else images.resize(sty, sty_hw)
    c_layers = loss_kwargs.pop("content_layers", tuple(zip(CONTENT_LAYERS, (1.0, 0.0))))
    style_layers = loss_kwargs.pop("style_layers", STYLE_LAYERS)
    extractor = vgg_features(
        weights, loss_kwargs.pop("pooling", "max"), loss_layers(style_layers, c_layers), seed=seed
    )
    loss = PerceptualLoss(
        extractor, [preprocess(sty)], content_layers=c_layers, style_layers=style_layers, **loss_kwargs
    )
    parts = loss(tf.constant(preprocess(img)[None]), loss.content_targets(preprocess(photo)[None]))
    return dict(zip(("loss", "content", "style", "tv"), (float(p) for p in parts)))


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


def warn_if_huge(height: int, width: int, last_layer: str) -> None:
    """Warn when one optimisation step at ``height`` x ``width`` would need over half the free memory."""
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
