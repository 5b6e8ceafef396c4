"""darkroom.core.inference_check: batch-norm statistics re-estimated after training, and the inference check."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from darkroom.core import inference_check


def test_recalibrate_batchnorm_uses_the_final_weights_and_restores_dropout():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    x = keras.layers.Dense(8)(inputs)
    x = keras.layers.Dropout(0.5)(x)
    out = keras.layers.BatchNormalization(momentum=0.99)(x)
    model = keras.Model(inputs, out)
    data_ = np.random.default_rng(0).normal(3.0, 2.0, (256, 4)).astype("float32")
    bn, drop = model.layers[-1], model.layers[-2]
    assert inference_check.recalibrate_batchnorm(model, data_, batch_size=32) == 1
    dense_out = model.layers[1](data_).numpy()
    np.testing.assert_allclose(bn.moving_mean.numpy(), dense_out.mean(0), rtol=1e-4, atol=1e-4)
    assert bn.momentum == 0.99 and drop.rate == 0.5
    normed = model(data_, training=False).numpy()
    np.testing.assert_allclose(normed.mean(0), 0.0, atol=1e-3)


def test_inference_check_compares_inference_with_the_training_loss():
    check = inference_check.InferenceCheck("net", training_loss=0.2, inference_loss=0.25)
    assert check.ratio == pytest.approx(1.25) and check.ok() and not check.ok(tolerance=1.2)
    assert not inference_check.InferenceCheck("control", 0.2, 0.28).ok()  # chapter 07's 1.4x control
    assert inference_check.InferenceCheck("net", 0.2, 0.1).ok()  # lower is fine
    assert inference_check.InferenceCheck("net", 0.0, 1e-13).ratio == pytest.approx(
        0.1
    )  # no division by zero
