"""The softmax, as it is done by hand: exponentials, their sums, and each divided by its sum."""

from __future__ import annotations

import numpy as np


def exponentials(x: np.ndarray, base) -> tuple[np.ndarray, bool]:
    """``base ** x`` for every cell, and whether each column's max had to be subtracted.

    Subtracting a column's maximum divides that column by a constant, which the softmax
    cancels: it is done only where ``base ** x`` would overflow or every cell underflow."""
    def power(values: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", under="ignore"):
            return np.exp(values) if base == "e" else np.power(float(base), values)

    exp = power(x)
    with np.errstate(over="ignore"):
        sums = exp.sum(axis=0)
    if np.isfinite(exp).all() and np.isfinite(sums).all() and (sums > 0).all():
        return exp, False
    return power(x - x.max(axis=0)), True  # (m, n) - (n,): every column's max becomes 0
