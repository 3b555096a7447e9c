"""A slow, independent reference for self-attention (one head or several), for the tests.

``reference_attention(problem)`` takes a problem dict with the keys of the YAML
problem file (DESIGN §2; values are lists, numbers may be "p/q" strings) and
returns every step of DESIGN §1 as float numpy arrays in the problem's own layout;
``reference_multihead(problem)`` runs it once per head and adds ``concat`` and ``output``.

It works in the rows orientation throughout (tokens as rows, as on paper and in
PyTorch) with plain Python loops, and transposes at the edges for ``layout: columns``:

    rows layout              columns layout (what is returned)
    Q = X W_q                Q = W_q X           (d_k, n)
    K = X_kv W_k             K = W_k X_kv        (d_k, m)
    V = X_kv W_v             V = W_v X_kv        (d_v, m)
    scores = Q Kᵀ  (n, m)    scores = Kᵀ Q       (m, n): rows = keys, columns = queries
    scaled = scores / (s T)  with s = √d_k (sqrt_dk), 1 (none) or the given number
    masked = scaled, with -inf where the mask is 0 (causal: query j sees keys 1..j)
    exp    = base ** masked  (no max subtraction: keep test inputs small)
    sums   = Σ_keys exp      one per query (1-D)
    A      = base ** (x - max) / Σ base ** (x - max), the max taken per query
    Z = A V        (n, d_v)  Z = V A             (d_v, n)
    output = Z W_o           output = W_o Z
"""

import math
from fractions import Fraction

import numpy as np


def _num(value):
    """An int, a float or an exact fraction string like "1/3", as a float."""
    if isinstance(value, bool):
        raise TypeError(f"not a number: {value!r}")
    return float(Fraction(value)) if isinstance(value, str) else float(value)


def _matrix(rows):
    """A list of lists of numbers as a list of lists of floats."""
    return [[_num(v) for v in row] for row in rows]


def _t(m):
    """Transpose a list-of-lists matrix."""
    return [list(col) for col in zip(*m)]


def _matmul(a, b):
    """(p, r) = (p, q) @ (q, r), one dot product per cell."""
    return [[sum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))]
            for i in range(len(a))]


def _normalise_keys(problem):
    """Keys match case-insensitively and without underscores (Wq, W_Q -> W_q)."""
    known = ("layout", "X", "X_kv", "W_q", "W_k", "W_v", "W_o", "mask", "scale",
             "temperature", "base", "round", "heads", "title", "tokens")
    by_plain = {k.lower().replace("_", ""): k for k in known}
    return {by_plain[k.lower().replace("_", "")]: v for k, v in problem.items()}


def _allowed(mask, n, m, columns):
    """allowed[i][j]: may query i attend to key j? None when there is no mask."""
    if mask is None or mask == "none":
        return None
    if mask == "causal":
        return [[j <= i for j in range(m)] for i in range(n)]
    rows = _t(mask) if columns else mask  # columns-layout masks are keys x queries
    return [[_num(v) != 0 for v in row] for row in rows]


def _divisor(problem, d_k):
    """s · T: s = √d_k (sqrt_dk, the default), 1 (none) or the given number."""
    scale = problem.get("scale", "sqrt_dk")
    s = math.sqrt(d_k) if scale == "sqrt_dk" else 1.0 if scale == "none" else _num(scale)
    return s * _num(problem.get("temperature", 1))


def _power(base, x):
    """base ** x, with base ** -inf = 0."""
    return math.exp(x) if base is None else base ** x


def _softmax_row(xs, base):
    """One query's weights: base ** (x - max) / Σ base ** (x - max)."""
    top = max(x for x in xs if x != -math.inf)
    ws = [_power(base, x - top) for x in xs]
    total = sum(ws)
    return [w / total for w in ws]


def reference_attention(problem: dict) -> dict:
    """Every step of single-head attention for ``problem``, in its own layout.

    Returns float arrays ``Q, K, V, scores, scaled, exp, sums, A, Z``, plus ``masked``
    when a mask is given and ``output`` when ``W_o`` is given.
    """
    p = _normalise_keys(problem)
    if "heads" in p or "round" in p:
        raise NotImplementedError("the reference covers one head without rounding")
    columns = p.get("layout", "columns") == "columns"
    edge = _t if columns else (lambda m: m)  # to and from the rows orientation

    x = edge(_matrix(p["X"]))                            # (n, d_model)
    x_kv = edge(_matrix(p.get("X_kv", p["X"])))          # (m, d_model)
    w_q, w_k, w_v = (edge(_matrix(p[k])) for k in ("W_q", "W_k", "W_v"))
    q = _matmul(x, w_q)                                  # (n, d_k) = (n, d_model) @ (d_model, d_k)
    k = _matmul(x_kv, w_k)                               # (m, d_k)
    v = _matmul(x_kv, w_v)                               # (m, d_v)
    n, m, d_k = len(q), len(k), len(w_q[0])

    scores = _matmul(q, _t(k))                           # (n, m) = (n, d_k) @ (d_k, m)
    div = _divisor(p, d_k)
    scaled = [[scores[i][j] / div for j in range(m)] for i in range(n)]
    allowed = _allowed(p.get("mask"), n, m, columns)
    masked = scaled if allowed is None else [
        [scaled[i][j] if allowed[i][j] else -math.inf for j in range(m)] for i in range(n)]

    base = None if p.get("base", "e") == "e" else _num(p["base"])
    exp = [[_power(base, masked[i][j]) for j in range(m)] for i in range(n)]
    sums = [sum(row) for row in exp]                     # one per query
    a = [_softmax_row(row, base) for row in masked]      # (n, m), rows sum to 1
    z = _matmul(a, v)                                    # (n, d_v) = (n, m) @ (m, d_v)

    steps = {"Q": q, "K": k, "V": v, "scores": scores, "scaled": scaled}
    if allowed is not None:
        steps["masked"] = masked
    steps.update({"exp": exp, "A": a, "Z": z})
    if "W_o" in p:
        steps["output"] = _matmul(z, edge(_matrix(p["W_o"])))  # (n, d_out) = (n, d_v) @ (d_v, d_out)
    result = {name: np.array(edge(value), dtype=float) for name, value in steps.items()}
    result["sums"] = np.array(sums, dtype=float)
    return result


def reference_multihead(problem: dict) -> dict:
    """Every step of multi-head attention for ``problem``, in its own layout.

    Head h is ``reference_attention`` of the problem with that head's W_q, W_k, W_v (mask,
    X_kv, scale, temperature and base shared; d_k per head); its steps come back as
    ``h1.Q`` … ``h1.Z``, ``h2.Q`` …. Then, in the rows orientation:

        concat = [Z_1 Z_2 …]     (n, Σ d_v)   columns layout: Z's stacked top to bottom (Σ d_v, n)
        output = concat W_o      (n, d_out)   columns layout: W_o concat, only when W_o is given
    """
    p = _normalise_keys(problem)
    shared = {k: v for k, v in p.items() if k not in ("heads", "W_o")}
    edge = _t if p.get("layout", "columns") == "columns" else (lambda m: m)
    order = ("Q", "K", "V", "scores", "scaled", "masked", "exp", "sums", "A", "Z")

    result, zs = {}, []
    for h, head in enumerate(p["heads"], start=1):
        one = reference_attention({**shared, **_normalise_keys(head)})
        result.update({f"h{h}.{name}": one[name] for name in order if name in one})
        zs.append(edge(one["Z"].tolist()))                       # (n, d_v of head h)
    concat = [[v for z in zs for v in z[i]] for i in range(len(zs[0]))]  # (n, Σ d_v): rows joined

    result["concat"] = np.array(edge(concat), dtype=float)
    if "W_o" in p:  # (n, d_out) = (n, Σ d_v) @ (Σ d_v, d_out)
        result["output"] = np.array(edge(_matmul(concat, edge(_matrix(p["W_o"])))), dtype=float)
    return result
