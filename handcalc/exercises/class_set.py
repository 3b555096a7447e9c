"""A class set: one exercise per student of a roster, each an ordinary problem.

Generated exercises come from the student's own seed (:func:`roster.student_seed`), so a
student's exercise depends only on the class seed, the generator's options and their id; a
class given one problem file gives everyone that problem. The sheet's title never carries
the seed. Prints nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from handcalc.exercises.roster import Student, student_seed, variant_code
from handcalc.problem import Problem

SHEET_TITLE = Problem.__dataclass_fields__["title"].default  # "Self-attention by hand"


@dataclass(frozen=True)
class Exercise:
    """One student's exercise: their generator ``seed`` (None: the class's problem file),
    the ``code`` printed on their sheet, and the problem as its file's text and as data."""

    student: Student
    seed: int | None
    code: str
    text: str
    problem: Problem


def generated(students: Sequence[Student], class_seed: int, options: Mapping[str, Any]) -> list[Exercise]:
    """Each student's generated exercise: ``generate(seed=student_seed(...), **options)``."""
    from handcalc.generate import generate, new_command, to_yaml

    exercises = []
    for student in students:
        seed = student_seed(class_seed, student)
        problem = generate(seed=seed, **options).replaced(title=SHEET_TITLE)  # the generator's title names the seed
        text = to_yaml(problem, seed, new_command(seed=seed, **options))
        exercises.append(Exercise(student, seed, variant_code(text), text, problem))
    return exercises


def shared(students: Sequence[Student], problem: Problem, text: str) -> list[Exercise]:
    """Every student given the one ``problem`` (whose file holds ``text``)."""
    code = variant_code(text)
    return [Exercise(student, None, code, text, problem) for student in students]
