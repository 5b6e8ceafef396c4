"""darkroom.style: stopping rules, short runs, multi-resolution, colour preservation, bad input, the public names."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from darkroom import style
from darkroom.core import color, images, metrics, perceptual, synthetic, vgg, vgg_weights


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


def test_blend_weights_normalise_and_refuse_bad_input() -> None:
    np.testing.assert_allclose(style.blend_weights([3, 1], 2), [0.75, 0.25])
    np.testing.assert_allclose(style.blend_weights(None, 4), [0.25] * 4)
    with pytest.raises(ValueError, match="at least one style"):
        style.blend_weights(None, 0)
    with pytest.raises(ValueError, match="positive sum"):
        style.blend_weights([0, 0], 2)
    with pytest.raises(ValueError, match="positive sum"):
        style.blend_weights([1, -0.5], 2)
    with pytest.raises(ValueError, match="expected 2 weights"):
        style.blend_weights([1, 2, 3], 2)


def test_relative_change_stop() -> None:
    assert not style.relative_change_stop([10, 9, 8], tol=0.1, window=5)  # too short to judge
    assert style.relative_change_stop([100, 99.9, 99.8, 99.7], tol=0.01, window=3)  # 0.3% < 1%
    assert not style.relative_change_stop([100, 80, 60, 40], tol=0.01, window=3)
    # The running best is compared, so a late spike does not count as progress or stall.
    assert style.relative_change_stop([100, 50, 50.1, 60, 49.99], tol=0.01, window=3)
    assert not style.relative_change_stop([100] * 10, tol=None, window=3)


def test_stopping_iteration_replays_the_rule_online() -> None:
    rng = np.random.default_rng(0)
    losses = list(1000 * np.exp(-np.arange(300) / 40) + 50 + rng.normal(0, 0.5, 300))
    n = style.stopping_iteration(losses, tol=1e-3, window=20)
    online = next(i for i in range(1, 301) if style.relative_change_stop(losses[:i], 1e-3, 20))
    assert n == online and 100 < n < 300
    assert style.stopping_iteration([100, 99.9, 99.8, 99.7], tol=0.01, window=3) == 4
    assert style.stopping_iteration([100, 80, 60, 40], tol=0.01, window=3) is None
    assert style.stopping_iteration([100] * 10, tol=None, window=3) is None


# ----------------------------------------------------------------- stylize


def test_short_run_lowers_the_loss_and_returns_frames(content) -> None:
    s = synthetic.procedural_style("mosaic", 64)
    r = style.stylize(content, s, iterations=20, weights="random", checkpoint_iterations=5, progress=False)
    assert r.history["loss"][0] / r.loss > 5.0
    assert [i for i, _ in r.frames] == [0, 5, 10, 15, 20]
    assert all(f.shape == (64, 64, 3) for _, f in r.frames)
    assert r.image.shape == (64, 64, 3) and r.image.dtype == np.float32
    assert r.loss == pytest.approx(min(r.history["loss"]), rel=0.5)  # best kept (final image included)
    assert r.stopped_at is None and r.iterations == 20 and "RANDOM" in r.weights


def test_lbfgs_multires_and_stopping(content) -> None:
    s = synthetic.procedural_style("stripes", 64)
    r = style.stylize(
        content,
        s,
        optimizer="lbfgs",
        iterations=15,
        multires=1,
        multires_iterations=5,
        weights="random",
        progress=False,
    )
    assert [st["size"] for st in r.stages] == [(32, 32), (64, 64)]
    assert r.history["stage"].count(0) == 5 and r.loss < r.history["loss"][5]
    stopped = style.stylize(
        content, s, iterations=200, tol=0.05, tol_window=5, weights="random", progress=False, initial=content
    )
    assert stopped.stopped_at is not None and stopped.stopped_at == stopped.iterations < 200


def test_lbfgs_gets_lower_than_adam_in_the_same_iterations() -> None:
    # Why L-BFGS is offered at all (Gatys et al. used it): per iteration it descends much further.
    photo = images.resize(images.sample_image("astronaut"), (64, 64))
    s = synthetic.procedural_style("swirls", 64)
    runs = {
        opt: style.stylize(
            photo, s, optimizer=opt, iterations=30, initial=photo, weights="random", progress=False
        )
        for opt in ("adam", "lbfgs")
    }
    assert runs["lbfgs"].history["loss"][0] == pytest.approx(runs["adam"].history["loss"][0])
    assert runs["lbfgs"].loss < 0.8 * runs["adam"].loss


def test_preserve_colors_keeps_the_contents_ab(content) -> None:
    s = synthetic.procedural_style("swirls", 64)
    r = style.stylize(content, s, iterations=5, preserve_colors=True, weights="random", progress=False)
    ab_out = color.rgb_to_lab(r.image)[..., 1:]
    ab_in = color.rgb_to_lab(content)[..., 1:]
    assert np.median(np.abs(ab_out - ab_in)) < 1.0
    plain = style.stylize(content, s, iterations=5, weights="random", progress=False)
    assert np.median(np.abs(color.rgb_to_lab(plain.image)[..., 1:] - ab_in)) > 5.0


def test_ycbcr_colour_preservation_is_neural_styles_recipe(content) -> None:
    rng = np.random.default_rng(3)
    styled = (0.35 + 0.3 * rng.random((64, 64, 3))).astype(np.float32)  # mid-range: nothing clips
    soft = (0.4 + 0.2 * content).astype(np.float32)
    out = style.transfer_luminance(styled, soft, "ycbcr")
    luma = np.array([0.299, 0.587, 0.114])
    np.testing.assert_allclose(out @ luma, styled @ luma, atol=1e-4)  # Rec. 601 luma of the result

    def chroma(x):
        return np.stack([x @ [-0.168736, -0.331264, 0.5], x @ [0.5, -0.418688, -0.081312]], -1)

    np.testing.assert_allclose(chroma(out), chroma(soft), atol=1e-4)  # Cb, Cr of the content
    lab = style.transfer_luminance(styled, soft, "lab")
    assert np.abs(lab - out).mean() > 1e-3  # two recipes, two results
    assert style.transfer_luminance(styled, soft) == pytest.approx(lab)  # LAB stays the default
    assert style.preserve_colors_space(True) == "lab" and style.preserve_colors_space(False) is None
    assert style.preserve_colors_space("YCbCr") == "ycbcr"
    with pytest.raises(ValueError, match="'ycbcr'"):
        style.preserve_colors_space("hsv")
    with pytest.raises(ValueError, match="space"):
        style.transfer_luminance(styled, soft, "hsv")
    r = style.stylize(
        content,
        synthetic.procedural_style("swirls", 64),
        iterations=3,
        preserve_colors="ycbcr",
        weights="multiscale",
        progress=False,
    )
    assert np.median(np.abs(chroma(r.image) - chroma(content))) < 0.01  # clipping aside


def test_feature_trial_scores_a_texture_and_a_transfer(content) -> None:
    swirls = synthetic.procedural_style("swirls", 64)
    trial = style.feature_trial(content, swirls, "multiscale", iterations=20, width=32)
    assert "MULTI-SCALE" in trial.weights and trial.transfer.caption.startswith("features: ")
    assert trial.texture.image.shape == trial.transfer.image.shape == (32, 32, 3)
    flat = np.full((32, 32, 3), vgg.VGG_MEAN_RGB / 255.0, np.float32)  # where the faint noise starts
    assert trial.texture_distance == pytest.approx(metrics.style_distance(swirls, trial.texture.image))
    assert trial.texture_distance < 0.6 * metrics.style_distance(swirls, flat)
    assert trial.transfer_distance < metrics.style_distance(swirls, images.resize(content, (32, 32)))


def test_multiscale_features_rebuild_the_layout_from_noise() -> None:
    # Why they are the offline fallback: their coarse levels carry the photo's layout, so a run from
    # noise ends near the photo, which random VGG19's relu4_2 did not do in trials.
    photo = images.resize(images.sample_image("astronaut"), (64, 64))
    r = style.stylize(
        photo,
        synthetic.procedural_style("swirls", 64),
        initial=None,
        iterations=60,
        optimizer="lbfgs",
        weights="multiscale",
        progress=False,
    )
    corr = np.corrcoef(r.image.mean(-1).ravel(), photo.mean(-1).ravel())[0, 1]
    assert corr > 0.6


def test_bad_inputs_are_refused_or_converted(content) -> None:
    s = synthetic.procedural_style("stripes", 32)
    with pytest.raises(ValueError, match="at least one style"):
        style.stylize(content, [], iterations=1, weights="random", progress=False)
    with pytest.raises(ValueError, match="positive sum"):
        style.stylize(
            content, [s, s], style_blend_weights=[0, 0], iterations=1, weights="random", progress=False
        )
    with pytest.raises(ValueError, match="optimizer"):
        style.stylize(content, s, optimizer="sgd", iterations=1, weights="random", progress=False)
    with pytest.raises(ValueError, match="lbfgs_memory"):
        style.stylize(
            content, s, optimizer="lbfgs", lbfgs_memory=0, iterations=1, weights="random", progress=False
        )
    with pytest.raises(ValueError, match="16 px"):
        style.stylize(content[:8, :8], s, iterations=1, weights="random", progress=False)
    gray = content.mean(axis=-1)
    rgba = (np.dstack([s, np.ones(s.shape[:2])]) * 255).astype(np.uint8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = style.stylize(gray, rgba, iterations=2, weights="random", progress=False, width=32)
    messages = " ".join(str(w.message) for w in caught)
    assert "gray" in messages and "alpha" in messages
    assert r.image.shape == (32, 32, 3)


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


def test_public_names_cover_what_the_notebooks_use() -> None:
    """Every ``style.X`` a notebook calls is public, and notebooks reach foundation modules directly."""
    import json
    import re
    from pathlib import Path

    used = set()
    for path in sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        used |= set(re.findall(r"\bstyle\.(\w+)", code))
        assert not re.search(r"\bstyle\.(vgg|data|color|images|metrics|training)\.", code), path.name
    assert used, "no notebook calls darkroom.style"
    assert sorted(used - set(style.__all__)) == []
    assert all(hasattr(style, name) for name in style.__all__)


def test_perceptual_parts_scores_a_result_as_stylize_did(content) -> None:
    """The scorer any method's result can be compared with gives stylize's own best loss back."""
    swirls = synthetic.procedural_style("swirls", 64)
    r = style.stylize(
        content,
        swirls,
        iterations=10,
        optimizer="lbfgs",
        initial=content,
        weights="multiscale",
        progress=False,
    )
    parts = perceptual.perceptual_parts(r.image, content, swirls, weights="multiscale")
    assert parts["loss"] == pytest.approx(r.loss, rel=1e-3)
    assert parts["loss"] == pytest.approx(parts["content"] + parts["style"] + parts["tv"], rel=1e-6)
    photo = perceptual.perceptual_parts(content, content, swirls, weights="multiscale")
    assert photo["content"] == 0.0 and photo["style"] > parts["style"]
    with pytest.raises(ValueError, match="one image"):
        perceptual.perceptual_parts(content[None], content, swirls)


def test_projected_hours_scale_the_timed_rate_and_skip_untimed_sizes() -> None:
    timed = {256: 3.6, 512: 18.0}
    assert style.projected_hours(timed, 256) == "1 hours: 1000 VGG19 iterations at 256 px"
    assert style.projected_hours(timed, 512, iterations=100) == "0.5 hours: 100 VGG19 iterations at 512 px"
    assert style.projected_hours(timed, 1024) is None
    with pytest.raises(ValueError, match="received 0"):
        style.projected_hours(timed, 256, iterations=0)
