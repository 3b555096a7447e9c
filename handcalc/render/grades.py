"""A marked class as a table for the terminal and as JSON: drawn from the grades table of
:func:`handcalc.marking.class_marks.grade_rows`, nothing computed again."""

from __future__ import annotations

import json
from collections.abc import Sequence

from handcalc.marking.class_marks import Row


def text(table: list[list], width: int = 100) -> str:
    """``id  name  score  file`` a line per row, and under it, indented and wrapped to
    ``width`` columns, its first mistake or note."""
    import textwrap

    header, *rows = table
    chosen = [header.index(name) for name in ("id", "name", "score", "file")]
    cells = [[_shown(row[j], j == chosen[2]) for j in chosen] for row in [header, *rows]]
    sizes = [max(len(row[k]) for row in cells) for k in range(3)]
    indent = " " * (sizes[0] + 2)
    lines = []
    for row, line in zip(cells, [None, *rows]):
        lines.append("  ".join([row[0].ljust(sizes[0]), row[1].ljust(sizes[1]), row[2].rjust(sizes[2]), row[3]]).rstrip())
        if line is not None and line[-1]:
            lines += textwrap.wrap(line[-1], max(20, width - 1), initial_indent=indent, subsequent_indent=indent + "  ")
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
