"""``handcalc worksheet``: sheets, keys and class sets to print."""

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from handcalc.cli import app
from handcalc.cli.common import Layout, Level, check_output, compute_trace, errors, output_format, precision_of, write


class SheetFormat(str, Enum):
    pdf = "pdf"
    html = "html"
    markdown = "markdown"
    xlsx = "xlsx"


class Paper(str, Enum):
    a4 = "a4"


    letter = "letter"


class Mask(str, Enum):
    none = "none"
    causal = "causal"


@app.command()
def worksheet(
    problem_file: Annotated[Optional[Path], typer.Argument(metavar="PROBLEM", help="The problem YAML file (or make problems with --variants/--seed).")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", metavar="FILE", help="The file to write: .pdf, .html, .md or .xlsx (- for stdout).")] = ...,
    blank: Annotated[Optional[str], typer.Option(metavar="STEPS", help="The steps to leave blank, e.g. A,Z or h2.A (default: every computed step).")] = None,
    level: Level = None,
    key: Annotated[bool, typer.Option("--key", help="The answer key: every blank filled with its answer.")] = False,
    show_work: Annotated[bool, typer.Option("--show-work", help="On the key: the arithmetic of the first cell of each step.")] = False,
    paper: Annotated[Paper, typer.Option(help="a4 or letter.")] = Paper.a4,
    precision: Annotated[Optional[int], typer.Option(min=0, max=15, metavar="N", help="Decimals of the answers (default 3, or the round: of the problem).", show_default=False)] = None,
    exact: Annotated[bool, typer.Option("--exact", help="Exact fractions for as long as the arithmetic is rational (as run --exact).")] = False,
    variants: Annotated[Optional[int], typer.Option(min=1, max=500, metavar="N", help="A class set: N different generated problems, one after the other.")] = None,
    seed: Annotated[Optional[int], typer.Option(metavar="S", help="The generator seed of the first variant (S, S+1, ... for the others).")] = None,
    tokens: Annotated[Optional[int], typer.Option(min=1, max=16, metavar="N", help="Generated problems: tokens.")] = None,
    d_model: Annotated[Optional[int], typer.Option("--d-model", min=1, max=16, metavar="N", help="Generated problems: rows of X.")] = None,
    d_k: Annotated[Optional[int], typer.Option("--d-k", min=1, max=16, metavar="N", help="Generated problems: d_k.")] = None,
    heads: Annotated[Optional[int], typer.Option(min=1, max=8, metavar="N", help="Generated problems: heads.")] = None,
    mask: Annotated[Optional[Mask], typer.Option(help="Generated problems: none or causal.")] = None,
    base: Annotated[Optional[str], typer.Option(metavar="B", help="Generated problems: e, or a number > 1 such as 3.")] = None,
    layout: Annotated[Optional[Layout], typer.Option(help="Generated problems: tokens as columns or rows.")] = None,
    format: Annotated[Optional[SheetFormat], typer.Option("--format", "-f", help="pdf, html (a printable page), markdown or xlsx (a spreadsheet to fill in); default: as the -o extension says, else pdf.", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --output if it exists.")] = False,
    roster: Annotated[Optional[Path], typer.Option(metavar="CSV", help="A class: a CSV with id and name columns; -o is then a folder with each student's sheet, key, problem and answers template.")] = None,
    fillable: Annotated[bool, typer.Option("--fillable", help="With --roster: each student's sheet also as a fillable PDF form, fillable/ID.pdf.")] = False,
) -> None:
    """Print a worksheet (or its answer key, or a class set of different ones) to fill in by hand."""
    generator = {"tokens": tokens, "d_model": d_model, "d_k": d_k, "heads": heads,
                 "mask": mask and mask.value, "base": base, "layout": layout and layout.value}  # fmt: skip
    generator = {name: value for name, value in generator.items() if value is not None}
    if fillable and roster is None:
        raise typer.BadParameter("fillable forms are made for a class: give --roster too", param_hint="--fillable")
    if roster is not None:  # a class folder: its key.pdf takes --show-work
        from handcalc.cli.class_loop import class_set

        with errors():
            class_set(roster, output, problem_file, seed, generator, blank, level, precision, paper.value, fillable, force,
                      key=key, show_work=show_work, exact=exact, variants=variants, fmt=(format or SheetFormat.pdf).value)  # fmt: skip
        return
    if show_work and not key:
        raise typer.BadParameter("the work is written on the answer key only; add --key", param_hint="--show-work")
    with errors():
        fmt = output_format(format, output, SheetFormat, default="pdf")
        check_output(output, force, problem_file)  # before any work
        sheets = _sheets(problem_file, variants, seed, generator, blank, level, key, show_work, precision, exact)
        write(output, _sheet_output(sheets, fmt, paper.value), force, protect=problem_file)


def _sheets(problem_file, variants, seed, generator, blank, level, key, show_work, precision, exact=False):
    """The worksheets asked for: one of the problem file, or one per generated variant."""
    from handcalc.worksheet import BlankError, SheetTooLarge, blank_steps, build, variant_id, variant_seeds

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
        if seed is None and variants is None:
            raise typer.BadParameter("give a PROBLEM file, or --seed S (and --variants N) to make problems", param_hint="PROBLEM")
        if seed is None:
            from handcalc.generate import fresh_seed

            seed = fresh_seed()  # as handcalc new does; each variant's page of the key names its seed
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
            if not key:  # the generator's title names the seed, which a student's sheet never shows
                from handcalc.exercises.class_set import SHEET_TITLE

                problem = problem.replaced(title=SHEET_TITLE)
            problems.append((problem, variant_id(k + 1, count) if variants else None, s))
    sheets = []
    for problem, variant, problem_seed in problems:
        trace = compute_trace(problem, problem_file, exact)
        try:
            blanks = blank_steps(trace, blank, level)
        except BlankError as error:
            raise typer.BadParameter(str(error).removeprefix("--blank: "), param_hint="--blank") from None
        try:
            sheets.append(build(trace, blanks, key=key, precision=precision_of(precision, problem), variant=variant,
                                seed=problem_seed, show_work=show_work, round=problem.round))  # fmt: skip
        except SheetTooLarge as error:
            raise error.located(str(problem_file) if problem_file else None) from None
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
        from handcalc.numbers import parse_number  # bounded: never Fraction() of the text itself

        try:
            number = parse_number(options["base"])
        except (ValueError, ZeroDivisionError):
            raise typer.BadParameter(f"{options['base']!r} is not e or a number", param_hint="--base") from None
        options["base"] = int(number) if number.denominator == 1 else float(number)
    return options


def _sheet_output(sheets, fmt: str, paper: str):
    from handcalc.render import shown_sheets

    sheets = shown_sheets(sheets)  # titles and labels as they may be drawn
    if fmt == "pdf":
        from handcalc.render.typst import pdf

        return pdf(sheets, paper)
    if fmt == "xlsx":
        from handcalc.render.xlsx import worksheets

        return worksheets(sheets)
    if fmt == "html":
        from handcalc.render.sheet_html import render

        return render(sheets, paper)
    from handcalc.render.sheet_markdown import render

    return render(sheets)
