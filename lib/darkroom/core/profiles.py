"""Profiles: the one knob every notebook shares.

- ``smoke``: seconds per notebook; tiny sizes that exercise every code path (tests).
- ``default``: meaningful results within minutes on a 2-core laptop CPU.
- ``full``: the scale of the original experiments, for a GPU or an overnight run.

A notebook's ``parameters`` cell holds only ``profile = "default"``; papermill
injects the override right after it, and the next cell derives the knobs::

    cfg = select(profile, smoke=dict(epochs=1), default=dict(epochs=20), full=dict(epochs=200))
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

__all__ = ["PROFILES", "select"]

PROFILES: tuple[str, ...] = ("smoke", "default", "full")


def select(
    profile: str,
    *,
    smoke: dict[str, Any],
    default: dict[str, Any],
    full: dict[str, Any],
) -> SimpleNamespace:
    """Return the knobs of ``profile`` as attributes (``cfg.epochs``), plus ``cfg.profile``.

    All three profiles must define the same knobs, so that a typo in one of
    them fails at once instead of in the one run that uses it.
    """
    table = {"smoke": smoke, "default": default, "full": full}
    if profile not in table:
        raise ValueError(f"unknown profile {profile!r}: expected one of {', '.join(PROFILES)}")
    keys = {name: set(knobs) for name, knobs in table.items()}
    if len({frozenset(k) for k in keys.values()}) != 1:
        every = set().union(*keys.values())
        missing = {name: sorted(every - k) for name, k in keys.items() if every - k}
        raise ValueError(f"profiles must define the same knobs; missing: {missing}")
    return SimpleNamespace(profile=profile, **table[profile])
