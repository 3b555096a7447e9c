"""Simulated students, for the marking tests: a student with paper and a calculator.

Written here apart from handcalc (plain Python and ``decimal``): a student works the steps
in order, rounds each result to the decimals they keep (or keeps calculator precision),
carries the rounded numbers on, and may use a rounded √d_k, e ≈ 2.718, or make one classic
mistake and then work on consistently from it. ``work(problem, ...)`` returns what they
write: step names to nested lists of decimal strings, in the problem's layout.

The arithmetic is done in the rows orientation (tokens as rows, as on paper); for
``layout: columns`` every matrix is written transposed.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

MISTAKES = ("scores transposed", "not scaled", "sums axis", "softmax axis", "Z product")


def _rounded(x: float, decimals: int) -> Decimal:
    """``x`` to ``decimals`` places, halves away from zero, as taught in school."""
    with localcontext() as context:
        context.prec = 400  # room for every digit of a large double
        return Decimal(repr(x)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _number(value) -> float:
    return float(Fraction(value)) if isinstance(value, str) else float(value)


def _matrix(rows) -> list[list[float]]:
    return [[_number(v) for v in row] for row in rows]


def _T(m: list[list]) -> list[list]:
    return [list(column) for column in zip(*m)]


def _mul(a: list[list], b: list[list]) -> list[list]:
    return [[sum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))] for i in range(len(a))]


class Student:
    """Rounds every number they write to ``decimals`` (None: calculator precision)."""

    def __init__(self, decimals: int | None) -> None:
        self.decimals = decimals

    def keep(self, x: float) -> float:
        """What they write, as the number they carry on."""
        if self.decimals is None or math.isinf(x):
            return x
        return float(_rounded(x, self.decimals))

    def text(self, x: float, whole: bool) -> str:
        if math.isinf(x):
            return "-inf"
        if whole:
            return str(int(round(x)))
        if self.decimals is None:
            return repr(x)
        return f"{_rounded(x, self.decimals):f}"

    def keep_all(self, m):
        return [self.keep(x) for x in m] if not isinstance(m[0], list) else [[self.keep(x) for x in row] for row in m]


def work(
    problem: dict,
    decimals: int | None = 3,
    *,
    e: float = math.e,
    root_decimals: int | None = None,
    mistake: str | None = None,
) -> dict[str, list]:
    """Every step as this student writes it (decimal strings, nested lists)."""
    s = Student(decimals)
    columns = problem.get("layout", "columns") == "columns"
    X = _matrix(problem["X"])
    X_kv = _matrix(problem.get("X_kv", problem["X"]))
    W_q, W_k, W_v = (_matrix(problem[k]) for k in ("W_q", "W_k", "W_v"))
    if columns:  # the problem is written tokens as columns: make it rows
        X, X_kv, W_q, W_k, W_v = _T(X), _T(X_kv), _T(W_q), _T(W_k), _T(W_v)
    Q, K, V = _mul(X, W_q), _mul(X_kv, W_k), _mul(X_kv, W_v)  # (n, d_k), (m, d_k), (m, d_v): whole here
    n, m, d_k = len(Q), len(K), len(Q[0])
    scores = _mul(K, _T(Q)) if mistake == "scores transposed" else _mul(Q, _T(K))  # (n, m) queries × keys
    if mistake == "scores transposed" and n != m:
        raise ValueError("scores transposed needs as many queries as keys")
    scores = s.keep_all(scores)
    root = math.sqrt(d_k)
    if root_decimals is not None:
        root = float(_rounded(root, root_decimals))
    T = _number(problem.get("temperature", 1))
    divisor = 1.0 if mistake == "not scaled" else root * T
    scaled = s.keep_all([[x / divisor for x in row] for row in scores])
    steps = {"Q": Q, "K": K, "V": V, "scores": scores, "scaled": scaled}
    source = scaled
    if problem.get("mask") == "causal":
        source = [[x if j <= i else -math.inf for j, x in enumerate(row)] for i, row in enumerate(scaled)]
        steps["masked"] = source
    base = e if problem.get("base", "e") == "e" else _number(problem["base"])
    exp = s.keep_all([[0.0 if math.isinf(x) else base**x for x in row] for row in source])
    if mistake == "sums axis":  # one sum per key: the columns of the paper's rows layout
        sums = s.keep_all([sum(exp[i][j] for i in range(n)) for j in range(m)])
    else:
        sums = s.keep_all([sum(row) for row in exp])
    if mistake == "softmax axis":  # each key's weights sum to 1, not each query's
        down = [sum(exp[i][j] for i in range(n)) for j in range(m)]
        A = s.keep_all([[exp[i][j] / down[j] for j in range(m)] for i in range(n)])
    else:
        A = s.keep_all([[exp[i][j] / sums[i] for j in range(m)] for i in range(n)])
    if mistake == "Z product":  # Aᵀ·V in rows (V·Aᵀ with tokens as columns)
        Z = s.keep_all(_mul(_T(A), V))
    else:
        Z = s.keep_all(_mul(A, V))
    steps |= {"exp": exp, "sums": sums, "A": A, "Z": Z}
    whole = {name for name in ("Q", "K", "V", "scores") if all(float(x).is_integer() for row in steps[name] for x in row)}
    written = {}
    for name, value in steps.items():
        if isinstance(value[0], list):
            value = _T(value) if columns else value
            written[name] = [[s.text(x, name in whole) for x in row] for row in value]
        else:
            written[name] = [s.text(x, False) for x in value]
    return written


def as_yaml(steps: dict[str, list]) -> str:
    """An answers file: one step a line, the numbers unquoted (``-inf`` quoted)."""

    def cell(text: str) -> str:
        return f'"{text}"' if text == "-inf" else text

    lines = []
    for name, value in steps.items():
        body = ", ".join(f"[{', '.join(cell(x) for x in row)}]" for row in value) if isinstance(value[0], list) else None
        lines.append(f"{name}: [{body}]" if body is not None else f"{name}: [{', '.join(cell(x) for x in value)}]")
    return "\n".join(lines) + "\n"
