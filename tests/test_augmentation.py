"""darkroom.core.augmentation: seeded random flips and tones, and tone changes that keep the hue."""

from __future__ import annotations

import numpy as np
import pytest

from darkroom.core import augmentation, color


def test_augment_image_flips_and_tones():
    import tensorflow as tf

    img = np.zeros((32, 32, 3), np.float32)
    img[:16] = (0.8, 0.2, 0.2)  # red top half
    img[16:] = (0.2, 0.2, 0.8)
    outs = [augmentation.augment_image(tf.constant(img), 32, tf.constant([s, 0])).numpy() for s in range(16)]
    tops_red = [o[2, 16, 0] > o[2, 16, 2] for o in outs]
    assert any(tops_red) and not all(tops_red)  # sometimes upside down
    with pytest.raises(ValueError, match="tones"):
        augmentation.augment_image(tf.constant(img), 32, tf.constant([0, 0]), tones=("sepia",))


def test_augment_image_with_the_writeup_tones_always_changes_the_tone():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    img = np.clip(0.3 + 0.2 * rng.random((16, 16, 3)), 0, 1).astype(np.float32)  # low contrast
    for s in range(8):
        out = augmentation.augment_image(
            tf.constant(img), 16, tf.constant([s, 1]), tones=augmentation.WRITEUP_TONES
        )
        assert out.numpy().std() > 1.3 * img.std()  # never the untouched "none" choice


@pytest.mark.parametrize("kind", ["equalize", "stretch", "adaptive"])
def test_tone_augment_changes_lightness_not_hue(kind):
    rng = np.random.default_rng(0)
    img = np.clip(0.3 + 0.2 * rng.random((32, 32, 3)), 0, 1).astype(np.float32)  # low contrast
    out = augmentation.tone_augment(img, kind)
    L_in, L_out = color.rgb_to_lab(img)[..., 0], color.rgb_to_lab(out)[..., 0]
    assert L_out.std() > 1.3 * L_in.std()  # contrast went up
    ab_in, ab_out = color.rgb_to_lab(img)[..., 1:], color.rgb_to_lab(out)[..., 1:]
    assert np.abs(ab_out - ab_in).mean() < 3.0
    np.testing.assert_array_equal(augmentation.tone_augment(img, "none"), img)
