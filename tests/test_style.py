"""darkroom.style.transfer (stylize): short runs, L-BFGS, multi-resolution, bad input; the package's public names."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from darkroom import style
from darkroom.core import images, perceptual, synthetic

pytestmark = pytest.mark.usefixtures("offline_vgg")


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


def test_stylize_defaults_are_the_writeups_defaults() -> None:
    """Chapter 05 varies each knob around stylize's defaults and calls them the write-up's."""
    import inspect

    from darkroom.core import writeups

    params = inspect.signature(style.stylize).parameters
    assert params["content_weight"].default == writeups.value("style_content_weight_default")
    assert params["style_layer_weight_exp"].default == writeups.value("style_layer_weight_exp_default")
