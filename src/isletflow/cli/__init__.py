"""The ``isletflow`` command: a thin adapter over the public API.

Subcommands live in their own modules and are imported only when run (``LazyGroup``), so
``isletflow --help`` never pays for numpy, plots, FHIR or a server.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from ..errors import IsletflowError

# name -> "module:attribute", relative to this package. Add a command by adding a line.
COMMANDS: dict[str, str] = {
    "cohort": ".cohort:cohort",
    "diagram": ".diagram:diagram",
    "export": ".export:export",
    "schema": ".schema:schema",
    "serve": ".serve:serve",
    "simulate": ".simulate:simulate",
    "train": ".train:train",
    "validate": ".validate:validate",
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._lazy:
            module_name, attribute = self._lazy[cmd_name].split(":")
            module = importlib.import_module(module_name, __name__)
            command: click.Command = getattr(module, attribute)
            return command
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except IsletflowError as error:
            # A bad file or value: say what is wrong, no traceback. Exit 1, as for any failure;
            # 2 stays click's code for a command used wrongly (an unknown option, say).
            click.echo(f"error: {error}", err=True)
            sys.exit(1)


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="isletflow")
def main() -> None:
    """Model allogeneic islet transplantation as a procedure workflow."""
