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
    steps = [
        {"name": step.name, "formula": step.formula, "shape": list(step.shape), "value": _cells(step.value)}
        for step in selected(trace, options)
    ]
    lines = [f"  {_dump(key)}: {_dump(value)}," for key, value in head.items()]
    body = ",\n".join(f"    {_dump(step)}" for step in steps)
    return "{\n" + "\n".join(lines) + f'\n  "steps": [\n{body}\n  ]\n}}\n'


def _dump(value) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _cells(value) -> list:
    """Nested lists of floats (a flat list for a vector); −∞ (masked) becomes null."""
    if value.dtype != object:  # floats: converted as arrays, as _number does one by one
        return _float_cells(value)
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


def _float_cells(value) -> list:
    """``_number`` of every cell of a float array, at numpy's speed (a 256×256 step is
    65,536 cells): integers below 2**53 as ints, infinities as null, the rest as floats."""
    import numpy as np

    whole = np.isfinite(value) & (value == np.round(value)) & (np.abs(value) < 2**53)
    if whole.all():
        return value.astype(np.int64).tolist()
    cells = value.astype(object)
    cells[whole] = value[whole].astype(np.int64).tolist()
    cells[np.isinf(value)] = None
    return cells.tolist()
