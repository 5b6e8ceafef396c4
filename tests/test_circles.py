"""darkroom.circles, the package: it re-exports every public name of its modules."""

from __future__ import annotations

import pytest

from darkroom import circles
from darkroom.circles import discs, iou, networks, reports, streams, train


@pytest.mark.parametrize("module", [discs, streams, networks, iou, train, reports], ids=lambda m: m.__name__)
def test_the_package_re_exports_every_public_name_of_its_modules(module) -> None:
    assert set(module.__all__) <= set(circles.__all__)
    assert [name for name in module.__all__ if getattr(circles, name) is not getattr(module, name)] == []
