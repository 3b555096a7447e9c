"""Diagnosis of the classic mistakes: a student's wrong step recognised as a known wrong
computation, said in one plain sentence (``handcalc check``).

``diagnose(trace, name, matches)`` builds, from the trace's own steps, what step ``name``
would hold after each classic mistake (the scores transposed, the softmax along the wrong
axis, the wrong divisor, the mask forgotten or written as 0, the wrong product for Z, an
answer transposed or shifted by one) and asks ``matches`` whether the student wrote that.
Each candidate repeats the true computation but for the single wrong operation, so that a
mistake is recognised in any problem: either layout, several heads, a mask, base 3,
a temperature. The most specific mistakes are tried first; the first one that fits names
the sentence, and a right answer is never diagnosed.

Pure core code: it prints nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import numpy as np

from handcalc.steps import AXIS_WORD, exp_base, head_of, short
from handcalc.trace import Trace

Matches = Callable[[np.ndarray], bool]  # whether a candidate matrix is what the student wrote

# One plain sentence per mistake; the words in braces depend on the layout and the problem.
SENTENCES = {
    "scores transposed": "scores are transposed: rows should be {rows} and columns {cols} ({right}), not {wrong}",
    "scores product": "scores are {wrong}, not {right}: rows should be {rows} and columns {cols}",
    "softmax axis": "softmax along the wrong axis: each {line} (one query) should sum to 1, not each {other}",
    "sums axis": "sums along the wrong axis: sum each {line} of exp (one sum per query), not each {other}",
    "sqrt d_model": "the scores are divided by √d_model = √{d_model} instead of √d_k = √{d_k}",
    "not scaled": "the scores are not scaled: divide them by {divisor}",
    "scaled twice": "the scores are scaled twice: divide them by {divisor} once",
    "mask forgotten": "the mask is forgotten: blocked cells must be −∞ before the softmax, so that they get 0",
    "mask zero": "masked with 0 instead of −∞: a blocked cell then counts as {base}^0 = 1, not {base}^−∞ = 0",
    "Z product": "Z is {wrong} instead of {right}: each {line} of Z is {how}",
    "transposed": "{step} is transposed: swap its rows and columns",
    "shifted": "the {lines} of {step} are shifted {way} by one: each {line} holds the values of the {line} {side}",
    "sums shifted": "the {step} are shifted by one place: each sum is written against the wrong query",
}

Candidate = tuple[str, np.ndarray, dict]  # a SENTENCES key, the matrix, the sentence's words


def diagnose(trace: Trace, name: str, matches: Matches) -> str | None:
    """One plain sentence naming the classic mistake the student's answer to step ``name``
    shows, or None when it is none of them (or is right).

    ``matches(candidate)`` says whether the student's answer equals ``candidate`` (a float
    array in the layout's orientation, shaped like the step) within the marking tolerance,
    blanks aside; candidates of another shape, or equal to the truth, are never offered."""
    with np.errstate(all="ignore"):  # a candidate may divide by 0: it then matches nothing
        if matches(_floats(trace[name].value)):
            return None
        return next((sentence for sentence, candidate in mistakes(trace, name) if matches(candidate)), None)


def mistakes(trace: Trace, name: str) -> Iterator[tuple[str, np.ndarray]]:
    """The classic mistakes of step ``name``, most specific first: each as its plain sentence
    and the matrix a student who made it (and nothing else) would write — floats in the
    layout's orientation, shaped like the step, and different from the truth."""
    truth = _floats(trace[name].value)
    for sentence, candidate in candidates(trace, name):
        if differs(candidate[None], truth[None])[0]:
            yield sentence, candidate


def candidates(trace: Trace, name: str, values: Mapping[str, np.ndarray] | None = None) -> Iterator[tuple[str, np.ndarray]]:
    """The classic mistakes of step ``name`` as ``mistakes`` gives them, built from
    ``values`` where given: step names to a batch of matrices (F, *shape), one per student
    (their own earlier numbers), each candidate then a batch too. A candidate equal to the
    truth is not left out here (that depends on each student's numbers)."""
    shape = trace[name].shape
    context = _Context(trace, name, values or {})
    for family in (*_SPECIFIC.get(short(name), ()), _transposed, _shifted):
        with np.errstate(all="ignore"):  # a candidate may divide by 0: it then matches nothing
            try:
                found = [(key, _floats(candidate), words) for key, candidate, words in family(context)]
            except KeyError:  # a step this mistake needs is not in the trace
                continue
        yield from ((SENTENCES[key].format(**words), candidate) for key, candidate, words in found
                    if candidate.shape[candidate.ndim - len(shape):] == shape)  # fmt: skip


class _Context:
    """The steps of ``name``'s head, as floats, and what the softmax needs to redo them.

    ``col(short)`` is a step in the columns orientation (every column one query), where the
    softmax is worked; ``out`` writes such a matrix back in the layout's orientation."""

    def __init__(self, trace: Trace, name: str, values: Mapping[str, np.ndarray]) -> None:
        self.trace = trace
        self.values = values  # batches of a students' own numbers, by step name
        self.batched = bool(values)
        self.name = name
        self.step = short(name)
        self.layout = trace.layout
        self.prefix = f"{head}." if (head := head_of(name)) else ""
        self.line = AXIS_WORD[self.layout]  # the softmax's own line: column (row in rows)
        self.other = AXIS_WORD["rows" if self.layout == "columns" else "columns"]

    def value(self, step: str) -> np.ndarray:
        """This head's ``step``, as it is written (the layout's orientation)."""
        name = self.prefix + step
        return _floats(self.values[name] if name in self.values else self.trace[name].value)

    def col(self, step: str) -> np.ndarray:
        return self.out(self.value(step))

    def out(self, value: np.ndarray) -> np.ndarray:
        """Columns orientation to the layout's, and back: a transpose in rows, its own inverse."""
        return _T(value) if self.layout == "rows" and value.ndim - self.batched == 2 else value

    def constants(self, step: str) -> dict:
        return dict(self.trace[self.prefix + step].constants)

    @property
    def blocked(self) -> np.ndarray | None:
        """The cells the mask blocks (columns orientation); None without a mask."""
        if self.prefix + "masked" not in self.trace:
            return None
        return np.isneginf(self.col("masked"))

    @property
    def base(self) -> str:
        """The base of the exponentials as the exp formula writes it: ``e``, ``3``, ``2.5``."""
        return self._exponential()[0]

    def power(self, x: np.ndarray) -> np.ndarray:
        """``base ** x`` as the exp step does it (each column's max subtracted where it was)."""
        base, exponent = self._exponential()
        if "max" in exponent:  # exp = e^(scaled − column max)
            x = x - x.max(axis=-2, keepdims=True)
        return np.exp(x) if base == "e" else np.power(float(base), x)

    def _exponential(self) -> tuple[str, str]:
        """``exp = 3^masked`` → ("3", "masked")."""
        step = self.trace[self.prefix + "exp"]
        return exp_base(step), step.formula.partition("^")[2]

    def onward(self, x: np.ndarray, start: str) -> np.ndarray:
        """This context's step, worked on from ``x`` standing for step ``start`` (``scaled``
        or ``masked``, columns orientation) and done right from there; in the layout's
        orientation."""
        if start == "scaled" and self.step != "scaled":
            blocked = self.blocked
            x = x if blocked is None else np.where(blocked, -np.inf, x)
        if self.step in ("exp", "sums", "A"):
            exp = self.power(x)
            x = {"exp": exp, "sums": exp.sum(axis=-2), "A": exp / exp.sum(axis=-2, keepdims=True)}[self.step]
        return self.out(x)


# --- the mistakes of each step, most specific first -----------------------------------------
def _scores(c: _Context) -> Iterator[Candidate]:
    """Qᵀ·K for Kᵀ·Q (columns), K·Qᵀ for Q·Kᵀ (rows); and the other layout's product."""
    Q, K = c.value("Q"), c.value("K")
    if c.layout == "columns":
        right, axes, transposed = "Kᵀ·Q", ("keys", "queries"), ("Qᵀ·K", _T(Q), K)
        others = (("Q·Kᵀ", Q, _T(K)), ("K·Qᵀ", K, _T(Q)))
    else:
        right, axes, transposed = "Q·Kᵀ", ("queries", "keys"), ("K·Qᵀ", K, _T(Q))
        others = (("Kᵀ·Q", _T(K), Q), ("Qᵀ·K", _T(Q), K))
    words = {"right": right, "rows": axes[0], "cols": axes[1]}
    for key, (wrong, left, rightop) in (("scores transposed", transposed), *(("scores product", o) for o in others)):
        if left.shape[-1] == rightop.shape[-2]:
            yield key, left @ rightop, words | {"wrong": wrong}


def _softmax_axis(c: _Context) -> Iterator[Candidate]:
    """A = exp / the sums of the other axis (rows in the columns layout); sums likewise."""
    words = {"line": c.line, "other": c.other}
    exp = c.col("exp")
    if c.step == "A":
        yield "softmax axis", c.out(exp / exp.sum(axis=-1, keepdims=True)), words
    elif c.step == "sums":
        yield "sums axis", exp.sum(axis=-1), words


def _masking(c: _Context) -> Iterator[Candidate]:
    """The mask forgotten (masked = scaled), or blocked cells written 0 instead of −∞."""
    blocked = c.blocked
    if blocked is None or not blocked.any():
        return
    scaled = c.col("scaled")
    yield "mask forgotten", c.onward(scaled, "masked"), {}
    yield "mask zero", c.onward(np.where(blocked, 0.0, scaled), "masked"), {"base": c.base}


def _scaling(c: _Context) -> Iterator[Candidate]:
    """The scores divided by √d_model instead of √d_k, not divided, or divided twice; then
    the rest done right (the mask, exp, sums, A)."""
    constants = c.constants("scaled")
    T = float(constants.get("T", 1))
    s = float(constants.get("√d_k", constants.get("s", 1)))
    divisor = s * T
    scores = c.col("scores")
    if "d_k" in constants:
        d_model = c.trace["X"].shape[0 if c.layout == "columns" else 1]  # X is shared by the heads
        words = {"d_model": d_model, "d_k": constants["d_k"]}
        yield "sqrt d_model", c.onward(scores / (np.sqrt(d_model) * T), "scaled"), words
    if divisor != 1:
        named = "√d_k" if "d_k" in constants else "s" if "s" in constants else ""
        words = {"divisor": " · ".join(part for part in (named, "T" if "T" in constants else "") if part)}
        yield "not scaled", c.onward(scores, "scaled"), words
        yield "scaled twice", c.onward(scores / divisor**2, "scaled"), words


def _z(c: _Context) -> Iterator[Candidate]:
    """A·V or V·Aᵀ for V·A (columns); V·A or Aᵀ·V for A·V (rows)."""
    A, V = c.value("A"), c.value("V")
    if c.layout == "columns":
        right, how, wrongs = "V·A", "V times a column of A", (("A·V", A, V), ("V·Aᵀ", V, _T(A)))
    else:
        right, how, wrongs = "A·V", "a row of A times V", (("V·A", V, A), ("Aᵀ·V", _T(A), V))
    for wrong, left, rightop in wrongs:
        if left.shape[-1] == rightop.shape[-2]:
            yield "Z product", left @ rightop, {"wrong": wrong, "right": right, "line": c.line, "how": how}


_SOFTMAX = (_softmax_axis, _masking, _scaling)
_SPECIFIC: dict[str, tuple[Callable[[_Context], Iterator[Candidate]], ...]] = {
    "scores": (_scores,),
    "scaled": (_scaling,),
    "masked": (_masking, _scaling),
    "exp": _SOFTMAX,
    "sums": _SOFTMAX,
    "A": _SOFTMAX,
    "Z": (_z,),
}


# --- the mistakes of any step --------------------------------------------------------------
def _transposed(c: _Context) -> Iterator[Candidate]:
    """A square step written with its rows and columns swapped."""
    truth = c.value(c.step)
    if truth.ndim - c.batched == 2 and truth.shape[-1] == truth.shape[-2]:
        yield "transposed", _T(truth), {"step": c.step}


SHIFTS = {  # (axis, np.roll shift): the words for a step whose lines moved one place
    (0, 1): {"lines": "rows", "line": "row", "way": "down", "side": "above it"},
    (0, -1): {"lines": "rows", "line": "row", "way": "up", "side": "below it"},
    (1, 1): {"lines": "columns", "line": "column", "way": "right", "side": "to its left"},
    (1, -1): {"lines": "columns", "line": "column", "way": "left", "side": "to its right"},
}


def _shifted(c: _Context) -> Iterator[Candidate]:
    """Every row (column) one place down or up (right or left), the last wrapping round."""
    truth = c.value(c.step)
    if truth.ndim - c.batched == 1:
        for shift in (1, -1):
            yield "sums shifted", np.roll(truth, shift, axis=-1), {"step": c.step}
        return
    for (axis, shift), words in SHIFTS.items():
        yield "shifted", np.roll(truth, shift, axis=axis - 2), words | {"step": c.step}


def differs(candidates: np.ndarray, truths: np.ndarray) -> np.ndarray:
    """Per matrix of a batch (F, *shape), whether a candidate is a different matrix from its
    truth (not the same mistake-free numbers, as "not scaled" is when √d_k = 1)."""
    with np.errstate(invalid="ignore"):
        gap = np.abs(candidates - truths)  # nan where both are −∞ (the same cell), ∞ where one is
        bound = np.where(np.isfinite(truths), 1e-9 * (1 + np.abs(truths)), 0.0)
        far = gap > bound
    return far.reshape(len(candidates), -1).any(axis=1)


def _T(matrix: np.ndarray) -> np.ndarray:
    """The transpose of a matrix, or of each matrix of a batch."""
    return np.swapaxes(matrix, -1, -2)


def _floats(value) -> np.ndarray:
    return np.asarray(value, dtype=float)
