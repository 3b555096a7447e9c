"""The arithmetic of one cell, as data: what a student writes out under a step (``--show-work``).

Every number is read from the trace, never computed again: a product's cell is the row of
its left operand against the column of its right one, a softmax cell is its source cell
(and its sum). Indices are 0-based here and in the layout's own orientation (rows × columns
as displayed); they are written 1-based: ``A[2,1]``.

``evaluate()`` does the arithmetic of a Work again from the numbers it holds (never from
``result``), as a float: error carried forward recomputes a cell from a student's own
operands with it. −∞ and blanks (nan) go through it as they do through float arithmetic.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

import numpy as np

from handcalc.errors import CellError
from handcalc.steps import base_text, exp_base, exp_formula, short
from handcalc.trace import CONCAT, ELEMENTWISE, PRODUCT, SUMS, Step, Trace

Number = Any  # a float, a numpy float or an exact Fraction: cells are never converted
Index = tuple[int, ...]  # (i, j) of a matrix, (j,) of the sums

SHOWN = 3  # cells worked out under a step, at most …
TERMS = 24  # … and about this many terms in all: a long dot product is shown once


# --- the work of one cell, by the arithmetic it takes -----------------------------------------
@dataclass(frozen=True)
class Work:
    """The cell ``name[index]`` and the ``result`` the trace holds there."""

    name: str
    index: Index
    result: Number

    @property
    def size(self) -> int:
        """How many terms it writes out (a dot product or a sum has many)."""
        return 1

    def evaluate(self) -> float:
        """The cell's value, worked out again from the operands this Work holds."""
        raise NotImplementedError(type(self).__name__)


@dataclass(frozen=True)
class DotProduct(Work):
    """C[i,j] = Σ_k L[i,k] · R[k,j]: the pairs (L[i,k], R[k,j]), k in order."""

    terms: tuple[tuple[Number, Number], ...]

    @property
    def size(self) -> int:
        return len(self.terms)

    def evaluate(self) -> float:
        """Σ_k a_k · b_k (exact while every term is a Fraction)."""
        return as_float(sum((a * b for a, b in self.terms), 0))


@dataclass(frozen=True)
class Scaling(Work):
    """scaled[i,j] = scores[i,j] / (√d_k · s · T), each factor where the problem has it:
    ``root`` is d_k (None without √d_k), ``factors`` are s and T."""

    dividend: Number
    root: Number | None
    factors: tuple[Number, ...]

    def evaluate(self) -> float:
        """dividend / (√root · Π factors); √root stays exact where root is a perfect square."""
        divisor: Number = 1
        if self.root is not None:
            whole = math.isqrt(int(self.root))
            divisor = whole if whole * whole == self.root else math.sqrt(self.root)
        for factor in self.factors:
            divisor = divisor * factor
        return _divide(self.dividend, divisor)


@dataclass(frozen=True)
class Masking(Work):
    """masked[i,j] = scaled[i,j] where the mask allows it, −∞ where it blocks."""

    source: Number
    blocked: bool

    def evaluate(self) -> float:
        """−∞ where the mask blocks, the source cell where it allows."""
        return -math.inf if self.blocked else as_float(self.source)


@dataclass(frozen=True)
class Power(Work):
    """exp[i,j] = base^x, or base^(x − max) when the column's (row's) max was subtracted."""

    base: str  # as the formula writes it: e, 3, 2.5
    exponent: Number
    max: Number | None

    def evaluate(self) -> float:
        """base^(exponent − max): e is math.e, any other base the number written (as
        precise as the formula writes it); +∞ where the power overflows a float."""
        x = as_float(self.exponent if self.max is None else self.exponent - self.max)
        try:
            return math.exp(x) if self.base == "e" else float(self.base) ** x  # a Fraction: exact base
        except OverflowError:
            return math.inf


@dataclass(frozen=True)
class Sum(Work):
    """sums[j] = Σ_i exp[i,j]: the column (row, in the rows layout) of exp, in order."""

    terms: tuple[Number, ...]

    @property
    def size(self) -> int:
        return len(self.terms)

    def evaluate(self) -> float:
        """Σ terms (exact while every term is a Fraction)."""
        return as_float(sum(self.terms, 0))


@dataclass(frozen=True)
class Quotient(Work):
    """A[i,j] = exp[i,j] / sums[j]: the cell over the sum of its column (row)."""

    numerator: Number
    denominator: Number

    def evaluate(self) -> float:
        """numerator / denominator (a zero denominator gives ±∞ or nan, as floats do)."""
        return _divide(self.numerator, self.denominator)


@dataclass(frozen=True)
class Copy(Work):
    """concat[i,j] = h2.Z[i′,j]: a cell taken over unchanged from ``source[source_index]``,
    whose value is ``value``."""

    source: str
    source_index: Index
    value: Number = math.nan

    def evaluate(self) -> float:
        """The source cell's value, unchanged."""
        return as_float(self.value)


def as_float(x: Number) -> float:
    """A cell as a float: a Fraction too large for one is ±∞."""
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


def _divide(a: Number, b: Number) -> float:
    """a / b as a float, exact while both are Fractions; by zero as IEEE floats divide."""
    try:
        return as_float(a / b)
    except ZeroDivisionError:
        with np.errstate(all="ignore"):
            return float(np.float64(as_float(a)) / np.float64(as_float(b)))


# --- from a step and a cell to its work -------------------------------------------------------
def cell_work(step: Step, trace: Trace, index: Index) -> Work | None:
    """The arithmetic of ``step[index]``; None for an input, which is given, not worked out."""
    if step.kind == PRODUCT:
        return _dot_product(step, trace, index)
    if step.kind == SUMS:
        return _sum(step, trace, index)
    if step.kind == CONCAT:
        return _copy(step, trace, index)
    if step.kind == ELEMENTWISE and (make := _ELEMENTWISE.get(short(step.name))):
        return make(step, trace, index)
    return None


def first_work(step: Step, trace: Trace) -> tuple[list[Work], int]:
    """The work of the first cells of ``step`` in reading order, and how many are left out.

    At most ``SHOWN`` cells, fewer when their dot products (sums) are long."""
    order = reading_order(step.shape, trace.layout)
    first = next(order, None)
    work = cell_work(step, trace, first) if first is not None else None
    if work is None:
        return [], 0
    count = max(1, min(SHOWN, TERMS // work.size))
    shown = [work, *(cell_work(step, trace, index) for index in islice(order, count - 1))]
    return shown, math.prod(step.shape) - len(shown)


def reading_order(shape: tuple[int, ...], layout: str) -> Iterator[Index]:
    """The cells one token at a time: down each column (tokens as columns), along each row
    (tokens as rows); a vector's entries in order."""
    if len(shape) == 1:
        return ((j,) for j in range(shape[0]))
    m, n = shape
    if layout == "columns":
        return ((i, j) for j in range(n) for i in range(m))
    return ((i, j) for i in range(m) for j in range(n))


def _cell(step: Step, index: Index) -> Number:
    return step.value[index]


def _operand(trace: Trace, step: Step, k: int = 0) -> tuple[Step, np.ndarray]:
    """Operand ``k`` of ``step``: its step and its value, transposed where the Ref says ᵀ."""
    ref = step.operands[k]
    source = trace[ref.name]
    return source, source.value.T if ref.T else source.value


def _dot_product(step: Step, trace: Trace, index: Index) -> DotProduct:
    """C[i,j] = Σ_k L[i,k] · R[k,j], with L and R as the formula writes them (Kᵀ)."""
    (_, L), (_, R) = _operand(trace, step, 0), _operand(trace, step, 1)
    i, j = index
    terms = tuple((L[i, k], R[k, j]) for k in range(L.shape[1]))
    return DotProduct(step.name, index, _cell(step, index), terms)


def _scaling(step: Step, trace: Trace, index: Index) -> Scaling:
    """scaled[i,j] = source[i,j] / (√d_k · s · T): the divisor's parts from the constants."""
    _, source = _operand(trace, step)
    constants = dict(step.constants)
    root = constants.get("d_k") if "√d_k" in constants else None
    factors = tuple(constants[name] for name in ("s", "T") if name in constants)
    if root is not None and float(constants["√d_k"]) != math.sqrt(root) and math.isqrt(root) ** 2 != root:
        root, factors = None, (constants["√d_k"], *factors)  # √d_k rounded (round:) and used as shown
    return Scaling(step.name, index, _cell(step, index), source[index], root, factors)


def _masking(step: Step, trace: Trace, index: Index) -> Masking:
    """masked[i,j]: the scaled score, or −∞ where the mask blocks it."""
    _, source = _operand(trace, step)
    result = _cell(step, index)
    return Masking(step.name, index, result, source[index], is_minus_infinity(result))


def _power(step: Step, trace: Trace, index: Index) -> Power:
    """exp[i,j] = base^x (minus the column's max, or the row's, when the formula says so)."""
    source_step, source = _operand(trace, step)
    base = exp_base(step)
    shifted = step.formula == exp_formula(base_text(base), short(source_step.name), True, trace.layout)
    i, j = index
    line = source[:, j] if trace.layout == "columns" else source[i, :]  # the cell's distribution
    return Power(step.name, index, _cell(step, index), base, source[index], max(line) if shifted else None)


def _sum(step: Step, trace: Trace, index: Index) -> Sum:
    """sums[j] = Σ_i exp[i,j]: column j of exp (row j, tokens as rows)."""
    _, exp = _operand(trace, step)
    (j,) = index
    line = exp[:, j] if trace.layout == "columns" else exp[j, :]
    return Sum(step.name, index, _cell(step, index), tuple(line))


def _quotient(step: Step, trace: Trace, index: Index) -> Quotient:
    """A[i,j] = exp[i,j] / sums[j] (sums[i], tokens as rows)."""
    exp_step, exp = _operand(trace, step)
    sums = sums_of(trace, exp_step.name)
    i, j = index
    denominator = sums.value[j if trace.layout == "columns" else i]
    return Quotient(step.name, index, _cell(step, index), exp[index], denominator)


def sums_of(trace: Trace, exp: str) -> Step:
    """The step that sums ``exp``."""
    return next(s for s in trace if s.kind == SUMS and s.operands and s.operands[0].name == exp)


def reads(step: Step, trace: Trace) -> tuple[str, ...]:
    """The steps whose cells the work of ``step`` reads: its operands, and for A the sums of
    its exp as well; none for an input."""
    names = tuple(ref.name for ref in step.operands)
    if step.kind == ELEMENTWISE and _ELEMENTWISE.get(short(step.name)) is _quotient:
        names += (sums_of(trace, names[0]).name,)
    return names


def _copy(step: Step, trace: Trace, index: Index) -> Copy:
    """concat[i,j]: the heads' Z stacked top to bottom (side by side, tokens as rows)."""
    axis = 0 if trace.layout == "columns" else 1
    offset = index[axis]
    for ref in step.operands:
        source = trace[ref.name]
        if offset < source.shape[axis]:
            source_index = (offset, index[1]) if axis == 0 else (index[0], offset)
            return Copy(step.name, index, _cell(step, index), source.name, source_index, source.value[source_index])
        offset -= source.shape[axis]
    raise IndexError(index)


_ELEMENTWISE: dict[str, Callable[[Step, Trace, Index], Work]] = {
    "scaled": _scaling,
    "masked": _masking,
    "exp": _power,
    "A": _quotient,
}


def is_minus_infinity(x: Number) -> bool:
    """A blocked cell: −∞ (works for floats and Fractions alike)."""
    return math.isinf(float(x)) and x < 0


# --- a cell named on the command line: A[2,1], h2.A[1,1], sums[3] -----------------------------
_CELL = re.compile(r"\s*(?P<name>[\w.]+)\s*\[\s*(?P<i>\d+)\s*(?:,\s*(?P<j>\d+)\s*)?\]\s*")


def parse_cell(text: str, trace: Trace, shown: Collection[str] | None = None) -> tuple[str, Index]:
    """``A[2,1]`` as the step's name and a 0-based index, checked against ``trace`` (and
    the steps ``shown``); a ``CellError`` says what is wrong. Indices are 1-based and in
    the layout's orientation: rows × columns as displayed."""
    match = _CELL.fullmatch(text)
    if match is None:
        raise CellError(f"{text!r} is not a cell: write STEP[i,j] as in A[2,1], or sums[3] for a sum")
    name = match["name"]
    _check_name(name, trace)
    step = trace[name]
    if shown is not None and name not in shown:
        raise CellError(f"{name} is not among the steps shown ({', '.join(shown)})")
    index = tuple(int(match[k]) for k in ("i", "j") if match[k] is not None)
    _check_index(text.strip(), step, index)
    return name, tuple(k - 1 for k in index)


def _check_name(name: str, trace: Trace) -> None:
    """``name`` is a step of ``trace`` that is worked out (an input is given)."""
    worked = [step.name for step in trace if cell_work(step, trace, (0,) * step.value.ndim) is not None]
    if name in worked:
        return
    if name in trace:
        raise CellError(f"{name} is given, not worked out: it has no work to show")
    heads = [full for full in worked if short(full) == name and full != name]
    if heads:
        raise CellError(f"no step {name!r}: each head has its own, name one: {', '.join(heads)}")
    raise CellError(f"no step {name!r}; the steps worked out are: {', '.join(worked)}")


def _check_index(text: str, step: Step, index: Index) -> None:
    """1-based ``index`` within ``step``'s shape, with as many numbers as it has axes."""
    if len(step.shape) == 1:
        (n,) = step.shape
        size, wanted, example, bounds = f"a list of {n} numbers", "one index", "[1]", f"1…{n}"
    else:
        m, n = step.shape
        size, wanted, example, bounds = f"{m}×{n}", "a row and a column", "[1,1]", f"rows 1…{m}, columns 1…{n}"
    if len(index) != len(step.shape):
        raise CellError(f"{text}: {step.name} is {size}; give {wanted}, as in {step.name}{example}")
    if not all(1 <= k <= limit for k, limit in zip(index, step.shape)):
        raise CellError(f"{text} is outside {step.name}, which is {size} ({bounds})")
