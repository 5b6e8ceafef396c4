"""Foundations shared by every chapter; nothing here knows a chapter or imports a topic package.

Import a module by name (``from darkroom.core import color, training``); the package itself
imports nothing, so ``import darkroom`` stays cheap.

- ``color``: RGB, LAB and gray conversions and their checks;
- ``images``: the sample photos, resizing and showing images;
- ``image_files``: a user's image files, read and written at their own bit depth;
- ``data``: the embedded photographs, their split by image, and crops of them;
- ``folders``: any folder of image files as a ``tf.data`` stream, bad files sorted out;
- ``augmentation``: random crops, flips and tone changes inside ``tf.data``;
- ``synthetic``: generated images: toy scenes and procedural styles;
- ``datasets``: the downloadable real data sets (Caltech-256);
- ``downloads``: fetching a file once, checked, into the cache;
- ``metrics`` and ``losses``: image scores (PSNR, SSIM, ...) and training losses;
- ``training``: fitting a Keras model (``fit``), its result and its curves;
- ``optimizers``, ``callbacks``, ``fit_data``: what ``fit`` takes: optimizers and schedules by name,
  the time budget and target callbacks, the two forms of training data;
- ``progress``, ``timing``: progress bars (one line each in a saved page); stopwatch and throughput;
- ``saving``, ``inference_check``, ``graphs``: trained models saved and loaded, checked in inference
  mode; TensorFlow graphs traced and drawn;
- ``memory``: the layer and memory planner;
- ``layers``: custom Keras layers shared by several models;
- ``vgg``: VGG19 feature extractors, their layers and the units they take;
- ``vgg_weights``: which weights the features use (``weights=``: ImageNet, a file, random, ...);
- ``perceptual``: Gram matrices and the perceptual loss on VGG19 features;
- ``matconvnet``: neural-style's MatConvNet VGG19 ``.mat``, read for ``vgg_weights``;
- ``tables``, ``paths``, ``profiles``: tables, where files go, and run profiles;
- ``writeups``: the registry of what the write-ups reported, and its comparison tables;
- ``writeup_entries``: the registry's data, one module per write-up (``writeup_000`` ...).
"""
