"""Answers templates: the file a student fills in and hands back, ``answers/ID.yaml``.

```yaml
# yaml-language-server: $schema=file:///…/answers.schema.json
# Answers of Ada Lovelace (s01), exercise K7Q2M.
# Replace each "?" (quotes and all) with your number ... a blank "?" is a blank cell.
id: "s01"
variant: "K7Q2M"
A: [["?", "?"],
    ["?", "?"]]
```

It is an ordinary answers file (``handcalc.answers``): ``id`` and ``variant`` say whose it
is, ``"?"`` is a blank cell and ``-inf`` a masked cell, printed on the sheet too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import numpy as np

from handcalc.exercises.class_set import Exercise
from handcalc.generate import matrix_lines
from handcalc.trace import Trace

BLANK = '"?"'
MASKED = "-inf"
_IDENTITY = re.compile(r"^(id|variant):[ \t]*(.*?)[ \t]*(?:#.*)?$", re.MULTILINE)


def template_text(exercise: Exercise, trace: Trace, blanks: Sequence[str], precision: int, round: int | None = None) -> str:
    """The answers template of ``exercise``: every blank step as a matrix of ``"?"`` in its
    shape, with a comment saying how to fill it in."""
    student = exercise.student
    who = f"{student.name} ({student.id})" if student.name else student.id
    decimals = (
        f"rounded to {round} decimals, as the sheet asks" if round is not None else f"with the decimals you wrote ({precision} asked)"
    )
    masked = any((np.asarray(trace[name].value) == -np.inf).any() for name in blanks)
    from handcalc.schema import schema_line

    lines = [
        schema_line("answers"),
        f"# Answers of {who}, exercise {exercise.code}.",
        f'# Replace each "?" (quotes and all) with your number, {decimals};',
        '# a fraction in quotes ("1/3"). Leave a "?" where you have no answer.'
        + (" The masked cells (-inf)" if masked else ""),
        ("# are filled in already. " if masked else "# ") + "Keep the id and variant lines, and hand the file back.",
        f"id: {json.dumps(student.id, ensure_ascii=False)}",
        f"variant: {json.dumps(exercise.code)}",
    ]
    for name in blanks:
        lines += _matrix(name, np.asarray(trace[name].value))
    return "\n".join(lines) + "\n"


def _matrix(name: str, value: np.ndarray) -> list[str]:
    """``name: [["?", …],`` with a row a line; a vector (the sums) on one line."""
    cell = lambda x: MASKED if x == -np.inf else BLANK  # noqa: E731
    if value.ndim == 1:
        return [f"{name}: [{', '.join(cell(x) for x in value)}]"]
    return matrix_lines(name, value, len(name) + 2, cell=cell)


def identity(text: str) -> tuple[str | None, str | None]:
    """The ``id`` and ``variant`` written at the top level of an answers file (None if not)."""
    found: dict[str, str] = {}
    for key, value in _IDENTITY.findall(text):
        if key not in found and value:
            found[key] = _unquoted(value)
    return found.get("id"), found.get("variant")


def _unquoted(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            return str(json.loads(value))
        except ValueError:
            return value[1:-1]
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    return value
