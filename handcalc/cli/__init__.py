"""The command line: parse options, call the core, pick a renderer, map errors to exit codes.

This package is the only part of handcalc that owns a Console, writes files or calls
``typer.Exit``; each command's wiring is a module of its own.
"""

from contextlib import contextmanager
from typing import Annotated

import typer
from typer._click.exceptions import ClickException, UsageError
from typer.core import TyperGroup

from handcalc import __version__

# Every command: the module of handcalc.cli that defines it, and its one-line help, in the
# order `handcalc --help` lists them (the computation, marking, then printing and platforms). A module is imported only when its command runs (or
# completes): start-up is measured, and `handcalc --help` should cost little more than typer.
# tests/test_startup.py checks this table against the commands' own docstrings.
COMMANDS = {
    "run": ("run", "Show every step of self-attention, laid out by hand."),
    "examples": ("run", "List the bundled examples (run one with --example NAME)."),
    "softmax": ("softmax", "Show the softmax of a vector (or of each column of a matrix) by hand."),
    "check": ("check", "Mark a student's answers cell by cell (exit 1 when any cell is wrong), or a whole class."),
    "practice": ("practice", "Work the exercise by hand, cell by cell: each entry is marked at once, with hints on "
                             "demand."),
    "worksheet": ("worksheet", "Print a worksheet (or its answer key, or a class set of different ones) to fill "
                               "in by hand."),
    "new": ("new", "Make a new exercise with nice numbers, as a problem file."),
    "moodle": ("moodle", "Write a Moodle quiz: one Cloze question per exercise, every blank cell a numerical field."),
    "gradescope": ("gradescope", "Build a Gradescope autograder: upload the zip; each submission is marked as "
                                 "check marks it."),
    "autograde": ("gradescope", "Mark the Gradescope submission under DIR and write DIR/results/results.json "
                                "(run_autograder runs this)."),
    "schema": ("schema", "Print the JSON Schema (draft-07) of a problem or an answers file, for editors' YAML "
                         "plugins."),
}  # fmt: skip


class _UsageError(ClickException):
    """A usage error (an unknown option, a bad value) shown as one ``Error:`` line; Click's
    own adds the usage and a hint on three more."""

    exit_code = 2


@contextmanager
def _usage_in_one_line():
    try:
        yield
    except UsageError as error:
        where = f" (see '{error.ctx.command_path} -h')" if error.ctx is not None else ""
        raise _UsageError(" ".join(error.format_message().split()).rstrip(".") + where) from None


class _Commands(TyperGroup):
    """The command group, each command's module imported only when the command is used."""

    def list_commands(self, ctx) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx, name: str):
        if name not in self.commands and name in COMMANDS:
            __import__(f"handcalc.cli.{COMMANDS[name][0]}")  # registers its commands on app
            from typer.main import get_command_from_info, get_command_name

            for info in app.registered_commands:
                command_name = info.name or get_command_name(info.callback.__name__)
                if command_name not in self.commands:
                    self.add_command(get_command_from_info(info, pretty_exceptions_short=True, rich_markup_mode=None),
                                     command_name)
        return self.commands.get(name)

    def make_context(self, *args, **kwargs):
        with _usage_in_one_line():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx):
        with _usage_in_one_line():
            return super().invoke(ctx)

    def format_commands(self, ctx, formatter) -> None:
        """The listing of --help, from COMMANDS: no command module is imported for it."""
        from typer._click.utils import make_default_short_help

        limit = formatter.width - 6 - max(map(len, COMMANDS))
        with formatter.section("Commands"):
            formatter.write_dl([(name, make_default_short_help(help, limit)) for name, (_, help) in COMMANDS.items()])


app = typer.Typer(
    name="handcalc",
    cls=_Commands,
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
    _plain_where_not_utf8()


def _plain_where_not_utf8() -> None:
    """Let stdout and stderr write what their encoding cannot show in plain symbols
    (:mod:`handcalc.plain`), instead of failing with a UnicodeEncodeError half-way through a table."""
    import sys

    from handcalc.plain import ERRORS, encoding_of, register

    register()
    for stream in (sys.stdout, sys.stderr):
        if encoding_of(stream) is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors=ERRORS)


def main() -> None:
    app()
