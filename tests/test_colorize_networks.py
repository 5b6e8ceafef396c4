"""darkroom.colorize.networks: shapes at two sizes, parameter counts, architecture facts, one step distributed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from darkroom import colorize as C


@pytest.mark.parametrize("size", [32, 64])
def test_cnn_shapes_at_two_sizes(size):
    x = np.zeros((2, size, size, 1), np.float32)
    assert C.build_post_cnn()(x).shape == (2, size, size, 2)
    assert C.build_light_cnn(8)(x).shape == (2, size, size, 2)
    assert C.build_light_cnn(8, head="classification", num_bins=7)(x).shape == (2, size, size, 7)


def test_the_post_cnn_without_batch_norm_differs_only_by_its_batch_norm_layers():
    with_bn, without = C.build_post_cnn(), C.build_post_cnn(batch_norm=False)
    bn = [layer for layer in with_bn.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(bn) == 12
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in without.layers)
    # Each batch-norm layer holds gamma, beta, a moving mean and a moving variance per channel.
    channels = sum(layer.gamma.shape[0] for layer in bn)
    assert with_bn.count_params() - without.count_params() == 4 * channels
    assert without.output_shape == with_bn.output_shape


def test_the_light_cnn_has_about_half_a_million_parameters():
    assert 0.4e6 < C.build_light_cnn(32).count_params() < 0.7e6


def test_architecture_facts_read_the_post_cnn_and_the_light_cnn():
    post = C.architecture_facts(C.build_post_cnn(dropout=0.3), 64)
    assert post == {
        "input_side": 64,
        "first_width": 64,
        "widest": 512,
        "kernel": 3,
        "bottleneck_side": 8,
        "conv_layers": 13,
        "dropout": 0.3,
        "output_channels": 2,
    }
    light = C.architecture_facts(C.build_light_cnn(8), 32)
    assert (light["first_width"], light["widest"], light["bottleneck_side"], light["dropout"]) == (
        8,
        32,
        8,
        0.0,
    )
    with pytest.raises(ValueError, match="no Conv2D"):
        C.architecture_facts(keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]), 4)


DISTRIBUTED = textwrap.dedent(
    """
    import darkroom, numpy as np, tensorflow as tf, keras
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from darkroom import colorize as C
    from darkroom.colorize import pairs
    from darkroom.core import synthetic
    L, ab = pairs.to_model_pairs(synthetic.toy_scenes(8, 16, seed=0))

    def one_step(strategy):
        with strategy.scope():
            keras.utils.set_random_seed(0)
            model = C.build_light_cnn(4)
            model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
        ds = tf.data.Dataset.from_tensor_slices((L, ab)).batch(8)
        model.fit(ds, epochs=1, verbose=0)
        return model.get_weights()

    single = one_step(tf.distribute.get_strategy())
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert mirrored.num_replicas_in_sync == 2
    multi = one_step(mirrored)
    init = None
    diff = max(float(np.abs(a - b).max()) for a, b in zip(single, multi))
    with tf.distribute.get_strategy().scope():
        keras.utils.set_random_seed(0)
        init = C.build_light_cnn(4).get_weights()
    moved = max(float(np.abs(a - b).max()) for a, b in zip(single, init))
    print("DIFF", diff, "MOVED", moved)
    """
)


def test_one_step_under_mirrored_strategy_matches_single_device():
    # Logical devices must be configured before TensorFlow initialises: use a fresh process.
    proc = subprocess.run([sys.executable, "-c", DISTRIBUTED], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    line = [x for x in proc.stdout.splitlines() if x.startswith("DIFF")][-1]
    diff, moved = float(line.split()[1]), float(line.split()[3])
    assert moved > 1e-4  # the step did something
    assert diff < 1e-5 * max(1.0, moved / 1e-3)
