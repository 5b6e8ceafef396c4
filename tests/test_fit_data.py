"""darkroom.core.fit_data: the two forms of training data, checked and counted."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from darkroom.core import fit_data

X = np.zeros((10, 3), np.float32)
Y = np.zeros((10, 1), np.float32)


def test_tuple_data_is_counted_by_the_batch_size() -> None:
    assert not fit_data.is_dataset((X, Y))
    assert fit_data.examples((X, Y)) == 10
    assert fit_data.steps_per_epoch((X, Y), 4, None) == 3  # the last batch is short
    assert fit_data.steps_per_epoch((X, Y), None, None) == 1  # Keras' default batch of 32
    assert fit_data.steps_per_epoch((X, Y), 4, 7) == 7  # given steps win
    assert fit_data.batch_examples((X, Y), None) == 32
    spec = fit_data.input_spec((X, Y))
    assert spec.shape.as_list() == [None, 3] and spec.dtype == tf.float32


def test_a_dataset_is_counted_by_its_cardinality_and_batch_dimension() -> None:
    fixed = tf.data.Dataset.from_tensor_slices((X, Y)).batch(5, drop_remainder=True)
    ragged = tf.data.Dataset.from_tensor_slices((X, Y)).batch(4)
    assert fit_data.is_dataset(fixed) and fit_data.examples(fixed) is None
    assert fit_data.steps_per_epoch(fixed, None, None) == 2
    assert fit_data.steps_per_epoch(fixed.repeat(), None, None) is None  # infinite: unknown
    assert fit_data.batch_examples(fixed, None) == 5
    assert fit_data.batch_examples(ragged, 4) == 4 and fit_data.batch_examples(ragged, None) is None
    assert fit_data.input_spec(fixed).shape.as_list() == [5, 3]


def test_check_data_refuses_other_forms() -> None:
    fit_data.check_data((X, Y), 8)
    fit_data.check_data(tf.data.Dataset.from_tensor_slices((X, Y)), None)
    with pytest.raises(ValueError, match="received list"):
        fit_data.check_data([X, Y, Y], None)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        fit_data.check_data((X, Y), 0)
