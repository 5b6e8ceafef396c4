"""darkroom.style.trials: judging feature sets, time to a loss, the convergence plot, projected hours."""

from __future__ import annotations

import numpy as np
import pytest

from darkroom import style
from darkroom.core import images, metrics, synthetic, vgg

pytestmark = pytest.mark.usefixtures("offline_vgg")


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


def _frames(values, every=10):
    return [(i * every, np.full((4, 4, 3), v, np.float32)) for i, v in enumerate(values)]


def test_spaced_frames_crowd_the_early_iterations_and_keep_the_ends():
    frames = _frames(np.linspace(0, 1, 21))  # iterations 0, 10, ..., 200
    picked = [it for it, _ in style.spaced_frames(frames, num_frames=6)]
    assert picked[0] == 0 and picked[-1] == 200 and len(picked) <= 6
    gaps = np.diff(picked)
    assert np.all(np.diff(gaps) >= 0)  # the gaps widen
    assert [it for it, _ in style.spaced_frames(frames[:4], num_frames=6)] == [0, 10, 20, 30]
    with pytest.raises(ValueError, match="received none"):
        style.spaced_frames([])


def test_settled_at_is_the_first_frame_from_which_the_image_stops_changing():
    # The image moves 0 -> 0.5 -> 0.9, then stays at 0.9 within a hair.
    frames = _frames([0.0, 0.5, 0.9, 0.901, 0.9, 0.9])
    assert style.settled_at(frames) == 20
    assert style.settled_at(_frames([0.0, 0.5, 1.0])) is None  # still moving at the end
    # A frame that wanders off again after settling restarts the count.
    assert style.settled_at(_frames([0.0, 0.9, 0.5, 0.9, 0.9])) == 30
