"""The options every command that runs a cohort shares (``cohort``, ``psa``, ``compare``):
how many recipients, the seed, and where they run. One definition each, so the commands read
and refuse them alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

F = TypeVar("F", bound=Callable[..., object])

# At most a billion: a typo of 10**18 would otherwise fill memory with its chunk list first.
MOST_RECIPIENTS = 10**9


def cohort_options(
    *, least: int = 1, recipients: str = "How many recipients.", seed: str | None = None
) -> Callable[[F], F]:
    """``--n`` (at least ``least``), ``--seed``, ``--workers`` and ``--dask ADDRESS``."""
    options = (
        click.option(
            "--n",
            "n",
            type=click.IntRange(min=least, max=MOST_RECIPIENTS),
            required=True,
            help=recipients,
        ),
        click.option(
            "--seed",
            type=click.IntRange(min=0),
            help=seed or "Seed (default: the file's, else 0).",
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            help="Processes to use (default: every core; 1 runs in this process).",
        ),
        click.option(
            "--dask",
            "dask_address",
            metavar="ADDRESS",
            help="Run on the Dask cluster at ADDRESS (needs isletflow[dask]).",
        ),
    )

    def apply(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return apply
