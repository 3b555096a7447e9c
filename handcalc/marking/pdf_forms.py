"""Filled PDF forms read back: a fillable sheet has one text field per blank cell, named by
its step and cell (``A[2,3]``, ``sums[4]``, ``h2:A[1,1]`` — a colon, since a dot in a field
name makes a hierarchy), and the read-only fields ``id`` and ``variant``.

A field left empty (or holding ``?``) is a blank cell; a field holding text that is not a
number is a wrong cell that shows what was written. Prints nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from typing import TYPE_CHECKING

from handcalc.errors import InputFileError

if TYPE_CHECKING:
    from handcalc.check import Answer
    from handcalc.trace import Trace

IDENTITY = ("id", "variant")
MAX_BYTES = 32 << 20  # 32 MiB: a filled sheet is a few hundred kB
_FIELD = re.compile(r"(?P<step>[^\[\]]+)\[(?P<cell>\d+(?:,\d+)?)\]")


def field_name(step: str, index: tuple[int, ...]) -> str:
    """The form field of cell ``index`` (0-based) of ``step``: ``A[2,3]``, ``h2:A[1,1]``."""
    return f"{step.replace('.', ':')}[{','.join(str(i + 1) for i in index)}]"


def cell_of(name: str) -> tuple[str, tuple[int, ...]] | None:
    """The step and 0-based index a field name stands for (None for any other field)."""
    match = _FIELD.fullmatch(name)
    if match is None:
        return None
    return match["step"].replace(":", "."), tuple(int(i) - 1 for i in match["cell"].split(","))


def read_form(path: str | Path) -> dict[str, str]:
    """Every text field of the PDF form at ``path``, by name (an empty field is "")."""
    file = str(path)
    path = Path(path)
    try:
        if not path.is_file():
            raise InputFileError("no such file" if not path.exists() else "is not a regular file").located(file)
        if path.stat().st_size > MAX_BYTES:
            raise InputFileError(f"is larger than {MAX_BYTES >> 20} MiB; a filled sheet is far smaller").located(file)
        data = path.read_bytes()
    except OSError as error:
        raise InputFileError(f"cannot be read: {error.strerror or error}").located(file) from None
    return form_fields(data, file)


def form_fields(data: bytes, file: str = "<form>") -> dict[str, str]:
    """The text fields of a PDF given as bytes."""
    import io

    from pypdf import PdfReader

    if not data.startswith(b"%PDF"):
        raise InputFileError("is not a PDF file").located(file)
    try:
        fields = PdfReader(io.BytesIO(data)).get_fields() or {}
    except Exception as error:  # pypdf raises many kinds on a damaged file: each is one line here
        raise InputFileError(f"cannot be read as a PDF form: {error}".split("\n")[0]).located(file) from None
    values = {}
    for name, spec in fields.items():
        value = spec.get("/V", "")
        values[str(name)] = "" if value is None else str(value)
    return values


def form_answers(fields: Mapping[str, str], trace: Trace, blanks: Sequence[str] | None = None) -> list[Answer]:
    """The answers a form holds for the steps ``blanks`` of ``trace`` (default: each step
    it has a field for): each cell from its field (a cell without a field, such as a masked
    −∞ printed on the sheet, is blank)."""
    import numpy as np

    from handcalc.answers import written_cell
    from handcalc.check import Answer
    from handcalc.numbers import NotANumber
    from handcalc.trace import INPUT

    if blanks is None:
        named = {cell[0] for name in fields if (cell := cell_of(name)) is not None}
        blanks = [step.name for step in trace if step.name in named and step.kind != INPUT]

    given = {name: np.full(trace[name].shape, np.nan) for name in blanks}
    places = {name: np.zeros(trace[name].shape, dtype=int) for name in blanks}
    texts: dict[str, dict] = {name: {} for name in blanks}
    for name, text in fields.items():
        cell = cell_of(name)
        if cell is None or cell[0] not in given or len(cell[1]) != given[cell[0]].ndim:
            continue
        step, index = cell
        if not all(0 <= i < n for i, n in zip(index, given[step].shape)):
            continue
        try:
            given[step][index], places[step][index] = written_cell(text)
        except NotANumber:
            texts[step][index] = " ".join(text.split())
    return [Answer(name, given[name], places[name], texts=texts[name]) for name in blanks]
