"""``handcalc check``: mark answers files."""

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from handcalc.cli import app
from handcalc.cli.common import Ecf, Full, Tolerance, compute_trace, csv_text, emit, errors, output_format, printed_in, width, write
from handcalc.errors import HandcalcError


class MarksFormat(str, Enum):
    """The formats check writes: only these are offered by --help."""

    rich = "rich"
    text = "text"
    json = "json"


@app.command()
def check(
    problem_file: Annotated[Path, typer.Argument(metavar="PROBLEM", help="The problem YAML file, or a class manifest (class.yaml of worksheet --roster).")],
    answers: Annotated[list[Path], typer.Argument(metavar="ANSWERS...", help="Answers files, filled PDF forms, or folders of them.")],
    tolerance: Tolerance = None,
    ecf: Ecf = False,
    report: Annotated[Optional[Path], typer.Option(metavar="CSV", help="Write one row per answers file (per student of a class) to this CSV file.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --report if it exists.")] = False,
    precision: Annotated[int, typer.Option(min=0, max=15, metavar="N", help="Decimals shown for true values.")] = 3,


    format: Annotated[Optional[MarksFormat], typer.Option("--format", "-f", help="rich (the default on a terminal), text (piped) or json.")] = None,
    full: Full = False,
    tables: Annotated[Optional[bool], typer.Option("--tables/--brief", help="Each file's marked tables (the default for one file), or one line per file (for several).")] = None,
) -> None:
    """Mark a student's answers cell by cell (exit 1 when any cell is wrong), or a whole class."""
    from handcalc.exercises.manifest import is_manifest
    from handcalc.load import load

    if is_manifest(problem_file):
        from handcalc.cli.class_loop import class_check

        class_check(problem_file, answers, tolerance, ecf, report, force, format)
        return
    with errors():
        problem = load(problem_file)
        trace = compute_trace(problem, problem_file)
        from handcalc.marking.class_marks import expand

        answers = expand(answers)
        marked = _mark(trace, answers, tolerance, problem.round)
        fmt = output_format(format, formats=MarksFormat)
        emit(_marks_output(marked, trace, fmt, precision, full, ecf, len(marked) == 1 if tables is None else tables))
        if report is not None:
            from handcalc.check import report_rows

            write(report, csv_text(report_rows(marked, ecf)), force, protect=[problem_file, *answers])
    unreadable = [marks for marks in marked if marks.error is not None]
    for marks in unreadable:
        typer.echo(f"Error: {marks.error}", err=True)
    if unreadable:
        raise typer.Exit(3)
    if not all(marks.passed(ecf) for marks in marked):
        raise typer.Exit(1)


def _mark(trace, paths: list[Path], tolerance: float | None, digits: int | None):
    """The answers files marked together; in a batch, an unreadable one is a row saying why.
    No garbage collection meanwhile: a class's answers and marks are hundreds of thousands
    of objects, none in a cycle, that every collection would walk again."""
    from handcalc.yamlfile import no_collection

    with no_collection():
        return _mark_all(trace, paths, tolerance, digits)


def _mark_all(trace, paths: list[Path], tolerance: float | None, digits: int | None):
    from handcalc.answers import load_answers
    from handcalc.check import Marks, mark_many

    read: dict[int, list] = {}
    marked: list = [None] * len(paths)
    for k, path in enumerate(paths):
        try:
            if path.suffix.lower() == ".pdf":  # a filled form of a fillable sheet
                from handcalc.marking.pdf_forms import form_answers, read_form

                read[k] = form_answers(read_form(path), trace)
            else:
                read[k] = load_answers(path, trace)
        except HandcalcError as error:
            if len(paths) == 1:
                raise
            marked[k] = Marks(str(path), error=str(error))
    done = mark_many(trace, list(read.values()), [str(paths[k]) for k in read], tolerance, digits)
    for k, marks in zip(read, done, strict=True):
        marked[k] = marks
    return marked


def _marks_output(marked, trace, fmt: str, precision: int, full: bool, ecf: bool, tables: bool):
    from handcalc.render import RenderOptions, drawer
    from handcalc.render.marks import blocks, brief, to_json

    if fmt == "json":
        return to_json(marked, ecf)
    options = RenderOptions(precision, None, full, width(), encoding=printed_in())
    shown = (blocks(marks, trace, options, ecf) if tables else brief(marks, ecf) for marks in marked)
    return drawer(fmt)([block for file in shown for block in file], options)
