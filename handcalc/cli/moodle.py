"""``handcalc moodle``: a Moodle quiz (Moodle XML, Cloze questions) of one exercise or many."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from handcalc.cli import app
from handcalc.cli.common import Level, check_output, errors, write


@app.command()
def moodle(
    problem_file: Annotated[Optional[Path], typer.Argument(metavar="PROBLEM", help="The problem YAML file (or make problems with --variants/--seed).")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", metavar="FILE", help="The Moodle XML file to write.")] = ...,
    blank: Annotated[Optional[str], typer.Option(metavar="STEPS", help="The steps to ask for, e.g. A,Z (default: every computed step).")] = None,
    level: Level = None,
    variants: Annotated[Optional[int], typer.Option(min=1, max=500, metavar="N", help="N generated problems, one question each, in one category (for a random question).")] = None,
    seed: Annotated[Optional[int], typer.Option(metavar="S", help="The generator seed of the first variant (S, S+1, ... for the others).")] = None,
    precision: Annotated[Optional[int], typer.Option(min=0, max=15, metavar="N", help="Decimals of the answers (default 3, or the round: of the problem).", show_default=False)] = None,
    tolerance: Annotated[Optional[float], typer.Option(min=0, metavar="X", help="Accept answers within X, instead of half a unit of the precision.")] = None,
    category: Annotated[Optional[str], typer.Option(metavar="NAME", help="The question bank category (default: handcalc/ and the title).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --output if it exists.")] = False,
) -> None:
    """Write a Moodle quiz: one Cloze question per exercise, every blank cell a numerical field."""
    from handcalc.cli.worksheet import _sheets
    from handcalc.platforms.moodle import quiz

    with errors():
        check_output(output, force, problem_file)  # before any work
        sheets = _sheets(problem_file, variants, seed, {}, blank, level, False, False, precision)
        default = f"handcalc/{sheets[0].title}"
        if problem_file is None:  # generated: students see the title, which must not give the seed away
            import dataclasses

            from handcalc.exercises.class_set import SHEET_TITLE

            default = f"handcalc/{SHEET_TITLE} (seed {sheets[0].seed}, {len(sheets)} variants)"
            sheets = [dataclasses.replace(sheet, title=SHEET_TITLE) for sheet in sheets]
        write(output, quiz(sheets, category or default, tolerance), force, protect=problem_file)
