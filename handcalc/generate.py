"""Fresh exercises with nice numbers: ``generate(seed=7)`` is a ``Problem``, ``to_yaml`` its file.

Nice means: small integers in X and the weights (within ``value_range``); ``d_k`` a perfect
square, so √d_k is whole; and with a whole-number base (``base=3``, the hand approximation
of e) every scaled score a whole number within ±4, so every exponential is a whole number or
a simple fraction (3⁻² = 1/9) and every attention weight an exact fraction.

Everything is drawn from ``random.Random(seed)``: the same seed and options give the same
problem, byte for byte. Nothing here prints.

How the scores come out whole without trying blindly: ``scores = Kᵀ · Q`` is the sum, over
the d_k dimensions ``a``, of ``K[a]ᵀ · Q[a]`` (row ``a`` of K times row ``a`` of Q), and a row of
K or Q is a row of weights times X. Two dimensions whose query rows of weights are congruent
mod r = √d_k and whose key rows are congruent to minus each other add up to a multiple of r
in every cell (a pair), and so do r dimensions whose rows are all congruent (a group). Each
head is made of pairs and groups, each kept only while every score stays within ±4·√d_k
(zeros become likelier as tries fail), and the rows are shuffled at the end, which changes
no score. The scores are checked again at the end all the same.
"""

from __future__ import annotations

import math
import random
import shlex
from fractions import Fraction
from typing import Any

from handcalc.errors import SchemaError
from handcalc.problem import MAX_DIM as PROBLEM_MAX_DIM
from handcalc.problem import Problem

MAX_TOKENS = 64
MAX_DIM = 64
MAX_HEADS = 8
SQUARES = (1, 4, 9, 16)  # d_k: √d_k is whole
MAX_VALUE = 9  # the range of X and the weights lies within -9..9: numbers for a pencil
MAX_SCALED = 4  # with a whole-number base, every scaled score is a whole number within ±4
BASES = range(2, 11)  # whole-number bases: base ** (whole number) is an exact fraction

_BLOCK_TRIES = 40  # attempts at one block of rows before giving it up
_ROW_TRIES = 8  # attempts at a row unlike the rows above it
_HEAD_BUDGET = 400  # attempts at blocks for one head, before it takes what it has
_DEFAULTS = {"tokens": 4, "d_model": 4, "d_k": 4, "d_v": None, "heads": 1, "layout": "columns",
             "mask": "none", "base": "e", "value_range": (-1, 2)}  # fmt: skip


def generate(
    *,
    seed: int,
    tokens: int = 4,
    d_model: int = 4,
    d_k: int = 4,
    d_v: int | None = None,
    heads: int = 1,
    layout: str = "columns",
    mask: str = "none",
    base: str | int = "e",
    value_range: tuple[int, int] = (-1, 2),
) -> Problem:
    """A new exercise with nice numbers, the same one for the same arguments.

    ``tokens`` columns of X (rows in the ``rows`` layout), each of ``d_model`` numbers;
    ``heads`` heads of ``d_k`` (a perfect square: 1, 4, 9 or 16) and ``d_v`` (default
    ``d_k``); several heads come with an output projection W_o back to ``d_model``.
    ``base`` is ``"e"`` or a whole number (3: every scaled score a whole number within ±4).
    Every number of X and the weights lies within ``value_range`` (inclusive).
    Raises ``SchemaError`` for a value it cannot use."""
    options = _checked(seed, tokens, d_model, d_k, d_v, heads, layout, mask, base, value_range)
    d_v = d_k if d_v is None else d_v
    whole = options["base"] != "e"
    rng = random.Random(seed)
    values = _Values(*value_range)
    X = _inputs(rng, values, d_model, tokens)
    made = [_head(rng, values, X, d_k, d_v, whole) for _ in range(heads)]
    fields: dict[str, Any] = {"title": f"Generated exercise (seed {seed})", "X": X, "mask": mask,
                              "base": options["base"]}  # fmt: skip
    if heads == 1:
        fields |= made[0]
    else:
        fields["heads"] = made
        fields["W_o"] = values.matrix(rng, d_model, heads * d_v)
    problem = Problem(**fields)
    return problem.with_layout(layout)


def fresh_seed() -> int:
    """A seed drawn at random, for a command given none (it is written where it can be
    found again: the problem file's header, the class manifest)."""
    import secrets

    return secrets.randbelow(10_000)


def new_command(*, seed: int, **options: Any) -> str:
    """The ``handcalc new …`` command line that makes ``generate(seed=seed, **options)``:
    tokens, d_model and d_k always, the other options where they differ from the default."""
    given = _DEFAULTS | options
    words = ["handcalc", "new", "--tokens", str(given["tokens"]), "--d-model", str(given["d_model"]),
             "--d-k", str(given["d_k"])]  # fmt: skip
    if given["d_v"] is not None and given["d_v"] != given["d_k"]:
        words += ["--d-v", str(given["d_v"])]
    for name in ("heads", "layout", "mask", "base"):
        if str(given[name]) != str(_DEFAULTS[name]):
            words += [f"--{name}", str(given[name])]
    lo, hi = given["value_range"]
    if (lo, hi) != _DEFAULTS["value_range"]:
        words.append(f"--range={lo},{hi}")  # with "=": a range such as -2,2 is not an option
    words += ["--seed", str(seed)]
    return shlex.join(words)


# --- checking the options -------------------------------------------------------------------
def _checked(seed, tokens, d_model, d_k, d_v, heads, layout, mask, base, value_range) -> dict[str, Any]:
    _whole("seed", seed, 0, None)
    _whole("tokens", tokens, 1, MAX_TOKENS)
    _whole("d_model", d_model, 1, MAX_DIM)
    _whole("d_k", d_k, 1, None)
    if d_k not in SQUARES:
        raise SchemaError(
            f"d_k must be a perfect square (1, 4, 9 or 16) so that √d_k is a whole number, not {d_k}", path=("d_k",)
        )
    if d_v is not None:
        _whole("d_v", d_v, 1, MAX_DIM)
    _whole("heads", heads, 1, MAX_HEADS)
    if heads * (d_k if d_v is None else d_v) > PROBLEM_MAX_DIM:
        raise SchemaError(
            f"{heads} heads of d_v = {d_k if d_v is None else d_v} make {heads * (d_k if d_v is None else d_v)} rows "
            f"of concat; handcalc takes at most {PROBLEM_MAX_DIM}",
            path=("heads",),
        )
    if layout not in ("columns", "rows"):
        raise SchemaError(f"layout must be columns or rows, not {layout!r}", path=("layout",))
    if mask not in ("none", "causal"):
        raise SchemaError(f"mask must be none or causal, not {mask!r}", path=("mask",))
    base = _base(base)
    lo, hi = _range(value_range)
    if base != "e" and not lo <= 0 <= hi:
        raise SchemaError(
            f"with base {base} the range must include 0 (it is {lo},{hi}): the scaled scores are "
            f"kept within ±{MAX_SCALED} with zeros among the weights",
            path=("value_range",),
        )
    return {"base": base}


def _whole(name: str, value: Any, low: int, high: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SchemaError(f"{name} must be a whole number, not {value!r}", path=(name,))
    if value < low or (high is not None and value > high):
        within = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise SchemaError(f"{name} must be a whole number {within}, not {value}", path=(name,))


def _base(base: Any) -> str | int:
    """``"e"``, or a whole-number base from 2 to 10 (given as a number or as its digits)."""
    if base == "e":
        return "e"
    number = base
    if isinstance(base, str) and base.strip().isdigit():
        number = int(base)
    if isinstance(number, bool) or not isinstance(number, int) or number not in BASES:
        raise SchemaError(
            f"base must be e or a whole number from 2 to 10 (3 is the hand one), not {base!r}", path=("base",)
        )
    return number


def _range(value_range: Any) -> tuple[int, int]:
    try:
        lo, hi = value_range
    except (TypeError, ValueError):
        raise SchemaError(
            f"the range must be two whole numbers LO,HI, not {value_range!r}", path=("value_range",)
        ) from None
    if any(isinstance(v, bool) or not isinstance(v, int) for v in (lo, hi)):
        raise SchemaError(f"the range must be two whole numbers LO,HI, not {value_range!r}", path=("value_range",))
    if not -MAX_VALUE <= lo < hi <= MAX_VALUE:
        raise SchemaError(
            f"the range {lo},{hi} must have LO < HI, both within -{MAX_VALUE}..{MAX_VALUE}", path=("value_range",)
        )
    return lo, hi


# --- drawing numbers ------------------------------------------------------------------------
class _Values:
    """The whole numbers of the range, drawn with small ones likelier: 0 most, then 1, −1, 2 …"""

    def __init__(self, lo: int, hi: int) -> None:
        self.values = list(range(lo, hi + 1))
        self.weights = [3 if v == 0 else (2 if v > 0 else 1) / v**2 for v in self.values]
        self.nonzero = any(self.values)
        self.zero = 0 in self.values
        self._pools: dict[tuple[int, int, bool], tuple[list[int], list[float]]] = {}

    def row(self, rng: random.Random, n: int, sparse: int = 0) -> list[int]:
        """``n`` numbers, not all zero; each step of ``sparse`` makes a zero twice as likely,
        and from 3 on only one number is not zero."""
        if sparse >= 3 and self.zero and self.nonzero:
            row = [0] * n
            smallest = min(abs(v) for v in self.values if v)
            row[rng.randrange(n)] = rng.choice([v for v in self.values if abs(v) == smallest])
            return row
        weights = self.weights
        if sparse:
            weights = [w * 2**sparse if v == 0 else w for v, w in zip(self.values, weights)]
        while True:
            row = rng.choices(self.values, weights, k=n)
            if any(row) or not self.nonzero:
                return row

    def matrix(self, rng: random.Random, rows: int, cols: int) -> list[list[int]]:
        """A matrix without a row of zeros, and without two rows alike where that is cheap."""
        matrix: list[list[int]] = []
        for _ in range(rows):
            row = self.row(rng, cols)
            for _ in range(_ROW_TRIES):
                if row not in matrix:
                    break
                row = self.row(rng, cols)
            matrix.append(row)
        return matrix

    def congruent(self, rng: random.Random, row: list[int], r: int, sign: int, sparse: int = 0) -> list[int]:
        """A row of numbers each congruent mod ``r`` to ``sign`` times ``row``'s (the range
        holds one: see ``_blocks``): not all zeros, and unlike ``row``, where that is cheap;
        from ``sparse`` 3 on, the smallest such numbers."""
        pools = [self._pool(sign * v % r, r, sparse >= 3) for v in row]
        if all(len(pool) == 1 for pool, _ in pools):  # no choice: the one row there is
            return [pool[0] for pool, _ in pools]
        found = None
        for _ in range(_ROW_TRIES):
            new = [rng.choices(pool, weights)[0] if len(pool) > 1 else pool[0] for pool, weights in pools]
            if any(new) and new != row:
                return new
            if found is None or any(new):
                found = new
        return found

    def _pool(self, remainder: int, r: int, smallest: bool) -> tuple[list[int], list[float]]:
        """The numbers of the range that are ``remainder`` mod ``r``, and their weights."""
        key = (remainder, r, smallest)
        if key not in self._pools:
            pool = [u for u in self.values if u % r == remainder]
            if smallest and pool:
                pool = [u for u in pool if abs(u) == min(abs(u) for u in pool)]
            self._pools[key] = (pool, [self.weights[self.values.index(u)] for u in pool])
        return self._pools[key]


def _inputs(rng: random.Random, values: _Values, d_model: int, tokens: int) -> list[list[int]]:
    """X, (d_model, tokens): no token of zeros, no two tokens alike and no feature of zeros,
    where that is cheap."""
    for _ in range(_ROW_TRIES):
        X = [list(feature) for feature in zip(*values.matrix(rng, tokens, d_model))]  # token by token
        if all(any(feature) for feature in X):
            break
    return X


def _head(rng: random.Random, values: _Values, X: list[list[int]], d_k: int, d_v: int, whole: bool) -> dict:
    """One head's W_q, W_k, W_v, (rows, d_model): Q, K and V not all zeros, the scores not the
    same for every key of every query; with ``whole``, every score a multiple of √d_k
    within ±4·√d_k."""
    import numpy as np

    d_model, n = len(X), len(X[0])
    X_ = np.array(X, dtype=np.int64)
    r = math.isqrt(d_k)
    bound = MAX_SCALED * r
    budget = [_HEAD_BUDGET]  # block attempts left: a head that cannot be nice is not tried for ever
    best: tuple = ()
    while budget[0] > 0:
        W_q, W_k = _query_key(rng, values, X_, d_k, whole, budget)
        Q, K = np.array(W_q) @ X_, np.array(W_k) @ X_
        scores = K.T @ Q  # (keys, queries)
        fits = not whole or bool((scores % r == 0).all() and (np.abs(scores) <= bound).all())
        varied = n == 1 or bool((scores != scores[:1]).any())
        merit = (fits, bool(Q.any() and K.any()), varied)
        if not best or merit > best[0]:
            best = (merit, W_q, W_k)
        if all(merit):
            break
    (fits, *_), W_q, W_k = best  # the first nice head, else the nicest
    if not fits:  # not seen; but never a score that breaks the promise: zero keys score 0
        W_k = [[0] * d_model for _ in W_k]
    W_v = values.matrix(rng, d_v, d_model)
    for _ in range(_BLOCK_TRIES):
        if (np.array(W_v) @ X_).any():
            break
        W_v = values.matrix(rng, d_v, d_model)
    return {"W_q": W_q, "W_k": W_k, "W_v": W_v}


def _query_key(rng, values: _Values, X, d_k: int, whole: bool, budget: list[int]):
    """W_q and W_k, (d_k, d_model), drawn block by block (see the module's docstring);
    ``budget`` counts down the attempts at blocks."""
    import numpy as np

    n = X.shape[1]
    r = math.isqrt(d_k)
    bound = MAX_SCALED * r
    scores = np.zeros((n, n), dtype=np.int64)  # (keys, queries)
    rows: list[tuple[list[int], list[int]]] = []
    for block in _blocks(rng, d_k, r if whole else 1, values):
        for attempt in range(max(1, min(_BLOCK_TRIES, budget[0]))):
            budget[0] -= 1
            pairs = _block(rng, values, len(X), block, r, attempt // (_BLOCK_TRIES // 4))
            W_q, W_k = np.array([q for q, _ in pairs]), np.array([k for _, k in pairs])
            added = scores + (W_k @ X).T @ (W_q @ X)
            fresh = attempt >= _BLOCK_TRIES // 2 or _unlike(pairs, rows)
            if fresh and np.abs(added).max() <= bound:
                break
        else:
            if whole:  # no luck: the block's key rows become zeros, which add nothing
                pairs = [(w_q, [0] * len(X)) for w_q, _ in pairs]
                added = scores
        scores = added
        rows += pairs
    rng.shuffle(rows)  # the same dimensions in another order: the same scores
    return [w_q for w_q, _ in rows], [w_k for _, w_k in rows]


def _unlike(pairs: list[tuple[list[int], list[int]]], rows: list[tuple[list[int], list[int]]]) -> bool:
    """Whether no query row and no key row of ``pairs`` is one of ``rows``' (within a block,
    congruent rows may have to be alike)."""
    return all(q != q_ and k != k_ for q, k in pairs for q_, k_ in rows)


def _blocks(rng: random.Random, d_k: int, r: int, values: _Values) -> list[tuple]:
    """The plan of one head's d_k = r² dimensions, in blocks whose scores are multiples of r:
    ``("free",)``, one dimension of any rows (r = 1); ``("pair", s)``, two dimensions, the
    second's query row congruent mod r to s times the first's and its key row to −s times
    the first's (s = ±1), so that their scores cancel mod r; ``("group",)``, r dimensions
    with congruent rows, r times one score. Pairs need the range to hold every remainder
    mod r (−1,2 does for r = 2, 3, 4); without it, groups only."""
    if r == 1:
        return [("free",)] * d_k
    groups = r  # r groups of r
    if len({v % r for v in values.values}) == r:
        choices = [g for g in range(r + 1) if (d_k - g * r) % 2 == 0]  # the rest in pairs
        groups = rng.choices(choices, [4, 2, 1, 1, 1][: len(choices)])[0]  # mostly pairs
    plan = [("group",)] * groups + [("pair", rng.choice((1, -1))) for _ in range((d_k - groups * r) // 2)]
    rng.shuffle(plan)
    return plan


def _block(rng, values: _Values, d_model: int, block: tuple, r: int, sparse: int) -> list[tuple[list[int], list[int]]]:
    """One block's (query row, key row) pairs of weights; ``sparse`` makes zeros likelier."""
    q, k = values.row(rng, d_model, sparse), values.row(rng, d_model, sparse)
    if block[0] == "free":
        return [(q, k)]
    if block[0] == "pair":
        s = block[1]
        return [(q, k), (values.congruent(rng, q, r, s, sparse), values.congruent(rng, k, r, -s, sparse))]
    return [(q, k)] + [
        (values.congruent(rng, q, r, 1, sparse), values.congruent(rng, k, r, 1, sparse)) for _ in range(r - 1)
    ]


# --- the problem file -----------------------------------------------------------------------
def to_yaml(problem: Problem, seed: int, command: str) -> str:
    """``problem`` as a tidy problem file (matrices one row a line, aligned), its header
    recording the ``seed`` and the ``command`` that makes it again, its first line naming the
    schema that editors check it with. It loads back (``handcalc.load_problem``) to the same
    problem."""
    from handcalc.schema import schema_line

    lines = [schema_line("problem")]
    lines += ["# A generated exercise (handcalc new). To make it again:"] if command else []
    if command:
        lines.append(f"#   {command}")
    lines.append(f"# seed: {seed}")
    lines.append(f"# {_sizes(problem)}")
    lines.append(f"title: {_text(problem.title)}")
    lines.append(f"layout: {problem.layout}")
    if problem.tokens is not None:
        lines.append(f"tokens: [{', '.join(_text(t) for t in problem.tokens)}]")
    if isinstance(problem.mask, str) and problem.mask != "none":
        lines.append(f"mask: {problem.mask}")
    for name, value, default in (("scale", problem.scale, "sqrt_dk"), ("temperature", problem.temperature, 1),
                                 ("base", problem.base, "e"), ("round", problem.round, None)):  # fmt: skip
        if value != default:
            lines.append(f"{name}: {value if isinstance(value, str) else _number(value)}")
    top = (
        ["X", "W_o"]
        + (["X_kv"] if problem.X_kv is not None else [])
        + (["mask"] if not isinstance(problem.mask, str) else [])
    )
    width = max(len(name) for name in top) + 2  # "X:   [[" and "W_q: [[" line up
    lines += matrix_lines("X", problem.X, width)
    if problem.X_kv is not None:
        lines += matrix_lines("X_kv", problem.X_kv, width)
    if problem.multi_head:
        lines.append("heads:")
        for head in problem.heads:
            for i, name in enumerate(("W_q", "W_k", "W_v")):
                lines += matrix_lines(name, getattr(head, name), 5, "  - " if i == 0 else "    ")
    else:
        for name in ("W_q", "W_k", "W_v"):
            lines += matrix_lines(name, getattr(problem, name), width)
    if not isinstance(problem.mask, str):
        lines += matrix_lines("mask", problem.mask, width)
    if problem.W_o is not None:
        lines += matrix_lines("W_o", problem.W_o, width)
    return "\n".join(lines) + "\n"


def _sizes(problem: Problem) -> str:
    """``4 tokens, d_model = 6, d_k = 4, d_v = 4, 1 head`` (sizes that differ by head: ``2 / 1``)."""
    across = 0 if problem.layout == "columns" else 1
    d_model = problem.X.shape[across]
    d_k = [problem.d_k(h) for h in range(1, len(problem.heads) + 1)]
    d_v = [head.W_v.shape[across] for head in problem.heads]
    heads = len(problem.heads)

    def sizes(values: list[int]) -> str:
        return str(values[0]) if len(set(values)) == 1 else " / ".join(map(str, values))

    return f"{problem.n} tokens, d_model = {d_model}, d_k = {sizes(d_k)}, d_v = {sizes(d_v)}, {heads} head{'s' * (heads > 1)}"


def matrix_lines(name: str, matrix, width: int, indent: str = "", cell=None) -> list[str]:
    """``name: [[…],`` with the next rows under the first and the cells right-aligned; each
    cell written by ``cell`` (default: a number as the problem file writes it)."""
    cells = [[(cell or _number)(v) for v in row] for row in matrix]
    size = max(len(cell) for row in cells for cell in row)
    rows = ["[" + ", ".join(cell.rjust(size) for cell in row) + "]" for row in cells]
    lead = f"{indent}{(name + ':').ljust(width)}"
    pad = " " * (len(lead) + 1)
    out = [f"{lead}[{rows[0]}"]
    out += [f"{pad}{row}" for row in rows[1:]]
    out[-1] += "]"
    return [line + ("," if i < len(out) - 1 else "") for i, line in enumerate(out)]


def _number(value: Any) -> str:
    """A whole number as itself, any other fraction as the text ``"p/q"``."""
    value = Fraction(value)
    return str(value.numerator) if value.denominator == 1 else f'"{value}"'


def _text(text: str) -> str:
    """A title or a token: plain where YAML reads it back as the same text, else quoted."""
    import json
    import re

    plain = re.fullmatch(r"[A-Za-z][\w .()'-]*", text) and not text.endswith(" ") and ": " not in text
    reserved = text.lower() in ("null", "true", "false", "yes", "no", "on", "off", "y", "n", "~")
    return text if plain and not reserved else json.dumps(text, ensure_ascii=False)
