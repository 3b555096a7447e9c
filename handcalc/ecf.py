"""Error carried forward: every step worked out again from a student's **own** earlier answers.

A student who gets one cell of Q wrong and then computes the scores correctly from that Q
has made one mistake, not two. ``carried_forward`` says what each step would hold if it
were computed from the student's answers to the steps before it (their Q and K for the
scores, their exp and sums for A, their V and A for Z, their heads' Z for concat …): the
work of every cell (``handcalc.work``) is built against a trace holding their answers and
evaluated again. An operand they did not give, or a cell they left blank, is the true one;
a step's own answer never feeds its own recomputation (nor, for ``masked``, which cells
are blocked: that is the problem's mask).

Pure core code: it prints nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from handcalc.numbers import round_cells
from handcalc.trace import INPUT, Step, Trace
from handcalc.work import as_float, cell_work, reads


def carried_forward(
    trace: Trace, given: Mapping[str, np.ndarray], *, digits: int | None = None
) -> dict[str, np.ndarray]:
    """Each computed step of ``given``, recomputed from the student's own earlier answers.

    ``given`` maps step names of ``trace`` (``Q``, ``scores``, ``h2.A``, ``concat`` …) to the
    student's matrices as floats in the layout's orientation (``sums`` a vector): nan is a
    cell left blank, −∞ a masked cell. The answer is a float array for every given step that
    is worked out (inputs such as ``X`` are not, though a student's copy of one is used by
    the steps after it), in the trace's order. A step none of whose operands the student
    got differently from the truth is the true value itself.

    ``digits``: round every cell as the problem does (pass ``problem.round``), so that the
    values carried forward are the ones the student would have written. A ValueError names
    a step that is not in ``trace`` or an answer of the wrong shape."""
    own, changed = _with_answers(trace, given)
    carried: dict[str, np.ndarray] = {}
    with np.errstate(all="ignore"):  # a student's sum may be 0, an exponent huge: floats say so
        for step in trace:
            if step.name not in given or step.kind == INPUT:
                continue
            if changed.isdisjoint(reads(step, trace)):
                value = _floats(step.value)
            else:
                value = _recomputed(step, own)
            carried[step.name] = value if digits is None else round_cells(value, digits)
    return carried


def _with_answers(trace: Trace, given: Mapping[str, np.ndarray]) -> tuple[Trace, set[str]]:
    """``trace`` with every given step that differs from the truth holding the student's
    answer, each blank cell (nan) filled with the true value; and the names of those steps."""
    answers = {}
    for name, answer in given.items():
        if name not in trace:
            raise ValueError(f"no step {name!r} in this problem; its steps are: {', '.join(trace.names)}")
        truth = _floats(trace[name].value)
        answer = np.asarray(answer, dtype=float)
        if answer.shape != truth.shape:
            raise ValueError(f"{name} is {_shape(truth.shape)}, the answer given for it {_shape(answer.shape)}")
        filled = np.where(np.isnan(answer), truth, answer)  # a new array: Step makes it read-only
        if not np.array_equal(filled, truth):
            answers[name] = filled
    steps = tuple(
        dataclasses.replace(step, value=answers[step.name]) if step.name in answers else step for step in trace
    )
    return dataclasses.replace(trace, steps=steps), set(answers)


def _recomputed(step: Step, own: Trace) -> np.ndarray:
    """The true ``step`` worked out cell by cell with its operands read from ``own``: a
    Work reads the step's own cells (its result, which cells are blocked) from ``step``,
    never from ``own``, so the student's answer to it plays no part."""
    value = np.empty(step.shape, dtype=float)
    for index in np.ndindex(*step.shape):
        work = cell_work(step, own, index)
        assert work is not None, step.name  # only inputs have no work, and they are skipped
        value[index] = work.evaluate()
    return value


def _floats(value: np.ndarray) -> np.ndarray:
    """A step's value as a new float array (exact Fractions too large for a float are ±∞)."""
    try:
        return np.array(value, dtype=float)
    except OverflowError:
        return np.vectorize(as_float, otypes=[float])(value)


def _shape(shape: tuple[int, ...]) -> str:
    return f"a list of {shape[0]} numbers" if len(shape) == 1 else "×".join(map(str, shape))
