"""neural-style's VGG19 file: MatConvNet's ``imagenet-vgg-verydeep-19.mat``, read for darkroom's Keras VGG19.

anishathalye/neural-style requires this file; ``weights="imagenet-vgg-verydeep-19.mat"`` (and
``darkroom stylize --network imagenet-vgg-verydeep-19.mat``) reads it the way neural-style's
``vgg.py`` does, with ``scipy.io.loadmat``'s defaults:

- ``data["layers"][0]`` is the list of layers, in neural-style's order (:data:`VGG19_LAYERS`);
  for a conv layer ``i``, ``kernels, bias = layers[i][0][0][0][0]`` (the layer struct's first
  field, ``weights``: a cell of the kernels and the bias; read by its name when the struct has names);
- the kernels are MatConvNet's [width, height, in, out], transposed (1, 0, 2, 3) to TensorFlow's
  [height, width, in, out]; the bias is reshaped to (-1,);
- the mean pixel is ``np.mean(data["normalization"][0][0][0], axis=(0, 1))`` (the ``averageImage``).

MatConvNet's VGG19 reads RGB minus that mean pixel.  darkroom's extractor reads RGB minus
``vgg.VGG_MEAN_RGB`` and flips it to BGR for Keras' (caffe-trained) filters, so
:func:`keras_kernels` flips conv1_1's input channels to BGR and folds any difference of the
two mean pixels into conv1_1's bias.  The .mat's kernels then give the same features as the
Keras VGG19 whose weights were written into it (``tests/test_matconvnet.py``).
"""

from __future__ import annotations

import os
import struct
import warnings
from pathlib import Path

import numpy as np

__all__ = ["EXPECTED", "VGG19_LAYERS", "check_file", "is_mat_path", "keras_kernels", "read_mat"]

EXPECTED = "imagenet-vgg-verydeep-19.mat (MatConvNet VGG19, as neural-style uses)"
# neural-style's VGG19_LAYERS: entry i of data["layers"][0] is the layer named here.
VGG19_LAYERS: tuple[str, ...] = (
    *("conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1"),
    *("conv2_1", "relu2_1", "conv2_2", "relu2_2", "pool2"),
    *("conv3_1", "relu3_1", "conv3_2", "relu3_2", "conv3_3", "relu3_3", "conv3_4", "relu3_4", "pool3"),
    *("conv4_1", "relu4_1", "conv4_2", "relu4_2", "conv4_3", "relu4_3", "conv4_4", "relu4_4", "pool4"),
    *("conv5_1", "relu5_1", "conv5_2", "relu5_2", "conv5_3", "relu5_3", "conv5_4", "relu5_4"),
)
_CHANNELS = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}  # output channels of each block's convolutions
_MAT_HEADERS = (b"MATLAB 5.0 MAT-file", b"MATLAB 7.3 MAT-file")
# Mean pixels that differ by less than this (0..255 units) are taken as equal: nothing is folded.
_MEAN_TOLERANCE = 1e-3


def _fail(path: str | os.PathLike, reason: str) -> ValueError:
    """The one-line error for a file that is not neural-style's VGG19 .mat."""
    reason = " ".join(reason.split())[:200]
    return ValueError(
        f"weights: {str(path)!r} is not a MatConvNet VGG19 .mat ({reason}); expected {EXPECTED}"
    )


def is_mat_path(path: str | os.PathLike) -> bool:
    """True for a ``.mat`` name, or a file that starts with a MATLAB .mat header."""
    path = Path(path)
    if path.suffix.lower() == ".mat":
        return True
    try:
        with path.open("rb") as f:
            return f.read(19) in _MAT_HEADERS
    except OSError:
        return False


def _truncation(path: str | os.PathLike) -> str | None:
    """Where a MATLAB v5 file's variables run past its end (a cut-off download), or None when they fit.

    A v5 file is a 128-byte header and then one element per variable: an 8-byte tag
    (type, byte count) and that many bytes.  Other files (v7.3 is HDF5) are left to scipy.
    """
    size = Path(path).stat().st_size
    with open(path, "rb") as f:
        head = f.read(128)
        if len(head) < 128 or not head.startswith(_MAT_HEADERS[0]):
            return None
        order = "<" if head[126:128] == b"IM" else ">"
        pos = 128
        while pos < size:
            f.seek(pos)
            tag = f.read(8)
            end = pos + 8 + (struct.unpack(order + "II", tag)[1] if len(tag) == 8 else 0)
            if len(tag) < 8 or end > size:
                return f"truncated: a variable at byte {pos:,} runs to byte {end:,} of a {size:,}-byte file"
            pos = end
    return None


def check_file(path: str | os.PathLike) -> str:
    """Check, without reading the weights, that ``path`` looks like neural-style's .mat; return its description.

    Raises FileNotFoundError for a missing file and ValueError for a file that is not a
    MATLAB v5 .mat holding a ``layers`` cell of at least the 36 VGG19 layers and a ``normalization``.
    """
    import scipy.io

    if not Path(path).is_file():
        raise FileNotFoundError(f"weights: no file at {str(path)!r}; expected {EXPECTED}")
    if cut := _truncation(path):
        raise _fail(path, cut)
    try:
        variables = {name: (shape, kind) for name, shape, kind in scipy.io.whosmat(path)}
    except Exception as err:  # scipy raises ValueError, OSError, NotImplementedError (v7.3 / HDF5), ...
        raise _fail(path, f"not readable by scipy.io.loadmat: {type(err).__name__}: {err}") from None
    for name in ("layers", "normalization"):
        if name not in variables:
            held = ", ".join(sorted(variables)) or "nothing"
            raise _fail(path, f"no {name!r} variable; it holds {held}")
    shape, kind = variables["layers"]
    if kind != "cell" or int(np.prod(shape)) < len(VGG19_LAYERS):
        raise _fail(
            path, f"'layers' is a {kind} of shape {shape}, not a cell of >= {len(VGG19_LAYERS)} layers"
        )
    return f"VGG19 weights from {path} (MatConvNet, neural-style's file)"


def _field(record: np.void, name: str):
    """A struct field by ``name`` when the struct has names, else its first field (neural-style's ``[0]``)."""
    names = record.dtype.names or ()
    return record[name] if name in names else record[0]


def _layer_name(record: np.void) -> str | None:
    """The layer's own ``name`` field, or None when it has none."""
    if "name" not in (record.dtype.names or ()):
        return None
    value = np.asarray(record["name"]).ravel()
    return str(value[0]) if value.size else None


def _conv(entry, name: str, c_in: int, path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Layer ``name``'s kernels, [height, width, in, out] (RGB in for conv1_1), and bias, shapes checked."""
    try:
        record = entry[0][0]
        own = _layer_name(record)
        kernels, bias = _field(record, "weights")[0]  # neural-style: weights[i][0][0][0][0]
    except (IndexError, TypeError, ValueError, KeyError) as err:
        raise _fail(path, f"layer {name}: no (kernels, bias) cell at [0][0][0][0]: {err}") from None
    if own is not None and own != name:
        raise _fail(path, f"layer {VGG19_LAYERS.index(name)} is {own!r} where VGG19 has {name!r}")
    kernels = np.transpose(np.asarray(kernels, np.float32), (1, 0, 2, 3)) if np.ndim(kernels) == 4 else None
    bias = np.asarray(bias, np.float32).reshape(-1)
    want = (3, 3, c_in, _CHANNELS[int(name[4])])
    if kernels is None or kernels.shape != want or bias.shape != want[-1:]:
        got = np.shape(kernels) if kernels is not None else "not 4-D"
        raise _fail(path, f"layer {name}: kernels {got}, bias {bias.shape}; VGG19 has {want}, ({want[-1]},)")
    return kernels, bias


def read_mat(path: str | os.PathLike) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], np.ndarray]:
    """neural-style's reading of ``path``: {"conv1_1": (kernels [h, w, in, out], bias), ...} and the RGB mean pixel.

    The kernels are as neural-style feeds TensorFlow: RGB input channels, input RGB minus the mean pixel.
    """
    import scipy.io

    check_file(path)
    try:
        data = scipy.io.loadmat(path, variable_names=["layers", "normalization"])  # not 'classes'
    except Exception as err:  # a truncated file raises OSError, a damaged one ValueError, ...
        raise _fail(path, f"scipy.io.loadmat: {type(err).__name__}: {err}") from None
    try:
        mean_pixel = np.mean(_field(data["normalization"][0][0], "averageImage"), axis=(0, 1))
        layers = data["layers"][0]
    except Exception as err:
        raise _fail(path, f"no mean image at normalization[0][0][0]: {err}") from None
    if np.shape(mean_pixel) != (3,):
        raise _fail(path, f"the mean pixel has shape {np.shape(mean_pixel)}, not (3,) (RGB)")
    convs, c_in = {}, 3
    for i, name in enumerate(VGG19_LAYERS):
        if name.startswith("conv"):
            convs[name] = _conv(layers[i], name, c_in, path)
            c_in = convs[name][0].shape[-1]
    return convs, np.asarray(mean_pixel, np.float32)


def keras_kernels(path: str | os.PathLike, mean_rgb: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The .mat's convolutions as Keras VGG19's: {"block1_conv1": (kernel, bias), ...} for input RGB - ``mean_rgb``.

    darkroom's extractor flips its input to BGR (Keras' order), so conv1_1's input channels are
    flipped too.  If the file's mean pixel differs from ``mean_rgb``, conv1_1 sees input offset
    by the difference, which is folded into its bias: exact away from the 1-pixel border, where
    neural-style zero-pads its own centred input (a warning says so).
    """
    convs, mean_pixel = read_mat(path)
    kernels, bias = convs["conv1_1"]
    shift = np.asarray(mean_rgb, np.float32) - mean_pixel  # (x - mean_rgb) + shift = x - mean_pixel
    if np.abs(shift).max() > _MEAN_TOLERANCE:
        warnings.warn(
            f"{path}: its mean pixel {np.round(mean_pixel, 3).tolist()} differs from darkroom's "
            f"{np.round(np.asarray(mean_rgb), 3).tolist()}; folded into conv1_1's bias "
            "(exact except at the image's 1-pixel border)",
            stacklevel=3,
        )
        bias = bias + np.einsum("hwco,c->o", kernels, shift)
    convs["conv1_1"] = (np.ascontiguousarray(kernels[:, :, ::-1, :]), bias.astype(np.float32))
    return {f"block{n[4]}_conv{n[6:]}": (np.ascontiguousarray(k), b) for n, (k, b) in convs.items()}
