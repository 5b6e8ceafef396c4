"""darkroom.circles.networks: the post's autoencoder by hand count, the squeeze net's code."""

from __future__ import annotations

import keras

from darkroom import circles


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
