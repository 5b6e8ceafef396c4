"""darkroom.style.trials: judging feature sets, time to a loss, the convergence plot, projected hours."""

from __future__ import annotations

import numpy as np
import pytest

from darkroom import style
from darkroom.core import images, metrics, synthetic, vgg, vgg_weights


@pytest.fixture(autouse=True)
def _offline_and_uncached(tmp_path, monkeypatch):
    """No Keras cache, no configured file: what "auto" sees on a fresh offline machine."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv(vgg_weights.WEIGHTS_ENV, raising=False)
    monkeypatch.setattr(
        vgg_weights, "_keras_cache_files", lambda: [tmp_path / "keras_home" / "models" / "none.h5"]
    )


@pytest.fixture(scope="module")
def content() -> np.ndarray:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:64, 0:64] / 64.0
    img = np.stack([x, y, 0.5 + 0.3 * np.sin(6 * x)], -1) * 0.7 + 0.1 * rng.random((64, 64, 3))
    return img.astype(np.float32)


def test_feature_trial_scores_a_texture_and_a_transfer(content) -> None:
    swirls = synthetic.procedural_style("swirls", 64)
    trial = style.feature_trial(content, swirls, "multiscale", iterations=20, width=32)
    assert "MULTI-SCALE" in trial.weights and trial.transfer.caption.startswith("features: ")
    assert trial.texture.image.shape == trial.transfer.image.shape == (32, 32, 3)
    flat = np.full((32, 32, 3), vgg.VGG_MEAN_RGB / 255.0, np.float32)  # where the faint noise starts
    assert trial.texture_distance == pytest.approx(metrics.style_distance(swirls, trial.texture.image))
    assert trial.texture_distance < 0.6 * metrics.style_distance(swirls, flat)
    assert trial.transfer_distance < metrics.style_distance(swirls, images.resize(content, (32, 32)))


def _fake_result(loss, stage, seconds) -> style.StyleResult:
    history = dict(loss=loss, stage=stage, seconds=seconds, content=loss, style=loss, tv=loss)
    return style.StyleResult(
        image=np.zeros((4, 4, 3), np.float32),
        loss=min(loss),
        history=history,
        frames=[],
        stopped_at=None,
        iterations=len(loss),
        seconds=seconds[-1],
        seconds_per_iteration=1.0,
        weights="RANDOM VGG19 weights (test)",
    )


def test_time_to_reach_and_convergence_plot_use_only_the_full_size_stage() -> None:
    import matplotlib

    matplotlib.use("Agg")
    r = _fake_result([5.0, 1.0, 10.0, 4.0, 2.0], [0, 0, 1, 1, 1], [1.0, 2.0, 3.0, 4.0, 5.0])
    assert style.time_to_reach(r, 4.0) == 4.0  # stage 0 reached 1.0 earlier, but at a smaller size
    assert style.time_to_reach(r, 1.0) is None
    ax = style.plot_convergence({"run": r}, target=4.0)
    line = ax.get_lines()[0]
    assert list(line.get_xdata()) == [3.0, 4.0, 5.0] and list(line.get_ydata()) == [10.0, 4.0, 2.0]
    assert ax.get_yscale() == "log" and "run" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_projected_hours_scale_the_timed_rate_and_skip_untimed_sizes() -> None:
    timed = {256: 3.6, 512: 18.0}
    assert style.projected_hours(timed, 256) == "1 hours: 1000 VGG19 iterations at 256 px"
    assert style.projected_hours(timed, 512, iterations=100) == "0.5 hours: 100 VGG19 iterations at 512 px"
    assert style.projected_hours(timed, 1024) is None
    with pytest.raises(ValueError, match="received 0"):
        style.projected_hours(timed, 256, iterations=0)
