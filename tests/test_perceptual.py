"""darkroom.core.perceptual: the losses by hand, the style layer weights, the layers a loss reads, and
PerceptualLoss by parts and by gradient."""

from __future__ import annotations

import numpy as np
import pytest

from darkroom.core import images, perceptual, vgg

# ----------------------------------------------------------------- losses by hand


def test_gram_matrix_matches_hand_computation() -> None:
    f = np.array([[[1.0, 2.0], [0.0, 1.0]], [[3.0, 0.0], [1.0, 1.0]]], np.float32)  # (H=2, W=2, C=2)
    # F (4x2) = [[1,2],[0,1],[3,0],[1,1]]; F^T F = [[11, 3], [3, 6]]; divided by H*W*C = 8.
    expected = np.array([[11.0, 3.0], [3.0, 6.0]]) / 8.0
    np.testing.assert_allclose(perceptual.gram_matrix(f).numpy(), expected, rtol=1e-6)
    batched = perceptual.gram_matrix(np.stack([f, 2 * f])).numpy()
    np.testing.assert_allclose(batched[1], 4 * expected, rtol=1e-6)


def test_content_style_and_tv_losses_by_hand() -> None:
    f = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    assert float(perceptual.content_layer_loss(np.zeros_like(f), f)) == pytest.approx(7.5)  # (1+4+9+16)/4
    g = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    assert float(perceptual.style_layer_loss(np.zeros_like(g), g)) == pytest.approx(0.5)
    img = np.array([[0.0, 1.0], [2.0, 3.0]], np.float32)[..., None]
    # vertical differences 2, 2 -> mean square 4; horizontal 1, 1 -> 1.
    assert float(perceptual.squared_total_variation(img)) == pytest.approx(5.0)


def test_style_layer_weight_exponent_and_normalisation() -> None:
    np.testing.assert_allclose(perceptual.style_layer_weights(5, 1.0), [0.2] * 5)
    np.testing.assert_allclose(perceptual.style_layer_weights(5, 2.0), np.array([1, 2, 4, 8, 16]) / 31)
    w = perceptual.style_layer_weights(5, 0.2)
    assert w.sum() == pytest.approx(1.0) and w[0] / w[1] == pytest.approx(5.0)
    with pytest.raises(ValueError, match="style_layer_weight_exp"):
        perceptual.style_layer_weights(5, 0.0)


def test_loss_layers() -> None:
    assert perceptual.loss_layers(("relu1_1", "relu4_2"), [("relu4_2", 1.0), ("relu5_2", 0.0)]) == (
        "relu1_1",
        "relu4_2",
    )
    assert perceptual.loss_layers(("relu1_1",), [("relu4_2", 0.5), ("relu5_2", 0.5)]) == (
        "relu1_1",
        "relu4_2",
        "relu5_2",
    )


# ----------------------------------------------------------------- the perceptual loss


def test_perceptual_loss_by_parts() -> None:
    """Each part against the loss functions it is made of, and the zeros that define it."""
    import tensorflow as tf

    extractor = vgg.vgg_features("multiscale", layers=("relu1_1", "relu2_1", "relu2_2"))
    rng = np.random.default_rng(0)
    style_img, photo = (vgg.preprocess(rng.random((32, 32, 3)).astype(np.float32)) for _ in range(2))
    loss = perceptual.PerceptualLoss(
        extractor,
        [style_img],
        content_weight=2.0,
        style_weight=3.0,
        tv_weight=0.5,
        style_layers=("relu1_1", "relu2_1"),
        content_layers=[("relu2_2", 1.0)],
        layer_weights=[0.25, 0.75],
    )
    batch = tf.constant(photo[None])
    total, content, style_, tv = (float(p) for p in loss(batch, loss.content_targets(batch)))
    assert content == 0.0  # the content targets are the image's own features
    f, s = extractor(batch), extractor(tf.constant(style_img[None]))
    expected_style = 3.0 * sum(
        w * float(perceptual.style_layer_loss(perceptual.gram_matrix(s[n]), perceptual.gram_matrix(f[n])))
        for n, w in (("relu1_1", 0.25), ("relu2_1", 0.75))
    )
    assert style_ == pytest.approx(expected_style, rel=1e-5) and style_ > 0
    assert tv == pytest.approx(0.5 * float(perceptual.squared_total_variation(batch)), rel=1e-6)
    assert total == pytest.approx(content + style_ + tv, rel=1e-6)
    # The style image scores no style loss against itself, and a batch broadcasts against one style.
    same = tf.constant(np.stack([style_img, style_img]))
    assert float(loss(same, loss.content_targets(same))[2]) == pytest.approx(0.0, abs=1e-6)


def test_perceptual_loss_gradient_reaches_the_image() -> None:
    import tensorflow as tf

    extractor = vgg.vgg_features("multiscale", layers=("relu1_1", "relu4_2"))
    photo = images.resize(images.sample_image("astronaut"), (32, 32))
    loss = perceptual.PerceptualLoss(
        extractor, [vgg.preprocess(photo[::-1])], style_layers=("relu1_1",), content_layers=[("relu4_2", 1.0)]
    )
    x = tf.Variable(vgg.preprocess(photo)[None])
    targets = loss.content_targets(tf.constant(vgg.preprocess(photo)[None]))
    with tf.GradientTape() as tape:
        total = loss(x, targets)[0]
    grad = tape.gradient(total, x)
    assert grad is not None and float(tf.reduce_max(tf.abs(grad))) > 0
