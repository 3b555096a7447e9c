"""``handcalc gradescope``: an autograder zip; ``handcalc autograde``: what it runs on Gradescope."""

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from handcalc.cli import app
from handcalc.cli.common import Ecf, Level, Tolerance, check_output, compute_trace, errors, write


class Visibility(str, Enum):
    visible = "visible"
    after_due_date = "after_due_date"
    after_published = "after_published"
    hidden = "hidden"


@app.command()
def gradescope(
    problem_file: Annotated[Path, typer.Argument(metavar="PROBLEM", help="The problem YAML file, or a class set's class.yaml.")],
    output: Annotated[Path, typer.Option("--output", "-o", metavar="FILE", help="The autograder zip to write.")] = Path("autograder.zip"),
    blank: Annotated[Optional[str], typer.Option(metavar="STEPS", help="The steps asked, e.g. A,Z (default: every computed step).")] = None,
    level: Level = None,
    ecf: Ecf = False,
    tolerance: Tolerance = None,
    points: Annotated[Optional[str], typer.Option(metavar="STEP=N,...", help="Points of some steps, e.g. A=4,Z=2 (default: one point per cell).")] = None,
    precision: Annotated[int, typer.Option(min=0, max=15, metavar="N", help="Decimals shown for true values.")] = 3,
    visibility: Annotated[Visibility, typer.Option(help="When students see their results: visible, after_due_date, after_published or hidden.")] = Visibility.visible,
    wheel: Annotated[Optional[Path], typer.Option(metavar="WHL", help="Bundle this handcalc wheel instead of one made from the handcalc that runs this command.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --output if it exists.")] = False,
) -> None:
    """Build a Gradescope autograder: upload the zip; each submission is marked as check marks it.

    PROBLEM is one problem file for the whole class, or a class set's class.yaml (made by
    worksheet --roster): each student is then marked against their own exercise."""
    from handcalc.exercises.manifest import is_manifest
    from handcalc.platforms.gradescope import Config, package

    with errors():
        check_output(output, force, problem_file)  # before any work
        if is_manifest(problem_file):
            if blank is not None or level is not None:
                raise typer.BadParameter("a class set asks the steps its class.yaml names; leave out --blank and --level", param_hint="--blank")
            files, steps = _class_files(problem_file)
            config = Config(None, None, None, ecf, tolerance, _points(points, steps), precision, visibility.value, manifest=next(iter(files)))
        else:
            files, steps = _problem_files(problem_file, blank, level)
            config = Config(next(iter(files)), blank, level, ecf, tolerance, _points(points, steps), precision, visibility.value)
        if wheel is not None:
            if wheel.suffix != ".whl" or not wheel.name.startswith("handcalc-"):
                raise typer.BadParameter("give a handcalc wheel (handcalc-….whl)", param_hint="--wheel")
            bundled = (wheel.name, _read_bytes(wheel))
        else:
            from handcalc.platforms.wheel import this_handcalc

            bundled = this_handcalc()  # the autograder marks with this very handcalc
        write(output, package(config, files, bundled), force, protect=problem_file)


def _problem_files(problem_file: Path, blank: str | None, level: int | None) -> tuple[dict[str, bytes], tuple[str, ...]]:
    """The zip's problem file, and the steps asked of it."""
    from handcalc.load import load, read_text
    from handcalc.platforms.gradescope import PROBLEM
    from handcalc.worksheet import BlankError, blank_steps

    trace = compute_trace(load(problem_file), problem_file)
    try:
        steps = blank_steps(trace, blank, level)
    except BlankError as error:
        raise typer.BadParameter(str(error).removeprefix("--blank: "), param_hint="--blank") from None
    return {PROBLEM: read_text(problem_file).encode("utf-8")}, steps


def _class_files(path: Path) -> tuple[dict[str, bytes], tuple[str, ...]]:
    """The zip's class.yaml (first) and every student's problem file at the same relative
    place, each checked; and the steps asked (the manifest's blanks)."""
    from handcalc.errors import SchemaError
    from handcalc.exercises.manifest import NAME, read_manifest
    from handcalc.load import load, read_text

    manifest = read_manifest(path)
    folder = Path(manifest.file).parent
    files = {NAME: read_text(Path(manifest.file)).encode("utf-8")}
    for student in manifest.students:
        relative = Path(student.problem).relative_to(folder) if Path(student.problem).is_relative_to(folder) else None
        if relative is None or ".." in relative.parts:
            raise SchemaError(f"{student.id}'s problem file lies outside the class folder; keep it in problems/").located(manifest.file)
        compute_trace(load(student.problem), student.problem)
        files[relative.as_posix()] = read_text(student.problem).encode("utf-8")
    return files, manifest.blanks


def _points(text: str | None, steps: tuple[str, ...]) -> dict[str, float]:
    """``A=4,Z=2`` as {"A": 4.0, "Z": 2.0}, each a step asked."""
    if not text:
        return {}
    chosen = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        name = name.strip()
        try:
            worth = float(value)
        except ValueError:
            worth = -1.0
        if name not in steps or not worth > 0:
            why = f"{name!r} is not a step asked ({', '.join(steps)})" if name not in steps else f"{value!r} is not a positive number"
            raise typer.BadParameter(f"{part.strip()!r}: {why}", param_hint="--points")
        chosen[name] = worth
    return chosen


def _read_bytes(path: Path) -> bytes:
    from handcalc.errors import InputFileError

    try:
        return path.read_bytes()
    except OSError as error:
        raise InputFileError(f"cannot be read: {error.strerror or error}").located(str(path)) from None


@app.command()
def autograde(
    root: Annotated[Path, typer.Option(envvar="AUTOGRADER_ROOT", metavar="DIR", help="Gradescope's folder: source/, submission/, results/.")] = Path("/autograder"),
) -> None:
    """Mark the Gradescope submission under DIR and write DIR/results/results.json (run_autograder runs this)."""
    import json
    import sys
    import traceback

    from handcalc.platforms.gradescope import BROKEN, failure, grade

    try:
        results = grade(root)
    except Exception:  # the autograder's own fault: the student is told, the teacher reads the trace
        traceback.print_exc(file=sys.stdout)
        results = failure(BROKEN)
    with errors():
        (root / "results").mkdir(parents=True, exist_ok=True)
        write(root / "results" / "results.json", json.dumps(results, indent=1, ensure_ascii=False) + "\n", True, None)
    typer.echo(f"score {results['score']:g}: " + results["output"].splitlines()[0])
