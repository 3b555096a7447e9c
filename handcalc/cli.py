"""The command line: parse options, call the core, pick a renderer, map errors to exit codes.

This is the only module that owns a Console, writes files or calls ``typer.Exit``.
"""


import os
import shutil
import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from handcalc import __version__
from handcalc.errors import HandcalcError, OutputError, OutputExistsError

app = typer.Typer(
    name="handcalc",
    help="Transformer self-attention, computed and shown the way it is done by hand.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: typer's rich help imports a Markdown parser, 2× the start-up
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(str, Enum):
    rich = "rich"
    text = "text"
    json = "json"
    markdown = "markdown"
    latex = "latex"
    html = "html"


class Layout(str, Enum):
    columns = "columns"
    rows = "rows"


# The options run and softmax share, declared once.
FORMAT_HELP = "rich (the default on a terminal), text (piped), json, markdown, latex or html."
Full = Annotated[bool, typer.Option("--full", help="Show every row and column, however large.")]
ShowWork = Annotated[bool, typer.Option("--show-work", help="Write out the arithmetic of each step's first cells.")]
Explain = Annotated[bool, typer.Option("--explain", help="Say under each step what it means and why.")]


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


@app.command()
def run(
    file: Annotated[Optional[Path], typer.Argument(metavar="FILE", help="The problem YAML file (default: a bundled example).")] = None,
    example: Annotated[Optional[str], typer.Option(metavar="NAME", help="Run a bundled example instead (see: handcalc examples).")] = None,
    layout: Annotated[Optional[Layout], typer.Option(help="Show tokens as columns or as rows (default: the file's).")] = None,
    precision: Annotated[Optional[int], typer.Option(min=0, max=15, metavar="N", help="Decimals shown for numbers that are not integers (default 3, or the round: of the problem).", show_default=False)] = None,
    only: Annotated[Optional[str], typer.Option(metavar="STEPS", help="Show only these steps, e.g. A,Z.")] = None,
    format: Annotated[Optional[Format], typer.Option("--format", "-f", help=FORMAT_HELP)] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", metavar="FILE", help="Write to this file instead of the terminal.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --output if it exists.")] = False,
    full: Full = False,
    show_work: ShowWork = False,
    cell: Annotated[Optional[str], typer.Option(metavar="STEP[i,j]", help="Show the work of this one cell, e.g. A[2,1].")] = None,
    explain: Explain = False,
    exact: Annotated[bool, typer.Option("--exact", help="Exact fractions for as long as the arithmetic is rational.")] = False,
    round: Annotated[Optional[int], typer.Option("--round", min=0, max=15, metavar="N", help="Round every step to N decimals before the next uses it.")] = None,
) -> None:
    """Show every step of self-attention, laid out by hand."""
    from handcalc.load import load
    from handcalc.render import RenderOptions, renderer

    with _errors():
        source = _problem_file(file, example)
        problem = load(source)
        if layout is not None:
            problem = problem.with_layout(layout.value)
        if round is not None:
            problem = problem.replaced(round=round)
        trace = _compute(problem, source, exact)
        options = RenderOptions(
            _precision(precision, problem), _steps(only, trace.names + trace.heads), full, _width(), show_work or cell is not None, cell, explain
        )
        if cell is not None:
            _cell(cell, trace, options)
        _emit(renderer(_format(format, output))(trace, options), output, force, protect=source)


@app.command()
def examples() -> None:
    """List the bundled examples (run one with --example NAME)."""
    from handcalc import examples as bundled

    for name in bundled.names():
        typer.echo(f"{name:<18} {bundled.describe(name)}")


@app.command()
def check(
    problem_file: Annotated[Path, typer.Argument(metavar="PROBLEM", help="The problem YAML file.")],
    answers: Annotated[list[Path], typer.Argument(metavar="ANSWERS...", help="One or more answers files.")],
    tolerance: Annotated[Optional[float], typer.Option(min=0, metavar="X", help="Right within X, instead of half a unit in the last written place.")] = None,
    ecf: Annotated[bool, typer.Option("--ecf", help="Give full credit to cells right from the student's own earlier answers.")] = False,
    report: Annotated[Optional[Path], typer.Option(metavar="CSV", help="Write one row per answers file to this CSV file.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --report if it exists.")] = False,
    precision: Annotated[int, typer.Option(min=0, max=15, metavar="N", help="Decimals shown for true values.")] = 3,
    format: Annotated[Optional[Format], typer.Option("--format", "-f", help="rich (the default on a terminal), text (piped) or json.")] = None,
    full: Full = False,
) -> None:
    """Mark a student's answers cell by cell (exit 1 when any cell is wrong)."""
    from handcalc.load import load

    with _errors():
        problem = load(problem_file)
        trace = _compute(problem, problem_file)
        marked = [_mark(trace, path, tolerance, problem.round, single=len(answers) == 1) for path in answers]
        fmt = _format(format)
        if fmt not in ("rich", "text", "json"):
            raise typer.BadParameter("check writes rich, text or json", param_hint="--format")
        _emit(_marks_output(marked, trace, fmt, precision, full, ecf))
        if report is not None:
            from handcalc.check import report_rows

            _write(report, _csv(report_rows(marked, ecf)), force, protect=problem_file)
    unreadable = [marks for marks in marked if marks.error is not None]
    for marks in unreadable:
        typer.echo(f"Error: {marks.error}", err=True)
    if unreadable:
        raise typer.Exit(3)
    if not all(marks.all_right for marks in marked):
        raise typer.Exit(1)


def _mark(trace, path: Path, tolerance: float | None, digits: int | None, single: bool):
    """One answers file marked; in a batch, an unreadable one is a row saying why."""
    from handcalc.answers import load_answers
    from handcalc.check import Marks, mark

    try:
        return mark(trace, load_answers(path, trace), str(path), tolerance, digits)
    except HandcalcError as error:
        if single:
            raise
        return Marks(str(path), error=str(error))


def _marks_output(marked, trace, fmt: str, precision: int, full: bool, ecf: bool):
    from handcalc.render import RenderOptions, drawer
    from handcalc.render.marks import blocks, to_json

    if fmt == "json":
        return to_json(marked, ecf)
    options = RenderOptions(precision, None, full, _width())
    return drawer(fmt)([block for marks in marked for block in blocks(marks, trace, options, ecf)], options)


def _csv(rows: list[list]) -> str:
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


# Negative numbers are arguments: Click leaves a word it does not know as an option (-1, -.5)
# to NUMBERS, and _numbers turns away the words that are mistyped options (--bas).
@app.command(context_settings={"ignore_unknown_options": True})
def softmax(
    ctx: typer.Context,
    numbers: Annotated[Optional[list[str]], typer.Argument(metavar="NUMBERS...", help="The vector, e.g. 1 0 -1 3 (fractions such as 1/3, decimals such as -.5 or 1e3).", show_default=False)] = None,
    file: Annotated[Optional[Path], typer.Option("--file", metavar="FILE", help="Read a vector (a YAML list) or a matrix (a list of rows) instead.")] = None,
    axis: Annotated[Optional[Layout], typer.Option(help="Which lines of a matrix are the distributions: columns (default) or rows.")] = None,
    base: Annotated[str, typer.Option(metavar="B", help="e, or a number > 1 (3 is the hand approximation of e).")] = "e",
    temperature: Annotated[str, typer.Option(metavar="T", help="Divide x by T > 0 first (a scaled step).")] = "1",
    precision: Annotated[int, typer.Option(min=0, max=15, metavar="N", help="Decimals shown for numbers that are not integers.")] = 3,
    format: Annotated[Optional[Format], typer.Option("--format", help=FORMAT_HELP)] = None,  # no -f: -inf is a number
    full: Full = False,
    show_work: ShowWork = False,
    explain: Explain = False,
) -> None:
    """Show the softmax of a vector (or of each column of a matrix) by hand."""
    from handcalc.render import RenderOptions, renderer
    from handcalc.softmax import compute

    with _errors():
        x = _numbers(ctx, numbers or [], file)
        trace = compute(x, axis=axis and axis.value, base=base, temperature=temperature)
        options = RenderOptions(precision, None, full, _width(), show_work, explain=explain)
        _emit(renderer(_format(format))(trace, options))


def _numbers(ctx: typer.Context, numbers: list[str], file: Path | None):
    """The input of ``softmax``: the NUMBERS as typed, or the vector or matrix of ``file``."""
    from handcalc.errors import SchemaError

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


class SheetFormat(str, Enum):
    pdf = "pdf"
    html = "html"
    markdown = "markdown"


class Paper(str, Enum):
    a4 = "a4"
    letter = "letter"


class Mask(str, Enum):
    none = "none"
    causal = "causal"


@app.command()
def worksheet(
    problem_file: Annotated[Optional[Path], typer.Argument(metavar="PROBLEM", help="The problem YAML file (or make problems with --variants/--seed).")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", metavar="FILE", help="The file to write (PDF unless --format says otherwise).")] = ...,
    blank: Annotated[Optional[str], typer.Option(metavar="STEPS", help="The steps to leave blank, e.g. A,Z or h2.A (default: every computed step).")] = None,
    level: Annotated[Optional[int], typer.Option(min=1, max=3, metavar="N", help="1: only A and Z blank; 2: from the scores on; 3: everything after the inputs.")] = None,
    key: Annotated[bool, typer.Option("--key", help="The answer key: every blank filled with its answer.")] = False,
    show_work: Annotated[bool, typer.Option("--show-work", help="On the key: the arithmetic of the first cell of each step.")] = False,
    paper: Annotated[Paper, typer.Option(help="a4 or letter.")] = Paper.a4,
    precision: Annotated[Optional[int], typer.Option(min=0, max=15, metavar="N", help="Decimals of the answers (default 3, or the round: of the problem).", show_default=False)] = None,
    variants: Annotated[Optional[int], typer.Option(min=1, max=500, metavar="N", help="A class set: N different generated problems, one after the other.")] = None,
    seed: Annotated[Optional[int], typer.Option(metavar="S", help="The generator seed of the first variant (S, S+1, ... for the others).")] = None,
    tokens: Annotated[Optional[int], typer.Option(min=1, max=16, metavar="N", help="Generated problems: tokens.")] = None,
    d_model: Annotated[Optional[int], typer.Option("--d-model", min=1, max=16, metavar="N", help="Generated problems: rows of X.")] = None,
    d_k: Annotated[Optional[int], typer.Option("--d-k", min=1, max=16, metavar="N", help="Generated problems: d_k.")] = None,
    heads: Annotated[Optional[int], typer.Option(min=1, max=8, metavar="N", help="Generated problems: heads.")] = None,
    mask: Annotated[Optional[Mask], typer.Option(help="Generated problems: none or causal.")] = None,
    base: Annotated[Optional[str], typer.Option(metavar="B", help="Generated problems: e, or a number > 1 such as 3.")] = None,
    layout: Annotated[Optional[Layout], typer.Option(help="Generated problems: tokens as columns or rows.")] = None,
    format: Annotated[SheetFormat, typer.Option("--format", "-f", help="pdf, html (a printable page) or markdown.")] = SheetFormat.pdf,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --output if it exists.")] = False,
) -> None:
    """Print a worksheet (or its answer key, or a class set of different ones) to fill in by hand."""
    generator = {"tokens": tokens, "d_model": d_model, "d_k": d_k, "heads": heads,
                 "mask": mask and mask.value, "base": base, "layout": layout and layout.value}  # fmt: skip
    generator = {name: value for name, value in generator.items() if value is not None}
    with _errors():
        if output.is_file() and not force and not (problem_file and output.resolve() == problem_file.resolve()):
            raise OutputExistsError("exists already; add --force to overwrite it").located(str(output))  # before any work
        sheets = _sheets(problem_file, variants, seed, generator, blank, level, key, show_work, precision)
        _write(output, _sheet_output(sheets, format.value, paper.value), force, protect=problem_file)


def _sheets(problem_file, variants, seed, generator, blank, level, key, show_work, precision):
    """The worksheets asked for: one of the problem file, or one per generated variant."""
    from handcalc.worksheet import BlankError, blank_steps, build, variant_id, variant_seeds

    if blank is not None and level is not None:
        raise typer.BadParameter("give --blank or --level, not both", param_hint="--level")
    if problem_file is not None:
        if variants is not None or seed is not None or generator:
            raise typer.BadParameter(
                "a PROBLEM file, or --variants/--seed and the generator's options, not both", param_hint="PROBLEM"
            )
        from handcalc.load import load

        problem = load(problem_file)
        problems = [(problem, None, None)]
    else:
        if seed is None:
            raise typer.BadParameter("give a PROBLEM file, or --seed S (and --variants N) to make problems", param_hint="PROBLEM")
        generate = _generator()
        count = variants or 1
        arguments = _generator_args(generator)
        problems = []
        for k, s in enumerate(variant_seeds(seed, count)):
            try:
                problem = generate(seed=s, **arguments)
            except (ValueError, TypeError) as error:  # the generator's own word on its options, one line
                from handcalc.errors import SchemaError

                raise SchemaError(f"cannot generate a problem: {error}") from None
            problems.append((problem, variant_id(k + 1, count) if variants else None, s))
    sheets = []
    for problem, variant, problem_seed in problems:
        trace = _compute(problem, problem_file)
        try:
            blanks = blank_steps(trace, blank, level)
        except BlankError as error:
            raise typer.BadParameter(str(error).removeprefix("--blank: "), param_hint="--blank") from None
        sheets.append(build(trace, blanks, key=key, precision=_precision(precision, problem), variant=variant, seed=problem_seed,
                            show_work=show_work, round=problem.round))  # fmt: skip
    return sheets


def _generator():
    """``handcalc.generate.generate``, or an error saying the generator is not installed."""
    try:
        from handcalc.generate import generate
    except ImportError:
        from handcalc.errors import SchemaError

        raise SchemaError("the problem generator (handcalc new) is not available in this installation") from None
    return generate


def _generator_args(options: dict) -> dict:
    """The generator's keyword arguments: a numeric --base as a number."""
    options = dict(options)
    if "base" in options and options["base"] != "e":
        from fractions import Fraction

        try:
            number = Fraction(options["base"])
        except (ValueError, ZeroDivisionError):
            raise typer.BadParameter(f"{options['base']!r} is not e or a number", param_hint="--base") from None
        options["base"] = int(number) if number.denominator == 1 else float(number)
    return options


def _sheet_output(sheets, fmt: str, paper: str):
    if fmt == "pdf":
        from handcalc.render.typst import pdf

        return pdf(sheets, paper)
    if fmt == "html":
        from handcalc.render.sheet_html import render

        return render(sheets, paper)
    from handcalc.render.sheet_markdown import render

    return render(sheets)


@app.command()
def new(
    tokens: Annotated[int, typer.Option(metavar="N", help="Tokens: the columns of X (its rows with --layout rows), 1 to 64.")] = 4,
    d_model: Annotated[int, typer.Option("--d-model", metavar="N", help="Numbers per token: the rows of X.")] = 4,
    d_k: Annotated[int, typer.Option("--d-k", metavar="N", help="Size of queries and keys: 1, 4, 9 or 16, so that √d_k is whole.")] = 4,
    d_v: Annotated[Optional[int], typer.Option("--d-v", metavar="N", help="Size of values (default: d_k).", show_default=False)] = None,
    heads: Annotated[int, typer.Option(metavar="N", help="Heads; more than one adds an output projection W_o.")] = 1,
    layout: Annotated[Layout, typer.Option(help="Tokens as columns (by hand) or as rows (paper, PyTorch).")] = Layout.columns,
    mask: Annotated[Mask, typer.Option(help="none, or causal: each token sees itself and the tokens before it.")] = Mask.none,
    base: Annotated[str, typer.Option(metavar="B", help="e, or 3: every scaled score a whole number within ±4 and every weight an exact fraction.")] = "e",
    value_range: Annotated[str, typer.Option("--range", metavar="LO,HI", help="The whole numbers X and the weights are drawn from, e.g. -2,2.")] = "-1,2",
    seed: Annotated[Optional[int], typer.Option(metavar="S", help="The same seed makes the same problem (default: a new seed, written in the file).", show_default=False)] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", metavar="FILE", help="Write the problem to this file instead of the terminal.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --output if it exists.")] = False,
) -> None:
    """Make a new exercise with nice numbers, as a problem file."""
    from handcalc.generate import generate, new_command, to_yaml

    with _errors():
        if seed is None:
            import secrets

            seed = secrets.randbelow(10_000)
        options = {"tokens": tokens, "d_model": d_model, "d_k": d_k, "d_v": d_v, "heads": heads,
                   "layout": layout.value, "mask": mask.value, "base": base, "value_range": _value_range(value_range)}  # fmt: skip
        text = to_yaml(generate(seed=seed, **options), seed, new_command(seed=seed, **options))
        if output is None:
            sys.stdout.write(text)
        else:
            _write(output, text, force, protect=None)


def _value_range(text: str) -> tuple[int, int]:
    """``--range LO,HI`` as two whole numbers (the generator checks LO < HI)."""
    from handcalc.errors import SchemaError

    parts = [part.strip() for part in text.split(",")]
    try:
        lo, hi = (int(part) for part in parts)
    except ValueError:
        raise SchemaError(f"--range must be two whole numbers LO,HI such as -1,2, not {text!r}") from None
    return lo, hi


def _compute(problem, source: Path | None, exact: bool = False):
    """The trace of ``problem``; an overflow, which has no line and column, names the file."""
    from handcalc.attention import compute

    try:
        return compute(problem, exact)
    except HandcalcError as error:
        raise error.located(error.file or (str(source) if source else None), error.line, error.column) from None


def _precision(precision: int | None, problem) -> int:
    """The decimals shown: as asked, else the problem's round:, else 3."""
    return precision if precision is not None else problem.round if problem.round is not None else 3


# --- wiring ---------------------------------------------------------------------------------
@contextmanager
def _errors():
    """A HandcalcError becomes one ``Error:`` line and its exit code (a traceback with
    HANDCALC_DEBUG=1)."""
    try:
        yield
    except HandcalcError as error:
        if os.environ.get("HANDCALC_DEBUG") == "1":
            raise
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(error.exit_code) from None


def _problem_file(file: Path | None, example: str | None) -> Path:
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


def _cell(cell: str, trace, options) -> None:
    """A usage error for a --cell that names no worked cell of the steps shown."""
    from handcalc.errors import CellError
    from handcalc.render import selected
    from handcalc.work import parse_cell

    try:
        parse_cell(cell, trace, [step.name for step in selected(trace, options)])
    except CellError as error:
        raise typer.BadParameter(str(error), param_hint="--cell") from None


def _steps(only: str | None, names: tuple[str, ...]) -> tuple[str, ...] | None:
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


def _format(chosen: Format | None, output: Path | None = None) -> str:
    """The format asked for, else rich on a terminal and plain text in a pipe or a file."""
    return (chosen or (Format.rich if output is None and sys.stdout.isatty() else Format.text)).value


def _width() -> int:
    """The terminal's width, or $COLUMNS, or 100 when the output is not a terminal."""
    return shutil.get_terminal_size((100, 24)).columns


def _emit(rendered, output: Path | None = None, force: bool = False, protect: Path | None = None) -> None:
    """Print ``rendered`` (a string or a rich renderable), or write it to ``output``."""
    if output is None and isinstance(rendered, str):
        sys.stdout.write(rendered)
        return
    from rich.console import Console  # only the rich format needs it

    if output is None:
        Console(highlight=False, soft_wrap=True).print(rendered)
        return
    if not isinstance(rendered, str):
        console = Console(width=_width(), record=True, file=open(os.devnull, "w"), color_system=None)
        console.print(rendered)
        rendered = console.export_text()
    _write(output, rendered, force, protect)


def _write(output: Path, text: str | bytes, force: bool, protect: Path | None) -> None:
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


def main() -> None:
    app()
