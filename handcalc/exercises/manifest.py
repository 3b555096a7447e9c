"""The class manifest, ``DIR/class.yaml``: who is in the class and which exercise each one has.

```yaml
# handcalc class set. Mark it with:  handcalc check class.yaml SUBMISSIONS... --report grades.csv
seed: 2026                       # the class seed (absent when everyone has one problem file)
generator: {tokens: 4, d_k: 4}   # the generator's options, as given
blanks: [Q, K, V, scores, scaled, exp, sums, A, Z]
precision: 3
students:
  - {id: "s01", name: "Ada Lovelace", variant: "K7Q2M", seed: 412983112, problem: "problems/s01.yaml"}
```

Each student's ``problem`` is a path relative to the manifest: the problem file that
``check`` marks their answers against (their ``seed`` and the ``generator`` make it again).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handcalc.errors import HandcalcError, SchemaError
from handcalc.exercises.class_set import Exercise

NAME = "class.yaml"
STUDENT_KEYS = ("id", "name", "email", "variant", "seed", "problem")


@dataclass(frozen=True)
class Entry:
    """One student of a manifest: ``problem`` is the path of their problem file."""

    id: str
    name: str
    variant: str
    problem: Path
    seed: int | None = None
    email: str | None = None


@dataclass(frozen=True)
class Manifest:
    file: str
    students: tuple[Entry, ...]
    blanks: tuple[str, ...]
    precision: int


def problem_path(student_id: str) -> str:
    """Where a student's problem file lies in the class folder."""
    return f"problems/{student_id}.yaml"


def manifest_text(
    exercises: Sequence[Exercise],
    *,
    blanks: Sequence[str],
    precision: int,
    seed: int | None = None,
    generator: Mapping[str, Any] | None = None,
    problem: str | None = None,
) -> str:
    """The manifest of a class set: ``seed`` and ``generator`` for generated exercises, or
    ``problem``, the file every student was given."""
    lines = [
        "# handcalc class set. Mark it with:",
        f"#   handcalc check {NAME} SUBMISSIONS... --report grades.csv",
        "# Each student's exercise is problems/ID.yaml; their answers template answers/ID.yaml.",
    ]
    if seed is not None:
        lines.append(f"seed: {seed}")
        lines.append(f"generator: {_flow(dict(generator or {}))}")
    if problem is not None:
        lines.append(f"problem: {_scalar(problem)}")
    lines.append(f"blanks: [{', '.join(blanks)}]")
    lines.append(f"precision: {precision}")
    lines.append("students:")
    for exercise in exercises:
        student = exercise.student
        entry = {"id": student.id, "name": student.name, **({"email": student.email} if student.email else {}),
                 "variant": exercise.code}  # fmt: skip
        if exercise.seed is not None:
            entry["seed"] = exercise.seed
        entry["problem"] = problem_path(student.id)
        lines.append(f"  - {_flow(entry)}")
    return "\n".join(lines) + "\n"


def _flow(mapping: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{key}: {_scalar(value)}" for key, value in mapping.items()) + "}"


def _scalar(value: Any) -> str:
    """A number as itself; text double-quoted (a JSON string is a YAML 1.2 string); a pair
    such as the generator's value_range as a list."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, bool) or not isinstance(value, int):
        return json.dumps(str(value), ensure_ascii=False)
    return str(value)


def is_manifest(path: Path) -> bool:
    """Whether ``path`` is a class manifest (a file with a ``students:`` list) rather than a
    problem file, or a folder holding one."""
    import re

    from handcalc.load import read_text

    try:
        if path.is_dir():
            return (path / NAME).is_file()
    except OSError:
        return False  # the problem loader says what is wrong with it
    try:
        text = read_text(path)
    except HandcalcError:
        return False  # the problem loader says what is wrong with it
    return re.search(r"^students:", text, re.MULTILINE) is not None


def read_manifest(path: Path) -> Manifest:
    """The manifest at ``path`` (or in the folder ``path``); each problem path is resolved
    against the manifest's folder."""
    from handcalc.load import read_text, read_yaml

    if path.is_dir():
        path = path / NAME
    file = str(path)
    root = read_yaml(read_text(path), file)

    def fail(message: str, node: Any = None, key: Any = None) -> HandcalcError:
        line, column = _place(node, key)
        return SchemaError(message).located(file, line, column)

    if not isinstance(root, Mapping) or not isinstance(root.get("students"), list) or not root["students"]:
        raise fail("a class manifest has a list of students (made by handcalc worksheet --roster)")
    blanks = root.get("blanks")
    if not isinstance(blanks, list) or not all(isinstance(name, str) for name in blanks):
        raise fail("blanks must be a list of step names", root, "blanks")
    precision = root.get("precision", 3)
    if isinstance(precision, bool) or not isinstance(precision, int):
        raise fail("precision must be a whole number", root, "precision")
    students, seen = [], set()
    for index, item in enumerate(root["students"]):
        if not isinstance(item, Mapping):
            raise fail("each student is a mapping {id, name, variant, problem}", root["students"], index)
        unknown = [key for key in item if key not in STUDENT_KEYS]
        if unknown:
            raise fail(f"unknown key {unknown[0]!r}; a student has {', '.join(STUDENT_KEYS)}", item, unknown[0])
        for key in ("id", "problem"):
            if not isinstance(item.get(key), str) or not item[key]:
                raise fail(f"each student needs a {key}", item, key if key in item else None)
        if item["id"] in seen:
            raise fail(f"duplicate id {item['id']!r}", item, "id")
        seen.add(item["id"])
        seed, email = item.get("seed"), item.get("email")
        students.append(Entry(item["id"], str(item.get("name") or ""), str(item.get("variant") or ""),
                              path.parent / item["problem"], seed if isinstance(seed, int) else None,
                              email if isinstance(email, str) and email else None))  # fmt: skip
    return Manifest(file, tuple(students), tuple(blanks), precision)


def _place(node: Any, key: Any) -> tuple[int | None, int | None]:
    """The 1-based line and column of ``node[key]`` as read by handcalc.yamlfile (of the
    file's start when there is no key)."""
    try:
        return node.key_places[key] if isinstance(node, Mapping) else node.place(key)
    except (AttributeError, KeyError, IndexError, TypeError):
        return 1, 1
