"""A class marked at once: submissions (answers files, filled PDF forms, folders of them)
paired with the students of a class manifest, each marked by :func:`handcalc.check.mark`
against that student's own problem, and one row per student.

A submission pairs with the student whose id it carries (the ``id`` of an answers template
or of a fillable form), else with the student whose id is its file name. A submission that
pairs with no one, or a second one for a student, is a row of its own; nothing stops the
batch but a class folder that cannot be read. Prints nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from handcalc.check import Marks
from handcalc.errors import HandcalcError
from handcalc.exercises.manifest import Entry, Manifest

SUFFIXES = (".yaml", ".yml", ".pdf")  # what a folder of submissions is read for
NO_SUBMISSION = "no submission"


@dataclass(frozen=True)
class Submission:
    """A file handed in: the ``id`` and ``variant`` it carries (None: not written in it),
    and a PDF form's fields (None for an answers file); ``error`` if it cannot be read."""

    file: str
    id: str | None = None
    variant: str | None = None
    form: dict[str, str] | None = None
    error: str | None = None

    @property
    def key(self) -> str:
        """The id it pairs by: its own, else its file name without the extension."""
        return self.id if self.id is not None else Path(self.file).stem


@dataclass(frozen=True)
class Row:
    """One line of the grades: a student (None: a submission that pairs with no one), the
    file marked, its marks (None: not marked), the cells of each blank step, the blank
    steps it left out, and a note (no submission, two submissions, another variant)."""

    student: Entry | None
    file: str = ""
    marks: Marks | None = None
    sizes: dict[str, int] = field(default_factory=dict)
    unanswered: tuple[str, ...] = ()
    note: str = ""

    def score(self, ecf: bool = False) -> float | None:
        """The share of the blank cells right, 0 to 1 (steps left out count as wrong)."""
        if self.marks is None or (share := self.marks.score(ecf)) is None:
            return None
        answered = sum(len(step.cells) for step in self.marks.steps)
        left_out = sum(self.sizes[name] for name in self.unanswered)
        return share * answered / (answered + left_out)

    def all_right(self, ecf: bool = False) -> bool:
        """Every blank cell right (carried ones too, with ``ecf``)."""
        return self.score(ecf) == 1


def expand(paths: Sequence[Path]) -> list[Path]:
    """The submissions named: files as given, each folder's answers files and PDFs (sorted)."""
    from handcalc.errors import InputFileError

    found = []
    for path in paths:
        try:
            if path.is_dir():
                found += sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
            else:
                found.append(path)
        except OSError as error:  # a folder that may not be read: bad input, like an unreadable file
            raise InputFileError(f"cannot be read: {error.strerror or error}").located(str(path)) from None
    return found


def identify(path: Path) -> Submission:
    """Whose ``path`` is, as far as the file says (its form fields are kept for marking)."""
    from handcalc.exercises.templates import identity
    from handcalc.load import read_text

    file = str(path)
    try:
        if path.suffix.lower() == ".pdf":
            from handcalc.marking.pdf_forms import read_form

            fields = read_form(path)
            return Submission(file, fields.get("id") or None, fields.get("variant") or None, fields)
        return Submission(file, *identity(read_text(path)))
    except HandcalcError as error:
        return Submission(file, error=str(error))


def mark_class(manifest: Manifest, paths: Sequence[Path], tolerance: float | None = None) -> list[Row]:
    """One row per student in roster order, then a row per submission that pairs with no
    one and per extra submission of a student."""
    by_id = {entry.id.casefold(): entry for entry in manifest.students}
    handed: dict[str, list[Submission]] = {entry.id: [] for entry in manifest.students}
    unpaired: list[Row] = []
    for submission in map(identify, expand(paths)):
        entry = by_id.get(submission.key.casefold())
        if entry is not None:
            handed[entry.id].append(submission)
        elif submission.error is not None:  # unreadable, and its name is no one's: say why
            unpaired.append(Row(None, submission.file, Marks(submission.file, error=submission.error)))
        else:
            why = f"its id {submission.id!r}" if submission.id is not None else "its file name"
            unpaired.append(Row(None, submission.file, note=f"pairs with no student: {why} is no id of the roster"))
    traces: dict[Path, tuple] = {}  # a problem file's (trace, round:), computed once
    rows, extra = [], []
    for entry in manifest.students:
        mine = handed[entry.id]
        if not mine:
            rows.append(Row(entry, note=NO_SUBMISSION))
            continue
        if entry.problem not in traces:
            traces[entry.problem] = _trace(entry.problem)
        marked = [_marked(entry, submission, *traces[entry.problem], manifest.blanks, tolerance) for submission in mine]
        if len(marked) == 1:
            rows.append(marked[0])
            continue
        files = ", ".join(row.file for row in marked)
        rows.append(Row(entry, files, note=f"{len(marked)} submissions: not marked here, each has a row below"))
        extra += [Row(entry, row.file, row.marks, row.sizes, row.unanswered, _joined(f"one of {len(marked)} submissions", row.note))
                  for row in marked]  # fmt: skip
    return rows + extra + unpaired


def _trace(problem: Path) -> tuple:
    """The trace of a student's problem file and its ``round:``; a problem that cannot be
    read stops the batch (the class folder is broken, not a submission)."""
    from handcalc.attention import compute
    from handcalc.load import load

    try:
        loaded = load(problem)
        return compute(loaded), loaded.round
    except HandcalcError as error:
        raise error.located(error.file or str(problem), error.line, error.column) from None


def _marked(entry: Entry, submission: Submission, trace, digits: int | None, blanks: Sequence[str],
            tolerance: float | None) -> Row:  # fmt: skip
    from handcalc.check import mark

    sizes = {name: trace[name].value.size for name in blanks if name in trace}
    note = ""
    if submission.variant is not None and entry.variant and submission.variant != entry.variant:
        note = f"handed in for exercise {submission.variant}, not {entry.id}'s {entry.variant}"
    if submission.error is not None:
        return Row(entry, submission.file, Marks(submission.file, error=submission.error), sizes, note=note)
    try:
        answers = _answers(submission, trace, blanks)
        marks = mark(trace, answers, submission.file, tolerance, digits)
    except HandcalcError as error:
        return Row(entry, submission.file, Marks(submission.file, error=str(error)), sizes, note=note)
    answered = {step.name for step in marks.steps}
    return Row(entry, submission.file, marks, sizes, tuple(name for name in sizes if name not in answered), note)


def _answers(submission: Submission, trace, blanks: Sequence[str]):
    if submission.form is not None:
        from handcalc.marking.pdf_forms import form_answers

        return form_answers(submission.form, trace, [name for name in blanks if name in trace])
    from handcalc.answers import load_answers

    return load_answers(submission.file, trace)


def _first_blank(row: Row) -> str:
    """Why a file with no wrong cell is not full marks: its first blank cell or step."""
    from handcalc.check import BLANK

    for step in row.marks.steps:
        blank = next((cell for cell in step.cells if cell.verdict == BLANK), None)
        if blank is not None:
            written = sum(cell.verdict != BLANK for marks in row.marks.steps for cell in marks.cells)
            return "nothing written" if not written else f"{step.name}[{','.join(str(i + 1) for i in blank.index)}]: blank"
    return f"{row.unanswered[0]}: not answered" if row.unanswered else ""


def _joined(*notes: str) -> str:
    return "; ".join(note for note in notes if note)


def grade_rows(rows: Sequence[Row], blanks: Sequence[str], ecf: bool = False) -> list[list]:
    """The grades table: a header, then per row its id, name, file, score (0–100, empty when
    not marked), each blank step's ``right/total`` and the first mistake (or the note)."""
    from handcalc.check import report_rows

    table: list[list] = [["id", "name", "file", "score", *blanks, "first mistake"]]
    for row in rows:
        steps = {name: "" for name in blanks}
        mistake = ""
        if row.marks is not None:
            header, marked = report_rows([row.marks], ecf)
            steps |= {name: value for name, value in zip(header[2:-1], marked[2:-1]) if name in steps}
            steps |= {name: f"0/{row.sizes[name]}" for name in row.unanswered}
            mistake = marked[-1] or _first_blank(row)
        score = row.score(ecf)
        table.append([row.student.id if row.student else "", row.student.name if row.student else "", row.file,
                      "" if score is None else round(100 * score, 1), *steps.values(), _joined(row.note, mistake)])  # fmt: skip
    return table
