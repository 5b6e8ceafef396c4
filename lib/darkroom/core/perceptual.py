"""neural-style's losses on VGG19 features: Gram matrices, content, style and total variation, combined.

:class:`PerceptualLoss` weighs the three parts on an extractor's features
(:func:`darkroom.core.vgg.vgg_features`); :func:`perceptual_parts` scores any image with it as
:func:`darkroom.style.transfer.stylize` does, so the results of any method compare::

    from darkroom.core import perceptual, vgg
    extractor = vgg.vgg_features("auto", layers=perceptual.loss_layers(vgg.STYLE_LAYERS, [("relu4_2", 1.0)]))
    loss = perceptual.PerceptualLoss(extractor, [vgg.preprocess(painting)])
    total, content, style, tv = loss(vgg.preprocess(batch), loss.content_targets(vgg.preprocess(photos)))
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from darkroom.core import color
from darkroom.core.vgg import CONTENT_LAYERS, MIN_SIDE, STYLE_LAYERS, preprocess, vgg_features

__all__ = [
    "PerceptualLoss",
    "content_layer_loss",
    "gram_matrix",
    "loss_layers",
    "perceptual_parts",
    "squared_total_variation",
    "style_layer_loss",
    "style_layer_weights",
]


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


def content_layer_loss(target: Any, features: Any):
    """Mean squared difference of two feature maps, target first (neural-style's 2*l2_loss/size)."""
    import tensorflow as tf

    return tf.reduce_mean(tf.square(tf.convert_to_tensor(features, tf.float32) - target))


def style_layer_loss(target_gram: Any, gram: Any):
    """Mean squared difference of two gram matrices, target first (neural-style's 2*l2_loss/size)."""
    import tensorflow as tf

    return tf.reduce_mean(tf.square(tf.convert_to_tensor(gram, tf.float32) - target_gram))


def squared_total_variation(image: Any):
    """neural-style's total variation: mean *squared* vertical plus mean squared horizontal
    neighbour difference (:func:`darkroom.core.losses.total_variation` is the absolute one)."""
    import tensorflow as tf

    x = tf.convert_to_tensor(image, tf.float32)
    if x.shape.rank == 3:
        x = x[None]
    dy = x[:, 1:, :, :] - x[:, :-1, :, :]
    dx = x[:, :, 1:, :] - x[:, :, :-1, :]
    return tf.reduce_mean(tf.square(dy)) + tf.reduce_mean(tf.square(dx))


def style_layer_weights(num_layers: int = len(STYLE_LAYERS), exp: float = 1.0) -> np.ndarray:
    """weight(layer n+1) = exp * weight(layer n), normalised to sum 1 (neural-style's rule)."""
    if num_layers < 1:
        raise ValueError(f"num_layers: expected >= 1, received {num_layers}")
    if not exp > 0:
        raise ValueError(f"style_layer_weight_exp: expected a positive number, received {exp!r}")
    w = np.asarray([exp**i for i in range(num_layers)], np.float64)
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
            tf.add_n([w * content_layer_loss(content_targets[n], feats[n]) for n, w in self.content_layers])
            if self.content_layers
            else tf.constant(0.0)
        )
        grams = {n: gram_matrix(feats[n]) for n, _ in self.style_layers}
        style = tf.add_n(
            [
                b * tf.add_n([w * style_layer_loss(t[n], grams[n]) for n, w in self.style_layers])
                for b, t in zip(self.blend, self.style_targets)
            ]
        )
        tv = squared_total_variation(image)
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
