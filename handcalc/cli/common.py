"""What the commands share: the output formats, the options declared once, the mapping of
errors to exit codes, and writing files."""

import os
import shutil
import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from handcalc.errors import HandcalcError, OutputError, OutputExistsError


class Format(str, Enum):
    rich = "rich"
    text = "text"
    json = "json"
    markdown = "markdown"
    latex = "latex"
    html = "html"


# run's formats: the others, and a live spreadsheet (a file: --output is needed)
RunFormat = Enum("RunFormat", {**{f.name: f.value for f in Format}, "xlsx": "xlsx"}, type=str)


class Layout(str, Enum):
    columns = "columns"
    rows = "rows"


# The options run and softmax share, declared once.
FORMAT_HELP = "rich (the default on a terminal), text (piped), json, markdown, latex or html."
RUN_FORMAT_HELP = FORMAT_HELP.replace(" or html.", ", html or xlsx (a live spreadsheet, with --output).")
Full = Annotated[bool, typer.Option("--full", help="Show every row and column, however large.")]
ShowWork = Annotated[bool, typer.Option("--show-work", help="Write out the arithmetic of each step's first cells.")]
Explain = Annotated[bool, typer.Option("--explain", help="Say under each step what it means and why.")]


def compute_trace(problem, source: Path | None, exact: bool = False):
    """The trace of ``problem``; an overflow, which has no line and column, names the file."""
    from handcalc.attention import compute

    try:
        return compute(problem, exact)
    except HandcalcError as error:
        raise error.located(error.file or (str(source) if source else None), error.line, error.column) from None


def precision_of(precision: int | None, problem) -> int:
    """The decimals shown: as asked, else the problem's round:, else 3."""
    return precision if precision is not None else problem.round if problem.round is not None else 3


# --- wiring ---------------------------------------------------------------------------------
@contextmanager
def errors():
    """A HandcalcError becomes one ``Error:`` line and its exit code (a traceback with
    HANDCALC_DEBUG=1)."""
    try:
        yield
    except HandcalcError as error:
        if os.environ.get("HANDCALC_DEBUG") == "1":
            raise
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(error.exit_code) from None


def problem_path(file: Path | None, example: str | None) -> Path:
    from handcalc import examples as bundled

    if file is not None and example is not None:
        raise typer.BadParameter("give a problem file or --example, not both", param_hint="--example")
    if file is not None:
        return file
    try:
        return bundled.path(example or bundled.DEFAULT)
    except KeyError:
        raise typer.BadParameter(
            f"no example {example!r}; the examples are: {', '.join(bundled.names())}", param_hint="--example"
        ) from None


def check_cell(cell: str, trace, options) -> None:
    """A usage error for a --cell that names no worked cell of the steps shown."""
    from handcalc.errors import CellError
    from handcalc.render import selected
    from handcalc.work import parse_cell

    try:
        parse_cell(cell, trace, [step.name for step in selected(trace, options)])
    except CellError as error:
        raise typer.BadParameter(str(error), param_hint="--cell") from None


def steps_of(only: str | None, names: tuple[str, ...]) -> tuple[str, ...] | None:
    if only is None:
        return None
    wanted = tuple(name.strip() for name in only.split(",") if name.strip())
    unknown = [name for name in wanted if name not in names]
    if unknown or not wanted:
        raise typer.BadParameter(
            f"no step {unknown[0] if unknown else only!r}; this problem's steps are: {', '.join(names)}",
            param_hint="--only",
        )
    return wanted


def output_format(chosen: Format | None, output: Path | None = None) -> str:
    """The format asked for, else rich on a terminal and plain text in a pipe or a file."""
    return (chosen or (Format.rich if output is None and sys.stdout.isatty() else Format.text)).value


def width() -> int:
    """The terminal's width, or $COLUMNS, or 100 when the output is not a terminal."""
    return max(shutil.get_terminal_size((100, 24)).columns, 20)  # COLUMNS=1 still draws: 20 is the least


def emit(rendered, output: Path | None = None, force: bool = False, protect: Path | None = None) -> None:
    """Print ``rendered`` (a string or a rich renderable), or write it to ``output``."""
    if output is None and isinstance(rendered, str):
        sys.stdout.write(rendered)
        return
    from rich.console import Console  # only the rich format needs it

    if output is None:
        Console(highlight=False, soft_wrap=True).print(rendered)
        return
    if not isinstance(rendered, str):
        console = Console(width=width(), record=True, file=open(os.devnull, "w"), color_system=None)
        console.print(rendered)
        rendered = console.export_text()
    write(output, rendered, force, protect)


def write_xlsx(render, output: Path | None, force: bool, protect: Path | None) -> None:
    """A workbook (``render()`` makes its bytes) written to ``output``, which it needs."""
    if output is None:
        raise typer.BadParameter("xlsx is a file: give --output FILE.xlsx", param_hint="--format")
    write(output, render(), force, protect)


def write(output: Path, text: str | bytes, force: bool, protect: Path | None) -> None:
    """Write atomically (a temporary file renamed over the target): never a half file,
    never over the input, and over an existing file only with --force. ``text`` may be
    bytes (a PDF)."""
    if protect is not None and output.exists() and output.resolve() == protect.resolve():
        raise OutputError("is the problem file itself; choose another output file").located(str(output))
    if output.is_dir():
        raise OutputError("is a directory; give a file name").located(str(output))
    if output.exists() and not force:
        raise OutputExistsError("exists already; add --force to overwrite it").located(str(output))
    import tempfile

    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(dir=output.parent or ".", prefix=f".{output.name}.", suffix=".tmp")
        if isinstance(text, bytes):
            with os.fdopen(handle, "wb") as stream:
                stream.write(text)
        else:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
        os.replace(temporary, output)
    except OSError as error:
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)
        raise OutputError(f"cannot be written: {error.strerror or error}").located(str(output)) from None
