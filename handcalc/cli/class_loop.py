"""The class loop's wiring: ``worksheet --roster`` writes a class folder, ``check CLASS.yaml
SUBMISSIONS...`` marks it into one grades file."""

from __future__ import annotations

from pathlib import Path

import typer

from handcalc.cli.common import compute_trace, precision_of, write
from handcalc.errors import OutputError, OutputExistsError


def class_set(roster: Path, output: Path, problem_file: Path | None, seed: int | None, generator: dict, blank, level,
              precision: int | None, paper: str, fillable: bool, force: bool, *, key: bool, show_work: bool, exact: bool,
              variants: int | None, fmt: str) -> None:  # fmt: skip
    """Write the class folder ``output``: class.yaml, problems/, answers/, sheets.pdf, key.pdf
    (and fillable/ with ``fillable``)."""
    from handcalc.exercises.manifest import NAME, manifest_text, problem_path
    from handcalc.exercises.roster import read_roster
    from handcalc.exercises.templates import template_text
    from handcalc.worksheet import build

    if variants is not None:
        raise typer.BadParameter("--roster gives each student their own exercise; --variants has no place", param_hint="--variants")
    if key:
        raise typer.BadParameter("--roster writes the keys (key.pdf) beside the sheets; leave out --key", param_hint="--key")
    if fmt != "pdf":
        raise typer.BadParameter("--roster writes PDF sheets and keys", param_hint="--format")
    if problem_file is not None and (seed is not None or generator):
        raise typer.BadParameter("a PROBLEM file, or --seed and the generator's options, not both", param_hint="PROBLEM")
    _check_folder(output, force)
    if problem_file is None and seed is None:
        from handcalc.generate import fresh_seed

        seed = fresh_seed()  # written in the manifest
    exercises = _exercises(read_roster(roster), problem_file, seed, generator)
    traces = [compute_trace(exercise.problem, problem_file, exact) for exercise in exercises]
    blanks = _blanks(traces[0], blank, level)
    files: dict[str, str | bytes] = {}
    sheets, keys = [], []
    for exercise, trace in zip(exercises, traces):
        decimals = precision_of(precision, exercise.problem)
        common = {"precision": decimals, "variant": exercise.code, "round": exercise.problem.round,
                  "student": exercise.student.name or exercise.student.id}  # fmt: skip
        sheets.append(build(trace, blanks, **common))
        keys.append(build(trace, blanks, key=True, show_work=show_work, **common))
        files[problem_path(exercise.student.id)] = exercise.text
        files[f"answers/{exercise.student.id}.yaml"] = template_text(exercise, trace, blanks, decimals, exercise.problem.round)
    files[NAME] = manifest_text(exercises, blanks=blanks, precision=precision_of(precision, exercises[0].problem), seed=seed,
                                generator=generator or None, problem=str(problem_file) if problem_file else None)  # fmt: skip
    files |= _pdfs(exercises, sheets, keys, paper, fillable)
    _make_folders(output, ("problems", "answers") + (("fillable",) if fillable else ()))
    for name, content in files.items():
        write(output / name, content, force, protect=None)


def _exercises(students, problem_file: Path | None, seed: int | None, generator: dict):
    """Each student's exercise: the PROBLEM file for all, or their own generated one."""
    from handcalc.exercises import class_set as making

    if problem_file is not None:
        from handcalc.load import load, read_text

        return making.shared(students, load(problem_file), read_text(problem_file))
    from handcalc.cli.worksheet import _generator_args

    try:
        return making.generated(students, seed, _generator_args(generator))
    except (ValueError, TypeError) as error:  # the generator's own word on its options, one line
        from handcalc.errors import SchemaError

        raise SchemaError(f"cannot generate a problem: {error}") from None


def _pdfs(exercises, sheets, keys, paper: str, fillable: bool) -> dict[str, bytes]:
    """sheets.pdf and key.pdf, and with ``fillable`` each student's form, fillable/ID.pdf."""
    from handcalc.render.typst import joined, pdf, pdf_parts

    files = {"key.pdf": pdf(keys, paper)}
    if not fillable:
        return files | {"sheets.pdf": pdf(sheets, paper)}
    from handcalc.render.pdf_form import fillable_forms

    parts = pdf_parts(sheets, paper, boxes=True)
    identities = [{"id": exercise.student.id, "variant": exercise.code} for exercise in exercises]
    forms = [form for students, (data, starts, boxes) in parts
             for form in fillable_forms(data, starts, boxes, [identities[k] for k in students])]  # fmt: skip
    files |= {f"fillable/{exercise.student.id}.pdf": form for exercise, form in zip(exercises, forms, strict=True)}
    return files | {"sheets.pdf": joined([data for _, (data, _, _) in parts])}


def _check_folder(output: Path, force: bool) -> None:
    """The class folder may be new or empty; one with files in it only with --force."""
    if output.exists() and not output.is_dir():
        raise OutputError("is not a folder; --roster writes a folder of files").located(str(output))
    if output.is_dir() and any(output.iterdir()) and not force:
        raise OutputExistsError("is a folder with files in it; add --force to write into it").located(str(output))


def _make_folders(output: Path, folders: tuple[str, ...]) -> None:
    """The class folder and its sub-folders, made only once everything is ready to write."""
    try:
        for folder in folders:
            (output / folder).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot be made: {error.strerror or error}").located(str(output)) from None


def _blanks(trace, blank, level) -> tuple[str, ...]:
    from handcalc.worksheet import BlankError, blank_steps

    try:
        return blank_steps(trace, blank, level)
    except BlankError as error:
        raise typer.BadParameter(str(error).removeprefix("--blank: "), param_hint="--blank") from None


def class_check(manifest_path: Path, submissions: list[Path], tolerance: float | None, ecf: bool, report: Path | None,
                force: bool, format) -> None:  # fmt: skip
    """Mark a class: one row per student (and per submission that pairs with no one)."""
    from handcalc.cli.common import csv_text, emit, errors, output_format, width
    from handcalc.exercises.manifest import read_manifest
    from handcalc.marking.class_marks import expand, grade_rows, mark_class
    from handcalc.render import grades

    with errors():
        fmt = output_format(format)
        if fmt not in ("rich", "text", "json"):
            raise typer.BadParameter("check writes rich, text or json", param_hint="--format")
        manifest = read_manifest(manifest_path)
        submissions = expand(submissions)
        rows = mark_class(manifest, submissions, tolerance)
        table = grade_rows(rows, manifest.blanks, ecf)
        emit(grades.to_json(table, rows, ecf) if fmt == "json" else grades.text(table, width()))
        if report is not None:
            write(report, csv_text(table), force, protect=[manifest_path, *submissions])
    unreadable = [row.marks for row in rows if row.marks is not None and row.marks.error is not None]
    for marks in unreadable:
        typer.echo(f"Error: {marks.error}", err=True)
    if unreadable:
        raise typer.Exit(3)
    if not all(row.all_right(ecf) for row in rows if row.marks is not None):
        raise typer.Exit(1)
