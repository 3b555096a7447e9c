"""``handcalc softmax``: the three hand steps of a softmax."""

import re
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperCommand

from handcalc.cli import app
from handcalc.cli.common import FORMAT_HELP, Explain, Format, Full, Layout, ShowWork, check_output, emit, errors, output_format, printed_in, width
from handcalc.errors import SchemaError


class _Command(TyperCommand):
    """Click would read ``-inf`` as the short options ``-i -n -f``, and ``-f`` takes the
    next word as the format: a word that is a number (``-inf``) is passed on as a number."""

    def parse_args(self, ctx, args):
        return super().parse_args(ctx, [f" {word}" if _NEGATIVE_WORD.fullmatch(word) else word for word in args])


_NEGATIVE_WORD = re.compile(r"-(inf|infinity|nan)", re.IGNORECASE)


# Negative numbers are arguments: Click leaves a word it does not know as an option (-1, -.5)
# to NUMBERS, and _numbers turns away the words that are mistyped options (--bas).
@app.command(cls=_Command, context_settings={"ignore_unknown_options": True})
def softmax(
    ctx: typer.Context,
    numbers: Annotated[Optional[list[str]], typer.Argument(metavar="NUMBERS...", help="The vector, e.g. 1 0 -1 3 (fractions such as 1/3, decimals such as -.5 or 1e3).", show_default=False)] = None,
    file: Annotated[Optional[Path], typer.Option("--file", metavar="FILE", help="Read a vector (a YAML list) or a matrix (a list of rows) instead.")] = None,
    axis: Annotated[Optional[Layout], typer.Option(help="Which lines of a matrix are the distributions: columns (default) or rows.")] = None,
    base: Annotated[str, typer.Option(metavar="B", help="e, or a number > 1 (3 is the hand approximation of e).")] = "e",
    temperature: Annotated[str, typer.Option(metavar="T", help="Divide x by T > 0 first (a scaled step).")] = "1",


    precision: Annotated[int, typer.Option(min=0, max=15, metavar="N", help="Decimals shown for numbers that are not integers.")] = 3,
    format: Annotated[Optional[Format], typer.Option("--format", "-f", help=FORMAT_HELP)] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", metavar="FILE", help="Write to this file (its extension sets the format; - is the terminal).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --output if it exists.")] = False,
    full: Full = False,
    show_work: ShowWork = False,
    explain: Explain = False,
) -> None:
    """Show the softmax of a vector (or of each column of a matrix) by hand."""
    from handcalc.render import RenderOptions, renderer
    from handcalc.softmax import compute

    with errors():
        fmt = output_format(format, output)
        if output is not None:
            check_output(output, force, file)  # before any work
        x = _numbers(ctx, [word.strip() for word in numbers or []], file)
        trace = compute(x, axis=axis and axis.value, base=base, temperature=temperature)
        options = RenderOptions(precision, None, full, width(), show_work, explain=explain, encoding=printed_in(output))
        emit(renderer(fmt)(trace, options), output, force, protect=file)


def _numbers(ctx: typer.Context, numbers: list[str], file: Path | None):
    """The input of ``softmax``: the NUMBERS as typed, or the vector or matrix of ``file``."""
    if numbers and file is not None:
        raise typer.BadParameter("give numbers or --file, not both", param_hint="--file")
    for word in numbers:
        _not_an_option(ctx, word)
    if file is not None:
        from handcalc.load import load_values

        return load_values(file)
    if not numbers:
        raise SchemaError("no numbers: give some, as in: handcalc softmax 1 0 -1 3 (or --file F.yaml)")
    return numbers


def _not_an_option(ctx: typer.Context, word: str) -> None:
    """A usage error for a word that reads as an option (``--bas``, ``-x``) and not a number."""
    import difflib
    import re

    if not (re.match(r"--.", word) or re.fullmatch(r"-[A-Za-z][\w-]*", word)):
        return
    if word.lower() in ("-inf", "-infinity", "-nan"):  # numbers of a kind: the core says why not
        return
    known = [name for param in ctx.command.get_params(ctx) for name in param.opts if name.startswith("--")]
    name = word.partition("=")[0]
    if name in known:  # only a word after "--" reaches NUMBERS as it is
        message = f"{name} comes after --, where every word is a number; put it before --"
        raise typer.BadParameter(message, param_hint="NUMBERS")
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]}?" if close else f"; the options are {', '.join(known)}"
    raise typer.BadParameter(f"no such option {word}{hint}", param_hint="NUMBERS")
