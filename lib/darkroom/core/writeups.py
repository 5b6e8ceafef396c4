"""Every figure the four write-ups report, in one place.

The notebooks retell four write-ups (``"000"`` colorizing from scratch and the circle autoencoder,
``"001"`` style transfer and the fire/theft regression, ``"002"`` colorization with a CNN and
pix2pix, ``"003"`` the super-resolution patch regressor). What a write-up reported is typed once,
here, and every "write-up vs this run" table is rendered from this registry beside the run's own
variables::

    from darkroom.core import writeups
    display(Markdown(writeups.comparison(
        "04", run={"fire_theft_sgd_slope": sgd.slope, ...},
        not_run={"fire_theft_fix_time": "TF1 on a MacBook Air; timed on this machine below"})))

Keys are grouped by topic (``gray_``, ``circle_``, ``fire_theft_``, ``style_``, ``cnn_``, ``pix2pix_``,
``sr_`` ...); ``ENTRIES`` holds one block per write-up, sorted by chapter inside it.

Each :class:`Entry` names the chapter that compares it (``notebook``); :func:`comparison` refuses a
table that leaves one of that chapter's entries out, so no write-up figure silently drops off a page.
``quote`` is the write-up's own words around the figure; the tests check it against the write-ups'
text when that text is present (it is not shipped with the package).
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ENTRIES", "SOURCES", "Entry", "comparison", "comparison_rows", "entries", "get", "value"]

SOURCES: dict[str, str] = {
    "000": "Getting my feet wet with TensorFlow (colorizing from scratch; the circle autoencoder), 2016",
    "001": "Playing with image style transfer; Dangers of tunable parameters; A crack in the TensorFlow platform, 2017",
    "002": "Learning to color pictures with DcGANs (CNN and pix2pix colorization)",
    "003": "Image resizing with machine learning (the super-resolution patch regressor), 2016",
}


@dataclass(frozen=True)
class Entry:
    """One figure or setting a write-up reports.

    ``value`` is the number as the write-up gives it (a setting counts: a learning rate, a size);
    ``unit`` is ``""`` for pure numbers; ``notebook`` is the two-digit chapter that compares it;
    ``quote`` is a verbatim span of the write-up containing the figure (``""`` when the figure is
    derived, e.g. a ratio of two quoted numbers, and ``what`` then says how); ``written`` is the
    figure exactly as the write-up wrote it when that is not a plain numeral ("2.2k", "half an hour",
    "150x100x100"), so a test can find it in the quote.
    """

    key: str
    value: float
    unit: str
    source: str
    what: str
    notebook: str
    quote: str = ""
    written: str = ""

    def formatted(self) -> str:
        """The value with its unit, as a table cell shows it: with the write-up's own digits when it
        printed trailing zeros ("0.120", "CUDA 8.0"), otherwise as a number."""
        if re.fullmatch(r"\d+\.\d+", self.written):
            return _with_unit(self.written, self.unit, float(self.written))
        return _format(self.value, self.unit, digits=12)  # as the write-up printed it


def _format(number: Any, unit: str = "", digits: int = 6) -> str:
    if isinstance(number, bool) or not isinstance(number, numbers.Real) or not math.isfinite(float(number)):
        return str(number)
    x = float(number)
    if x == int(x) and abs(x) < 1e15:
        text = f"{int(x):,}"
    elif abs(x) >= 1e-3:
        text = f"{x:.{digits}g}"
    else:
        text = f"{x:.3g}"
    return _with_unit(text, unit, x)


_SINGULAR = {
    "hours": "hour",
    "days": "day",
    "weeks": "week",
    "minutes": "minute",
    "images": "image",
    "epochs": "epoch",
    "steps": "step",
    "iterations": "iteration",
    "layers": "layer",
    "features": "feature",
    "units": "unit",
    "categories": "category",
    "rows": "row",
    "lines": "line",
}


def _with_unit(text: str, unit: str, x: float) -> str:
    if unit in ("%", "×"):
        return f"{text}{unit}"
    if x == 1:
        unit = _SINGULAR.get(unit, unit)
    return f"{text} {unit}".strip()


ENTRIES: tuple[Entry, ...] = (
    # --- 000: colorizing from scratch; the circle autoencoder (2016) -------------------------
    Entry(
        "gray_weight_r",
        0.29,
        "",
        "000",
        "weight of R in the post's gray formula",
        "01",
        "gray = 0.29 * R + 0.60 * G + 0.11 * B",
    ),
    Entry(
        "gray_weight_g",
        0.60,
        "",
        "000",
        "weight of G in the post's gray formula",
        "01",
        "gray = 0.29 * R + 0.60 * G + 0.11 * B",
        written="0.60",
    ),
    Entry(
        "gray_weight_b",
        0.11,
        "",
        "000",
        "weight of B in the post's gray formula",
        "01",
        "gray = 0.29 * R + 0.60 * G + 0.11 * B",
    ),
    Entry(
        "rgb_to_lab_divisor",
        255,
        "",
        "000",
        "divisor that brought 0-255 RGB into the 0-1 range the LAB conversion wanted",
        "01",
        "the RGB values were between 0-255 and PIL Images used 0.0-1.0 when converting from RGB to LAB, "
        "dividing them by 255 did the trick",
    ),
    Entry(
        "lab_lightness_max",
        100,
        "",
        "000",
        "top of LAB lightness, which the circle outputs overshot",
        "01",
        "The lightness range seems to be 0-100",
    ),
    Entry(
        "circle_image_long_side",
        150,
        "px",
        "000",
        "circle images, long side (150x100, one channel)",
        "02",
        "my images were (150,100,1)",
    ),
    Entry(
        "circle_image_short_side",
        100,
        "px",
        "000",
        "circle images, short side",
        "02",
        "my images were (150,100,1)",
    ),
    Entry(
        "circle_net_layers",
        6,
        "layers",
        "000",
        "convolution layers in the all-convolutional net",
        "02",
        "I settled on 6 layers",
    ),
    Entry(
        "circle_net_features_1",
        32,
        "features",
        "000",
        "features of the first layer",
        "02",
        "the top layer having about 32 features",
    ),
    Entry(
        "circle_net_features_2_3",
        16,
        "features",
        "000",
        "features of layers 2 and 3",
        "02",
        "then the next two with 16",
    ),
    Entry(
        "circle_net_features_4_5", 8, "features", "000", "features of layers 4 and 5", "02", "two more with 8"
    ),
    Entry(
        "circle_net_features_out",
        1,
        "features",
        "000",
        "features of the output layer (lightness)",
        "02",
        "one final layer with 1 feature",
    ),
    Entry(
        "circle_net_kernel",
        7,
        "px",
        "000",
        "kernel size of layers 1-5 (square)",
        "02",
        "Each layer had a kernel size of 7x7 except for the last layer which was 4x4",
    ),
    Entry(
        "circle_net_last_kernel",
        4,
        "px",
        "000",
        "kernel size of the output layer (square)",
        "02",
        "Each layer had a kernel size of 7x7 except for the last layer which was 4x4",
    ),
    Entry(
        "circle_net_stride",
        1,
        "",
        "000",
        "stride of every layer ('SAME' padding keeps the size)",
        "02",
        "I used ‘SAME’ padding and a stride size of 1",
    ),
    Entry(
        "circle_training_time",
        0.5,
        "hours",
        "000",
        "training time of the net that drew the 'toddler' circles (an upper bound)",
        "02",
        "trained in less than half an hour",
        written="half an hour",
    ),
    Entry(
        "gpu_memory_nominal",
        4,
        "GB",
        "000",
        "memory of the post's GTX970 card, nominal",
        "02",
        "My GTX970 card only has 4GB of memory",
    ),
    Entry(
        "gpu_memory_usable",
        3.5,
        "GB",
        "000",
        "memory of the GTX970 that is fast to use",
        "02",
        "or more likely 3.5GB",
    ),
    Entry(
        "circle_loss_divisor",
        150 * 100 * 100,
        "",
        "000",
        "first divisor tried on the summed squared loss (pixels x largest distance)",
        "03",
        "I tried dividing it by 150x100x100 and (150x100x100)^2",
        written="150x100x100",
    ),
    Entry(
        "circle_loss_divisor_squared",
        (150 * 100 * 100) ** 2,
        "",
        "000",
        "second divisor tried on the summed squared loss",
        "03",
        "I tried dividing it by 150x100x100 and (150x100x100)^2",
        written="(150x100x100)^2",
    ),
    Entry(
        "circle_white_black_distance",
        100,
        "",
        "000",
        "largest per-pixel distance, white (100) against black (0)",
        "03",
        "if one picture was white, 100, and the other picture was black, 0",
    ),
    Entry(
        "scratch_photos",
        1400,
        "images",
        "000",
        "stock photos in the first colorization dataset",
        "06",
        "For about 1400 images this was ~500 MB",
    ),
    Entry(
        "scratch_photos_size",
        500,
        "MB",
        "000",
        "size of those photos saved as L and AB arrays",
        "06",
        "For about 1400 images this was ~500 MB",
    ),
    Entry(
        "scratch_photo_long_side",
        150,
        "px",
        "000",
        "stock photos shrunk to 150x100 (aspect ratio not kept), long side",
        "06",
        "shrink all the images to be 150x100",
    ),
    Entry(
        "scratch_photo_short_side",
        100,
        "px",
        "000",
        "stock photos shrunk to 150x100, short side",
        "06",
        "shrink all the images to be 150x100",
    ),
    Entry(
        "scratch_net_features",
        30,
        "features",
        "000",
        "features of the first colorizer's few conv layers (no pooling, then a dense layer)",
        "06",
        "a couple convolutional layers with ~30 or so features, no pooling",
    ),
    Entry(
        "scratch_net_output_channels",
        2,
        "",
        "000",
        "channels the first colorizer output (a, b)",
        "06",
        "fully connected layer that output [:, 150, 100, 2]",
    ),
    Entry(
        "scratch_loss_print_divisor",
        1000,
        "",
        "000",
        "the printed loss was divided by this because it was so large",
        "06",
        "usually dividing it by a thousand or so",
        written="a thousand",
    ),
    # --- 001: style transfer; the fire/theft regression (2017) --------------------------------
    Entry(
        "fire_theft_sgd_learning_rate",
        0.001,
        "",
        "001",
        "the course's SGD learning rate (in its code)",
        "04",
        "GradientDescentOptimizer(learning_rate=0.001)",
    ),
    Entry(
        "fire_theft_sgd_learning_rate_comment",
        0.01,
        "",
        "001",
        "learning rate the course's code comment states (the code uses 0.001)",
        "04",
        "using gradient descent with learning rate of 0.01 to minimize loss",
    ),
    Entry(
        "fire_theft_sgd_epochs",
        100,
        "epochs",
        "001",
        "epochs of the course's per-sample SGD",
        "04",
        "for i in range(100): # run 100 epochs",
    ),
    Entry(
        "fire_theft_sgd_slope",
        1.71838,
        "",
        "001",
        "slope the course's SGD reached",
        "04",
        "Running this results in w (the slope) as 1.71838 and b (the intercept) as 15.7892",
    ),
    Entry(
        "fire_theft_sgd_intercept",
        15.7892,
        "",
        "001",
        "intercept the course's SGD reached",
        "04",
        "Running this results in w (the slope) as 1.71838 and b (the intercept) as 15.7892",
    ),
    Entry(
        "fire_theft_exact_slope",
        1.31345600492,
        "",
        "001",
        "least-squares slope of thefts on fires, solved exactly",
        "04",
        "slope of 1.31345600492 and intercept of 16.9951572327",
    ),
    Entry(
        "fire_theft_exact_intercept",
        16.9951572327,
        "",
        "001",
        "least-squares intercept, solved exactly",
        "04",
        "slope of 1.31345600492 and intercept of 16.9951572327",
    ),
    Entry(
        "fire_theft_fix_factor",
        100,
        "",
        "001",
        "factor by which the fix divided the learning rate and multiplied the epochs",
        "04",
        "reduce the learning rate by a factor of 100 to 0.00001 and increase the iterations by 100 to 10,000",
    ),
    Entry(
        "fire_theft_fix_learning_rate",
        0.00001,
        "",
        "001",
        "learning rate of the post's fix",
        "04",
        "reduce the learning rate by a factor of 100 to 0.00001",
    ),
    Entry(
        "fire_theft_fix_epochs",
        10000,
        "epochs",
        "001",
        "epochs of the post's fix",
        "04",
        "increase the iterations by 100 to 10,000",
    ),
    Entry(
        "fire_theft_fix_time",
        5,
        "minutes",
        "001",
        "time the fix took on the post's computer (TF1)",
        "04",
        "This then took about 5 minutes to solve on my computer",
    ),
    Entry(
        "fire_theft_estimator_num_epochs",
        10000,
        "epochs",
        "001",
        "num_epochs given to the LinearRegressor's input function",
        "04",
        "num_epochs=10000",
    ),
    Entry(
        "fire_theft_estimator_steps",
        2000,
        "steps",
        "001",
        "steps the LinearRegressor was fitted for",
        "04",
        "estimator.fit(input_fn=input_fn, steps=2000)",
    ),
    Entry(
        "fire_theft_estimator_slope",
        1.50674927,
        "",
        "001",
        "slope the LinearRegressor returned",
        "04",
        "returns a slope of 1.50674927 and intercept of 13.47268105",
    ),
    Entry(
        "fire_theft_estimator_intercept",
        13.47268105,
        "",
        "001",
        "intercept the LinearRegressor returned",
        "04",
        "returns a slope of 1.50674927 and intercept of 13.47268105",
    ),
    Entry(
        "style_time_small",
        1,
        "hours",
        "001",
        "time per image at small size, MacBook Air, no GPU",
        "05",
        "it took about an hour for each image",
        written="an hour",
    ),
    Entry(
        "style_time_medium",
        6,
        "hours",
        "001",
        "time per image at medium size, same machine",
        "05",
        "it took about six hours to generate an image",
        written="six hours",
    ),
    Entry(
        "style_content_weight_default",
        5,
        "",
        "001",
        "neural-style's default content weight",
        "05",
        "the content weight was the default of 5",
    ),
    Entry(
        "style_blend_major",
        75,
        "%",
        "001",
        "larger share in the two-style blend",
        "05",
        "get say 75% Starry Night and 25% Dora Maar",
    ),
    Entry(
        "style_blend_minor",
        25,
        "%",
        "001",
        "smaller share in the two-style blend",
        "05",
        "get say 75% Starry Night and 25% Dora Maar",
    ),
    Entry(
        "style_layer_weight_exp_default",
        1,
        "",
        "001",
        "default style-layer weight exponent (no layer favoured)",
        "05",
        "The default is 1 (ie none)",
    ),
    Entry(
        "style_layer_weight_exp_low",
        0.2,
        "",
        "001",
        "style-layer weight exponent tried below 1",
        "05",
        "Here is Tetrahedron Peak using 0.2 and 2.0",
    ),
    Entry(
        "style_layer_weight_exp_high",
        2.0,
        "",
        "001",
        "style-layer weight exponent tried above 1",
        "05",
        "Here is Tetrahedron Peak using 0.2 and 2.0",
        written="2.0",
    ),
    Entry(
        "style_iterations_converged",
        500,
        "iterations",
        "001",
        "iterations after which the small image had about converged",
        "05",
        "we are pretty much converged at 500 iterations",
    ),
    Entry(
        "vgg_layers",
        19,
        "layers",
        "001",
        "depth of the VGG network style transfer builds on",
        "05",
        "This Neural Net is 19 layers deep",
    ),
    Entry(
        "style_dslr_photo_size",
        12,
        "MB",
        "001",
        "a full-resolution photo from the DSLR, too big to use",
        "05",
        "full resolution from my DLSR (12meg)",
        written="12meg",
    ),
    Entry(
        "style_large_photo_size",
        286,
        "KB",
        "001",
        "the Apple 'large' export that was usable",
        "05",
        "size (286KB)",
    ),
    Entry(
        "style_custom_training_time",
        30,
        "minutes",
        "001",
        "time online services take to train a style from your own photo (or more)",
        "09",
        "this can take 30 minutes (or more)",
    ),
    Entry(
        "style_deepart_time",
        25,
        "minutes",
        "001",
        "typical time deepart.io takes for an uploaded style",
        "09",
        "typically takes 25 minutes",
    ),
    # --- 002: CNN and pix2pix colorization ----------------------------------------------------
    Entry(
        "lab_divisor_l",
        100,
        "",
        "002",
        "divisor that normalised L for the network",
        "01",
        "I divided the channels in LAB by [100, 128 and 128] respectively",
    ),
    Entry(
        "lab_divisor_a",
        128,
        "",
        "002",
        "divisor that normalised a",
        "01",
        "I divided the channels in LAB by [100, 128 and 128] respectively",
    ),
    Entry(
        "lab_divisor_b",
        128,
        "",
        "002",
        "divisor that normalised b",
        "01",
        "I divided the channels in LAB by [100, 128 and 128] respectively",
    ),
    Entry(
        "unsplash_images",
        9294,
        "images",
        "002",
        "Unsplash photos in emilwallner's dataset",
        "06",
        "his dataset of 9,294 images that was collected from unsplash",
    ),
    Entry(
        "unsplash_image_side",
        256,
        "px",
        "002",
        "side of those (square) photos",
        "06",
        "standardized in size with 256x256",
    ),
    Entry(
        "capstone_min_rows",
        1500,
        "rows",
        "002",
        "the capstone's minimum dataset size",
        "06",
        "at least have 1,500 rows of data",
    ),
    Entry(
        "emil_code_lines",
        100,
        "lines",
        "002",
        "length of the tutorial colorizer the post started from",
        "06",
        "coloring pictures using CNN with less than 100 lines of codes",
    ),
    Entry(
        "emil_cnn_few_images",
        200,
        "images",
        "002",
        "upper end of 'few images' on which the tutorial's network works well",
        "06",
        "It seems to work well when training the model on few images (less than 200)",
    ),
    Entry(
        "augment_choices",
        3,
        "",
        "002",
        "contrast augmentations, one applied at random per image",
        "06",
        "randomly apply one of three augmentations",
        written="three",
    ),
    Entry(
        "contrast_stretch_low_percentile",
        2,
        "",
        "002",
        "lower percentile kept by contrast stretching",
        "06",
        "include all intensities that fall within the 2nd and 98th percentiles",
    ),
    Entry(
        "contrast_stretch_high_percentile",
        98,
        "",
        "002",
        "upper percentile kept by contrast stretching",
        "06",
        "include all intensities that fall within the 2nd and 98th percentiles",
    ),
    Entry(
        "cnn_input_side",
        256,
        "px",
        "002",
        "input side of the post's CNN (L channel only)",
        "06",
        "model.add(InputLayer(input_shape=(256, 256, 1)))",
    ),
    Entry(
        "cnn_first_width",
        64,
        "features",
        "002",
        "features of the CNN's first convolution",
        "06",
        "model.add(Conv2D(64, (3, 3),activation='relu', padding='same'))",
    ),
    Entry(
        "cnn_widest",
        512,
        "features",
        "002",
        "features of the CNN's widest convolutions",
        "06",
        "model.add(Conv2D(512, (3, 3), activation='relu',padding='same'))",
    ),
    Entry(
        "cnn_kernel",
        3,
        "px",
        "002",
        "kernel size of every convolution in the CNN (square)",
        "06",
        "model.add(Conv2D(512, (3, 3), activation='relu',padding='same'))",
    ),
    Entry(
        "cnn_bottleneck_side",
        32,
        "px",
        "002",
        "feature-map side after the three stride-2 convolutions",
        "06",
        "#(bs,32,32,512)",
    ),
    Entry(
        "cnn_conv_layers",
        13,
        "layers",
        "002",
        "derived: convolutions in the CNN listing, 7 going down and 6 coming up",
        "06",
    ),
    Entry(
        "cnn_dropout",
        0.5,
        "",
        "002",
        "dropout rate after the first three upsampling-side convolutions",
        "06",
        "model.add(Dropout(0.5))",
    ),
    Entry(
        "cnn_output_channels",
        2,
        "",
        "002",
        "channels of the CNN's tanh output (a, b)",
        "06",
        "model.add(Conv2D(2, (3, 3), activation='tanh', padding='same'))",
    ),
    Entry(
        "cnn_epochs",
        1000,
        "epochs",
        "002",
        "epochs of the multi-scale SSIM CNN that did not turn out well",
        "06",
        "after training the above model on 1000 epochs",
    ),
    Entry(
        "pix2pix_full_dataset",
        9200,
        "images",
        "002",
        "dataset size before cutting it down",
        "07",
        "cut down my sample size from 9.2k images to 2.2k images",
        written="9.2k",
    ),
    Entry(
        "pix2pix_subset",
        2200,
        "images",
        "002",
        "photos of people pix2pix was trained and tested on",
        "07",
        "cut down my sample size from 9.2k images to 2.2k images",
        written="2.2k",
    ),
    Entry(
        "pix2pix_train_images",
        2000,
        "images",
        "002",
        "training part of that subset",
        "07",
        "only pick 2.2k (2k in training set and 200 in test) images of people only",
        written="2k",
    ),
    Entry(
        "pix2pix_test_images",
        200,
        "images",
        "002",
        "test part of that subset",
        "07",
        "only pick 2.2k (2k in training set and 200 in test) images of people only",
    ),
    Entry(
        "pix2pix_categories",
        3,
        "categories",
        "002",
        "categories the photos fall into (landscape, people, objects)",
        "07",
        "either of 3 categories of Landscape, People and Objects",
    ),
    Entry(
        "pix2pix_epochs",
        1500,
        "epochs",
        "002",
        "epochs pix2pix was trained for",
        "07",
        "I trained the model on 1500 epochs on Google Colab GPU",
    ),
    Entry(
        "pix2pix_epoch_time",
        200,
        "s",
        "002",
        "average time per epoch on the Colab GPU",
        "07",
        "with an average runtime of 200s per epoch",
    ),
    Entry(
        "pix2pix_training_days",
        4,
        "days",
        "002",
        "total training time reported",
        "07",
        "training it for a total of 4 days",
    ),
    Entry(
        "pix2pix_epochs_times_epoch_time",
        round(1500 * 200 / 86400, 2),
        "days",
        "002",
        "derived: 1500 epochs x 200 s per epoch = 300,000 s, in days (the stated total is 4 days)",
        "07",
    ),
    Entry(
        "pix2pix_init_stddev",
        0.02,
        "",
        "002",
        "standard deviation of the normal weight initializer",
        "07",
        "initializer = tf.random_normal_initializer(0., 0.02)",
    ),
    Entry(
        "pix2pix_channels",
        3,
        "",
        "002",
        "channels of the generator's input and output (RGB in, RGB out)",
        "07",
        "inputs = tf.keras.layers.Input(shape=[None,None,3])",
    ),
    Entry(
        "pix2pix_kernel",
        4,
        "px",
        "002",
        "kernel size of every generator and discriminator convolution",
        "07",
        "downsample(128, 4), # (bs, 64, 64, 128)",
    ),
    Entry(
        "pix2pix_first_width",
        64,
        "features",
        "002",
        "filters of the first downsampling block",
        "07",
        "downsample(64, 4, apply_batchnorm=False), # (bs, 128, 128, 64)",
    ),
    Entry(
        "pix2pix_widest",
        512,
        "features",
        "002",
        "filters of the widest blocks",
        "07",
        "downsample(512, 4), # (bs, 16, 16, 512)",
    ),
    Entry(
        "pix2pix_image_side",
        256,
        "px",
        "002",
        "side of the generator's output image",
        "07",
        "activation='tanh') # (bs, 256, 256, 3)",
    ),
    Entry(
        "pix2pix_bottleneck_side",
        1,
        "px",
        "002",
        "side of the generator's bottleneck",
        "07",
        "downsample(512, 4), # (bs, 1, 1, 512)",
    ),
    Entry(
        "pix2pix_generator_downsamples",
        8,
        "layers",
        "002",
        "derived: stride-2 blocks in the generator's down stack (256 px down to 1 px)",
        "07",
    ),
    Entry(
        "pix2pix_dropout",
        0.5,
        "",
        "002",
        "dropout rate in the generator's upsampling blocks",
        "07",
        "result.add(tf.keras.layers.Dropout(0.5))",
    ),
    Entry(
        "pix2pix_dropout_blocks",
        3,
        "layers",
        "002",
        "derived: upsampling blocks with dropout, the first 3 of the 7 in the up stack",
        "07",
    ),
    Entry(
        "pix2pix_patch_side",
        30,
        "px",
        "002",
        "side of the PatchGAN discriminator's output map",
        "07",
        "(zero_pad2) # (bs, 30, 30, 1)",
    ),
    # --- 003: the super-resolution patch regressor (2016) -------------------------------------
    Entry(
        "sr_claimed_resize",
        25,
        "%",
        "003",
        "enlargement the summary claims (the body says 50%)",
        "08",
        "capable of resizing images up to 25%",
    ),
    Entry(
        "caltech_images",
        30607,
        "images",
        "003",
        "images in Caltech-256",
        "08",
        "Caltech-256 consists of 30607 images, split into 256 categories.",
    ),
    Entry(
        "caltech_categories",
        256,
        "categories",
        "003",
        "categories in Caltech-256 (ignored)",
        "08",
        "Caltech-256 consists of 30607 images, split into 256 categories.",
    ),
    Entry(
        "sr_channels",
        1,
        "",
        "003",
        "colour channels after converting to grayscale",
        "08",
        "all images were converted to grayscale, having only 1 color channel",
    ),
    Entry(
        "sr_images_extracted",
        20000,
        "images",
        "003",
        "images extracted to fit in RAM",
        "08",
        "a smaller set, of 20000 image is being extracted",
    ),
    Entry(
        "sr_label_side",
        150,
        "px",
        "003",
        "side of the labels (cropped, rescaled)",
        "08",
        "All labels were resized and cropped to 150x150 pixels, and the training set to 100x100.",
    ),
    Entry(
        "sr_input_side",
        100,
        "px",
        "003",
        "side of the inputs",
        "08",
        "All labels were resized and cropped to 150x150 pixels, and the training set to 100x100.",
    ),
    Entry(
        "sr_smaller_percent",
        33.3,
        "%",
        "003",
        "the input is this much smaller than the label",
        "08",
        "This can also be interpreted as 33.3% smaller or 50% bigger.",
    ),
    Entry(
        "sr_bigger_percent",
        50,
        "%",
        "003",
        "the label is this much bigger than the input",
        "08",
        "This can also be interpreted as 33.3% smaller or 50% bigger.",
    ),
    Entry(
        "sr_deep_width_1",
        4096,
        "units",
        "003",
        "first layer of the deepest MLP tried",
        "08",
        "- 4096 - 2048 - 1024 - 512",
    ),
    Entry(
        "sr_deep_width_2",
        2048,
        "units",
        "003",
        "second layer of the deepest MLP tried",
        "08",
        "- 4096 - 2048 - 1024 - 512",
    ),
    Entry(
        "sr_deep_width_3",
        1024,
        "units",
        "003",
        "third layer of the deepest MLP tried",
        "08",
        "- 4096 - 2048 - 1024 - 512",
    ),
    Entry(
        "sr_deep_width_4",
        512,
        "units",
        "003",
        "fourth layer of the deepest MLP tried",
        "08",
        "- 4096 - 2048 - 1024 - 512",
    ),
    Entry(
        "sr_deep_hidden_layers",
        4,
        "layers",
        "003",
        "hidden layers of the deepest MLP tried",
        "08",
        "Multi layer perceptron network, with 4 hidden layers",
    ),
    Entry(
        "sr_activations_tried",
        3,
        "",
        "003",
        "activation functions tried (sigmoid, tanh, ReLU)",
        "08",
        "3 activation functions were tested",
    ),
    Entry(
        "sr_inits_tried",
        2,
        "",
        "003",
        "weight initialisations tried (Gaussian, Xavier)",
        "08",
        "2 types of weight initialization",
    ),
    Entry(
        "sr_optimizers_tried", 3, "", "003", "optimizers tried (GD, AdaDelta, RMSProp)", "08", "3 Optimizers:"
    ),
    Entry("sr_patch_16_in", 16, "px", "003", "patch size tried: 16 in ...", "08", "in: 16x16, out 32x32"),
    Entry("sr_patch_16_out", 32, "px", "003", "... 32 out", "08", "in: 16x16, out 32x32"),
    Entry("sr_patch_8_in", 8, "px", "003", "patch size tried: 8 in ...", "08", "in: 8x8, out 16x16"),
    Entry("sr_patch_8_out", 16, "px", "003", "... 16 out", "08", "in: 8x8, out 16x16"),
    Entry(
        "sr_patch_in",
        10,
        "px",
        "003",
        "input patch side of the chosen model",
        "08",
        "Patch size: 10x10 -> 15x15",
    ),
    Entry(
        "sr_patch_out",
        15,
        "px",
        "003",
        "output patch side of the chosen model",
        "08",
        "Patch size: 10x10 -> 15x15",
    ),
    Entry(
        "sr_mlp_inputs", 100, "units", "003", "derived: inputs of the chosen MLP, 10 x 10 patch pixels", "08"
    ),
    Entry(
        "sr_mlp_outputs",
        225,
        "units",
        "003",
        "derived: outputs of the chosen MLP, 15 x 15 patch pixels",
        "08",
    ),
    Entry(
        "sr_keep_prob_low", 0.5, "", "003", "dropout keep_prob tried (low)", "08", "Dropout: keep_prob = 0.5"
    ),
    Entry(
        "sr_keep_prob_high",
        0.9,
        "",
        "003",
        "dropout keep_prob tried (high); below it all was blur",
        "08",
        "Dropout: keep_prob = 0.9",
    ),
    Entry(
        "sr_tuning_time",
        1,
        "weeks",
        "003",
        "time spent trying parameters and algorithms",
        "08",
        "After a week playing with parameters and algorithms",
        written="a week",
    ),
    Entry(
        "sr_hidden_layers",
        2,
        "layers",
        "003",
        "hidden layers of the chosen MLP",
        "08",
        "Multi layer perceptron with 2 hidden layers",
    ),
    Entry(
        "sr_hidden_1",
        2048,
        "units",
        "003",
        "units of the chosen MLP's first hidden layer",
        "08",
        "2048 parameters for the first hidden layer, and 1024 for the second",
    ),
    Entry(
        "sr_hidden_2",
        1024,
        "units",
        "003",
        "units of its second hidden layer",
        "08",
        "2048 parameters for the first hidden layer, and 1024 for the second",
    ),
    Entry(
        "sr_train_percent",
        75,
        "%",
        "003",
        "share of the data used for training",
        "08",
        "Training: with 75% of the data",
    ),
    Entry(
        "sr_test_percent", 12.5, "%", "003", "share used for testing", "08", "Testing: with 12.5% of the data"
    ),
    Entry(
        "sr_validation_percent",
        12.5,
        "%",
        "003",
        "share used for validation",
        "08",
        "Validation: with 12.5% of the data",
    ),
    Entry(
        "sr_learning_rate",
        0.01,
        "",
        "003",
        "RMSProp learning rate",
        "08",
        "optimizer = tf.train.RMSPropOptimizer(0.01).minimize(loss)",
    ),
    Entry(
        "sr_steps",
        30000,
        "steps",
        "003",
        "training steps (one batch of patches each)",
        "08",
        "for step in range(30000):",
    ),
    Entry(
        "sr_run_to_run_fluctuation",
        1,
        "%",
        "003",
        "run-to-run change of the test score (random patches)",
        "08",
        "it's only about 1%, a minor fluctuation",
    ),
    Entry(
        "sr_test_r2",
        0.064,
        "",
        "003",
        "final model's score on the test set (called r2; a mean error)",
        "08",
        "Test r2: 0.064",
    ),
    Entry(
        "sr_validation_r2",
        0.063,
        "",
        "003",
        "final model's score on the validation set",
        "08",
        "Validation r2: 0.063",
    ),
    Entry(
        "sr_mean_distance_percent",
        6,
        "%",
        "003",
        "the write-up's reading of that score",
        "08",
        "images that are 6% distant from the original label on average",
    ),
    Entry(
        "sr_nearest_score",
        0.120,
        "",
        "003",
        "nearest neighbour's mean absolute difference, reassembled images",
        "08",
        "Comparing the nearest neighbor score: 0.120 with our model: 0.092",
        written="0.120",
    ),
    Entry(
        "sr_model_score",
        0.092,
        "",
        "003",
        "the MLP's mean absolute difference, reassembled images",
        "08",
        "Comparing the nearest neighbor score: 0.120 with our model: 0.092",
    ),
    Entry(
        "sr_gain_percent",
        30,
        "%",
        "003",
        "the gain the write-up states over nearest neighbour",
        "08",
        "we can say there's a ~30% gain on this result",
    ),
    Entry(
        "sr_gain_ratio",
        1.3043,
        "",
        "003",
        "nearest neighbour's score over the model's",
        "08",
        "0.120/0.092 = 1.3043",
    ),
    Entry(
        "sr_bicubic_input_score",
        0.04,
        "",
        "003",
        "score of the variant fed bicubically enlarged images (an autoencoder)",
        "08",
        "having final score of 0.04",
    ),
    Entry(
        "imagenet_url_list_size",
        334,
        "MB",
        "003",
        "size of ImageNet's zipped URL list (why it was not used)",
        "08",
        "a zip file containing only image URLs already is as big as 334MB",
    ),
    Entry(
        "sr_gpu_setup_time",
        1,
        "weeks",
        "003",
        "time it took to get TensorFlow running on the GPU",
        "08",
        "it took me about a week to overcome them",
        written="a week",
    ),
    Entry(
        "cuda_gtx1060",
        8.0,
        "",
        "003",
        "CUDA version the GTX-1060 needed",
        "08",
        "GTX-1060 requires updated drivers and CUDA 8.0 but TensorFlow is built against CUDA 7.5",
        written="8.0",
    ),
    Entry(
        "cuda_tensorflow",
        7.5,
        "",
        "003",
        "CUDA version TensorFlow was built against",
        "08",
        "GTX-1060 requires updated drivers and CUDA 8.0 but TensorFlow is built against CUDA 7.5",
    ),
    Entry(
        "flipboard_dataset_scale",
        200,
        "",
        "003",
        "Flipboard's dataset, times the size of Caltech-256",
        "08",
        "a dataset that's 200 times bigger than Caltech-256",
    ),
    Entry(
        "flipboard_images",
        3_000_000,
        "images",
        "003",
        "images in Flipboard's dataset",
        "08",
        "with a total of 3 million images",
        written="3 million",
    ),
    Entry(
        "flipboard_entry_convs",
        2,
        "layers",
        "003",
        "convolution layers Flipboard put at the network's entry",
        "08",
        "they introduced 2 convolution layers on the entry point of their DNN",
    ),
    Entry(
        "sr_score_completely_different",
        1.0,
        "",
        "003",
        "score of two completely different images (the top of its scale)",
        "08",
        "when images are completely different: 1.000000",
    ),
)


def _index() -> dict[str, Entry]:
    index: dict[str, Entry] = {}
    for entry in ENTRIES:
        if entry.key in index:
            raise RuntimeError(f"darkroom.core.writeups: key {entry.key!r} is registered twice")
        index[entry.key] = entry
    return index


_BY_KEY = _index()


def get(key: str) -> Entry:
    """The entry registered under ``key``."""
    try:
        return _BY_KEY[key]
    except KeyError:
        close = sorted(k for k in _BY_KEY if key.split("_")[0] in k)[:8]
        raise KeyError(f"no write-up figure {key!r}; similar keys: {close or sorted(_BY_KEY)[:8]}") from None


def value(key: str) -> float:
    """The number the write-up reported under ``key``."""
    return get(key).value


def entries(*, notebook: str | None = None, source: str | None = None) -> list[Entry]:
    """The registered entries, optionally only those of one chapter and/or one write-up."""
    return [
        e
        for e in ENTRIES
        if (notebook is None or e.notebook == notebook) and (source is None or e.source == source)
    ]


def comparison_rows(
    notebook: str,
    run: Mapping[str, Any],
    not_run: Mapping[str, str] | None = None,
    notes: Mapping[str, str] | None = None,
) -> list[dict[str, str]]:
    """Rows ``what | write-up | this run`` for every entry of ``notebook``.

    ``run`` maps keys to this run's value (a number, or text such as ``"0.615 x + 23.5"``);
    ``not_run`` maps the rest to the reason this chapter does not measure them. Every entry of
    the chapter must be in exactly one of the two, and no other key may appear.
    """
    not_run = dict(not_run or {})
    notes = dict(notes or {})
    own = entries(notebook=notebook)
    if not own:
        raise ValueError(f"no write-up figures are registered for notebook {notebook!r}")
    own_keys = {e.key for e in own}
    both = sorted(set(run) & set(not_run))
    strangers = sorted((set(run) | set(not_run) | set(notes)) - own_keys)
    missing = sorted(own_keys - set(run) - set(not_run))
    problems = []
    if both:
        problems.append(f"given both a value and a reason: {both}")
    if strangers:
        problems.append(f"not entries of notebook {notebook}: {strangers}")
    if missing:
        problems.append(f"neither measured nor explained: {missing}")
    if problems:
        raise ValueError(f"comparison for notebook {notebook}: " + "; ".join(problems))
    rows = []
    for e in own:
        if e.key in run:
            shown = _format(run[e.key], e.unit)
        else:
            shown = f"not run here: {not_run[e.key]}"
        row = {"what": e.what, "write-up": f"{e.formatted()} ({e.source})", "this run": shown}
        if notes:
            row["note"] = notes.get(e.key, "")
        rows.append(row)
    return rows


def comparison(
    notebook: str,
    run: Mapping[str, Any],
    not_run: Mapping[str, str] | None = None,
    notes: Mapping[str, str] | None = None,
) -> str:
    """:func:`comparison_rows` as a Markdown table (wrap it in ``IPython.display.Markdown``)."""
    from darkroom.core.tables import markdown_table

    return markdown_table(comparison_rows(notebook, run, not_run, notes))
