"""The command line: parse options, call the core, pick a renderer, map errors to exit codes.

This package is the only part of handcalc that owns a Console, writes files or calls
``typer.Exit``; each command's wiring is a module of its own.
"""

from typing import Annotated

import typer

from handcalc import __version__

app = typer.Typer(
    name="handcalc",
    help="Transformer self-attention, computed and shown the way it is done by hand.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: typer's rich help imports a Markdown parser, 2× the start-up
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"handcalc {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Transformer self-attention, computed and shown the way it is done by hand."""


# Each module registers its commands on ``app``.
from handcalc.cli import check, new, run, schema, softmax, worksheet  # noqa: E402,F401
from handcalc.cli import gradescope, moodle  # noqa: E402,F401
from handcalc.cli import practice  # noqa: E402,F401


def main() -> None:
    app()
