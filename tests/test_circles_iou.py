"""darkroom.circles.iou: the disc IoU and its streaming metric against a hand count."""

from __future__ import annotations

import numpy as np
import pytest

from darkroom import circles


def test_disc_iou_and_metric_agree_with_hand_count() -> None:
    t = np.array([1, 1, 0, 0], np.float32).reshape(1, 2, 2, 1)
    p = np.array([0.9, 0.2, 0.7, 0.1], np.float32).reshape(1, 2, 2, 1)
    assert circles.disc_iou(t, p) == pytest.approx(1 / 3)
    metric = circles.DiscIoU()
    metric.update_state(t, p)
    metric.update_state(t, t)  # pooled: (1 + 2) / (3 + 2)
    assert float(metric.result()) == pytest.approx(3 / 5)
    assert circles.disc_iou(np.zeros((1, 2, 2, 1)), np.zeros((1, 2, 2, 1))) == 1.0
