"""What every ``darkroom`` command shares: the usage error (exit code 2), argument types, quiet output.

Used by :mod:`darkroom.app.cli` (the command and most subcommands) and
:mod:`darkroom.app.cli_stylize` (``darkroom stylize``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Iterator

__all__ = ["UsageError", "muted", "say"]


class UsageError(Exception):
    """A flag value darkroom cannot honour (exit code 2)."""


def _positive_int(text: str) -> int:
    """An argparse type: a whole number >= 1. Private by name only: argparse prints the name in
    its error for a non-number ("invalid _positive_int value"), as it always has."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, received {text!r}")
    return value


def say(args: argparse.Namespace, text: str) -> None:
    """``text`` on stderr, unless --quiet."""
    if not args.quiet:
        print(text, file=sys.stderr, flush=True)


@contextlib.contextmanager
def muted(quiet: bool) -> Iterator[None]:
    """Swallow the library's chatter on stdout when --quiet."""
    if not quiet:
        yield
        return
    with contextlib.redirect_stdout(io.StringIO()):
        yield
