"""``handcalc run`` and ``handcalc examples``."""

from dataclasses import replace
from pathlib import Path
from typing import Annotated, Optional

import typer

from handcalc.cli import app
from handcalc.cli.common import (
    RUN_FORMAT_HELP,
    Explain,
    Full,
    Layout,
    RunFormat,
    ShowWork,
    check_cell,
    check_output,
    compute_trace,
    emit,
    errors,
    output_format,
    precision_of,
    printed_in,
    problem_path,
    steps_of,
    width,
    write_xlsx,
)


@app.command()
def run(
    file: Annotated[Optional[Path], typer.Argument(metavar="FILE", help="The problem YAML file (default: a bundled example).")] = None,
    example: Annotated[Optional[str], typer.Option(metavar="NAME", help="Run a bundled example instead (see: handcalc examples).")] = None,
    layout: Annotated[Optional[Layout], typer.Option(help="Show tokens as columns or as rows (default: the file's).")] = None,
    precision: Annotated[Optional[int], typer.Option(min=0, max=15, metavar="N", help="Decimals shown for numbers that are not integers (default 3, or the round: of the problem).", show_default=False)] = None,
    only: Annotated[Optional[str], typer.Option(metavar="STEPS", help="Show only these steps, e.g. A,Z (a short name: every head's; h2: all of head 2's).")] = None,


    format: Annotated[Optional[RunFormat], typer.Option("--format", "-f", help=RUN_FORMAT_HELP)] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", metavar="FILE", help="Write to this file (its extension sets the format: .txt .json .md .tex .html .xlsx; - is the terminal).")] = None,
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

    with errors():
        fmt = output_format(format, output, RunFormat)
        source = problem_path(file, example)
        if output is not None:
            check_output(output, force, source)  # before any work
        problem = load(source)
        if layout is not None:
            problem = problem.with_layout(layout.value)
        if round is not None:
            problem = problem.replaced(round=round)
        trace = compute_trace(problem, source, exact)
        options = RenderOptions(
            precision_of(precision, problem), steps_of(only, trace.names), full, width(), show_work or cell is not None, cell, explain,
            printed_in(output),
        )
        if cell is not None:
            options = replace(options, cell=check_cell(cell, trace, options))
        if fmt == "xlsx":  # every step, as live formulas
            from handcalc.render import xlsx

            try:
                return write_xlsx(lambda: xlsx.render(trace, options.precision, problem.round), output, force, source)
            except xlsx.WorkbookTooLarge as error:
                raise error.located(str(source)) from None
        emit(renderer(fmt)(trace, options), output, force, protect=source)


@app.command()
def examples() -> None:
    """List the bundled examples (run one with --example NAME)."""
    import textwrap

    from handcalc import examples as bundled

    names = bundled.names()
    column = max(map(len, names)) + 2
    for name in names:  # each description whole, wrapped at word boundaries under itself
        lines = textwrap.wrap(bundled.describe(name), max(width() - column, 30), break_long_words=False) or [""]
        typer.echo("\n".join([f"{name:<{column}}{lines[0]}", *(" " * column + line for line in lines[1:])]))
