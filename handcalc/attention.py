"""Self-attention, step by step: ``compute(problem)`` returns the Trace and prints nothing.

The arithmetic is done once, in the columns orientation (tokens as columns, DESIGN §1);
each step is then written in the problem's own layout. The rows layout holds every matrix
transposed, so its steps are the transposes of the same numbers.
"""

from __future__ import annotations

import math

import numpy as np

from handcalc.problem import MATRIX_KEYS, Problem
from handcalc.softmax import base_text, check_finite, exponentials, shift_note
from handcalc.steps import (
    A_FORMULA,
    HEAD_WEIGHTS,
    KEYS_BY_QUERIES,
    Product,
    Ref,
    concat_formula,
    exp_formula,
    masked_formula,
    output_product,
    products,
    scaled_formula,
    sums_formula,
)
from handcalc.trace import CONCAT, ELEMENTWISE, INPUT, PRODUCT, SUMS, Step, Trace


def compute(problem: Problem) -> Trace:
    """Every step of attention for ``problem``, head by head, in the order written by hand."""
    with np.errstate(all="ignore"):  # no RuntimeWarning on stderr: every step is checked instead
        return _Computation(problem).run()


class _Computation:
    """Builds the steps one by one; ``value`` holds each in the columns orientation.

    ``prefix`` is the head being computed (``h2.``; "" for a single head): step methods
    take short names (``Q``) and record full ones (``h2.Q``)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
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
            self._product("output", self.value["W_o"] @ source, cols="o")  # (d_o, n) = (d_o, d_v) @ (d_v, n)
        return Trace(p.title, self.layout, p.tokens, tuple(self.steps))

    def _head(self, index: int) -> None:
        """One head of attention, from its projections to Z."""
        W_q, W_k, W_v = (self._value(name) for name in HEAD_WEIGHTS)
        X = self.value["X"]
        X_kv = self.value["X_kv"] if self.problem.cross else X
        self._product("Q", W_q @ X, cols="q")  # (d_k, n) = (d_k, d_model) @ (d_model, n)
        self._product("K", W_k @ X_kv, cols="k")  # (d_k, m) = (d_k, d_model) @ (d_model, m)
        self._product("V", W_v @ X_kv, cols="v")  # (d_v, m) = (d_v, d_model) @ (d_model, m)
        Q, K, V = (self._value(name) for name in ("Q", "K", "V"))
        self._product("scores", K.T @ Q, rows="k", cols="q")  # (m, n) = (m, d_k) @ (d_k, n)
        self._softmax(index)
        self._product("Z", V @ self._value("A"), cols="z")  # (d_v, n) = (d_v, m) @ (m, n)

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
        scaled = self._value("scores") / divisor  # (m, n)
        self._elementwise("scaled", scaled, scaled_formula(_scale_kind(p.scale), p.temperature == 1), "scores", constants)
        source = "scaled"
        allowed = p.allowed()
        if allowed is not None:
            self._elementwise("masked", np.where(allowed, scaled, -np.inf), masked_formula(), "scaled")  # (m, n)
            source = "masked"
        exp, shifted = exponentials(self._value(source), p.base)
        notes = (shift_note(self.layout, p.n),) if shifted else ()
        self._elementwise("exp", exp, exp_formula(base_text(p.base), source, shifted, self.layout), source, notes=notes)
        sums = exp.sum(axis=0)  # (n,): one sum per query
        self._add("sums", sums, (), self._tokens("q"), SUMS, sums_formula(self.layout), (Ref(self.prefix + "exp"),))
        self._elementwise("A", exp / sums, A_FORMULA, "exp")  # (m, n): every column sums to 1

    def _divisor(self, head: int) -> tuple[float, tuple[tuple[str, float], ...]]:
        """The number the scores are divided by, √d_k · T, and its named parts."""
        p = self.problem
        constants: list[tuple[str, float]] = []
        if p.scale == "sqrt_dk":
            s = math.sqrt(p.d_k(head))
            constants += [("d_k", p.d_k(head)), ("√d_k", s)]
        elif p.scale == "none":
            s = 1.0
        else:
            s = float(p.scale)
            constants.append(("s", s))
        T = float(p.temperature)
        if T != 1:
            constants.append(("T", T))
        return s * T, tuple(constants)

    # --- adding steps ------------------------------------------------------------------
    def _value(self, name: str) -> np.ndarray:
        """The value of this head's step ``name``, in the columns orientation."""
        return self.value[self.prefix + name]

    def _input(self, name: str, matrix: np.ndarray) -> None:
        value = self.problem.columns(matrix)
        cols = ()
        if name in ("X", "X_kv"):
            cols = self._tokens("x" if name == "X" else "kv", value.shape[1], own=name == "X")
        self._add(name, value, (), cols, INPUT, f"{name}, given")

    def _product(self, name: str, value: np.ndarray, *, cols: str, rows: str | None = None) -> None:
        """A product step; ``rows`` and ``cols`` are the token prefixes of its axes."""
        product = self._products()[name]
        row_labels = self._tokens(rows, value.shape[0]) if rows else ()
        col_labels = self._tokens(cols, value.shape[1])
        operands = product.operands(self.layout)
        self._add(name, value, row_labels, col_labels, PRODUCT, product.formula(self.layout), operands)

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
        check_finite(full, value, masked=name == "masked")
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


def _scale_kind(scale) -> str:
    return scale if scale in ("sqrt_dk", "none") else "number"
