"""darkroom.colorize, the package: it re-exports every public name of its modules but pix2pix."""

from __future__ import annotations

import pytest

from darkroom import colorize as C
from darkroom.colorize import bins, inference, networks, pairs, scores, train


@pytest.mark.parametrize(
    "module", [networks, bins, train, inference, scores, pairs], ids=lambda m: m.__name__
)
def test_the_package_re_exports_every_public_name_of_its_modules(module) -> None:
    assert set(module.__all__) <= set(C.__all__)
    assert [name for name in module.__all__ if getattr(C, name) is not getattr(module, name)] == []
