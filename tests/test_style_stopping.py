"""darkroom.style.stopping: the relative-change rule, asked online and replayed on a history."""

from __future__ import annotations

import numpy as np

from darkroom import style


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
