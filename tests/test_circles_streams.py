"""darkroom.circles.streams: streamed splits that never overlap, corruptions, the test stream."""

from __future__ import annotations

import numpy as np
import pytest

from darkroom import circles


def test_circle_dataset_streams_disjoint_splits_and_corruptions() -> None:
    train, val = circles.circle_splits(10, 6, batch_size=4, height=24, width=20, radius=(3, 6), seed=2)
    xs = [x.numpy() for x, _ in train]
    assert [len(x) for x in xs] == [4, 4, 2] and int(train.cardinality()) == 3
    assert circles.dataset_size(train) == (10, 4)
    again = np.concatenate([x.numpy() for x, _ in train])
    np.testing.assert_array_equal(np.concatenate(xs), again)  # every pass is the same data
    first_val = next(iter(val))[0].numpy()
    assert not np.array_equal(first_val, xs[0][: len(first_val)])
    for x, y in train:
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    lab = next(iter(circles.circle_dataset(4, 4, height=24, width=20, radius=(3, 6), units="lab")))[0]
    assert float(lab.numpy().max()) == 100.0
    x, y = next(iter(circles.circle_dataset(4, 4, height=24, width=20, radius=(3, 6), corruption="noise")))
    assert not np.array_equal(x.numpy(), y.numpy()) and 0 <= x.numpy().min() and x.numpy().max() <= 1
    with pytest.raises(ValueError, match="split must be one of"):
        circles.circle_dataset(4, split="dev")


def test_masked_examples_come_from_the_test_stream() -> None:
    scene = dict(height=30, width=20, radius=(3, 6), num_discs=(1, 3))
    damaged, clean, hole = circles.masked_examples(8, 0.4, **scene)
    assert damaged.shape == clean.shape == hole.shape == (8, 30, 20, 1)
    np.testing.assert_array_equal(damaged[~hole], clean[~hole])
    train = next(iter(circles.circle_dataset(8, 8, split="train", **scene)))[1].numpy()
    assert not np.array_equal(train, clean)
