"""pix2pix colorization: a U-Net generator and a PatchGAN discriminator trained with GAN + lambda * L1.

The cGAN of the "Learning to color pictures with DcGANs" write-up (Isola et al. 2017, after the
TensorFlow pix2pix tutorial): :func:`build_unet_generator`, :func:`build_patch_discriminator`, the
:class:`Pix2Pix` pair with its compiled, distributed training step and checkpoint, and
:func:`train_pix2pix`. Like the colorizers of :mod:`darkroom.colorize`, the generator maps ``L / 100``
(H, W, 1) to ``ab / 128`` (H, W, 2) (pairs from :mod:`darkroom.colorize.pairs`).
"""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from darkroom.colorize import pairs
from darkroom.core import callbacks, inference_check, optimizers, paths, progress, timing, training

__all__ = [
    "Pix2Pix",
    "Pix2PixResult",
    "build_patch_discriminator",
    "build_unet_generator",
    "down_blocks",
    "generator_facts",
    "plot_losses",
    "recalibrated",
    "train_pix2pix",
]


_INIT = dict(mean=0.0, stddev=0.02)


def _down(filters: int, batchnorm: bool = True) -> keras.Sequential:
    block = keras.Sequential(
        [
            keras.layers.Conv2D(
                filters,
                4,
                strides=2,
                padding="same",
                use_bias=False,
                kernel_initializer=keras.initializers.RandomNormal(**_INIT),
            )
        ]
    )
    if batchnorm:
        block.add(keras.layers.BatchNormalization())
    block.add(keras.layers.LeakyReLU(0.2))
    return block


def _up(filters: int, dropout: bool = False) -> keras.Sequential:
    block = keras.Sequential(
        [
            keras.layers.Conv2DTranspose(
                filters,
                4,
                strides=2,
                padding="same",
                use_bias=False,
                kernel_initializer=keras.initializers.RandomNormal(**_INIT),
            ),
            keras.layers.BatchNormalization(),
        ]
    )
    if dropout:
        block.add(keras.layers.Dropout(0.5))
    block.add(keras.layers.ReLU())
    return block


def build_unet_generator(
    size: int = 256,
    *,
    base: int = 64,
    max_filters: int = 512,
    in_channels: int = 1,
    out_channels: int = 2,
    num_blocks: int | None = None,
) -> keras.Model:
    """The pix2pix U-Net: stride-2 4x4 convolutions down to 1x1 (8 blocks at 256 px, fewer for
    smaller inputs), transposed convolutions back up with skip connections, tanh output.

    L (size, size, ``in_channels``) in, ab / 128 (``out_channels``) out. ``size`` must be a power
    of two >= 4; the model also runs on any multiple of ``2 ** depth``.
    """
    if size < 4 or size & (size - 1):
        raise ValueError(f"size must be a power of two >= 4, got {size}")
    num_blocks = num_blocks or min(8, int(math.log2(size)))
    filters = [min(base * 2**i, max_filters) for i in range(num_blocks)]
    inputs = keras.Input((None, None, in_channels), name="L")
    x, skips = inputs, []
    for i, f in enumerate(filters):
        x = _down(f, batchnorm=i > 0)(x)
        skips.append(x)
    for i, (f, skip) in enumerate(zip(reversed(filters[:-1]), reversed(skips[:-1]))):
        x = _up(f, dropout=i < 3 and num_blocks >= 6)(x)
        x = keras.layers.Concatenate()([x, skip])
    outputs = keras.layers.Conv2DTranspose(
        out_channels,
        4,
        strides=2,
        padding="same",
        activation="tanh",
        kernel_initializer=keras.initializers.RandomNormal(**_INIT),
        name="ab",
    )(x)
    return keras.Model(inputs, outputs, name=f"unet_generator_{size}")


def build_patch_discriminator(
    size: int = 256, *, base: int = 64, in_channels: int = 1, target_channels: int = 2
) -> keras.Model:
    """The pix2pix PatchGAN: (L, ab) in, a grid of real/fake logits out (30x30 at 256 px).

    Three stride-2 blocks at 64 px and above, fewer for smaller inputs, so each logit still
    sees a patch and the grid keeps at least 2x2 cells.
    """
    n_down = max(1, min(3, int(math.log2(size)) - 3))
    init = keras.initializers.RandomNormal(**_INIT)
    inp = keras.Input((None, None, in_channels), name="L")
    tar = keras.Input((None, None, target_channels), name="ab")
    x = keras.layers.Concatenate()([inp, tar])
    for i in range(n_down):
        x = _down(base * 2**i, batchnorm=i > 0)(x)
    x = keras.layers.ZeroPadding2D()(x)
    x = keras.layers.Conv2D(base * 2**n_down, 4, use_bias=False, kernel_initializer=init)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.LeakyReLU(0.2)(x)
    x = keras.layers.ZeroPadding2D()(x)
    outputs = keras.layers.Conv2D(1, 4, kernel_initializer=init, name="patch_logits")(x)
    return keras.Model([inp, tar], outputs, name=f"patch_discriminator_{size}")


@dataclasses.dataclass
class Pix2PixResult(training.TrainResult):
    """A pix2pix run: ``model`` is the generator; ``samples`` the saved sample grids."""

    discriminator: Any = None
    samples: list[Path] = dataclasses.field(default_factory=list)
    start_step: int = 0
    check: inference_check.InferenceCheck | None = None


class Pix2Pix:
    """Generator, discriminator, their Adam optimizers (2e-4, beta_1 0.5, from
    :func:`optimizers.optimizer`) and a checkpoint.

    ``train_step`` is compiled with ``tf.function`` and runs under ``strategy`` (each replica
    averages its losses over the global batch).
    """

    def __init__(
        self,
        size: int,
        *,
        gen_base: int = 64,
        disc_base: int = 64,
        l1_weight: float = 100.0,
        learning_rate: float = 2e-4,
        beta_1: float = 0.5,
        strategy: tf.distribute.Strategy | None = None,
    ) -> None:
        self.size, self.lambda_l1 = size, float(l1_weight)
        self.strategy = strategy or tf.distribute.get_strategy()
        with training.strategy_scope(self.strategy):
            self.generator = build_unet_generator(size, base=gen_base)
            self.discriminator = build_patch_discriminator(size, base=disc_base)
            self.gen_opt = optimizers.optimizer("adam", learning_rate, beta_1=beta_1)
            self.disc_opt = optimizers.optimizer("adam", learning_rate, beta_1=beta_1)
            # Slots made now, under the scope: made lazily inside strategy.run, a mirrored step fails.
            self.gen_opt.build(self.generator.trainable_variables)
            self.disc_opt.build(self.discriminator.trainable_variables)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self._bce = keras.losses.BinaryCrossentropy(from_logits=True, reduction=None)
        self._compiled = tf.function(self._distributed_step)

    def _replica_step(self, L: Any, ab: Any, global_batch: Any) -> dict[str, Any]:
        with tf.GradientTape() as gtape, tf.GradientTape() as dtape:
            fake = self.generator(L, training=True)
            real_logits = self.discriminator([L, ab], training=True)
            fake_logits = self.discriminator([L, fake], training=True)

            def per_example(logits: Any, label: float) -> Any:
                flat = tf.reshape(logits, (tf.shape(logits)[0], -1, 1))
                return tf.reduce_mean(self._bce(tf.fill(tf.shape(flat), label), flat), axis=-1)

            gan = tf.nn.compute_average_loss(per_example(fake_logits, 1.0), global_batch_size=global_batch)
            l1 = tf.nn.compute_average_loss(
                tf.reduce_mean(tf.abs(ab - fake), axis=[1, 2, 3]), global_batch_size=global_batch
            )
            gen_total = gan + self.lambda_l1 * l1
            disc = tf.nn.compute_average_loss(
                per_example(real_logits, 1.0) + per_example(fake_logits, 0.0), global_batch_size=global_batch
            )
        g_grads = gtape.gradient(gen_total, self.generator.trainable_variables)
        d_grads = dtape.gradient(disc, self.discriminator.trainable_variables)
        self.gen_opt.apply_gradients(zip(g_grads, self.generator.trainable_variables))
        self.disc_opt.apply_gradients(zip(d_grads, self.discriminator.trainable_variables))
        return {"gen_total": gen_total, "gen_gan": gan, "l1": l1, "disc": disc}

    def _distributed_step(self, L: Any, ab: Any, global_batch: Any) -> dict[str, Any]:
        out = self.strategy.run(self._replica_step, args=(L, ab, global_batch))
        self.step.assign_add(1)
        return {k: self.strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None) for k, v in out.items()}

    def train_step(self, L: Any, ab: Any, global_batch: int | None = None) -> dict[str, float]:
        """One compiled update of both networks on a batch (or a distributed batch)."""
        gb = tf.constant(global_batch if global_batch is not None else int(L.shape[0]), tf.int32)
        return {k: float(v) for k, v in self._compiled(L, ab, gb).items()}

    def checkpoint(
        self, directory: str | os.PathLike[str], max_to_keep: int = 2
    ) -> tf.train.CheckpointManager:
        """A checkpoint manager over both networks, both optimizers and the step counter."""
        ckpt = tf.train.Checkpoint(
            generator=self.generator,
            discriminator=self.discriminator,
            gen_opt=self.gen_opt,
            disc_opt=self.disc_opt,
            step=self.step,
        )
        return tf.train.CheckpointManager(ckpt, str(directory), max_to_keep=max_to_keep)


def _sample_grid(gan: Pix2Pix, L: np.ndarray, ab: np.ndarray, name: str) -> Path:
    from darkroom.core import images as dimages

    pred = gan.generator(L, training=False).numpy()
    rows = []
    for i in range(len(L)):
        rows += [
            pairs.from_model_pairs(L[i], np.zeros_like(ab[i])),
            pairs.from_model_pairs(L[i], pred[i]),
            pairs.from_model_pairs(L[i], ab[i]),
        ]
    fig = dimages.show_images(rows, titles=["gray", "pix2pix", "truth"] * len(L), ncols=3, size=1.8)
    path = dimages.save_figure(fig, name)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


@dataclasses.dataclass
class _Pix2PixLog:
    """What the loop records: losses per step, sample grids, wall time, whether the budget stopped it."""

    history: dict[str, list[float]] = dataclasses.field(
        default_factory=lambda: {"gen_total": [], "gen_gan": [], "l1": [], "disc": []}
    )
    samples: list[Path] = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    budget_stopped: bool = False


def _pix2pix_loop(
    gan: Pix2Pix,
    batches: Any,
    manager: tf.train.CheckpointManager,
    *,
    start: int,
    steps: int,
    batch_size: int,
    name: str,
    checkpoint_every: int,
    sample_every: int | None,
    samples: tuple[np.ndarray, np.ndarray],
    time_budget_s: float | None,
) -> _Pix2PixLog:
    """Steps ``start`` .. ``steps`` of the compiled GAN step, with checkpoints, sample grids, a
    progress bar and :class:`callbacks.TimeBudget` checked after every step, as ``training.fit`` does."""
    log = _Pix2PixLog()
    budget = callbacks.TimeBudget(time_budget_s, check="batch")
    budget.set_model(gan.generator)
    budget.set_params({"epochs": 1, "steps": steps - start})
    gan.generator.stop_training = False
    bar = progress.progress(range(start, steps), desc=name)
    with timing.Stopwatch() as watch:
        budget.on_train_begin()
        for i, step in enumerate(bar):
            out = gan.train_step(*next(batches), global_batch=batch_size)
            for k, v in out.items():
                log.history[k].append(v)
            bar.set_postfix(gen=f"{out['gen_total']:.3f}", disc=f"{out['disc']:.3f}", refresh=False)
            done = step + 1
            if done % checkpoint_every == 0:
                manager.save(checkpoint_number=done)
            if sample_every and done % sample_every == 0:
                log.samples.append(_sample_grid(gan, *samples, f"{name}_step{done:05d}"))
            budget.on_train_batch_end(i)
            if gan.generator.stop_training:
                break
    gan.generator.stop_training = False
    bar.close()
    log.seconds, log.budget_stopped = watch.seconds, budget.stopped
    return log


def _generator_check(
    generator: keras.Model, l1_history: list[float], L: np.ndarray, ab: np.ndarray, batch_size: int
) -> inference_check.InferenceCheck | None:
    """The L1 of the last 50 steps beside the generator's L1 on (L, ab) in inference mode."""
    if not l1_history:
        return None
    pred = generator.predict(L, batch_size=batch_size, verbose=0)
    return inference_check.InferenceCheck(
        generator.name, float(np.mean(l1_history[-50:])), float(np.mean(np.abs(pred - ab)))
    )


def recalibrated(result: Pix2PixResult, images: np.ndarray, *, batch_size: int = 16) -> Pix2PixResult:
    """``result`` with a copy of its generator whose batch-norm statistics are re-estimated on RGB
    ``images`` (what ``train_pix2pix(recalibrate=True)`` does), and that copy's inference check.

    ``result.model`` is left as it was, so one run trained with ``recalibrate=False`` gives both the
    control and the recalibrated generator.
    """
    generator = keras.models.clone_model(result.model)
    generator.set_weights(result.model.get_weights())
    L, ab = pairs.to_model_pairs(images)
    inference_check.recalibrate_batchnorm(generator, L, batch_size)
    return dataclasses.replace(
        result,
        model=generator,
        check=_generator_check(generator, result.history.get("l1", []), L, ab, batch_size),
    )


def _finished_pix2pix(
    gan: Pix2Pix,
    log: _Pix2PixLog,
    L: np.ndarray,
    ab: np.ndarray,
    *,
    start: int,
    batch_size: int,
    recalibrate: bool,
) -> Pix2PixResult:
    """Recalibrate the generator's batch norm, check it in inference mode, and report."""
    trained = int(gan.step.numpy()) - start
    if recalibrate:
        inference_check.recalibrate_batchnorm(gan.generator, L, batch_size)
    check = _generator_check(gan.generator, log.history["l1"], L, ab, batch_size)
    return Pix2PixResult(
        model=gan.generator,
        history=log.history,
        seconds=log.seconds,
        examples_per_second=trained * batch_size / max(log.seconds, 1e-9),
        epochs_run=1 if trained else 0,
        steps=trained,
        stop_reason="time budget" if log.budget_stopped else "epochs",
        discriminator=gan.discriminator,
        samples=log.samples,
        start_step=start,
        check=check,
    )


def train_pix2pix(
    images: np.ndarray,
    *,
    size: int,
    steps: int,
    batch_size: int = 8,
    gen_base: int = 32,
    disc_base: int = 32,
    l1_weight: float = 100.0,
    learning_rate: float = 2e-4,
    beta_1: float = 0.5,
    name: str = "pix2pix",
    checkpoint_every: int = 200,
    sample_every: int | None = None,
    sample_images: np.ndarray | None = None,
    resume: bool = True,
    time_budget_s: float | None = None,
    jitter: bool = False,
    seed: int = 0,
    strategy: tf.distribute.Strategy | None = None,
    recalibrate: bool = True,
) -> Pix2PixResult:
    """Train pix2pix on RGB ``images`` (N, size, size, 3) for ``steps`` steps in total, or until
    ``time_budget_s`` seconds are spent (checked after every step, as :func:`training.fit` does).

    Each step flips its pairs left-right at random; ``jitter`` does pix2pix's random jitter instead
    (resize up by 1/8, random crop back, random mirror). Checkpoints go to
    ``outputs/checkpoints/<name>/`` every ``checkpoint_every`` steps and at the end; with ``resume``
    a rerun continues from the last one. Sample grids (gray | pix2pix | truth) are saved as
    ``outputs/figures/<name>_step<N>.png`` every ``sample_every`` steps. Both networks, their
    optimizers and the step run under ``strategy``.

    With ``recalibrate`` the generator's batch-norm statistics are re-estimated on the training
    images at the end: the moving averages of a short GAN run trail its weights, and in inference
    mode the generator was measured 6x worse than in training (every toy scene salmon). ``check``
    compares the L1 of the last steps with the L1 on the training images in inference mode.
    """
    keras.utils.set_random_seed(seed)
    gan = Pix2Pix(
        size,
        gen_base=gen_base,
        disc_base=disc_base,
        l1_weight=l1_weight,
        learning_rate=learning_rate,
        beta_1=beta_1,
        strategy=strategy,
    )
    manager = gan.checkpoint(paths.outputs_dir("checkpoints", name))
    if resume and manager.latest_checkpoint:
        manager.checkpoint.restore(manager.latest_checkpoint)
    start = int(gan.step.numpy())
    L, ab = pairs.to_model_pairs(images)
    ds = pairs.pair_dataset(
        L, ab, batch_size, shuffle=True, flip=True, jitter=jitter, seed=seed + start
    ).repeat()
    batches = iter(gan.strategy.experimental_distribute_dataset(ds))
    shown = pairs.to_model_pairs(sample_images) if sample_images is not None else (L[:3], ab[:3])
    log = _pix2pix_loop(
        gan,
        batches,
        manager,
        start=start,
        steps=steps,
        batch_size=batch_size,
        name=name,
        checkpoint_every=checkpoint_every,
        sample_every=sample_every,
        samples=shown,
        time_budget_s=time_budget_s,
    )
    if int(gan.step.numpy()) > start:
        manager.save(checkpoint_number=int(gan.step.numpy()))
    return _finished_pix2pix(gan, log, L, ab, start=start, batch_size=batch_size, recalibrate=recalibrate)


def down_blocks(model: keras.Model) -> list[keras.Sequential]:
    """The U-Net generator's downsampling blocks (stride-2 ``Conv2D`` first), in order; the
    upsampling blocks, which start with a ``Conv2DTranspose``, are left out."""
    return [
        lay
        for lay in model.layers
        if isinstance(lay, keras.Sequential) and not isinstance(lay.layers[0], keras.layers.Conv2DTranspose)
    ]


def generator_facts(model: keras.Model) -> dict[str, Any]:
    """The U-Net generator's architecture figures the write-up reports, read off ``model``: the
    first block's kernel size and width, the widest block, how many times it halves the image, and
    its dropout (rate and number of blocks that use it)."""
    downs = down_blocks(model)
    if not downs:
        raise ValueError(
            f"generator_facts expects a U-Net from build_unet_generator; {model.name!r} has no down blocks"
        )
    drops = [
        d
        for lay in model.layers
        if isinstance(lay, keras.Sequential)
        for d in lay.layers
        if isinstance(d, keras.layers.Dropout)
    ]
    first = downs[0].layers[0]
    return {
        "pix2pix_kernel": first.kernel_size[0],
        "pix2pix_first_width": first.filters,
        "pix2pix_widest": max(lay.layers[0].filters for lay in downs),
        "pix2pix_generator_downsamples": len(downs),
        "pix2pix_dropout": drops[0].rate if drops else 0.0,
        "pix2pix_dropout_blocks": len(drops),
    }


def plot_losses(history: dict[str, list[float]], *, smooth: int = 10) -> Any:
    """Two panels of a pix2pix run's losses per step: the GAN terms (``gen_gan``, ``disc``) and
    ``l1``, each a running mean over ``smooth`` steps once the run has more steps than that.
    Returns the figure."""
    import matplotlib.pyplot as plt

    missing = [k for k in ("gen_gan", "disc", "l1") if k not in history]
    if missing:
        raise KeyError(f"plot_losses: no {missing} in history; have {sorted(history)}")
    fig, axes = plt.subplots(1, 2, figsize=(11, 3))
    window = np.ones(smooth) / smooth
    for ax, keys in zip(axes, (["gen_gan", "disc"], ["l1"])):
        for k in keys:
            curve = history[k]
            ax.plot(np.convolve(curve, window, mode="valid") if len(curve) > smooth else curve, label=k)
        ax.set_xlabel("step")
        ax.legend()
        ax.grid(alpha=0.3)
    return fig
