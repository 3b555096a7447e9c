"""The library in two calls, for notebooks and scripts: ``handcalc.attention`` computes,
``handcalc.check`` marks. Both return data that a notebook draws as the by-hand tables.

    >>> import handcalc
    >>> trace = handcalc.attention(X=[[1, 0], [0, 1]], W_q=[[1, 0]], W_k=[[0, 1]], W_v=[[1, 1]], mask="causal")
    >>> trace["A"].value.tolist()
    [[1.0, 0.5], [0.0, 0.5]]
    >>> marks = handcalc.check(trace, {"A": [[1, 0.5], [0, 0.5]], "Z": [[1, 0.6]]})
    >>> [(step.name, step.count("right"), step.count("wrong")) for step in marks.steps]
    [('A', 4, 0), ('Z', 1, 1)]
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from handcalc.check import Marks
from handcalc.trace import Trace


def attention(X: Any, W_q: Any = None, W_k: Any = None, W_v: Any = None, *, exact: bool = False, **options: Any) -> Trace:
    """Every step of self-attention for these matrices, as ``handcalc run`` shows them.

    ``X``, ``W_q``, ``W_k``, ``W_v`` are lists of rows or numpy arrays (tokens as columns,
    unless ``layout="rows"``); ``options`` are the other keys of a problem file: ``mask``
    ("causal", or a 0/1 matrix), ``base``, ``scale``, ``temperature``, ``round``, ``X_kv``,
    ``heads``, ``W_o``, ``tokens``, ``title``, ``layout``. ``exact``: exact fractions for as
    long as the arithmetic is rational. A bad input raises a ``HandcalcError``."""
    from handcalc.attention import compute
    from handcalc.problem import Problem

    return compute(Problem(X=X, W_q=W_q, W_k=W_k, W_v=W_v, **options), exact)


@dataclass(frozen=True)
class MarkedSubmission(Marks):
    """The marks of one submission (every answered step, cell by cell), with the trace they
    were marked against, so that a notebook draws them as ``handcalc check`` prints them."""

    trace: Trace | None = field(default=None, compare=False, repr=False)
    ecf: bool = False  # carried cells count as right in the score shown

    def _repr_html_(self) -> str:
        from handcalc.render.notebook import marks_html

        return marks_html(self, self.trace, self.ecf)

    def _repr_markdown_(self) -> str:
        from handcalc.render.notebook import marks_markdown

        return marks_markdown(self, self.trace, self.ecf)


def check(
    trace: Trace,
    answers: Mapping[str, Any] | str | os.PathLike,
    *,
    tolerance: float | None = None,
    ecf: bool = False,
    round: int | None = None,
) -> MarkedSubmission:
    """A student's answers marked against ``trace``, as ``handcalc check`` marks them.

    ``answers`` is an answers file (a path), or a mapping of step names to matrices (the
    sums: a list): numbers, fractions as text ("1/3"), ``None`` or "?" for a blank, ``-inf``
    for a masked cell. A number counts the decimals of its shortest form (``0.26``: 2);
    pass ``tolerance`` to mark computed floats within an absolute bound instead. ``round``
    is the problem's ``round:``, if it has one."""
    from handcalc.answers import load_answers, parse_answers
    from handcalc.check import mark

    if isinstance(answers, Mapping):
        file = "answers"
        written = parse_answers(json.dumps({str(name): _written(value) for name, value in answers.items()}), trace, file)
    else:
        file = os.fspath(answers)
        written = load_answers(file, trace)
    marks = mark(trace, written, file, tolerance, round)
    return MarkedSubmission(marks.file, marks.steps, marks.error, trace=trace, ecf=ecf)


def _written(value: Any) -> Any:
    """A matrix as an answers file writes it: lists of numbers, text for fractions, blanks
    and −∞ (numpy arrays and scalars become plain lists and numbers)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [_written(cell) for cell in value]
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, float) and math.isinf(value):
        return "-inf" if value < 0 else "inf"
    return value
