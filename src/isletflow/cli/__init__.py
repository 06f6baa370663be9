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

# name -> ("module:attribute" relative to this package, the line `--help` shows). Add a command
# by adding a line; the help line is here so that `isletflow --help` imports no command (a test
# keeps each line equal to its command's own short help).
COMMANDS: dict[str, tuple[str, str]] = {
    "calibration": (
        ".calibration:calibration",
        "Simulate the bundled population and compare it with every published target.",
    ),
    "cohort": (
        ".cohort:cohort",
        "Simulate N recipients' courses of SCENARIO and summarise procedures and outcomes.",
    ),
    "compare": (
        ".compare:compare",
        "Compare SCENARIO_B with SCENARIO_A on the same N recipients: paired differences.",
    ),
    "diagram": (".diagram:diagram", "Draw the workflow from its state table."),
    "export": (".export:export", "Export saved cases to other systems' formats."),
    "psa": (
        ".psa:psa",
        "Run D draws of SCENARIO's uncertain parameters x N recipients; rank them by PRCC.",
    ),
    "schema": (".schema:schema", "Print the JSON Schema NAME; without NAME, list the names."),
    "serve": (".serve:serve", "Serve the HTTP API (docs at /docs) and the trainer page (at /)."),
    "simulate": (
        ".simulate:simulate",
        "Simulate one case of SCENARIO (a bundled name or a scenario file) and print its timeline.",
    ),
    "train": (
        ".train:train",
        "Train on a case of SCENARIO: take the steps, see why they are refused, get a debrief.",
    ),
    "validate": (
        ".validate:validate",
        "Check SCENARIO; list every problem with its path (exit 1 if there are any).",
    ),
}


def _shortened(text: str, limit: int) -> str:
    """``text`` cut at a word to fit ``limit`` characters, as click shortens help lines."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 3, 1)].rsplit(" ", 1)[0].rstrip(",;:") + "..."


class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._lazy:
            module_name, attribute = self._lazy[cmd_name][0].split(":")
            module = importlib.import_module(module_name, __name__)
            command: click.Command = getattr(module, attribute)
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from ``COMMANDS``' help lines, importing none of the commands."""
        limit = formatter.width - 6 - max(len(name) for name in self._lazy)
        rows = [(name, _shortened(self._lazy[name][1], limit)) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except IsletflowError as error:
            # A bad file or value: say what is wrong, no traceback. Exit 1, as for any failure;
            # 2 stays click's code for a command used wrongly (an unknown option, say).
            click.echo(f"error: {error}", err=True)
            sys.exit(1)
        except OSError as error:
            # The machine said no (disk full, permission denied, a folder gone mid-run): one line.
            where = f": {error.filename}" if error.filename else ""
            click.echo(f"error: {error.strerror or error}{where}", err=True)
            sys.exit(1)


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="isletflow")
def main() -> None:
    """Model allogeneic islet transplantation as a procedure workflow."""
