"""darkroom.core.memory: hand-counted activations and totals, the fit rule, on built and planned nets."""

from __future__ import annotations

import keras
import pytest

from darkroom.core import memory, planner


def _small_model() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(4, 3, padding="same", name="conv"),
            keras.layers.Dropout(0.5, name="drop"),
            keras.layers.Flatten(name="flat"),
            keras.layers.Dense(10, name="dense"),
        ]
    )


def test_layer_table_matches_hand_counts() -> None:
    table = memory.layer_table(_small_model(), batch_size=2)
    rows = {r.name: r for r in table.rows}
    assert [r.name for r in table.rows] == ["conv", "drop", "flat", "dense"]
    assert rows["conv"].params == 3 * 3 * 1 * 4 + 4 == 40
    assert rows["dense"].params == 8 * 8 * 4 * 10 + 10 == 2570
    assert rows["conv"].output_shape == (2, 8, 8, 4) and rows["dense"].output_shape == (2, 10)
    assert rows["conv"].activation_bytes == 2 * 256 * 4
    assert rows["drop"].saved_bytes == 2 * 256  # a boolean keep-mask, one byte per element
    assert table.params == 2610 and table.param_bytes == 2610 * 4
    assert table.optimizer_bytes == 2 * 2610 * 4  # Adam keeps two slots per parameter
    assert table.data_bytes == 2 * (64 + 10) * 4  # input and target batch
    assert table.activation_bytes == 4 * 2 * (256 + 256 + 256 + 10) + 2 * 256
    assert table.total_bytes == (
        table.fixed_bytes + table.data_bytes + table.activation_bytes + table.workspace_bytes
    )
    assert "dense" in table.to_text() and "total, batch 2" in table.to_text()
    assert memory.layer_table(_small_model(), 2, optimizer="sgd").optimizer_bytes == 0


def test_memory_grows_linearly_with_batch() -> None:
    model = _small_model()
    t1, t10 = memory.layer_table(model, 1), memory.layer_table(model, 10)
    assert t10.total_bytes - t10.fixed_bytes == pytest.approx(10 * (t1.total_bytes - t1.fixed_bytes))


def test_fits_finds_the_largest_batch() -> None:
    model = _small_model()
    budget = memory.layer_table(model, 37).total_bytes + 1
    report = memory.fits(model, 64, budget)
    assert not report.fits and report.largest_batch_size == 37
    assert memory.fits(model, 37, budget).fits
    assert "largest batch that fits: 37" in str(report)
    with pytest.raises(ValueError, match="budget_bytes must be positive"):
        memory.fits(model, 1, 0)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="batch_size must be"):
        memory.layer_table(_small_model(), 0)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        memory.layer_table(_small_model(), 1, optimizer="lbfgs")
    with pytest.raises(TypeError, match=r"expects a keras\.Model"):
        memory.layer_table("model", 1)


# --- planning from a spec: nets too big to build ---------------------------------------------------


def test_the_post_s_first_colorizer_fits_no_batch_on_its_card() -> None:
    spec = planner.plan(planner.conv_dense_layers((150, 100, 2), kernel_size=7), (150, 100, 1))
    report = memory.fits(spec, 1, 3.5 * 2**30)
    assert not report.fits and report.largest_batch_size == 0
    assert report.fixed_bytes == 16 * spec.params


def test_fits_on_a_spec_finds_the_largest_batch() -> None:
    spec = planner.plan(planner.conv_dense_layers((12, 8, 2), filters=4), (12, 8, 1))
    budget = memory.layer_table(spec, 23).total_bytes + 1
    assert memory.fits(spec, 64, budget).largest_batch_size == 23


def test_layer_table_refuses_unknown_spatial_sizes() -> None:
    model = keras.Sequential([keras.Input((None, None, 1)), keras.layers.Conv2D(2, 3, padding="same")])
    with pytest.raises(ValueError, match=r"shaped \(batch, None, None, 2\): .*fixed input size"):
        memory.layer_table(model, 4)


def test_backward_workspace_starts_from_the_input_not_half_the_data() -> None:
    # Input 64 values, target 10: the gradient flowing into the dense layer's input is 64 values,
    # so at batch 1 the worst moment holds 64 + 10 floats beyond the kept activations.
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10)])
    assert memory.layer_table(model, 1).workspace_bytes == (64 + 10) * 4
