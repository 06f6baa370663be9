"""How the simulation commands end on a problem: the error list, exit 1, no traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from ..errors import IsletflowError


@contextmanager
def reported() -> Iterator[None]:
    """Turn an ``IsletflowError`` (a bad file, a stuck simulation) into its message and exit 1.

    The group answers other commands' errors with exit 2; these commands keep 2 for usage
    mistakes (click's own) and use 1 for a file or simulation that is wrong.
    """
    try:
        yield
    except IsletflowError as error:
        click.echo(f"error: {error}", err=True)
        raise click.exceptions.Exit(1) from None
