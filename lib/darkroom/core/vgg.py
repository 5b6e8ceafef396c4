"""VGG19 feature extractors: the network cut after the layers asked for, built from the chosen weights.

A foundation module: :mod:`darkroom.style` optimises images with it, and any topic that wants a
perceptual loss (colorization, super-resolution, a feed-forward style network) can use it
without importing a topic::

    from darkroom.core import perceptual, vgg
    extractor = vgg.vgg_features("auto", layers=vgg.STYLE_LAYERS + vgg.CONTENT_LAYERS)
    feats = extractor(vgg.preprocess(batch))            # {"relu1_1": ..., "relu4_2": ...}
    loss = perceptual.PerceptualLoss(extractor, [vgg.preprocess(painting)])

Here: VGG19's layer names, the network built from ImageNet, file or seeded random kernels (and
the multi-scale random-filter pyramid that stands in for it offline), the cached extractor
:func:`vgg_features`, the VGG units images are fed in (:func:`preprocess`) and the memory an
optimisation step needs. Which weights ``weights=`` accepts is :mod:`darkroom.core.vgg_weights`;
the losses on the features (Gram matrices, :class:`~darkroom.core.perceptual.PerceptualLoss`) are
:mod:`darkroom.core.perceptual`.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from darkroom.core import color, matconvnet, vgg_weights

__all__ = [
    "CONTENT_LAYERS",
    "MIN_SIDE",
    "STYLE_LAYERS",
    "VGG_MEAN_RGB",
    "deepest_layer",
    "deprocess",
    "estimate_memory_bytes",
    "keras_layer_name",
    "preprocess",
    "vgg_features",
    "warn_if_huge",
]


CONTENT_LAYERS: tuple[str, ...] = ("relu4_2", "relu5_2")
STYLE_LAYERS: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")

# The ImageNet mean pixel in RGB order, 0..255 (Simonyan & Zisserman; Keras' "caffe" mode).
VGG_MEAN_RGB = np.array([123.68, 116.779, 103.939], dtype=np.float32)
_VGG19_BLOCKS = ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4))
MIN_SIDE = 16  # relu5_x sits behind four 2x poolings
# Mean activation each random channel is scaled to: about the size of ImageNet VGG19's
# activations on 0..255 input, so neural-style's loss weights (5 / 500 / 100) keep their
# balance against the total-variation term, which lives in pixel units.
RANDOM_ACTIVATION_MEAN = 30.0

_announced: set[str] = set()
_extractor_cache: dict[tuple, Any] = {}


def _announce(choice: vgg_weights.WeightsChoice) -> None:
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


def _keras_vgg19_weights(choice: vgg_weights.WeightsChoice) -> dict[str, tuple[np.ndarray, np.ndarray]]:
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


def _renamed(inner, taps_for: dict[str, Any], choice: vgg_weights.WeightsChoice):
    """Wrap ``inner`` so its outputs carry the caller's layer names; label it with the weights it carries."""
    import keras

    inp = keras.Input((None, None, 3), name="image")
    taps = inner(inp)
    model = keras.Model(inp, {given: taps[tap] for given, tap in taps_for.items()}, name=inner.name)
    model.weights_description, model.weights_kind, model.inner = choice.description, choice.kind, inner
    return model


def _vgg19_kernels(choice: vgg_weights.WeightsChoice, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return _random_kernels(seed) if choice.kind == "random" else _keras_vgg19_weights(choice)


def _build_extractor(
    choice: vgg_weights.WeightsChoice,
    pooling: str,
    layers: tuple[str, ...],
    keras_names: list[str],
    seed: int,
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
    choice = vgg_weights.resolve_weights(weights)
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
                    f"ImageNet VGG19 weights unavailable ({err}); falling back to {vgg_weights.OFFLINE_FALLBACK}",
                    stacklevel=2,
                )
                return vgg_features(vgg_weights.OFFLINE_FALLBACK, pooling, layers, seed=seed)
            raise
    _announce(choice)
    return _extractor_cache[key]


# --------------------------------------------------------------------------- VGG units


def preprocess(image: Any) -> np.ndarray:
    """RGB in [0, 1] (or uint8) -> VGG units: 0..255 with the ImageNet mean pixel removed."""
    return color.as_float_rgb(image) * 255.0 - VGG_MEAN_RGB


def deprocess(x: Any) -> np.ndarray:
    """Inverse of :func:`preprocess`, clipped to [0, 1], float32."""
    return np.clip((np.asarray(x, np.float32) + VGG_MEAN_RGB) / 255.0, 0.0, 1.0).astype(np.float32)


# --------------------------------------------------------------------------- memory


def estimate_memory_bytes(
    height: int, width: int, *, last_layer: str = "relu5_1", num_images: int = 1
) -> int:
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
    return int(3 * 4 * total * num_images + 80e6)


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
