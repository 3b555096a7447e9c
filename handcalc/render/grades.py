"""A marked class as a table for the terminal and as JSON: drawn from the grades table of
:func:`handcalc.marking.class_marks.grade_rows`, nothing computed again."""

from __future__ import annotations

import json
from collections.abc import Sequence

from handcalc.marking.class_marks import Row


def text(table: list[list], width: int = 100) -> str:
    """``id  name  file  score  first mistake``, one line per row, cut to ``width`` columns."""
    header, *rows = table
    chosen = [header.index(name) for name in ("id", "name", "file", "score", "first mistake")]
    cells = [[_shown(row[j], j == chosen[3]) for j in chosen] for row in [header, *rows]]
    sizes = [max(len(row[k]) for row in cells) for k in range(4)]
    lines = []
    for row in cells:
        line = "  ".join([*(row[k].ljust(sizes[k]) for k in range(3)), row[3].rjust(sizes[3]), row[4]]).rstrip()
        lines.append(line if len(line) <= width else line[: width - 1] + "…")
    return "\n".join(lines) + "\n"


def _shown(value, score: bool) -> str:
    if score and value != "" and not isinstance(value, str):
        return f"{value:g}%"
    return str(value)


def to_json(table: list[list], rows: Sequence[Row], ecf: bool) -> str:
    """``{"students": [{"id", "name", "file", "score", "steps": {name: {"right", "total"}},
    "first_mistake", "marks"}]}``, ``score`` from 0 to 100 (null when not marked) and
    ``marks`` the file's marks as ``check --format json`` gives them (null when not marked)."""
    from handcalc.render.marks import to_json as marks_json

    header, *lines = table
    steps = header[4:-1]
    students = []
    for line, row in zip(lines, rows, strict=True):
        entry = dict(zip(("id", "name", "file"), line[:3]))
        entry["score"] = None if line[3] == "" else line[3]
        entry["steps"] = {name: _counts(value) for name, value in zip(steps, line[4:-1])}
        entry["first_mistake"] = line[-1]
        entry["marks"] = json.loads(marks_json([row.marks], ecf))["files"][0] if row.marks is not None else None
        students.append(entry)
    return json.dumps({"students": students}, ensure_ascii=False, indent=1) + "\n"


def _counts(value: str) -> dict | None:
    if not value:
        return None
    right, total = value.split("/")
    return {"right": int(right), "total": int(total)}
