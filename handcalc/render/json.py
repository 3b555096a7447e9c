"""JSON for scripts and checking: every step at full precision, masked cells as null."""

from __future__ import annotations

import json
import math
from fractions import Fraction

from handcalc.render import RenderOptions, selected
from handcalc.trace import Trace


def render(trace: Trace, options: RenderOptions) -> str:
    """``{"title", "layout", "tokens", "steps": [{"name", "formula", "shape", "value"}]}``,
    one step to a line so that it reads and diffs well."""
    head = {"title": trace.title, "layout": trace.layout, "tokens": trace.tokens and list(trace.tokens)}
    lines = [f"  {_dump(key)}: {_dump(value)}," for key, value in head.items()]
    body = ",\n".join(f"    {_step(step)}" for step in selected(trace, options))
    return "{\n" + "\n".join(lines) + f'\n  "steps": [\n{body}\n  ]\n}}\n'


def _dump(value) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _step(step) -> str:
    """``{"name", "formula", "shape", "value"}`` of one step, as :func:`_dump` writes it."""
    about = _dump({"name": step.name, "formula": step.formula, "shape": list(step.shape)})
    return f'{about[:-1]}, "value": {_values(step.value)}}}'


def _values(value) -> str:
    """A step's cells as JSON: nested lists (a flat list for a vector), each cell as
    :func:`_number` makes it. A float array is written at numpy's speed (a 256×256 step is
    65,536 cells, often of a few hundred distinct values): each distinct value written once
    (an integer below 2**53 as one, an infinity as null, the rest as ``json.dumps`` writes
    a float), then the cells joined; mostly distinct values go through json's encoder."""
    import numpy as np

    if value.dtype == object or np.isnan(value).any():  # exact cells; nan, which JSON refuses
        return _dump(_cells(value))
    distinct, where = np.unique(value, return_inverse=True)  # 0.0 and -0.0 are merged: both are 0
    if 4 * len(distinct) > value.size:
        return _dump(_float_cells(value))
    whole = _whole(distinct)
    texts = np.array(list(map(repr, distinct.tolist())), dtype=object)
    texts[whole] = list(map(str, distinct[whole].astype(np.int64).tolist()))
    texts[np.isinf(distinct)] = "null"
    cells = texts[where.ravel()].reshape(value.shape).tolist()
    if value.ndim == 1:
        return "[" + ", ".join(cells) + "]"
    return "[" + ", ".join("[" + ", ".join(row) + "]" for row in cells) + "]"


def _whole(value):
    """Where a float array holds an integer that :func:`_number` writes as one (below 2**53)."""
    import numpy as np

    return np.isfinite(value) & (value == np.round(value)) & (np.abs(value) < 2**53)


def _float_cells(value) -> list:
    """``_number`` of every cell of a float array, as nested lists, at numpy's speed."""
    import numpy as np

    whole = _whole(value)
    if whole.all():
        return value.astype(np.int64).tolist()
    cells = value.astype(object)
    cells[whole] = value[whole].astype(np.int64).tolist()
    cells[np.isinf(value)] = None
    return cells.tolist()


def _cells(value) -> list:
    """Nested lists of numbers (a flat list for a vector); −∞ (masked) becomes null."""
    if value.ndim == 1:
        return [_number(x) for x in value.tolist()]
    return [[_number(x) for x in row] for row in value.tolist()]


def _number(x: float | Fraction) -> float | int | str | None:
    """A cell for JSON: an integer, a float at full precision, an exact ``"p/q"``, or
    null for a masked cell."""
    if isinstance(x, Fraction):
        return x.numerator if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    if math.isinf(x):
        return None
    return int(x) if x.is_integer() and abs(x) < 2**53 else x
