"""A class roster: a CSV file with a header row, an ``id`` and a ``name`` column (any other
columns are kept out of the way), and an optional ``seed`` column that gives one student a
chosen exercise.

Each student's exercise comes from a keyed hash of the class seed and their id, so adding or
removing a student changes no one else's exercise. A student's ``variant`` code, printed on
their sheet, is a hash of their exercise: it names the exercise without giving the seed away.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from handcalc.errors import HandcalcError, InputFileError

SEEDS = 10**9  # a student's generator seed lies in 0 … SEEDS − 1
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols, none read as another (0/O, 1/I)
CODE_LENGTH = 5  # 32⁵ ≈ 33 million codes
ID_TEXT = re.compile(r"[\w@+-][\w.@+-]*")  # an id names files (problems/ID.yaml): no / \ : or spaces
MAX_ID = 64


class RosterError(HandcalcError):
    """The roster is not a CSV file with an id and a name column and one row per student."""


@dataclass(frozen=True)
class Student:
    """A row of the roster: ``seed`` is the one the ``seed`` column gives (None: derived),
    ``email`` the one the ``email`` column gives (a platform finds the student by it)."""

    id: str
    name: str
    line: int
    seed: int | None = None
    email: str | None = None


def read_roster(path: str | Path) -> list[Student]:
    """The students of the roster at ``path``, in its order (UTF-8, with or without a BOM)."""
    from handcalc.load import read_text

    file = str(path)
    try:
        return parse_roster(read_text(Path(path)), file)
    except InputFileError as error:
        if "problem file" in error.message:  # read_text speaks of problem files
            error.message = error.message.replace("problem file", "roster")
        raise


def parse_roster(text: str, file: str = "<roster>") -> list[Student]:
    """The students of the CSV ``text``; ``file`` is named in error messages."""
    rows = _rows(text.removeprefix("\ufeff"), file)
    if not rows:
        raise RosterError("is empty; a roster has a header row (id,name) and a row per student").located(file, 1, 1)
    line, header, _ = rows[0]
    columns = [name.strip().lower() for name in header]
    for wanted in ("id", "name"):
        if wanted not in columns:
            raise RosterError(f"has no {wanted!r} column; the header row is {','.join(header)!r}").located(file, line, 1)
    where = {name: columns.index(name) for name in ("id", "name", "seed", "email") if name in columns}
    students: list[Student] = []
    seen: dict[str, tuple[int, str]] = {}  # by the id in any case: the line and id first seen
    for line, cells, raw in rows[1:]:
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        cells = cells + [""] * (len(columns) - len(cells))
        id_ = cells[where["id"]].strip()
        place = (file, line, _column(raw, where["id"]))
        if not id_:
            raise RosterError("the id is empty; every student needs one").located(*place)
        if len(id_) > MAX_ID or not ID_TEXT.fullmatch(id_):
            raise RosterError(
                f"the id {id_!r} is not usable as a file name: letters, digits and . _ - @ + only, "
                f"at most {MAX_ID}, not starting with a dot"
            ).located(*place)
        if id_.casefold() in seen:
            first, other = seen[id_.casefold()]
            case = "" if other == id_ else f" as {other!r} (ids differing only in case name the same file)"
            raise RosterError(f"duplicate id {id_!r}, first on line {first}{case}").located(*place)
        seen[id_.casefold()] = (line, id_)
        seed = None
        if "seed" in where and (text_seed := cells[where["seed"]].strip()):
            if not text_seed.isdigit() or int(text_seed) >= SEEDS:
                raise RosterError(f"the seed {text_seed!r} is not a whole number from 0 to {SEEDS - 1}").located(
                    file, line, _column(raw, where["seed"])
                )
            seed = int(text_seed)
        email = cells[where["email"]].strip() if "email" in where else ""
        students.append(Student(id_, cells[where["name"]].strip(), line, seed, email or None))
    if not students:
        raise RosterError("has a header row but no students").located(file, line, 1)
    return students


def _rows(text: str, file: str) -> list[tuple[int, list[str], str]]:
    """Each record as (its first line, its cells, its raw text)."""
    lines = text.splitlines(keepends=True)
    reader = csv.reader(io.StringIO(text), strict=True)
    rows, start = [], 1
    try:
        for cells in reader:
            rows.append((start, cells, "".join(lines[start - 1 : reader.line_num])))
            start = reader.line_num + 1
    except csv.Error as error:
        raise RosterError(f"is not valid CSV: {error}").located(file, reader.line_num or 1, 1) from None
    return rows


def _column(raw: str, index: int) -> int:
    """The 1-based column where cell ``index`` of a record starts (1 if quotes make it unsure)."""
    if '"' in raw:
        return 1
    return 1 + sum(len(cell) + 1 for cell in raw.rstrip("\r\n").split(",")[:index])


def student_seed(class_seed: int, student: Student) -> int:
    """The generator seed of ``student``'s exercise: their roster ``seed``, else a keyed hash
    (BLAKE2b, keyed by the class seed) of their id, which no other student's row changes."""
    if student.seed is not None:
        return student.seed
    digest = hashlib.blake2b(student.id.encode("utf-8"), key=str(class_seed).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % SEEDS


def variant_code(problem_text: str) -> str:
    """A short code for an exercise (its problem file's text, comment lines aside: they name
    where handcalc is installed): the same exercise, the same code on every machine; it cannot
    be turned back into the exercise or its seed."""
    exercise = "\n".join(line for line in problem_text.splitlines() if not line.lstrip().startswith("#"))
    number = int.from_bytes(hashlib.blake2b(exercise.encode("utf-8"), digest_size=8).digest(), "big")
    code = ""
    for _ in range(CODE_LENGTH):
        number, digit = divmod(number, len(CODE_ALPHABET))
        code += CODE_ALPHABET[digit]
    return code
