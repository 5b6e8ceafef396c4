"""darkroom.colorize.pix2pix: the U-Net and PatchGAN shapes, the GAN step, time budget, checkpoints, recalibration."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from darkroom import colorize
from darkroom.colorize import pairs
from darkroom.colorize import pix2pix as P
from darkroom.core import paths, synthetic


@pytest.fixture(scope="module")
def scenes():
    return synthetic.toy_scenes(16, 32, seed=0)


@pytest.mark.parametrize("size,patches", [(32, 6), (256, 30)])
def test_pix2pix_shapes(size, patches):
    gen = P.build_unet_generator(size, base=4, max_filters=8)
    disc = P.build_patch_discriminator(size, base=4)
    L = np.zeros((1, size, size, 1), np.float32)
    ab = gen(L).numpy()
    assert ab.shape == (1, size, size, 2) and colorize.model_stride(gen) == size
    assert disc([L, ab]).shape == (1, patches, patches, 1)
    assert colorize.model_stride(colorize.build_post_cnn()) == 8


def test_full_size_models_have_the_published_parameter_counts():
    assert P.build_unet_generator(256).count_params() == 54_421_762  # the TF pix2pix tutorial's generator
    assert P.build_patch_discriminator(256).count_params() == 2_767_361


def test_pix2pix_rejects_bad_sizes():
    with pytest.raises(ValueError, match="power of two"):
        P.build_unet_generator(48)


def test_pix2pix_stops_on_its_time_budget(scenes):
    r = P.train_pix2pix(
        scenes,
        size=32,
        steps=50,
        batch_size=4,
        gen_base=4,
        disc_base=4,
        name="p2p_budget",
        resume=False,
        time_budget_s=0.0,
        learning_rate=1e-4,
    )
    assert len(r.history["l1"]) == 1 and r.stop_reason == "time budget"


def test_pix2pix_step_updates_both_networks(scenes):
    L, ab = pairs.to_model_pairs(scenes[:4])
    keras.utils.set_random_seed(0)
    gan = P.Pix2Pix(32, gen_base=4, disc_base=4)
    g0, d0 = gan.generator.get_weights(), gan.discriminator.get_weights()
    losses = [gan.train_step(tf.constant(L), tf.constant(ab)) for _ in range(3)]
    assert set(losses[0]) == {"gen_total", "gen_gan", "l1", "disc"}
    assert losses[0]["gen_total"] == pytest.approx(losses[0]["gen_gan"] + 100 * losses[0]["l1"], rel=1e-5)
    assert any(not np.allclose(a, b) for a, b in zip(g0, gan.generator.get_weights()))
    assert any(not np.allclose(a, b) for a, b in zip(d0, gan.discriminator.get_weights()))
    assert int(gan.step.numpy()) == 3


def test_pix2pix_resumes_from_its_checkpoint(scenes):
    first = P.train_pix2pix(
        scenes,
        size=32,
        steps=2,
        batch_size=4,
        gen_base=4,
        disc_base=4,
        name="p2p_resume",
        checkpoint_every=1,
        sample_every=2,
    )
    assert first.start_step == 0 and len(first.history["l1"]) == 2 and first.samples[0].is_file()
    second = P.train_pix2pix(
        scenes, size=32, steps=3, batch_size=4, gen_base=4, disc_base=4, name="p2p_resume", checkpoint_every=1
    )
    assert second.start_step == 2 and len(second.history["l1"]) == 1


@pytest.mark.slow
def test_pix2pix_in_inference_mode_scores_like_training_only_after_recalibration():
    """A short GAN run's batch-norm moving averages trail its weights: in inference mode the generator
    was 3x worse on its own training images than its training L1 (the salmon scenes). Re-estimating
    the statistics with the final weights closes the gap; the uncalibrated run is the control."""
    imgs = synthetic.toy_scenes(64, 32, seed=1)
    checks = {}
    for recalibrate in (False, True):
        r = P.train_pix2pix(
            imgs,
            size=32,
            steps=150,
            batch_size=8,
            gen_base=8,
            disc_base=8,
            name=f"recal_{recalibrate}",
            recalibrate=recalibrate,
            resume=False,
            seed=0,
        )
        checks[recalibrate] = r.check
    assert checks[False].ratio > 2.0 and not checks[False].ok(), checks[False]
    assert checks[True].ok(), checks[True]


def test_recalibrated_copies_the_generator_and_leaves_the_control_alone(scenes):
    raw = P.train_pix2pix(
        scenes,
        size=32,
        steps=3,
        batch_size=4,
        gen_base=4,
        disc_base=4,
        name="p2p_raw",
        resume=False,
        recalibrate=False,
    )
    before = [w.copy() for w in raw.model.get_weights()]
    fixed = P.recalibrated(raw, scenes, batch_size=4)
    assert fixed.model is not raw.model and fixed.history is raw.history
    for a, b in zip(before, raw.model.get_weights()):
        np.testing.assert_array_equal(a, b)  # the control is untouched
    moved = [not np.allclose(a, b) for a, b in zip(raw.model.get_weights(), fixed.model.get_weights())]
    assert any(moved) and not all(moved)  # only batch-norm statistics changed
    assert fixed.check.training_loss == raw.check.training_loss
    assert fixed.check.inference_loss != raw.check.inference_loss


def test_pix2pix_without_resume_starts_over_where_a_rerun_resumes(scenes):
    kw = dict(size=32, batch_size=4, gen_base=4, disc_base=4, checkpoint_every=1)
    P.train_pix2pix(scenes, steps=3, name="p2p_fresh", **kw)
    fresh = P.train_pix2pix(scenes, steps=2, name="p2p_fresh", resume=False, **kw)
    assert fresh.start_step == 0 and len(fresh.history["l1"]) == 2
    folder = paths.outputs_dir("checkpoints", "p2p_fresh")
    assert tf.train.latest_checkpoint(str(folder)).endswith("ckpt-2")  # a later resume starts here
    again = P.train_pix2pix(scenes, steps=3, name="p2p_fresh", **kw)
    assert again.start_step == 2 and len(again.history["l1"]) == 1


def test_down_blocks_are_the_encoder_of_the_unet():
    gen = P.build_unet_generator(256)
    downs = P.down_blocks(gen)
    assert len(downs) == 8  # 256 px halved to 1 px
    assert [b.layers[0].filters for b in downs] == [64, 128, 256, 512, 512, 512, 512, 512]
    assert all(isinstance(b.layers[0], keras.layers.Conv2D) and b.layers[0].strides == (2, 2) for b in downs)
    assert len(P.down_blocks(P.build_unet_generator(32, base=4))) == 5


def test_generator_facts_read_the_writeups_unet_and_a_small_one():
    facts = P.generator_facts(P.build_unet_generator(256))
    assert facts == {
        "pix2pix_kernel": 4,
        "pix2pix_first_width": 64,
        "pix2pix_widest": 512,
        "pix2pix_generator_downsamples": 8,
        "pix2pix_dropout": 0.5,
        "pix2pix_dropout_blocks": 3,
    }
    small = P.generator_facts(P.build_unet_generator(64, base=16))
    assert (small["pix2pix_first_width"], small["pix2pix_generator_downsamples"]) == (16, 6)
    with pytest.raises(ValueError, match="no down blocks"):
        P.generator_facts(keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)]))


def test_plot_losses_smooths_long_runs_and_keeps_short_ones_raw():
    import matplotlib.pyplot as plt

    steps = {k: list(np.arange(30, dtype=float)) for k in ("gen_gan", "disc", "l1", "gen_total")}
    fig = P.plot_losses(steps)
    left, right = fig.axes
    assert [line.get_label() for line in left.lines] == ["gen_gan", "disc"]
    assert [line.get_label() for line in right.lines] == ["l1"]
    np.testing.assert_allclose(right.lines[0].get_ydata(), np.arange(21) + 4.5)  # mean of 10 steps
    plt.close(fig)
    short = P.plot_losses({k: v[:5] for k, v in steps.items()})
    assert len(short.axes[1].lines[0].get_ydata()) == 5
    plt.close(short)
    with pytest.raises(KeyError, match="l1"):
        P.plot_losses({"gen_gan": [1.0], "disc": [1.0]})
