"""Each step worked out again, as intervals, from what a student wrote before it.

Two chains run through a problem's steps side by side, for a batch of F answers files:

- the **right** chain reads each earlier step from the student's cells where they were
  right and from this chain's own recomputation elsewhere (a wrong cell, a blank, a step
  not answered): what the student should have written, at the precision they worked to;
- the **own** chain reads every cell the student wrote, right or wrong, and this chain's
  recomputation where they wrote nothing: what follows from their own numbers.

A step a student skipped is recomputed through, in both chains. The constants a student may
have rounded (√d_k to 1–4 places or as the sheet shows it, e ≈ 2.718, 2.72, 2.7183) are
candidates along the interval's second axis; a cell agrees when any candidate fits.

Shapes: an Interval is (F, C, *shape) in the layout's orientation (the trace's own).
Pure core code: it prints nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np

from handcalc.marking.precision import Interval, aligned, rounded
from handcalc.numbers import round_half_away
from handcalc.steps import exp_base, short
from handcalc.trace import CONCAT, PRODUCT, SUMS, Step, Trace
from handcalc.work import sums_of

E_ROUNDED = (2.718, 2.72, 2.7183)  # e as students write it
ROOT_PLACES = (1, 2, 3, 4)  # √d_k as students round it
HULL_FROM = 1 << 16  # a file's interval cells from which a step's candidates are merged into their hull

Operands = Mapping[str, Interval]


def recompute(step: Step, trace: Trace, operands: Operands, digits: int | None = None) -> Interval:
    """``step`` worked out from the intervals of its operands (``handcalc.work.reads``); rounded
    to ``digits`` places when the problem rounds every step (``round:``)."""
    if step.kind == PRODUCT:
        value = _product(step, operands)
    elif step.kind == SUMS:
        value = _sums(step, trace, operands)
    elif step.kind == CONCAT:
        value = _concat(step, trace, operands)
    else:
        value = _ELEMENTWISE[short(step.name)](step, trace, operands)
    return value if digits is None else rounded(value, digits)


def _operand(step: Step, operands: Operands, k: int) -> Interval:
    ref = step.operands[k]
    value = operands[ref.name]
    return value.T if ref.T else value


def _product(step: Step, operands: Operands) -> Interval:
    """C = L · R in midpoint-radius form: mid(L)·mid(R) ± (|mid L|·rad R + rad L·|mid R| +
    rad L·rad R), which holds every product of values in the intervals."""
    L, R = aligned(_operand(step, operands, 0), _operand(step, operands, 1))
    Lm, Lr, Rm, Rr = L.mid, L.rad, R.mid, R.rad
    mid = Lm @ Rm  # (F, C, m, n) = (F, C, m, k) @ (F, C, k, n)
    rad = np.abs(Lm) @ Rr + Lr @ (np.abs(Rm) + Rr) if (Lr.any() or Rr.any()) else np.zeros_like(mid)
    return Interval(mid - rad, mid + rad)


def _axis(trace: Trace) -> int:
    """The axis a distribution runs along: down a column (tokens as columns), along a row."""
    return -2 if trace.layout == "columns" else -1


def _sums(step: Step, trace: Trace, operands: Operands) -> Interval:
    """sums[j] = Σ_i exp[i,j] (columns; Σ_j exp[i,j] in rows): the endpoints add up."""
    exp = _operand(step, operands, 0)
    axis = _axis(trace)
    return Interval(exp.lo.sum(axis=axis), exp.hi.sum(axis=axis))


def _concat(step: Step, trace: Trace, operands: Operands) -> Interval:
    """The heads' Z stacked top to bottom (side by side in rows)."""
    parts = aligned(*(operands[ref.name] for ref in step.operands))
    axis = -2 if trace.layout == "columns" else -1
    return Interval(np.concatenate([p.lo for p in parts], axis), np.concatenate([p.hi for p in parts], axis))


def _scaled(step: Step, trace: Trace, operands: Operands) -> Interval:
    """scaled = scores / (√d_k · s · T), for every reading of √d_k a student may use."""
    scores = _operand(step, operands, 0)
    divisors = np.array(divisor_candidates(step), dtype=float)
    return _outer(scores, lambda lo, hi, c: (lo / c, hi / c), divisors)


def divisor_candidates(step: Step) -> list[float]:
    """s · T times √d_k exact, rounded to 1–4 places, or as the trace holds it (rounded,
    under ``round:``): every divisor a student may honestly use."""
    constants = dict(step.constants)
    factor = math.prod(float(constants[name]) for name in ("s", "T") if name in constants)
    if "√d_k" not in constants:
        return [factor]
    root = math.sqrt(float(constants["d_k"]))
    roots = {root, float(constants["√d_k"])}
    if not float(root).is_integer():
        roots |= {float(round_half_away(root, places)) for places in ROOT_PLACES}
    return [r * factor for r in sorted(roots)]


def _masked(step: Step, trace: Trace, operands: Operands) -> Interval:
    """−∞ where the problem's mask blocks, the scaled cell elsewhere."""
    scaled = _operand(step, operands, 0)
    blocked = np.isneginf(np.asarray(step.value, dtype=float))
    return Interval(np.where(blocked, -np.inf, scaled.lo), np.where(blocked, -np.inf, scaled.hi))


def base_candidates(step: Step) -> list[float]:
    """The base of exp as a student may use it: e exact or rounded (2.718 …), or the number."""
    base = exp_base(step)
    return [math.e, *E_ROUNDED] if base == "e" else [float(base)]


def is_shifted(step: Step) -> bool:
    """Whether exp subtracts each distribution's max first (exp = e^(x − column max))."""
    return "max" in step.formula.partition("^")[2]


def _exp(step: Step, trace: Trace, operands: Operands) -> Interval:
    """exp = base^x, monotone in x (base > 1): the endpoints' powers; −∞ gives 0."""
    x = _operand(step, operands, 0)
    if is_shifted(step):  # x − max of its distribution, the largest possible on each side
        axis = _axis(trace)
        x = Interval(x.lo - x.hi.max(axis=axis, keepdims=True), x.hi - x.lo.max(axis=axis, keepdims=True))
    bases = np.array(base_candidates(step))
    return _outer(x, lambda lo, hi, b: (np.power(b, lo), np.power(b, hi)), bases)


def _attention(step: Step, trace: Trace, operands: Operands) -> Interval:
    """A = exp / sums (each column over its sum; each row in the rows layout): the four
    corners' extremes, unbounded where a sum may be 0."""
    exp = _operand(step, operands, 0)
    sums = operands[sums_of(trace, step.operands[0].name).name]
    exp, sums = aligned(exp, sums)
    expand = (lambda s: s[..., None, :]) if trace.layout == "columns" else (lambda s: s[..., :, None])
    s_lo, s_hi = expand(sums.lo), expand(sums.hi)
    corners = np.stack([exp.lo / s_lo, exp.lo / s_hi, exp.hi / s_lo, exp.hi / s_hi])
    spans_zero = (s_lo <= 0) & (s_hi >= 0)
    lo = np.where(spans_zero, -np.inf, np.nanmin(corners, axis=0))
    hi = np.where(spans_zero, np.inf, np.nanmax(corners, axis=0))
    return Interval(lo, hi)


def _outer(x: Interval, apply: Callable, constants: np.ndarray) -> Interval:
    """``apply`` with each constant to each candidate of ``x``: C · len(constants) candidates;
    for a large step (per file, whatever the batch), their hull instead (one candidate), so
    that memory stays bounded."""
    if len(constants) == 1:
        return Interval(*apply(x.lo, x.hi, constants[0]))
    if x.lo[0].size * len(constants) > HULL_FROM:
        lo, hi = apply(x.lo, x.hi, constants[0])
        for c in constants[1:]:
            more_lo, more_hi = apply(x.lo, x.hi, c)
            lo, hi = np.minimum(lo, more_lo), np.maximum(hi, more_hi)
        return Interval(lo, hi).hull()
    shape = (1, 1, -1) + (1,) * (x.lo.ndim - 2)
    c = constants.reshape(shape)
    lo, hi = apply(x.lo[:, :, None], x.hi[:, :, None], c)
    lo, hi = np.broadcast_arrays(lo, hi)
    F, C, K = lo.shape[:3]
    return Interval(lo.reshape(F, C * K, *lo.shape[3:]), hi.reshape(F, C * K, *hi.shape[3:]))


_ELEMENTWISE: dict[str, Callable[[Step, Trace, Operands], Interval]] = {
    "scaled": _scaled,
    "masked": _masked,
    "exp": _exp,
    "A": _attention,
}
