"""darkroom.core.matconvnet: neural-style's imagenet-vgg-verydeep-19.mat gives the Keras VGG19's features.

A Keras VGG19 with random weights is written to a .mat in neural-style's layout; read back through
``weights=FILE.mat``, darkroom's features equal the Keras model's own (Keras' "caffe" preprocessing),
and two deliberately wrong transplants (kernels not transposed, conv1_1 left in BGR) fail the same
comparison.  Files that are not such a .mat get one clear line, from the library and from the CLI.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io

from darkroom.app import cli
from darkroom.core import image_files, matconvnet, vgg, vgg_weights

LAYERS = ("relu1_1", "relu3_1", "relu5_1")
TOLERANCE = 1e-5


@pytest.fixture(autouse=True)
def _no_configured_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(vgg_weights.WEIGHTS_ENV, raising=False)


@pytest.fixture(scope="module")
def keras_vgg19():
    """keras.applications.VGG19 without its top, random (seeded) weights: built once for the module."""
    import keras

    keras.utils.set_random_seed(0)
    return keras.applications.VGG19(weights=None, include_top=False, input_shape=(None, None, 3))


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    return np.random.default_rng(3).random((1, 48, 64, 3)).astype(np.float32)


@pytest.fixture(scope="module")
def reference(keras_vgg19, image: np.ndarray) -> dict[str, np.ndarray]:
    """The Keras model's own features of ``image``, through Keras' own VGG19 preprocessing (RGB -> BGR - mean)."""
    import keras

    names = [vgg.keras_layer_name(n) for n in LAYERS]
    taps = keras.Model(keras_vgg19.input, [keras_vgg19.get_layer(n).output for n in names])
    outs = taps(keras.applications.vgg19.preprocess_input(image * 255.0))
    return {n: np.asarray(o) for n, o in zip(LAYERS, outs)}


def write_neural_style_mat(
    path: Path, model, mean_rgb: np.ndarray = vgg.VGG_MEAN_RGB, *, transpose: bool = True, to_rgb: bool = True
) -> Path:
    """Write ``model``'s convolutions as MatConvNet's VGG19 .mat, the layout neural-style reads.

    ``layers`` is a 1 x 36 cell of structs (conv: ``weights`` first, a 1 x 2 cell of kernels
    [width, height, in, out] and bias, then ``name`` and ``type``); ``normalization`` a struct whose
    first field, ``averageImage``, is the 1 x 1 x 3 RGB mean.  ``transpose=False`` leaves the kernels
    in TensorFlow's [height, width, ...] order and ``to_rgb=False`` leaves conv1_1 reading BGR: the
    two wrong transplants the controls make.
    """
    layers = np.empty((1, len(matconvnet.VGG19_LAYERS)), object)
    for i, name in enumerate(matconvnet.VGG19_LAYERS):
        if not name.startswith("conv"):
            layers[0, i] = {"name": name, "type": name[:4]}
            continue
        kernels, bias = model.get_layer(vgg.keras_layer_name(name)).get_weights()
        if name == "conv1_1" and to_rgb:
            kernels = kernels[:, :, ::-1, :]  # Keras' first filters read BGR; MatConvNet's read RGB
        if transpose:
            kernels = kernels.transpose(1, 0, 2, 3)  # [height, width, in, out] -> [width, height, in, out]
        cell = np.empty((1, 2), object)
        cell[0, 0], cell[0, 1] = np.ascontiguousarray(kernels), bias.reshape(-1, 1)
        layers[0, i] = {"weights": cell, "name": name, "type": "conv"}
    mean = {"averageImage": np.asarray(mean_rgb, np.float32).reshape(1, 1, 3)}
    scipy.io.savemat(path, {"layers": layers, "normalization": mean})
    return path


def neural_style_reads(path: Path) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], np.ndarray]:
    """What neural-style's vgg.py (load_net, net_preloaded) takes from ``path``, with its indexing expressions."""
    data = scipy.io.loadmat(path)
    mean_pixel = np.mean(data["normalization"][0][0][0], axis=(0, 1))
    weights = data["layers"][0]
    convs = {}
    for i, name in enumerate(matconvnet.VGG19_LAYERS):
        if name[:4] == "conv":
            kernels, bias = weights[i][0][0][0][0]
            convs[name] = (np.transpose(kernels, (1, 0, 2, 3)), bias.reshape(-1))
    return convs, mean_pixel


@pytest.fixture(scope="module")
def mat_file(keras_vgg19, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_neural_style_mat(
        tmp_path_factory.mktemp("mat") / "imagenet-vgg-verydeep-19.mat", keras_vgg19
    )


def max_differences(
    weights: str | Path, image: np.ndarray, reference: dict[str, np.ndarray]
) -> dict[str, float]:
    """Largest absolute feature difference per layer between darkroom's extractor on ``weights`` and ``reference``."""
    feats = vgg.vgg_features(str(weights), "max", LAYERS)(vgg.preprocess(image))
    return {n: float(np.abs(np.asarray(feats[n]) - reference[n]).max()) for n in LAYERS}


# --------------------------------------------------------------------------- the layout


def test_the_layer_list_is_keras_vgg19s_order(keras_vgg19) -> None:
    keras_order = [layer.name for layer in keras_vgg19.layers[1:]]
    assert keras_order.pop() == "block5_pool"  # neural-style's list ends at relu5_4
    named = [vgg.keras_layer_name(n) for n in matconvnet.VGG19_LAYERS if not n.startswith("relu")]
    assert named == keras_order


def test_neural_styles_indexing_reads_what_darkroom_reads(mat_file: Path, keras_vgg19) -> None:
    theirs, their_mean = neural_style_reads(mat_file)
    ours, our_mean = matconvnet.read_mat(mat_file)
    np.testing.assert_array_equal(their_mean, vgg.VGG_MEAN_RGB)
    np.testing.assert_array_equal(our_mean, their_mean)
    assert list(ours) == list(theirs) and len(ours) == 16
    for name, (kernels, bias) in theirs.items():
        np.testing.assert_array_equal(ours[name][0], kernels)
        np.testing.assert_array_equal(ours[name][1], bias)
        k, b = keras_vgg19.get_layer(vgg.keras_layer_name(name)).get_weights()
        rgb = k[:, :, ::-1] if name == "conv1_1" else k  # neural-style's conv1_1 reads RGB, Keras' BGR
        np.testing.assert_array_equal(kernels, rgb)
        np.testing.assert_array_equal(bias, b)


# --------------------------------------------------------------------------- the features


def test_mat_features_equal_the_keras_models(mat_file: Path, image: np.ndarray, reference) -> None:
    choice = vgg_weights.resolve_weights(mat_file)
    assert choice.kind == "matconvnet" and "MatConvNet" in choice.description
    diffs = max_differences(mat_file, image, reference)
    print(f"max |features(.mat) - features(Keras)|: {diffs}")
    assert all(reference[n].std() > 1e-3 for n in LAYERS)  # the features are not all zero
    assert max(diffs.values()) <= TOLERANCE, diffs


def test_auto_takes_a_mat_named_by_the_environment(mat_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vgg_weights, "_keras_cache_files", lambda: [])
    monkeypatch.setenv(vgg_weights.WEIGHTS_ENV, str(mat_file))
    assert vgg_weights.resolve_weights("auto") == vgg_weights.resolve_weights(mat_file)
    assert vgg_weights.resolve_weights("auto").kind == "matconvnet"


@pytest.mark.parametrize(
    "wrong", [dict(transpose=False), dict(to_rgb=False)], ids=["kernels-untransposed", "conv1_1-in-BGR"]
)
def test_a_wrong_transplant_fails_the_same_comparison(
    wrong: dict, keras_vgg19, image: np.ndarray, reference, tmp_path: Path
) -> None:
    path = write_neural_style_mat(tmp_path / "wrong.mat", keras_vgg19, **wrong)
    diffs = max_differences(path, image, reference)
    print(f"control {wrong}: {diffs}")
    assert min(diffs.values()) > 1000 * TOLERANCE, diffs


def test_a_different_mean_pixel_is_folded_into_conv1_1(
    keras_vgg19, image: np.ndarray, tmp_path: Path
) -> None:
    # neural-style feeds RGB minus the file's mean; away from the zero-padded border darkroom's features match.
    mean = vgg.VGG_MEAN_RGB + np.float32([10.0, -20.0, 5.0])
    path = write_neural_style_mat(tmp_path / "shifted.mat", keras_vgg19, mean)
    with pytest.warns(UserWarning, match="folded into conv1_1's bias"):
        ours = np.asarray(vgg.vgg_features(str(path), "max", ("relu1_1",))(vgg.preprocess(image))["relu1_1"])
    theirs = np.asarray(keras_vgg19.get_layer("block1_conv1")((image * 255.0 - mean)[..., ::-1]))
    np.testing.assert_allclose(ours[:, 1:-1, 1:-1], theirs[:, 1:-1, 1:-1], atol=1e-4, rtol=1e-5)
    assert np.abs(ours - theirs).max() > 1e-2  # the border, where the two inputs are padded differently


# --------------------------------------------------------------------------- files that are not the .mat


def _small_layers(kernel_shape: tuple[int, ...], count: int = len(matconvnet.VGG19_LAYERS)) -> np.ndarray:
    layers = np.empty((1, count), object)
    for i in range(count):
        cell = np.empty((1, 2), object)
        cell[0, 0] = np.zeros(kernel_shape, np.float32)
        cell[0, 1] = np.zeros((kernel_shape[-1], 1), np.float32)
        layers[0, i] = {"weights": cell}
    return layers


def _bad_file(kind: str, folder: Path, mat_file: Path) -> tuple[Path, str]:
    """A file that is not neural-style's .mat, and what its error says besides the name and EXPECTED."""
    path = folder / f"{kind}.mat"
    mean = {"averageImage": np.zeros((1, 1, 3), np.float32)}
    if kind == "random-bytes":
        path.write_bytes(np.random.default_rng(0).bytes(4096))
        return path, "not readable by scipy.io.loadmat"
    if kind == "no-layers":
        scipy.io.savemat(path, {"net": np.ones(3), "normalization": mean})
        return path, "no 'layers' variable; it holds net, normalization"
    if kind == "truncated":
        path.write_bytes(mat_file.read_bytes()[: mat_file.stat().st_size // 2])
        return path, "truncated"
    if kind == "too-few-layers":
        scipy.io.savemat(path, {"layers": _small_layers((3, 3, 3, 64), 20), "normalization": mean})
        return path, "not a cell of >= 36 layers"
    if kind == "wrong-shapes":
        scipy.io.savemat(path, {"layers": _small_layers((3, 3, 3, 8)), "normalization": mean})
        return path, "layer conv1_1: kernels (3, 3, 3, 8)"
    return folder / "nowhere" / "imagenet-vgg-verydeep-19.mat", "no file at"  # missing


BAD = ["random-bytes", "no-layers", "truncated", "too-few-layers", "wrong-shapes", "missing"]


@pytest.mark.parametrize("kind", BAD)
def test_a_file_that_is_not_the_mat_gets_one_clear_line(kind: str, tmp_path: Path, mat_file: Path) -> None:
    path, says = _bad_file(kind, tmp_path, mat_file)
    error = FileNotFoundError if kind == "missing" else ValueError
    with pytest.raises(error) as info:
        vgg.vgg_features(str(path), "max", ("relu1_1",))
    message = str(info.value)
    assert "\n" not in message and str(path) in message and says in message, message
    assert matconvnet.EXPECTED in message, message


@pytest.fixture()
def photos(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    image_files.write_image(tmp_path / "photo.png", rng.random((24, 32, 3)))
    image_files.write_image(tmp_path / "style.png", rng.random((16, 16, 3)))
    return tmp_path


def _stylize(folder: Path, network: Path, capsys: pytest.CaptureFixture) -> tuple[int, list[str]]:
    argv = ["-q", "stylize", "--content", str(folder / "photo.png"), "--styles", str(folder / "style.png")]
    argv += ["--output", str(folder / "out.png"), "--iterations", "2", "--network", str(network)]
    code = cli.main(argv)
    return code, capsys.readouterr().err.splitlines()


@pytest.mark.parametrize("kind", ["random-bytes", "truncated", "missing"])
def test_the_cli_says_one_line_and_exits_1(
    kind: str, photos: Path, mat_file: Path, capsys: pytest.CaptureFixture
) -> None:
    path, says = _bad_file(kind, photos, mat_file)
    code, err = _stylize(photos, path, capsys)
    assert code == 1 and len(err) == 1, err
    assert err[0].startswith("darkroom stylize: error: ") and str(path) in err[0] and says in err[0]
    assert not (photos / "out.png").exists()


def test_the_cli_stylizes_with_the_mat(photos: Path, mat_file: Path, capsys: pytest.CaptureFixture) -> None:
    code, err = _stylize(photos, mat_file, capsys)
    assert code == 0 and err == [], err
    assert image_files.read_image(photos / "out.png")[0].shape == (24, 32, 3)
