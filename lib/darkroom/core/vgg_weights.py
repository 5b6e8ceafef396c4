"""Which weights VGG19's features use: the accepted values of ``weights=`` and how each is resolved.

Every function that takes ``weights=`` (:func:`darkroom.core.vgg.vgg_features`,
:func:`darkroom.core.perceptual.perceptual_parts`, :func:`darkroom.style.transfer.stylize` ...)
accepts exactly these values, which :func:`resolve_weights` turns into a :class:`WeightsChoice`:

- ``"imagenet"``: Keras' ImageNet VGG19 (downloaded once into ``~/.keras/models``).
- a path (``str`` or ``os.PathLike``; or, under ``"auto"``, the environment variable
  ``DARKROOM_VGG19_WEIGHTS``): a local ``.h5`` / ``.weights.h5`` file of
  ``keras.applications.VGG19(include_top=False)``, or neural-style's MatConvNet
  ``imagenet-vgg-verydeep-19.mat`` (read by :mod:`darkroom.core.matconvnet`).
- ``"random"`` (or ``None``): seeded random filters rescaled layer by layer so that every channel's
  mean activation on natural-like (1/f) images is the same (``vgg.RANDOM_ACTIVATION_MEAN``) -- the
  normalisation Gatys et al. applied to the trained net.  Untrained VGG-style nets still carry usable texture
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

import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from darkroom.core import matconvnet

__all__ = ["KERAS_NOTOP_FILE", "OFFLINE_FALLBACK", "WEIGHTS_ENV", "WeightsChoice", "resolve_weights"]

WEIGHTS_ENV = "DARKROOM_VGG19_WEIGHTS"
KERAS_NOTOP_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/vgg19/" + KERAS_NOTOP_FILE
# What "auto" uses offline.  Chosen by style_distance (a filter bank neither candidate shares) at
# 128 px after 150 L-BFGS iterations on the swirls style: the multi-scale filters matched the style
# closer than random VGG19, from noise and from the photo, and from noise they alone formed the
# photo's layout (notebook 05 measures this again on every run).
OFFLINE_FALLBACK = "multiscale"


@dataclass(frozen=True)
class WeightsChoice:
    """Where the features' weights come from, as :func:`resolve_weights` decided.

    ``kind`` is "imagenet" (Keras' ImageNet VGG19), "file" (a local VGG19 weights file at
    ``path``), "matconvnet" (neural-style's ``.mat`` at ``path``), "random" (seeded random VGG19
    filters) or "multiscale" (seeded random filters on an
    image pyramid, no VGG19); ``description`` is the sentence a run prints about it.
    """

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
                f"weights: no file at {str(path)!r}; expected 'auto', 'imagenet', 'random', 'multiscale' or the path "
                "of a keras.applications.VGG19(include_top=False) weights file (.h5 / .weights.h5)"
            )
        return WeightsChoice("file", str(path), _describe_weights("file", str(path)))
    raise TypeError(
        f"weights: expected 'auto', 'imagenet', 'random', 'multiscale', None or a path; received {weights!r}"
    )
