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
    _plain_where_not_utf8()


# What a symbol becomes on an output that cannot show it (PYTHONIOENCODING=ascii, a latin-1
# terminal); anything else is written as its \\u escape.
PLAIN = {"−": "-", "∞": "inf", "·": "*", "×": "x", "√": "sqrt", "ᵀ": "^T", "Σ": "sum", "⋯": "...", "…": "...",
         "—": "-", "–": "-", "≈": "~", "✓": "ok", "✗": "X", "→": "->", "│": "|", "─": "-", "┼": "+"}  # fmt: skip


def _plain_where_not_utf8() -> None:
    """Let stdout and stderr write what their encoding cannot show in plain ASCII, instead
    of failing with a UnicodeEncodeError half-way through a table."""
    import codecs
    import sys

    def plain(error: UnicodeError):
        text = error.object[error.start : error.end]
        return "".join(PLAIN.get(char) or char.encode("ascii", "backslashreplace").decode() for char in text), error.end

    try:
        codecs.lookup_error("handcalc-plain")
    except LookupError:
        codecs.register_error("handcalc-plain", plain)
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("-", "").replace("_", "")
        if encoding not in ("utf8", "utf8sig") and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="handcalc-plain")


# Each module registers its commands on ``app``.
from handcalc.cli import check, new, run, schema, softmax, worksheet  # noqa: E402,F401
from handcalc.cli import gradescope, moodle  # noqa: E402,F401
from handcalc.cli import practice  # noqa: E402,F401


def main() -> None:
    app()
