"""Gradescope: an autograder zip for an exercise, and the ``results.json`` of a submission.

The zip (Gradescope's autograder specification) holds at its root ``setup.sh``, which installs
handcalc with pip (from the wheel bundled in the zip), ``run_autograder``,
which runs ``handcalc autograde`` on each submission, the problem file and
``handcalc-autograder.json`` (what to mark and how). :func:`grade` reads a submission under
``AUTOGRADER_ROOT`` (``/autograder`` on Gradescope) and returns the results: one test per step
asked, its score the cells right (or the step's points, shared out by cell), its output the
step's marked table and diagnosis as Markdown. A submission that cannot be read scores 0 with
an output that says what is wrong and how to fix it; nothing here raises.

It reads files and returns data; writing ``results.json`` is the command line's job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

CONFIG = "handcalc-autograder.json"
PROBLEM = "problem.yaml"
ANSWER_SUFFIXES = (".yaml", ".yml", ".pdf")
FIX_HINT = (
    "Upload one answers file: your filled PDF form, or a YAML file with each step's name and its matrix, "
    "as in the template (`A: [[0.054, 0.335], [0.446, 0.165]]`; a blank cell is `?`, a masked cell `-inf`)."
)

BROKEN = "The autograder failed on your submission, which was not marked. Please tell your teacher."

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image: it installs
# handcalc (and numpy, typer, ... with it) with pip, for the Python run_autograder then uses.
set -euo pipefail
cd "$(dirname "$0")"
python=""
for candidate in python3 python3.13 python3.12 python3.11 python3.10; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    python="$(command -v "$candidate")"
    break
  fi
done
if [ -z "$python" ]; then
  echo "handcalc needs Python 3.10 or newer: choose the Ubuntu 22.04 (or newer) base image." >&2
  exit 1
fi
if ! "$python" -m pip --version >/dev/null 2>&1; then
  apt-get install -y python3-pip  # an image whose Python came without pip
fi
export PIP_BREAK_SYSTEM_PACKAGES=1  # the image is the autograder's alone (Ubuntu 24.04 marks its Python as managed)
"$python" -m pip install --disable-pip-version-check {requirement}
echo "$python" > .handcalc-python
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for each submission: handcalc marks it and writes results/results.json.
# AUTOGRADER_ROOT (default /autograder) lets the whole thing run anywhere, to try it out.
root="${AUTOGRADER_ROOT:-/autograder}"
python="$(cat "$root/source/.handcalc-python" 2>/dev/null || command -v python3)"
mkdir -p "$root/results"
"$python" -m handcalc autograde --root "$root"
if [ ! -s "$root/results/results.json" ]; then
  cat > "$root/results/results.json" <<'JSON'
{"score": 0, "output": "The autograder could not start, so your submission was not marked. Please tell your teacher.", "tests": []}
JSON
fi
"""


@dataclass(frozen=True)
class Config:
    """What the autograder marks and how: the problem file (in the zip's root) or a class
    set's manifest, the steps asked (``--blank``/``--level``; a class set's are its blanks),
    ``ecf`` and ``tolerance`` as ``check`` takes them, the points of some steps (else one per
    cell), the decimals of true values shown, and who sees the results."""

    problem: str | None = PROBLEM
    blank: str | None = None
    level: int | None = None
    ecf: bool = False
    tolerance: float | None = None
    points: dict[str, float] = field(default_factory=dict)
    precision: int = 3
    visibility: str = "visible"
    manifest: str | None = None  # a class set: the manifest, whose students each have their own problem

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Config:
        return cls(**json.loads(text))


# --- the zip ---------------------------------------------------------------------------------
def package(config: Config, files: dict[str, bytes], wheel: tuple[str, bytes]) -> bytes:
    """The autograder zip: ``setup.sh`` and ``run_autograder`` (executable) at its root, the
    configuration, ``files`` (the problem) and the handcalc wheel that setup.sh installs."""
    import io
    import zipfile

    requirement = f"./{wheel[0]}"
    entries = {
        "setup.sh": (SETUP_SH.replace("{requirement}", requirement).encode(), 0o755),
        "run_autograder": (RUN_AUTOGRADER.encode(), 0o755),
        CONFIG: (config.to_json().encode(), 0o644),
        **{name: (data, 0o644) for name, data in files.items()},
        wheel[0]: (wheel[1], 0o644),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, (data, mode) in entries.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # the same bytes for the same input
            info.external_attr = (0o100000 | mode) << 16  # a regular file, and its permissions
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out.getvalue()


# --- marking a submission --------------------------------------------------------------------
def grade(root: Path) -> dict:
    """The results of the submission under ``root`` (``/autograder``). A submission that
    cannot be marked gives :func:`failure`; anything else raised is the autograder's own fault
    (the command line turns it into :data:`BROKEN` and prints the traceback for the teacher)."""
    try:
        return _grade(Path(root))
    except _Unmarked as reason:
        return failure(str(reason))


class _Unmarked(Exception):
    """Why a submission cannot be marked, said to the student."""


def _grade(root: Path) -> dict:
    from handcalc.exercises.manifest import Entry, read_manifest
    from handcalc.marking.class_marks import _marked, _trace, identify
    from handcalc.worksheet import blank_steps

    source, submission = root / "source", root / "submission"
    try:
        config = Config.from_json((source / CONFIG).read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError) as error:
        raise _Unmarked(f"The autograder is incomplete ({CONFIG}: {error}). Please tell your teacher.") from None
    # The teacher's files: an error in them is the autograder's fault, not the student's.
    if config.manifest is not None:
        manifest = read_manifest(source / config.manifest)
        student = _student(manifest.students, root / "submission_metadata.json")
        trace, digits = _trace(student.problem)
        steps = tuple(name for name in manifest.blanks if name in trace)
    else:
        student = Entry("", "", "", source / config.problem)
        trace, digits = _trace(student.problem)
        steps = blank_steps(trace, config.blank, config.level)
    path = _answers_file(submission)
    row = _marked(student, identify(path), trace, digits, steps, config.tolerance)
    if row.marks.error is not None:
        message = row.marks.error.replace(f"{submission}/", "")
        raise _Unmarked(f"Your answers file could not be read.\n\n    {message}\n\nFix it and submit again. {FIX_HINT}")
    return results(row.marks, trace, steps, config, str(path.relative_to(submission)), student, row.note)


def _student(students, metadata: Path):
    """The roster's entry for the person who submitted: their email, student id (``sid``)
    or Gradescope id in ``submission_metadata.json`` equal to a roster id, or their email
    equal to a roster email."""
    try:
        users = json.loads(metadata.read_text(encoding="utf-8"))["users"]
        keys = [str(user[key]).casefold() for user in users for key in ("email", "sid", "student_id", "id") if user.get(key)]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise _Unmarked(f"The autograder cannot tell who submitted ({metadata.name}: {error}). Please tell your teacher.") from None
    by_id = {entry.email.casefold(): entry for entry in students if entry.email}
    by_id |= {entry.id.casefold(): entry for entry in students}
    for key in keys:
        if key in by_id:
            return by_id[key]
    who = ", ".join(str(user.get("email") or user.get("name") or user.get("id")) for user in users) or "no one"
    raise _Unmarked(
        f"You ({who}) are not on this class's roster, so there is no exercise to mark your answers against. "
        "Please tell your teacher: the roster's email column (or its id column) holds each student's email, "
        "or its id column their student id."
    )


def _answers_file(submission: Path) -> Path:
    """The one answers file (or filled PDF form) of the submission, or why there is not one."""
    files = sorted(p for p in submission.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.relative_to(submission).parts))
    answers = [p for p in files if p.suffix.lower() in ANSWER_SUFFIXES]
    names = _md(", ".join(str(p.relative_to(submission)) for p in (answers or files)) or "no files")
    if not answers:
        raise _Unmarked(f"Your submission has no answers file (it has {names}). {FIX_HINT}")
    if len(answers) > 1:
        raise _Unmarked(f"Your submission has {len(answers)} answers files ({names}). {FIX_HINT}")
    return answers[0]


# --- results.json ----------------------------------------------------------------------------
def results(marks, trace, steps: tuple[str, ...], config: Config, file: str, student=None, note: str = "") -> dict:
    """``results.json`` of a marked ``file``: one test per step asked, in the order they are
    worked; a step not answered scores 0 and says so. ``student``: their roster entry (a
    class set), named at the top with their exercise; ``note``: anything odd about the file."""
    from handcalc.check import CARRIED, RIGHT
    from handcalc.render import RenderOptions
    from handcalc.render.marks import LEGEND, markdown, percent

    outputs = markdown(marks, trace, RenderOptions(config.precision, None, True, 10_000), config.ecf)
    answered = {step.name: step for step in marks.steps}
    tests, counts = [], []
    for name in steps:
        cells = trace[name].value.size
        worth = float(config.points.get(name, cells))
        marked = answered.get(name)
        if marked is None:
            score, output = 0.0, f"You did not answer {name}: add `{name}:` and its matrix to your answers file."
            counts.append(f"{name} not answered")
        else:
            right = marked.count(RIGHT) + (marked.count(CARRIED) if config.ecf else 0)
            score, output = worth * right / len(marked.cells), outputs[name]
            counts.append(f"{name} {right}/{len(marked.cells)}")
        tests.append({
            "name": _test_name(trace[name]), "score": round(score, 4), "max_score": worth,
            "status": "passed" if score >= worth else "failed",
            "output": output, "output_format": "md", "visibility": config.visibility,
        })  # fmt: skip
    total = round(sum(test["score"] for test in tests), 4)
    most = sum(test["max_score"] for test in tests)
    carried = " With error carried forward: a cell right from your own earlier answers (~) counts as right." if config.ecf else ""
    who = f"{_md(student.name or student.id)}, exercise {_md(student.variant)}: " if student is not None and student.id else ""
    output = (
        f"{who}**{_md(file)}**: {total:g} of {most:g} points ({percent(total / most if most else 0)}).\n\n"
        + (f"Note: {_md(note)}.\n\n" if note else "")
        + f"{_md(' · '.join(counts))}\n\n{_md(LEGEND + '.' + carried)}"
    )
    return {"score": total, "output": output, "output_format": "md", "visibility": config.visibility, "tests": tests}


def _test_name(step) -> str:
    """``A = exp / sums``: the step's formula, its name with its head (``h2.A = exp / sums``)."""
    return f"{step.name} = {step.formula.partition(' = ')[2]}"


def _md(text: str) -> str:
    from handcalc.render.markdown import escape

    return escape(text)


def failure(message: str) -> dict:
    """The results of a submission that could not be marked: score 0 and why."""
    return {"score": 0.0, "output": message, "output_format": "md", "visibility": "visible", "tests": []}
