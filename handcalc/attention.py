"""Self-attention, step by step: ``compute(problem)`` returns the Trace and prints nothing.

The arithmetic is done once, in the columns orientation (tokens as columns, DESIGN §1);
each step is then written in the problem's own layout. The rows layout holds every matrix
transposed, so its steps are the transposes of the same numbers.
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import numpy as np

from handcalc.api_calls import callable_module
from handcalc.numbers import as_floats, round_cells, round_half_away
from handcalc.problem import MATRIX_KEYS, Problem
from handcalc.softmax import (
    base_constants,
    check_finite,
    divisor_text,
    exact_powers,
    exponentials,
    irrational_note,
    shift_note,
)
from handcalc.steps import (
    A_FORMULA,
    HEAD_WEIGHTS,
    KEYS_BY_QUERIES,
    Product,
    Ref,
    base_text,
    concat_formula,
    exp_formula,
    masked_formula,
    output_product,
    products,
    scaled_formula,
    short,
    sums_formula,
)
from handcalc.trace import CONCAT, ELEMENTWISE, INPUT, PRODUCT, SUMS, Step, Trace


def compute(problem: Problem, exact: bool = False) -> Trace:
    """Every step of attention for ``problem``, head by head, in the order written by hand.

    ``exact``: steps are exact Fractions for as long as the arithmetic stays rational.
    With ``problem.round``, every step is rounded before the next one uses it, and the last
    step says how far that carried rounding drifted from full precision."""
    with np.errstate(all="ignore"):  # no RuntimeWarning on stderr: every step is checked instead
        trace = _Computation(problem, exact).run()
    if problem.round is None:
        return trace
    return _with_drift(trace, compute(problem.replaced(round=None), exact), problem.round)


def _with_drift(rounded: Trace, full: Trace, digits: int) -> Trace:
    """The rounded trace, its last step noting the largest difference from full precision."""
    last = rounded.steps[-1]
    drift = float(np.max(np.abs(last.value.astype(float) - full[last.name].value.astype(float))))
    note = (
        f"Every step was rounded to {digits} decimals (halves away from zero) before the next one "
        f"used it, as on paper; the largest difference from full precision is in the constants above."
    )
    constants = (*last.constants, (f"max |{short(last.name)} − full precision|", drift))
    last = dataclasses.replace(last, constants=constants, notes=(*last.notes, note))
    return dataclasses.replace(rounded, steps=(*rounded.steps[:-1], last))


class _Computation:
    """Builds the steps one by one; ``value`` holds each in the columns orientation.

    ``prefix`` is the head being computed (``h2.``; "" for a single head): step methods
    take short names (``Q``) and record full ones (``h2.Q``)."""

    def __init__(self, problem: Problem, exact: bool) -> None:
        self.problem = problem
        self.exact = exact
        self.layout = problem.layout
        self.prefix = ""
        self.value: dict[str, np.ndarray] = {}
        self.steps: list[Step] = []

    def run(self) -> Trace:
        p = self.problem
        for name in MATRIX_KEYS:
            if getattr(p, name) is not None:
                self._input(name, getattr(p, name))
        for index, head in enumerate(p.heads, 1):
            self.prefix = p.prefix(index)
            if p.multi_head:
                for name in HEAD_WEIGHTS:
                    self._input(name, getattr(head, name))
            self._head(index)
        self.prefix = ""
        if p.multi_head:
            self._concat()
        if p.W_o is not None:
            source = self.value["concat" if p.multi_head else "Z"]
            self._product("output", self.value["W_o"], source, cols="o")  # (d_o, n) = (d_o, d_v) @ (d_v, n)
        return Trace(p.title, self.layout, p.tokens, tuple(self.steps))

    def _head(self, index: int) -> None:
        """One head of attention, from its projections to Z."""
        W_q, W_k, W_v = (self._value(name) for name in HEAD_WEIGHTS)
        X = self.value["X"]
        X_kv = self.value["X_kv"] if self.problem.cross else X
        self._product("Q", W_q, X, cols="q")  # (d_k, n) = (d_k, d_model) @ (d_model, n)
        self._product("K", W_k, X_kv, cols="k")  # (d_k, m) = (d_k, d_model) @ (d_model, m)
        self._product("V", W_v, X_kv, cols="v")  # (d_v, m) = (d_v, d_model) @ (d_model, m)
        Q, K, V = (self._value(name) for name in ("Q", "K", "V"))
        self._product("scores", K.T, Q, rows="k", cols="q")  # (m, n) = (m, d_k) @ (d_k, n)
        self._softmax(index)
        self._product("Z", V, self._value("A"), cols="z")  # (d_v, n) = (d_v, m) @ (m, n)

    def _concat(self) -> None:
        """The heads' outputs stacked: (Σ d_v, n), top to bottom (side by side in rows)."""
        Z = [self.value[f"{self.problem.prefix(h)}Z"] for h in range(1, len(self.problem.heads) + 1)]
        rows = tuple(label for h, z in enumerate(Z, 1) for label in (f"h{h}", *[""] * (len(z) - 1)))
        formula = concat_formula(self.layout, len(Z))
        operands = tuple(Ref(f"{self.problem.prefix(h)}Z") for h in range(1, len(Z) + 1))
        self._add("concat", np.vstack(Z), rows, self._tokens("z"), CONCAT, formula, operands)

    # --- the softmax, as three hand steps -------------------------------------------
    def _softmax(self, head: int) -> None:
        p = self.problem
        divisor, constants = self._divisor(head)
        scores = self._value("scores")
        exact = _exact(scores) and isinstance(divisor, Fraction)
        scaled = scores / (divisor if exact else float(divisor))  # (m, n)
        notes = (irrational_note(divisor_text(constants)),) if _exact(scores) and not exact else ()
        formula = scaled_formula(_scale_kind(p.scale), p.temperature == 1)
        self._elementwise("scaled", scaled, formula, "scores", constants, notes)
        source = "scaled"
        allowed = p.allowed()
        if allowed is not None:
            self._elementwise("masked", np.where(allowed, self._value("scaled"), -np.inf), masked_formula(), "scaled")  # (m, n)
            source = "masked"
        x = self._value(source)
        exp, shifted = exact_powers(x, p.base), False
        if exp is None:
            exp, shifted = exponentials(x.astype(float), p.base)
        if p.round is not None and not shifted and (as_floats(round_cells(exp, p.round)) == 0).all(axis=0).any():
            exp, shifted = exponentials(x.astype(float), p.base, shift=True)  # a column would round to all 0s
        notes = (shift_note(self.layout, p.n),) if shifted else ()
        if _exact(x) and not _exact(exp):
            notes += (irrational_note(f"{base_text(p.base)}^x"),)
        formula = exp_formula(base_text(p.base), source, shifted, self.layout)
        self._elementwise("exp", exp, formula, source, base_constants(p.base), notes)
        exp = self._value("exp")  # as recorded: rounded, with round:
        self._add("sums", exp.sum(axis=0), (), self._tokens("q"), SUMS, sums_formula(self.layout),
                  (Ref(self.prefix + "exp"),))  # (n,): one sum per query
        self._elementwise("A", exp / self._value("sums"), A_FORMULA, "exp")  # (m, n): every column sums to 1

    def _divisor(self, head: int) -> tuple[float | Fraction, tuple[tuple[str, float | Fraction], ...]]:
        """The number the scores are divided by, s · T, and its named parts; a Fraction
        where it is rational (√d_k is when d_k is a perfect square)."""
        p = self.problem
        constants: list[tuple[str, float | Fraction]] = []
        if p.scale == "sqrt_dk":
            d_k = p.d_k(head)
            root = math.isqrt(d_k)
            s = Fraction(root) if root * root == d_k else math.sqrt(d_k)
            if p.round is not None and root * root != d_k:  # rounded as the sheet shows it, and used so
                s = Fraction(repr(round_half_away(s, p.round)))
                constants += [("d_k", d_k), ("√d_k", float(s))]
            else:
                constants += [("d_k", d_k), ("√d_k", s)]
        elif p.scale == "none":
            s = Fraction(1)
        else:
            s = p.scale
            constants.append(("s", s))
        if p.temperature != 1:
            constants.append(("T", p.temperature))
        return s * p.temperature, tuple(constants)

    # --- adding steps ------------------------------------------------------------------
    def _value(self, name: str) -> np.ndarray:
        """The value of this head's step ``name``, in the columns orientation."""
        return self.value[self.prefix + name]

    def _input(self, name: str, matrix: np.ndarray) -> None:
        value = self.problem.columns(matrix, self.exact)
        cols = ()
        if name in ("X", "X_kv"):
            cols = self._tokens("x" if name == "X" else "kv", value.shape[1], own=name == "X")
        self._add(name, value, (), cols, INPUT, f"{name}, given")

    def _product(self, name: str, left: np.ndarray, right: np.ndarray, *, cols: str, rows: str | None = None) -> None:
        """The product step ``left @ right``; ``rows`` and ``cols`` are the token prefixes of its axes."""
        value = matmul(left, right)
        notes = (long_note(name),) if _exact(left) and _exact(right) and not _exact(value) else ()
        product = self._products()[name]
        row_labels = self._tokens(rows, value.shape[0]) if rows else ()
        col_labels = self._tokens(cols, value.shape[1])
        operands = product.operands(self.layout)
        self._add(name, value, row_labels, col_labels, PRODUCT, product.formula(self.layout), operands, notes=notes)

    def _products(self) -> dict[str, Product]:
        """This head's products, and the output projection."""
        output = output_product("concat" if self.problem.multi_head else "Z")
        return products(self.problem.cross, self.prefix) | {"output": output}

    def _elementwise(self, name, value, formula, source, constants=(), notes=()) -> None:
        """A step made cell by cell from this head's ``source``, whose labels it keeps."""
        step = next(step for step in self.steps if step.name == self.prefix + source)
        rows, cols = (step.cols, step.rows) if self.layout == "rows" else (step.rows, step.cols)
        self._add(name, value, rows, cols, ELEMENTWISE, formula, (Ref(step.name),), constants, notes)

    def _add(self, name, value, rows, cols, kind, formula, operands=(), constants=(), notes=()) -> None:
        """Record this head's step ``name``: ``value`` and labels in the columns orientation."""
        full = self.prefix + name
        value = _settled(value)
        if _exact(value) and kind != INPUT and _too_long(value):
            value, notes = _floats(value), (*notes, long_note(name))  # too large for a float: an overflow, below
        if self.problem.round is not None and kind != INPUT:
            value = round_cells(value, self.problem.round)
        check_finite(full, _floats(value), masked=name == "masked")
        self.value[full] = value
        if self.layout == "rows":
            value, rows, cols = value.T, cols, rows
        rows = rows or ("",) * (value.shape[0] if value.ndim == 2 and not rows else 0)
        cols = cols or ("",) * (value.shape[-1] if value.ndim == 2 else 0)
        axes = KEYS_BY_QUERIES.get(name)
        if axes and self.layout == "rows":
            axes = axes[::-1]
        self.steps.append(Step(full, formula, np.array(value), tuple(rows), tuple(cols), kind,
                               tuple(operands), tuple(constants), tuple(notes), axes))

    def _tokens(self, prefix: str, count: int | None = None, own: bool | None = None) -> tuple[str, ...]:
        """Token labels: the ``tokens:`` names where they apply, else ``q1``, ``k2`` …

        Queries are the tokens of X; keys and values are too, except in cross-attention."""
        p = self.problem
        if own is None:
            own = prefix in ("x", "q", "z", "o") or not p.cross
        count = count if count is not None else (p.n if own else p.m)
        if p.tokens is not None and own:
            return p.tokens
        return tuple(f"{prefix}{i}" for i in range(1, count + 1))


# --- exact arithmetic, bounded -------------------------------------------------------------
MAX_EXACT_DIGITS = 24  # a fraction whose numerator or denominator is longer is no help by hand
_MAX_EXACT_BITS = int(MAX_EXACT_DIGITS * math.log2(10))


def long_note(name: str) -> str:
    """The note where exact arithmetic ends because the fractions grew too long."""
    return (f"The fractions of {short(name)} would have more than {MAX_EXACT_DIGITS} digits, "
            "so from here on the values are decimals.")


def matmul(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``left @ right``: (m, k) @ (k, n). Two exact matrices give exact Fractions, computed
    as integers over one common denominator at C speed (int64), as long as no sum of
    products can overflow it; otherwise, and for decimals, the product of floats."""
    if not (_exact(left) and _exact(right)):
        return as_floats(left) @ as_floats(right)
    (L, a), (R, b) = _over_common_denominator(left), _over_common_denominator(right)
    if L is None or R is None or left.shape[1] * int(np.abs(L).max()) * int(np.abs(R).max()) >= 2**63:
        return as_floats(left) @ as_floats(right)
    numerators = L @ R  # (m, n) int64: exact, since no sum can reach 2**63
    return np.frompyfunc(lambda n: Fraction(int(n), a * b), 1, 1)(numerators)


def _over_common_denominator(value: np.ndarray) -> tuple[np.ndarray | None, int]:
    """Exact ``value`` as (integers, d) with value = integers / d, the integers as int64;
    (None, 0) when they do not fit it, or a cell is not a Fraction (−∞)."""
    if not all(type(cell) is Fraction for cell in value.flat):
        return None, 0
    d = math.lcm(*{cell.denominator for cell in value.flat})
    if d.bit_length() > 62:
        return None, 0
    integers = [cell.numerator * (d // cell.denominator) for cell in value.flat]
    if max(map(abs, integers), default=0).bit_length() > 62:
        return None, 0
    return np.array(integers, dtype=np.int64).reshape(value.shape), d


def _too_long(value: np.ndarray) -> bool:
    """Whether some exact cell has a numerator or denominator of more than MAX_EXACT_DIGITS digits."""
    return any(
        type(cell) is Fraction and (cell.numerator.bit_length() > _MAX_EXACT_BITS
                                    or cell.denominator.bit_length() > _MAX_EXACT_BITS)
        for cell in value.flat
    )


def _scale_kind(scale) -> str:
    return scale if scale in ("sqrt_dk", "none") else "number"


def _exact(value: np.ndarray) -> bool:
    """Whether a step's values are exact Fractions (with −∞ for blocked cells)."""
    return value.dtype == object


def _settled(value: np.ndarray) -> np.ndarray:
    """Exact values stay Fractions; a mix with floats (a step past an irrational one)
    becomes plain floats."""
    if value.dtype != object:
        return value
    if all(isinstance(x, Fraction) or x == -math.inf for x in value.flat):
        return value
    return value.astype(float)


def _floats(value: np.ndarray) -> np.ndarray:
    """A step's values as floats, to check them; an exact value too large for a float
    becomes infinity, which the check reports as the overflow it is."""
    try:
        return as_floats(value)
    except OverflowError:
        return np.full(value.shape, np.inf)


callable_module(__name__, "attention")  # handcalc.attention(X=…, W_q=…, …): the Trace (handcalc.api.attention)
