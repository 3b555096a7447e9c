"""The arithmetic of a step's cells, written out as a student writes it (``--show-work``).

Every term is written, zeros too; a negative number is put in parentheses, and so is a
fraction that is multiplied, divided or raised: ``Q[1,1] = 1·2 + 1·0 + (-1)·2 = 0``. The
numbers come from :mod:`handcalc.work`, and are formatted by ``format_number`` only.

``work_lines`` gives one line per cell, however long; a format that sets text in a fixed
width (text, the terminal) breaks it with ``wrapped``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from handcalc.numbers import NEG_INF, format_number
from handcalc.render import RenderOptions
from handcalc.steps import base_text, short
from handcalc.trace import Step, Trace
from handcalc.work import (
    Copy,
    DotProduct,
    Masking,
    Power,
    Quotient,
    Scaling,
    Sum,
    Work,
    as_float,
    cell_work,
    first_work,
    is_minus_infinity,
    parse_cell,
)


def work_lines(step: Step, trace: Trace, options: RenderOptions) -> list[str]:
    """Lines such as ``Q[1,1] = 1·2 + 1·0 + 0·0 = 2`` for the first cells of ``step`` (or for
    the one ``options.cell``), one line per cell, then how many were left out."""
    if options.cell is not None:
        cell = head_cell(options.cell, step, trace)  # A[2,1] is each head's A[2,1]
        name, index = parse_cell(cell, trace) if cell is not None else (None, ())
        shown, left_out = ([cell_work(step, trace, index)] if name == step.name else []), 0
    else:
        shown, left_out = first_work(step, trace)
    lines = [written(work, options.precision) for work in shown]
    if left_out:
        lines.append(f"… and {left_out} more cell{'' if left_out == 1 else 's'}")
    return lines


def head_cell(cell: str, step: Step, trace: Trace) -> str | None:
    """``cell`` as a cell of ``step``: as written, or, where it names the step by its short
    name and the trace has no step of that name (several heads), with ``step``'s full name;
    None where it names another step."""
    name, bracket, rest = cell.strip().partition("[")
    if name == step.name:
        return cell
    if name == short(step.name) and name not in trace:
        return f"{step.name}{bracket}{rest}"
    return None


def written(work: Work, precision: int) -> str:
    """One cell's work on one line: ``A[2,1] = 10.068 / 21.934 = 0.459``.

    Every line is true as written: where the operands as shown do not give the result as
    shown (``e^2.121`` is 8.339, the true exp 8.342), the result follows ``≈``, not ``=``."""
    n = _Numbers(precision)
    cell = f"{work.name}[{','.join(str(k + 1) for k in work.index)}]"
    line = f"{cell} = {_WRITERS[type(work)](work, n)}"
    result = f" = {n(work.result)}"
    if line.endswith(result) and line.count(" = ") > 1 and n(_as_shown(work, n).evaluate()) != n(as_float(work.result)):
        line = line[: -len(result)] + f" ≈ {n(work.result)}"
    return line


def _as_shown(work: Work, n: _Numbers) -> Work:
    """``work`` with every operand as the line shows it (8.342, not 8.3421…)."""
    import dataclasses
    from fractions import Fraction

    def shown(x):
        text = n(x)
        return -math.inf if text == NEG_INF else Fraction(text) if "/" in text else float(text)

    if isinstance(work, DotProduct):
        return dataclasses.replace(work, terms=tuple((shown(a), shown(b)) for a, b in work.terms))
    if isinstance(work, Sum):
        return dataclasses.replace(work, terms=tuple(shown(x) for x in work.terms))
    if isinstance(work, Scaling):
        return dataclasses.replace(work, dividend=shown(work.dividend), factors=tuple(shown(f) for f in work.factors))
    if isinstance(work, Power):
        return dataclasses.replace(work, exponent=shown(work.exponent), max=None if work.max is None else shown(work.max))
    if isinstance(work, Quotient):
        return dataclasses.replace(work, numerator=shown(work.numerator), denominator=shown(work.denominator))
    return work


class _Numbers:
    """Numbers as they are written inside the arithmetic, through ``format_number``."""

    def __init__(self, precision: int) -> None:
        self.precision = precision

    def __call__(self, x) -> str:
        """A result as the tables print it: ``2.121``, ``-3``, ``−∞``."""
        return format_number(x, self.precision)

    def term(self, x) -> str:
        """A term of a sum: a negative in parentheses, ``(-3)``."""
        text = self(x)
        return f"({text})" if text.startswith("-") else text

    def factor(self, x) -> str:
        """A factor, divisor or exponent: negatives and fractions in parentheses."""
        text = self(x)
        return f"({text})" if text.startswith("-") or "/" in text else text


def _dot_product(work: DotProduct, n: _Numbers) -> str:
    # Σ_k L[i,k] · R[k,j]
    terms = " + ".join(f"{n.factor(a)}·{n.factor(b)}" for a, b in work.terms)
    return f"{terms} = {n(work.result)}"


def _scaling(work: Scaling, n: _Numbers) -> str:
    # scores[i,j] / (√d_k · s · T)
    parts = ([f"√{n(work.root)}"] if work.root is not None else []) + [n.factor(f) for f in work.factors]
    if not parts:  # scale: none and T = 1: the scores as they are
        return n(work.result)
    divisor = parts[0] if len(parts) == 1 else f"({' · '.join(parts)})"
    return f"{n.factor(work.dividend)} / {divisor} = {n(work.result)}"


def _masking(work: Masking, n: _Numbers) -> str:
    if work.blocked:
        return f"{NEG_INF} (blocked by the mask)"
    return f"{n(work.source)} (allowed by the mask)"


def _power(work: Power, n: _Numbers) -> str:
    # base^x, or base^(x − max)
    if is_minus_infinity(work.exponent):
        exponent = NEG_INF  # base^−∞ = 0: a blocked key gets no weight
    elif work.max is not None:
        exponent = f"({n.factor(work.exponent)} − {n.factor(work.max)})"
    else:
        exponent = n.factor(work.exponent)
    return f"{base_text(work.base)}^{exponent} = {n(work.result)}"


def _sum(work: Sum, n: _Numbers) -> str:
    # Σ_i exp[i,j]
    return f"{' + '.join(n.term(x) for x in work.terms)} = {n(work.result)}"


def _quotient(work: Quotient, n: _Numbers) -> str:
    # exp[i,j] / sums[j]
    return f"{n.factor(work.numerator)} / {n.factor(work.denominator)} = {n(work.result)}"


def _copy(work: Copy, n: _Numbers) -> str:
    return f"{work.source}[{','.join(str(k + 1) for k in work.source_index)}] = {n(work.result)}"


_WRITERS = {
    DotProduct: _dot_product,
    Scaling: _scaling,
    Masking: _masking,
    Power: _power,
    Sum: _sum,
    Quotient: _quotient,
    Copy: _copy,
}


def wrapped(lines: Iterable[str], width: int) -> list[str]:
    """Work lines broken to fit ``width`` (see ``wrap``)."""
    return [part for line in lines for part in wrap(line, width)]


def wrap(line: str, width: int) -> list[str]:
    """``line`` broken before a ``+`` or ``=`` to fit ``width``, the operator of each
    continued line under the first ``=``::

        Z[1,1] = 1·0.054 + 2·0.446 + 1·0.054
               + 2·0.446 = 1.893
    """
    cell, equals, rest = line.partition(" = ")
    pieces = re.split(r" (?=[+=≈] )", rest)  # every piece after the first opens with "+ ", "= " or "≈ "
    indent = " " * (len(cell) + 1)
    lines = [cell + equals + pieces[0]]
    for piece in pieces[1:]:
        if len(lines[-1]) + 1 + len(piece) <= width:
            lines[-1] += " " + piece
        else:
            lines.append(indent + piece)
    return lines
