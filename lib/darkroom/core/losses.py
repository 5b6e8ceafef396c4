"""Image losses as plain ``(y_true, y_pred)`` functions.

Every loss returns one value per example (shape ``(batch,)``) so it works in
``model.compile(loss=...)`` (Keras averages over the batch) and in custom loops
(take ``tf.reduce_mean`` yourself). Each is registered with Keras under the
``darkroom`` package, so a model compiled with it saves and loads by name.
Parameterised variants (another ``max_value``, ``delta``, weight...) come from
:func:`get`, which wraps the function and its keyword arguments in a
serialisable :class:`keras.losses.Loss`.

The write-up behind notebook 03 called the summed squared difference the
"euclidean distance"; that loss is :func:`sum_of_squares` here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import keras
import tensorflow as tf

__all__ = [
    "LOSSES",
    "get",
    "huber",
    "inverted_distance",
    "mean_absolute_error",
    "mean_squared_error",
    "ms_ssim_loss",
    "ms_ssim_scales",
    "mse_plus_tv",
    "normalized_l2",
    "ssim_loss",
    "sum_of_squares",
    "total_variation",
]

_REGISTER = keras.saving.register_keras_serializable(package="darkroom")
_LOG = logging.getLogger(__name__)


def _pair(y_true, y_pred) -> tuple[tf.Tensor, tf.Tensor]:
    y_pred = tf.convert_to_tensor(y_pred)
    if not y_pred.dtype.is_floating:
        y_pred = tf.cast(y_pred, tf.float32)
    y_true = tf.cast(y_true, y_pred.dtype)
    return y_true, y_pred


def _per_example_axes(x: tf.Tensor) -> list[int]:
    return list(range(1, x.shape.rank))


def _as_image_batch(x: tf.Tensor) -> tf.Tensor:
    """SSIM needs (N, H, W, C); accept (N, H, W) gray as well."""
    if x.shape.rank == 3:
        return x[..., None]
    if x.shape.rank != 4:
        raise ValueError(
            f"SSIM losses expect images shaped (N, H, W, C) or (N, H, W); got a tensor of rank {x.shape.rank}"
        )
    return x


@_REGISTER
def sum_of_squares(y_true, y_pred) -> tf.Tensor:
    """Sum of squared differences over every pixel and channel of each example.

    This is the write-up's "euclidean distance" (really its square). It grows with
    the image size and with the square of the value range, which is why it is
    enormous on 0..100 LAB lightness.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return tf.reduce_sum(tf.square(y_pred - y_true), axis=_per_example_axes(y_pred))


@_REGISTER
def mean_squared_error(y_true, y_pred) -> tf.Tensor:
    """Mean of squared differences per example (L2 averaged instead of summed)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return tf.reduce_mean(tf.square(y_pred - y_true), axis=_per_example_axes(y_pred))


@_REGISTER
def normalized_l2(y_true, y_pred, max_value: float = 100.0, power: float = 1.0) -> tf.Tensor:
    """Sum of squares divided by ``(number_of_values * max_value) ** power``.

    These are the write-up's two attempted divisions: by 150*100*100 (``power=1``)
    and by its square (``power=2``), where 100 is the largest lightness difference.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    n = tf.cast(tf.reduce_prod(tf.shape(y_pred)[1:]), y_pred.dtype)
    scale = tf.pow(n * tf.cast(max_value, y_pred.dtype), tf.cast(power, y_pred.dtype))
    return sum_of_squares(y_true, y_pred) / scale


@_REGISTER
def mean_absolute_error(y_true, y_pred) -> tf.Tensor:
    """Mean absolute difference per example (the super-resolution post's "mean colour difference")."""
    y_true, y_pred = _pair(y_true, y_pred)
    return tf.reduce_mean(tf.abs(y_pred - y_true), axis=_per_example_axes(y_pred))


@_REGISTER
def inverted_distance(y_true, y_pred, epsilon: float = 1e-6) -> tf.Tensor:
    """``1 / (sum_of_squares + epsilon)`` -- the write-up's accidental "fix".

    Minimising it *maximises* the distance to the target: it rewards outputs that
    run away from the target as far as possible, which a network does most cheaply
    by scaling its output up. Kept to show what it really optimises.
    """
    return 1.0 / (sum_of_squares(y_true, y_pred) + epsilon)


@_REGISTER
def huber(y_true, y_pred, delta: float = 1.0) -> tf.Tensor:
    """Mean Huber loss per example: quadratic below ``delta``, linear above."""
    y_true, y_pred = _pair(y_true, y_pred)
    err = tf.abs(y_pred - y_true)
    delta = tf.cast(delta, y_pred.dtype)
    quadratic = tf.minimum(err, delta)
    linear = err - quadratic
    per_value = 0.5 * tf.square(quadratic) + delta * linear
    return tf.reduce_mean(per_value, axis=_per_example_axes(y_pred))


def _ssim_filter_size(height: int, width: int, filter_size: int = 11) -> int:
    return int(max(1, min(filter_size, height, width)))


@_REGISTER
def ssim_loss(y_true, y_pred, max_val: float = 1.0) -> tf.Tensor:
    """``1 - SSIM`` per image (Gaussian 11x11 window, shrunk on images smaller than that)."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = _as_image_batch(y_true), _as_image_batch(y_pred)
    h, w = y_pred.shape[1], y_pred.shape[2]
    size = _ssim_filter_size(h or 11, w or 11)
    return 1.0 - tf.image.ssim(y_true, y_pred, max_val=max_val, filter_size=size)


_MS_SSIM_POWERS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
_WARNED_SIZES: set[tuple[int, int, int]] = set()


def ms_ssim_scales(height: int, width: int, filter_size: int = 11, max_scales: int = 5) -> int:
    """How many MS-SSIM scales an image of this size supports.

    Each scale halves the image; ``tf.image.ssim_multiscale`` asserts that the
    short side is at least ``(filter_size - 1) * 2 ** (scales - 1) + 1`` pixels, so
    the usual five scales with the 11-pixel window need 161 pixels (measured on
    TF 2.20: 161 passes, 160 fails; 150x100 allows four).
    """
    side = min(height, width)
    scales = max_scales
    while scales > 1 and side < (filter_size - 1) * 2 ** (scales - 1) + 1:
        scales -= 1
    return scales


@_REGISTER
def ms_ssim_loss(y_true, y_pred, max_val: float = 1.0) -> tf.Tensor:
    """``1 - MS-SSIM`` per image, falling back to fewer scales on small images.

    On images too small for five scales it uses as many as fit, with the standard
    power factors truncated and renormalised to sum to one. The fallback is logged once per size
    at INFO level rather than warned: a warning raised inside a traced loss shows a library file
    path the reader cannot act on. :func:`ms_ssim_scales` tells how many scales a size gets.
    Below 11 pixels it becomes single-scale SSIM with a smaller window.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = _as_image_batch(y_true), _as_image_batch(y_pred)
    h, w = y_pred.shape[1], y_pred.shape[2]
    if h is None or w is None:
        raise ValueError(
            f"ms_ssim_loss needs a static image height and width; got a tensor shaped {tuple(y_pred.shape)}"
        )
    scales = ms_ssim_scales(h, w)
    if scales < len(_MS_SSIM_POWERS):
        key = (h, w, scales)
        if key not in _WARNED_SIZES:
            _WARNED_SIZES.add(key)
            _LOG.info(
                "MS-SSIM: %dx%d images are too small for 5 scales with an 11-pixel window "
                "(needs a 161-pixel short side); using %d scale(s) instead.",
                h,
                w,
                scales,
            )
    if min(h, w) < 11 or scales == 1:
        return ssim_loss(y_true, y_pred, max_val=max_val)
    powers = _MS_SSIM_POWERS[:scales]
    total = sum(powers)
    powers = [p / total for p in powers]
    return 1.0 - _ms_ssim_finite_grad(y_true, y_pred, max_val, powers)


def _ms_ssim_finite_grad(
    y_true: tf.Tensor, y_pred: tf.Tensor, max_val: float, powers: list[float]
) -> tf.Tensor:
    """``tf.image.ssim_multiscale`` whose gradient is zero instead of NaN where TF clamps a term to 0.

    TF clips negative contrast-structure terms to 0 and raises them to a power below 1,
    whose derivative at 0 is infinite; one anti-correlated image would turn every weight NaN.
    """

    @tf.custom_gradient
    def value(pred):
        with tf.GradientTape() as tape:
            tape.watch(pred)
            out = tf.image.ssim_multiscale(y_true, pred, max_val=max_val, power_factors=powers)

        def grad(upstream):
            g = tape.gradient(out, pred, output_gradients=upstream)
            return tf.where(tf.math.is_finite(g), g, tf.zeros_like(g))

        return out, grad

    return value(y_pred)


@_REGISTER
def total_variation(y_true, y_pred) -> tf.Tensor:
    """Mean absolute difference between neighbouring pixels of the *prediction*.

    A smoothness regulariser, not a fidelity term: ``y_true`` is ignored. Combine
    it with a fidelity loss (see :func:`mse_plus_tv`).
    """
    _, y_pred = _pair(y_true, y_pred)
    y_pred = _as_image_batch(y_pred)
    dy = tf.abs(y_pred[:, 1:, :, :] - y_pred[:, :-1, :, :])
    dx = tf.abs(y_pred[:, :, 1:, :] - y_pred[:, :, :-1, :])
    return tf.reduce_mean(dy, axis=[1, 2, 3]) + tf.reduce_mean(dx, axis=[1, 2, 3])


@_REGISTER
def mse_plus_tv(y_true, y_pred, weight: float = 0.05) -> tf.Tensor:
    """Mean squared error plus ``weight`` times :func:`total_variation` of the prediction."""
    return mean_squared_error(y_true, y_pred) + weight * total_variation(y_true, y_pred)


LOSSES: dict[str, Callable[..., tf.Tensor]] = {
    "sum_of_squares": sum_of_squares,
    "mean_squared_error": mean_squared_error,
    "normalized_l2": normalized_l2,
    "mean_absolute_error": mean_absolute_error,
    "inverted_distance": inverted_distance,
    "huber": huber,
    "ssim_loss": ssim_loss,
    "ms_ssim_loss": ms_ssim_loss,
    "total_variation": total_variation,
    "mse_plus_tv": mse_plus_tv,
}


@keras.saving.register_keras_serializable(package="darkroom")
class ImageLoss(keras.losses.Loss):
    """A registered loss function plus keyword arguments, saved with the model by name."""

    def __init__(
        self,
        fn: str = "mean_squared_error",
        name: str | None = None,
        reduction: str = "sum_over_batch_size",
        dtype=None,
        **fn_kwargs,
    ):
        if fn not in LOSSES:
            raise ValueError(f"unknown loss {fn!r}; expected one of {sorted(LOSSES)}")
        super().__init__(name=name or fn, reduction=reduction, dtype=dtype)
        self.fn = fn
        self.fn_kwargs = dict(fn_kwargs)

    def call(self, y_true, y_pred):
        return LOSSES[self.fn](y_true, y_pred, **self.fn_kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"fn": self.fn, **self.fn_kwargs})
        return config


def get(name: str | Callable, **kwargs) -> Callable | keras.losses.Loss:
    """Return a loss by name; with keyword arguments, a serialisable :class:`ImageLoss`.

    ``get("huber")`` is the plain function; ``get("huber", delta=0.1)`` is a Keras
    ``Loss`` object that remembers ``delta`` when the model is saved.
    """
    if callable(name) and not kwargs:
        return name
    if callable(name):
        name = getattr(name, "__name__", str(name))
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; expected one of {sorted(LOSSES)}")
    if not kwargs:
        return LOSSES[name]
    return ImageLoss(name, **kwargs)
