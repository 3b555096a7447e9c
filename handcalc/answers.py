"""A student's answers file: step names to matrices, as written by hand (``handcalc check``).

```yaml
Q: [[2, 1, 2, 1], [1, 3, 1, 3]]
A: [[0.05, 0.34, "?", 0.34], ...]   # a blank: null, "?" or "_"; a masked cell: -inf, "-∞" or blank
sums: [4.73, 9.46, 14.19, 136.6]
```

Each cell keeps the decimals the student wrote (``0.260`` has three), since that is what a
teacher marks against. The file is read by :mod:`handcalc.yamlfile` (bounded, in one pass
over the C parser's events), every scalar keeping its line and column for error messages.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import numpy as np

from handcalc.check import EXACT, Answer
from handcalc.errors import SchemaError
from handcalc.numbers import LARGE, NotANumber, describe, format_shape, parse_number
from handcalc.trace import INPUT, Trace
from handcalc.yamlfile import Scalar, compose, read_text

BLANKS = {"?", "_", ""}
NULLS = {"", "~", "null", "Null", "NULL"}
IDENTITY = ("id", "variant")  # whose file it is (an answers template): read by the class check, not steps
MINUS_INFINITY = {"-inf", "-∞", "−∞", "-.inf", "-.Inf", "-.INF", "-infinity"}
NUMBER_TEXT = re.compile(r"[+-]?(\d*)\.?(\d*)(?:[eE]([+-]?\d+))?")
PLAIN_NUMBER = r"[+-]?\d{1,10}(?:\.\d{0,12})?"  # most cells: read as a float directly, exactly
PLAIN = re.compile(PLAIN_NUMBER)
PLAIN_CELLS = re.compile(rf"(?:{PLAIN_NUMBER},)*{PLAIN_NUMBER}")  # a step of them, joined by commas


def load_answers(path: str | Path, trace: Trace) -> list[Answer]:
    """The answered steps of the file at ``path``, checked against ``trace``'s steps."""
    return parse_answers(read_text(Path(path), "answers file"), trace, str(path))


def parse_answers(text: str, trace: Trace, file: str = "<answers>") -> list[Answer]:
    """The answered steps written in the YAML ``text``; ``file`` is named in error messages."""
    root = _tree(text, file)
    if not isinstance(root, list) or root and not isinstance(root[0], tuple) or not root:
        found = "an empty file" if not root else "a list" if isinstance(root, list) else describe(root.text)
        raise SchemaError(f"expected a mapping of step names to answers (Q: [[…]]), found {found}").located(file, 1, 1)
    root = [(key, value) for key, value in root if not (isinstance(key, Scalar) and key.text in IDENTITY)]
    answers = [_answer(key, value, trace, file) for key, value in root]
    seen: set[str] = set()
    for (key, _), answer in zip(root, answers, strict=True):
        if answer.name in seen:
            raise SchemaError(f"duplicate key {answer.name}; each step may be answered only once").located(
                file, key.line, key.column
            )
        seen.add(answer.name)
    return answers


def _tree(text: str, file: str) -> Any:
    """The document as nested lists of Scalars; a mapping is a list of (key, value) pairs."""
    return compose(text, file, keys="step names such as Q or A", scalar=Scalar, pairs=True)


def _answer(key: Any, value: Any, trace: Trace, file: str) -> Answer:
    if not isinstance(key, Scalar):
        raise SchemaError("keys are step names such as Q or A").located(file, 1, 1)
    where = (file, key.line, key.column)
    name = _step_name(key.text, trace, where)
    step = trace[name]
    rows = [value] if step.value.ndim == 1 else value
    if not isinstance(rows, list) or not rows or not all(isinstance(row, list) and row for row in rows):
        what = "a list of numbers" if step.value.ndim == 1 else "a matrix (a list of rows)"
        raise SchemaError(f"{name} must be {what}").located(*where)
    shape = (len(rows[0]),) if step.value.ndim == 1 else (len(rows), len(rows[0]))
    rectangular = all(len(row) == len(rows[0]) for row in rows)
    transposed = rectangular and len(shape) == 2 and shape != step.shape and shape[::-1] == step.shape
    if (shape != step.shape and not transposed) or not rectangular:
        answer = _shape_text(rows, step)
        raise SchemaError(f"{name} is {format_shape(step.shape)}, but the answer is {answer}").located(*where)
    texts = [cell.text if isinstance(cell, Scalar) else None for row in rows for cell in row]
    if None not in texts and PLAIN_CELLS.fullmatch(",".join(texts)):  # plain decimals only: read at once
        given = np.array(texts, dtype=float)
        places = [_decimals(text) for text in texts]
    else:
        cells = [_cell(cell, name, (i, j), step.value.ndim, where) for i, row in enumerate(rows) for j, cell in enumerate(row)]
        given, places = [value for value, _ in cells], [written for _, written in cells]
    given, places = np.array(given, dtype=float).reshape(shape), np.array(places, dtype=int).reshape(shape)
    if transposed:  # a non-square step written with rows and columns swapped: marked, every cell wrong
        given, places = given.T, places.T
    return Answer(name, given, places, transposed=transposed)


def _step_name(name: str, trace: Trace, where: tuple) -> str:
    computed = [step.name for step in trace if step.kind != INPUT]
    if name in computed:
        return name
    if name in trace:
        raise SchemaError(f"{name} is given in the problem, not an answer").located(*where)
    close = difflib.get_close_matches(name, computed, n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]}?" if close else f"; the steps are: {', '.join(computed)}"
    raise SchemaError(f"no step {name} in this problem{hint}").located(*where)


def _cell(cell: Any, name: str, ij: tuple[int, int], ndim: int, step_where: tuple) -> tuple[float, int]:
    """A cell as (value, decimals written): nan for a blank, −∞ for a masked cell."""
    if not isinstance(cell, Scalar):
        found = "a mapping" if cell and isinstance(cell[0], tuple) else "a list"
        raise SchemaError(f"{_label(name, ij, ndim)}: expected a number, found {found}").located(*step_where)
    text = cell.text.strip()
    if text in NULLS and not cell.quoted:
        return np.nan, 0
    try:
        if not cell.quoted and text.lower() in ("true", "false"):
            raise NotANumber(f"expected a number, found a boolean ({text.lower()})")
        return written_cell(text)
    except NotANumber as error:
        raise SchemaError(f"{_label(name, ij, ndim)}: {error} (a blank is null, ? or _; a masked cell -inf)").located(
            step_where[0], cell.line, cell.column
        ) from None


def _label(name: str, ij: tuple[int, int], ndim: int) -> str:
    """``A[2,1]``, ``sums[3]``: a cell as an error message names it (1-based)."""
    return f"{name}[{','.join(str(i + 1) for i in _index(ij, ndim))}]"


def written_cell(text: str) -> tuple[float, int]:
    """A cell written as text (a quoted scalar, a filled PDF form's field) as (value,
    decimals written): nan for a blank (``?``, ``_`` or nothing), −∞ for a masked cell;
    ``NotANumber`` for anything else that is not a number."""
    text = text.strip()
    if PLAIN.fullmatch(text):  # 2, -0.25, 8.342: the usual cell, read directly
        return float(text), _decimals(text)
    if text in BLANKS:
        return np.nan, 0
    if text in MINUS_INFINITY:
        return -np.inf, 0
    value = float(parse_number(text))
    return value, _places(text, value)


def _decimals(text: str) -> int:
    """The decimals of a plain decimal: 3 for ``0.260``, 0 for ``2``."""
    return len(text) - text.index(".") - 1 if "." in text else 0


def _places(text: str, value: float) -> int:
    """Decimals written: 3 for ``0.260``, 0 for ``2``, 4 for ``2.5e-3``; EXACT for ``1/3``.
    From 10^10 on a number is as precise as written: −9 for ``5.048e+12`` and for
    ``5048000000000`` (its trailing zeros are not significant)."""
    if "/" in text:
        return EXACT
    match = NUMBER_TEXT.fullmatch(text)
    if not match:
        return 0
    places = len(match.group(2)) - int(match.group(3) or 0)
    if abs(value) < LARGE:
        return max(0, places)
    if not match.group(2) and not match.group(3):  # a whole number written out
        places = -(len(match.group(1)) - len(match.group(1).rstrip("0")))
    return min(0, places) if places < 0 else places


def _index(ij: tuple[int, int], ndim: int) -> tuple[int, ...]:
    return (ij[1],) if ndim == 1 else ij


def _shape_text(rows: list, step) -> str:
    if step.value.ndim == 1:
        lists = sum(isinstance(cell, list) for cell in rows[0])
        count = len(rows[0])
        return f"a list of {count} list{'s' * (count != 1)}" if lists == count else f"{count} numbers"
    widths = sorted({len(row) for row in rows})
    return f"{len(rows)}×{widths[0]}" if len(widths) == 1 else f"ragged ({len(rows)} rows of {widths} numbers)"
