"""darkroom.circles: generators, datasets, models, IoU and a tiny training run."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from darkroom import circles
from darkroom.core import color, training


def test_make_circles_shape_range_and_determinism() -> None:
    a = circles.make_circles(6, height=40, width=30, radius=(3, 8), count=(1, 3), seed=5)
    assert a.shape == (6, 40, 30, 1) and a.dtype == np.float32
    assert set(np.unique(a)) <= {0.0, 1.0} and a.max() == 1.0
    np.testing.assert_array_equal(a, circles.make_circles(6, 40, 30, (3, 8), (1, 3), seed=5))
    assert not np.array_equal(a, circles.make_circles(6, 40, 30, (3, 8), (1, 3), seed=6))


def test_one_disc_covers_about_pi_r_squared() -> None:
    img = circles.make_circles(20, 60, 60, radius=10, count=1, allow_cut=False, seed=0)
    areas = img.sum(axis=(1, 2, 3))
    # Lattice points in a disc of radius 10 with a random centre: pi*100 = 314 give or take the rim.
    assert np.all(np.abs(areas - np.pi * 100) < 20)


def test_no_cut_keeps_the_border_empty_and_cut_does_not() -> None:
    kw = dict(height=32, width=24, radius=(4, 10), count=(3, 6), seed=1)
    inside = circles.make_circles(200, allow_cut=False, **kw)[..., 0]
    border = np.concatenate([inside[:, 0], inside[:, -1], inside[:, :, 0], inside[:, :, -1]], axis=1)
    assert border.max() == 0.0 and inside.max() == 1.0
    cut = circles.make_circles(200, allow_cut=True, **kw)[..., 0]
    assert cut[:, 0].max() == 1.0 and cut[:, :, -1].max() == 1.0


def test_zero_count_gives_black_images_and_lab_is_scaled() -> None:
    assert circles.make_circles(3, 20, 20, radius=3, count=0).max() == 0.0
    unit = circles.make_circles(2, 20, 20, radius=(2, 5), seed=3)
    lab = circles.make_circles_lab(2, 20, 20, radius=(2, 5), seed=3)
    np.testing.assert_array_equal(lab, 100 * unit)
    assert lab.max() == 100.0


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(n=0), "n must be"),
        (dict(n=2, radius=(5, 60)), "radius 60.0 is larger"),
        (dict(n=2, count=(4, 2)), "count range is reversed"),
        (dict(n=2, radius=(9, 3)), "radius range is reversed"),
        (dict(n=2, radius=(3, 19), allow_cut=False), "cannot avoid the border"),
        (dict(n=2, radius=0), "radius must be positive"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, words) -> None:
    kwargs = {"height": 40, "width": 40, **kwargs}
    with pytest.raises(ValueError, match=words):
        circles.make_circles(**kwargs)


def test_circle_dataset_streams_disjoint_splits_and_corruptions() -> None:
    train, val = circles.circle_splits(10, 6, batch_size=4, height=24, width=20, radius=(3, 6), seed=2)
    xs = [x.numpy() for x, _ in train]
    assert [len(x) for x in xs] == [4, 4, 2] and int(train.cardinality()) == 3
    assert circles.dataset_size(train) == (10, 4)
    again = np.concatenate([x.numpy() for x, _ in train])
    np.testing.assert_array_equal(np.concatenate(xs), again)  # every pass is the same data
    first_val = next(iter(val))[0].numpy()
    assert not np.array_equal(first_val, xs[0][: len(first_val)])
    for x, y in train:
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    lab = next(iter(circles.circle_dataset(4, 4, height=24, width=20, radius=(3, 6), scale="lab")))[0]
    assert float(lab.numpy().max()) == 100.0
    x, y = next(iter(circles.circle_dataset(4, 4, height=24, width=20, radius=(3, 6), corruption="noise")))
    assert not np.array_equal(x.numpy(), y.numpy()) and 0 <= x.numpy().min() and x.numpy().max() <= 1
    with pytest.raises(ValueError, match="split must be one of"):
        circles.circle_dataset(4, split="dev")


def test_corrupt_mask_blacks_out_a_square() -> None:
    img = np.ones((2, 20, 10, 1), np.float32)
    masked = circles.corrupt(img, "mask", amount=0.5, seed=0)
    assert (masked == 0).sum(axis=(1, 2, 3)).tolist() == [25, 25]  # side = 0.5 * 10 = 5
    with pytest.raises(ValueError, match="kind must be"):
        circles.corrupt(img, "blur")


def test_coloured_discs_toy_is_l_in_ab_out() -> None:
    rgb = circles.make_colored_discs(3, 32, 32, radius=(4, 8), seed=0)
    assert rgb.shape == (3, 32, 32, 3) and 0 <= rgb.min() and rgb.max() <= 1
    lab = color.rgb_to_lab(rgb)
    # Every pixel has one of the palette's colours (up to float round trip).
    dist = np.linalg.norm(lab.reshape(-1, 1, 3) - circles.DEFAULT_PALETTE[None], axis=-1).min(axis=1)
    assert dist.max() < 0.5
    L, ab = next(iter(circles.disc_colorization_dataset(5, 5, height=32, width=32, radius=(4, 8))))
    assert L.shape == (5, 32, 32, 1) and ab.shape == (5, 32, 32, 2)
    assert 0 <= float(L.numpy().min()) and float(L.numpy().max()) <= 1
    assert float(np.abs(ab.numpy()).max()) <= 1


def test_post_autoencoder_has_the_hand_counted_parameters() -> None:
    model = circles.post_autoencoder()
    # 7*7*1*32+32, 7*7*32*16+16, 7*7*16*16+16, 7*7*16*8+8, 7*7*8*8+8, 4*4*8*1+1
    assert model.count_params() == 1600 + 25104 + 12560 + 6280 + 3144 + 129 == 48817
    assert model.output_shape == (None, 150, 100, 1)
    assert sum(isinstance(layer, keras.layers.Dropout) for layer in model.layers) == 5


def test_squeeze_autoencoder_restores_the_input_size_through_a_small_code() -> None:
    model = circles.squeeze_autoencoder((150, 100, 1), filters=(8, 8, 8), bottleneck=4)
    assert model.output_shape == (None, 150, 100, 1)
    assert model.get_layer("bottleneck").output.shape[1:] == (19, 13, 4)


def test_disc_iou_and_metric_agree_with_hand_count() -> None:
    t = np.array([1, 1, 0, 0], np.float32).reshape(1, 2, 2, 1)
    p = np.array([0.9, 0.2, 0.7, 0.1], np.float32).reshape(1, 2, 2, 1)
    assert circles.disc_iou(t, p) == pytest.approx(1 / 3)
    metric = circles.DiscIoU()
    metric.update_state(t, p)
    metric.update_state(t, t)  # pooled: (1 + 2) / (3 + 2)
    assert float(metric.result()) == pytest.approx(3 / 5)
    assert circles.disc_iou(np.zeros((1, 2, 2, 1)), np.zeros((1, 2, 2, 1))) == 1.0


def test_train_autoencoder_runs_saves_and_reloads(tmp_path) -> None:
    train, val = circles.circle_splits(16, 8, batch_size=8, height=24, width=24, radius=(4, 8), seed=0)

    def build():
        return circles.post_autoencoder(
            (24, 24, 1),
            filters=(4, 1),
            kernel_sizes=(3, 3),
            output_activation="sigmoid",
        )

    result = circles.train_autoencoder(build, train, val, epochs=2, learning_rate=1e-2, target_iou=0.0)
    assert {"loss", "mse", "iou", "val_loss", "val_mse", "val_iou"} <= set(result.history)
    assert len(result.history["loss"]) == 2 and result.epochs_to_target == 1
    assert result.examples_per_second and result.examples_per_second > 0
    scores = circles.evaluate_autoencoder(result.model, val)
    assert 0 <= scores["iou"] <= 1 and scores["mse"] >= 0
    path = training.save_model(result.model, "test_circles")
    loaded = keras.models.load_model(path)
    x = next(iter(val))[0]
    np.testing.assert_allclose(loaded(x).numpy(), result.model(x).numpy(), atol=1e-6)


def test_train_autoencoder_counts_steps_and_times_the_first_apart() -> None:
    train, val = circles.circle_splits(24, 8, batch_size=8, height=24, width=24, radius=(4, 8), seed=0)

    def build():
        return circles.post_autoencoder(
            (24, 24, 1),
            filters=(4, 1),
            kernel_sizes=(3, 3),
            output_activation="sigmoid",
        )

    result = circles.train_autoencoder(build, train, val, epochs=2, learning_rate=1e-2)
    assert result.steps == 6  # 3 batches per epoch, 2 epochs, no clock to stop it early
    assert result.first_step_seconds > 0 and result.step_seconds > 0
    columns = circles.budget_columns(result)
    assert columns["steps"] == 6 and columns["later steps (ms)"] == pytest.approx(1000 * result.step_seconds)


def test_train_autoencoder_goes_through_training_fit() -> None:
    # Every optimizer of training.OPTIMIZERS and fit's time budget reach the autoencoder trainer.
    train, val = circles.circle_splits(24, 8, batch_size=8, height=24, width=24, radius=(4, 8), seed=0)
    build = lambda: circles.post_autoencoder((24, 24, 1), filters=(4, 1), kernel_sizes=(3, 3))  # noqa: E731
    result = circles.train_autoencoder(build, train, val, optimizer="adadelta", epochs=5, time_budget_s=0.0)
    assert result.steps == 1 and result.epochs_run == 1 and result.stop_reason == "time budget"
    assert isinstance(result.model.optimizer, keras.optimizers.Adadelta)
    with pytest.raises(ValueError, match="'nadam'"):
        circles.train_autoencoder(build, train, val, optimizer="nadam", epochs=1)


def test_train_autoencoder_counts_a_short_last_batch_exactly() -> None:
    train, _ = circles.circle_splits(20, 8, batch_size=8, height=24, width=24, radius=(4, 8), seed=0)
    build = lambda: circles.post_autoencoder((24, 24, 1), filters=(4, 1), kernel_sizes=(3, 3))  # noqa: E731
    result = circles.train_autoencoder(build, train, epochs=2)
    assert result.steps == 6  # 8 + 8 + 4 examples per epoch
    assert result.examples_per_second == pytest.approx(40 / result.seconds)


def test_architecture_sweep_rows() -> None:
    train, val = circles.circle_splits(16, 8, batch_size=8, height=24, width=24, radius=(4, 8), seed=0)
    builds = {"tiny": lambda: circles.post_autoencoder((24, 24, 1), filters=(4, 1), kernel_sizes=(3, 3))}
    rows = circles.architecture_sweep(builds, train, val, [1e-3, 1e-2], epochs=1)
    assert [r["learning rate"] for r in rows] == [1e-3, 1e-2]
    assert all(r["images/s"] > 0 and r["architecture"] == "tiny" for r in rows)


def _result(steps: int) -> circles.AutoencoderResult:
    return circles.AutoencoderResult(model=None, steps=steps, first_step_seconds=1.5, step_seconds=0.02)


def test_budget_note_says_when_budgets_differ() -> None:
    assert circles.budget_note({"a": _result(192), "b": _result(192)}).startswith(
        "Every run took the same 192 optimizer steps"
    )
    note = circles.budget_note({"MSE": _result(192), "Huber": _result(32)})
    assert "differ" in note and "Huber 32" in note
    with pytest.raises(ValueError, match="at least one run"):
        circles.budget_note({})


def test_corrupt_can_return_the_mask_it_blacked_out() -> None:
    img = np.ones((3, 20, 10, 1), np.float32)
    masked, hole = circles.corrupt(img, "mask", amount=0.5, seed=1, return_mask=True)
    assert hole.shape == (3, 20, 10, 1) and hole.dtype == bool
    assert np.all(hole.sum(axis=(1, 2, 3)) == 25)
    assert np.all(masked[hole] == 0) and np.all(masked[~hole] == 1)
    noisy, none = circles.corrupt(img, "noise", amount=0.1, return_mask=True)
    assert not none.any() and noisy.shape == img.shape


def test_masked_examples_come_from_the_test_stream() -> None:
    scene = dict(height=30, width=20, radius=(3, 6), count=(1, 3))
    damaged, clean, hole = circles.masked_examples(8, 0.4, **scene)
    assert damaged.shape == clean.shape == hole.shape == (8, 30, 20, 1)
    np.testing.assert_array_equal(damaged[~hole], clean[~hole])
    train = next(iter(circles.circle_dataset(8, 8, split="train", **scene)))[1].numpy()
    assert not np.array_equal(train, clean)


class _Fill(keras.Model):
    """Returns the clean images whatever it is given: a perfect inpainter for one fixed batch."""

    def __init__(self, clean: np.ndarray) -> None:
        super().__init__()
        self.clean = clean

    def call(self, x, training=False):
        return self.clean[: x.shape[0]]


def test_inpainting_report_scores_only_the_hole() -> None:
    damaged, clean, hole = circles.masked_examples(6, 0.5, height=30, width=20, radius=(4, 8), count=(2, 4))
    copier = keras.Sequential([keras.Input((30, 20, 1)), keras.layers.Identity()])
    as_input, copied = circles.inpainting_report(copier, damaged, clean, hole)
    assert as_input["what"].startswith("input") and copied == {**as_input, "what": "model output"}
    assert as_input["MSE in hole"] == pytest.approx(float(np.mean(clean[hole])))  # hole is black, truth 0/1
    _, perfect = circles.inpainting_report(_Fill(clean), damaged, clean, hole, batch_size=6)
    assert perfect["MSE in hole"] == 0 and perfect["disc IoU in hole"] == 1
    with pytest.raises(ValueError, match="non-empty hole"):
        circles.inpainting_report(copier, damaged, clean, np.zeros_like(hole))
