"""The disc IoU: intersection over union of thresholded discs, as a function and a Keras metric."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

__all__ = ["DiscIoU", "disc_iou"]


def disc_iou(y_true: Any, y_pred: Any, threshold: float = 0.5) -> float:
    """Intersection over union of the thresholded discs, pooled over the whole batch.

    Use ``threshold=50`` for LAB lightness. Two empty masks count as a perfect match.
    """
    t = np.asarray(y_true) > threshold
    p = np.asarray(y_pred) > threshold
    if t.shape != p.shape:
        raise ValueError(f"disc_iou: y_true shape {t.shape} differs from y_pred shape {p.shape}")
    union = np.logical_or(t, p).sum()
    return 1.0 if union == 0 else float(np.logical_and(t, p).sum() / union)


@keras.saving.register_keras_serializable(package="darkroom")
class DiscIoU(keras.metrics.Metric):
    """Streaming :func:`disc_iou` for ``compile(metrics=[...])``: pooled over every batch of an epoch."""

    def __init__(self, threshold: float = 0.5, name: str = "iou", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.threshold = float(threshold)
        self.intersection = self.add_variable((), initializer="zeros", name="intersection")
        self.union = self.add_variable((), initializer="zeros", name="union")

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        t = tf.cast(y_true, tf.float32) > self.threshold
        p = tf.cast(y_pred, tf.float32) > self.threshold
        self.intersection.assign_add(tf.reduce_sum(tf.cast(t & p, tf.float32)))
        self.union.assign_add(tf.reduce_sum(tf.cast(t | p, tf.float32)))

    def result(self):
        return tf.where(self.union > 0, self.intersection / tf.maximum(self.union, 1.0), 1.0)

    def reset_state(self) -> None:
        self.intersection.assign(0.0)
        self.union.assign(0.0)

    def get_config(self) -> dict:
        return {**super().get_config(), "threshold": self.threshold}
