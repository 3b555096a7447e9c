"""What the commands share: the output formats, the options declared once, the mapping of
errors to exit codes, and writing files."""

import os
import shutil
import stat
import sys
from collections.abc import Sequence
from contextlib import contextmanager, suppress
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

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
Full = Annotated[bool, typer.Option("--full", help="Show every row and column (up to 65 of each; json has every number).")]
ShowWork = Annotated[bool, typer.Option("--show-work", help="Write out the arithmetic of each step's first cells.")]
Explain = Annotated[bool, typer.Option("--explain", help="Say under each step what it means and why.")]


def finite(value: float | None) -> float | None:
    """A number option (--tolerance) is finite: nan and inf are usage errors."""
    import math

    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number")
    return value


# The marking options of check, practice and gradescope, and the blanks of worksheet, moodle
# and gradescope, declared once.
Tolerance = Annotated[Optional[float], typer.Option(min=0, metavar="X", callback=finite, help="Right within X, instead of half a unit in the last written place.")]
Ecf = Annotated[bool, typer.Option("--ecf", help="Give full credit (and exit 0) to cells right from the student's own earlier answers.")]
Level = Annotated[Optional[int], typer.Option(min=1, max=3, metavar="N", help="1: only A and Z; 2: from the scores on; 3: everything after the inputs.")]


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


def check_cell(cell: str, trace, options) -> str:
    """``--cell`` with its step named as the trace names it (``a[2,1]`` is ``A[2,1]``; a
    short name with several heads is each head's step); a usage error for a cell that is
    no worked cell of the steps shown."""
    from handcalc.errors import CellError
    from handcalc.render import selected
    from handcalc.steps import short
    from handcalc.work import parse_cell

    name, bracket, rest = cell.strip().partition("[")
    key = name.strip().casefold()
    spelled = [step.name for step in trace if step.name.casefold() == key] or [short(step.name) for step in trace if short(step.name).casefold() == key]
    cell = f"{spelled[0]}{bracket}{rest}" if spelled else cell
    shown = [step.name for step in selected(trace, options)]
    heads = [full for full in trace.names if spelled and spelled[0] not in trace and short(full) == spelled[0]]
    try:
        for full in heads or [None]:  # each head's step of that name, or the one step named
            parse_cell(cell if full is None else f"{full}{bracket}{rest}", trace, shown)
    except CellError as error:
        raise typer.BadParameter(str(error), param_hint="--cell") from None
    return cell


def steps_of(only: str | None, names: Sequence[str]) -> tuple[str, ...] | None:
    """The steps ``--only`` names (case-insensitive; ``A`` is every head's A, ``h2`` all of
    head 2's), or None for all; an unknown name is a usage error that suggests the closest."""
    from handcalc.steps import UnknownStep, named_steps

    if only is None:
        return None
    words = [word for word in only.split(",") if word.strip()]
    try:
        if not words:
            raise UnknownStep(only, None)
        return named_steps(words, names)
    except UnknownStep as error:
        message = f"no step {error.word!r}{error.hint()}; this problem's steps are: {', '.join(names)}"
        raise typer.BadParameter(message, param_hint="--only") from None


# The format a file's extension names; a command writes those of its --format choices.
EXTENSIONS = {
    ".txt": "text", ".json": "json", ".md": "markdown", ".markdown": "markdown", ".tex": "latex",
    ".html": "html", ".htm": "html", ".pdf": "pdf", ".xlsx": "xlsx",
}  # fmt: skip


def output_format(chosen: Enum | None, output: Path | None = None, formats: type[Enum] = Format, default: str | None = None) -> str:
    """The format asked for with --format, else the one the -o extension names, else
    ``default``, else rich on a terminal and plain text in a pipe or a file. An extension
    that contradicts --format, or names a format the command does not write, is a usage error."""
    named = EXTENSIONS.get(output.suffix.lower()) if output is not None and str(output) != "-" else None
    if chosen is not None:
        if named is not None and named != chosen.value and {named, chosen.value} != {"text", "rich"}:
            raise typer.BadParameter(
                f"--format {chosen.value} and an output file ending {output.suffix} disagree; give one or the other", param_hint="--format"
            )
        return chosen.value
    if named is not None:
        accepted = [choice.value for choice in formats]
        if named not in accepted:
            raise typer.BadParameter(
                f"{output.suffix} is {named}, which this command does not write; it writes {', '.join(accepted)}", param_hint="--output"
            )
        return named
    if default is not None:
        return default
    to_terminal = output is None or str(output) == "-"
    return (Format.rich if to_terminal and sys.stdout.isatty() else Format.text).value


def width() -> int:
    """The terminal's width, or $COLUMNS, or 100 when the output is not a terminal."""
    return max(shutil.get_terminal_size((100, 24)).columns, 20)  # COLUMNS=1 still draws: 20 is the least


def printed_in(output: Path | None = None) -> str | None:
    """The encoding what is drawn prints in where it is not UTF-8: the terminal's (stdout's),
    unless it goes to a file (always UTF-8). Text and rich measure their tables on it."""
    if output is not None and str(output) != "-":
        return None
    from handcalc.plain import encoding_of

    return encoding_of(sys.stdout)


def emit(rendered, output: Path | None = None, force: bool = False, protect: Path | None = None) -> None:
    """Print ``rendered`` (a string or a rich renderable), or write it to ``output`` (``-``: print)."""
    if output is not None and str(output) == "-":
        output = None
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


def write_xlsx(render, output: Path | None, force: bool, protect: Path | Sequence[Path] | None) -> None:
    """A workbook (``render()`` makes its bytes) written to ``output``, which it needs."""
    if output is None or str(output) == "-":
        raise typer.BadParameter("xlsx is a file: give --output FILE.xlsx", param_hint="--format")
    write(output, render(), force, protect)


def write(output: Path, text: str | bytes, force: bool, protect: Path | Sequence[Path] | None) -> None:
    """Write ``text`` (or the bytes of a PDF) to ``output`` as a user expects (``-`` is stdout).

    Checked first (:func:`check_output`): never over an input of the command or a bundled
    example, even with --force; never over anything but a regular file; over an existing
    file only with --force. A symbolic link is followed: the file it points to is written,
    the link stays. The file gets the mode the umask gives (0644 by default) and appears
    whole or not at all: a temporary file beside it is linked into place (which fails if
    another run made the file meanwhile) or, with --force, renamed over it; the temporary
    file is removed on any error, Ctrl-C or SIGTERM."""
    if str(output) == "-":
        _stdout(text)
        return
    target = check_output(output, force, protect)
    import tempfile

    data = text if isinstance(text, bytes) else text.encode("utf-8", errors="backslashreplace")
    with _removed_on_exit() as temporaries:
        try:
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            temporaries.append(temporary)
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                os.fchmod(stream.fileno(), 0o666 & ~_umask())  # mkstemp makes it 0600
            if force:
                os.replace(temporary, target)
            else:
                _link_new(temporary, target, output)
        except OSError as error:
            raise OutputError(f"cannot be written: {error.strerror or error}").located(str(output)) from None


def check_output(output: Path, force: bool, protect: Path | Sequence[Path] | None = None) -> Path:
    """The file that writing ``output`` would write (a link's target), or the one-line error
    that it would refuse with: before any work, so that a long run is not wasted."""
    if str(output) == "-":
        return output
    target = Path(os.path.realpath(output))
    protected = [protect] if isinstance(protect, (str, Path)) else list(protect or ())
    if _is_bundled(target):
        raise OutputError("is a bundled example; choose another output file").located(str(output))
    if any(_same_file(target, Path(path)) for path in protected):
        raise OutputError("is an input of this command; choose another output file").located(str(output))
    try:
        status = os.stat(target)
    except FileNotFoundError:
        if not target.parent.is_dir():
            raise OutputError(f"cannot be written: no folder {str(target.parent)!r}").located(str(output)) from None
        return target
    except OSError as error:
        raise OutputError(f"cannot be written: {error.strerror or error}").located(str(output)) from None
    if not stat.S_ISREG(status.st_mode):
        what = "a directory" if stat.S_ISDIR(status.st_mode) else "not a regular file (a device, a pipe or a socket)"
        raise OutputError(f"is {what}; give a file name (or - for the terminal)").located(str(output))
    if not force:
        raise OutputExistsError("exists already; add --force to overwrite it").located(str(output))
    return target


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _is_bundled(target: Path) -> bool:
    """Whether ``target`` is one of the bundled examples (whatever name it is reached by)."""
    from handcalc import examples

    return any(_same_file(target, examples.path(name)) for name in examples.names())


def _link_new(temporary: str, target: Path, output: Path) -> None:
    """Put ``temporary`` in place as ``target`` only if no file is there: a hard link fails
    if one is (another run's), then the temporary name goes. Where links are not allowed, a
    file created exclusively holds the name, and the rename fills it."""
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise OutputExistsError("exists already (written meanwhile); add --force to overwrite it").located(str(output)) from None
    except OSError:
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            raise OutputExistsError("exists already (written meanwhile); add --force to overwrite it").located(str(output)) from None
        os.replace(temporary, target)
        return
    os.unlink(temporary)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def _removed_on_exit():
    """A list to put temporary file names in: each is removed when the block ends by an
    error, Ctrl-C or SIGTERM (which becomes an exit with status 143 meanwhile)."""
    import signal

    names: list[str] = []
    previous = None
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread: signals are not ours to handle
        pass
    try:
        yield names
    finally:
        for name in names:
            with suppress(OSError):
                os.unlink(name)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def _stdout(text: str | bytes) -> None:
    if isinstance(text, bytes):
        sys.stdout.flush()
        sys.stdout.buffer.write(text)
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write(text)


def csv_text(rows: list[list]) -> str:
    """Rows as CSV. A text cell that a spreadsheet would run as a formula (it starts with
    ``= + - @``, a tab or a carriage return) is written with a ``'`` before it."""
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([[_inert(cell) for cell in row] for row in rows])
    return out.getvalue()


def _inert(cell):
    return f"'{cell}" if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
