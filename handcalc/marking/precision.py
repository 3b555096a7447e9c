"""The precision model: a written number stands for the interval its decimals allow.

``2.121`` stands for [2.1205, 2.1215], ``0.26`` for [0.255, 0.265], a fraction ``"1/3"``
for 1/3 exactly. A whole number written where the true value is not whole is read to 2
places (``0`` is not a rounding of 0.446); where the value is whole it is exact. A value
of 10^10 or more written as a whole number is as precise as it is written.

Intervals are numpy arrays ``lo, hi`` shaped ``(F, C, *shape)``: F files marked together,
C candidate readings of the constants a student may have rounded (√d_k to 1–4 places,
e ≈ 2.718), then the step's own shape. A cell agrees with an interval when some value in
it (for some candidate) rounds to what was written — half a unit in the last written
place, or within an absolute ``tolerance`` instead.

Pure core code: it prints nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from handcalc.numbers import LARGE

EXACT = 1000  # the ``places`` of a cell written exactly (a fraction such as "1/3"): no rounding
SLACK = 1e-13  # relative room for the float arithmetic of the recomputation itself


@dataclass(frozen=True)
class Interval:
    """Every value a cell may stand for: ``lo`` ≤ value ≤ ``hi``, shaped (F, C, *shape)."""

    lo: np.ndarray
    hi: np.ndarray

    @staticmethod
    def point(value: np.ndarray) -> Interval:
        """An exact value (one file, one candidate), such as a given input."""
        value = np.asarray(value, dtype=float)[None, None]
        return Interval(value, value)

    @property
    def candidates(self) -> int:
        return self.lo.shape[1]

    @property
    def mid(self) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.where(self.lo == self.hi, self.lo, (self.lo + self.hi) / 2)

    @property
    def rad(self) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.where(self.lo == self.hi, 0.0, (self.hi - self.lo) / 2)

    def hull(self) -> Interval:
        """One candidate holding them all."""
        if self.candidates == 1:
            return self
        return Interval(self.lo.min(axis=1, keepdims=True), self.hi.max(axis=1, keepdims=True))

    @property
    def T(self) -> Interval:
        return Interval(np.swapaxes(self.lo, -1, -2), np.swapaxes(self.hi, -1, -2))

    def where(self, mask: np.ndarray, other: Interval) -> Interval:
        """This interval where ``mask`` (shaped (F, 1, *shape)), ``other`` elsewhere."""
        return Interval(np.where(mask, self.lo, other.lo), np.where(mask, self.hi, other.hi))


def aligned(*intervals: Interval) -> tuple[Interval, ...]:
    """The intervals with candidate axes that broadcast: where two differ (two heads'
    constants), each is replaced by its hull."""
    counts = {iv.candidates for iv in intervals} - {1}
    if len(counts) <= 1:
        return intervals
    return tuple(iv.hull() for iv in intervals)


def whole(truth: np.ndarray) -> np.ndarray:
    """The cells whose true value is a whole number."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(truth) & (np.abs(truth - np.round(truth)) <= 1e-9)


def half_unit(places: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Half a unit in the last written place of each cell: 0.0005 for ``2.121``, 0 for a
    fraction or a whole number where the value is whole, 0.005 for a whole number where it
    is not (read to 2 places), 0.5·10^9 for ``5.048e+12`` (written to 10^9)."""
    places = np.asarray(places)
    is_whole = whole(truth)
    with np.errstate(over="ignore"):
        half = 0.5 * 10.0 ** -np.minimum(places, 400).astype(float)
    whole_written = np.where(is_whole, 0.0, np.where(np.abs(truth) < LARGE, 0.005, 0.5))
    half = np.where(places == 0, whole_written, half)
    return np.where(places >= EXACT, 0.0, half)


def written(given: np.ndarray, places: np.ndarray, truth: np.ndarray) -> Interval:
    """What the student's cells (F, *shape) stand for: [given − h, given + h]; −∞ stays −∞,
    a blank (nan) stays nan."""
    half = half_unit(places, truth)
    with np.errstate(invalid="ignore"):
        lo, hi = np.where(np.isinf(given), given, given - half), np.where(np.isinf(given), given, given + half)
    return Interval(lo[:, None], hi[:, None])


def agrees(
    given: np.ndarray, places: np.ndarray, interval: Interval, truth: np.ndarray, tolerance: float | None = None
) -> np.ndarray:
    """Per cell (F, *shape), whether what was written rounds from some value of ``interval``
    (for some candidate): within half a unit of its last place, or within ``tolerance``.
    −∞ agrees with −∞ only; a blank (nan) with nothing."""
    bound = half_unit(places, truth) if tolerance is None else np.full(given.shape, float(tolerance))
    g = given[:, None]
    with np.errstate(invalid="ignore"):
        slack = SLACK * (1 + np.abs(g))
        gap = np.maximum(np.maximum(interval.lo - g, g - interval.hi), 0.0)
        close = (gap <= bound[:, None] + slack).any(axis=1)
    masked = np.isneginf(given) & np.isneginf(interval.hi).all(axis=1)
    return (close & np.isfinite(given)) | masked


def rounded(interval: Interval, digits: int) -> Interval:
    """Every value of ``interval`` rounded to ``digits`` decimals lies in the result
    (rounding is monotone): the carried rounding of a problem's ``round:``."""
    from handcalc.numbers import round_array

    with np.errstate(invalid="ignore"):
        lo = round_array(interval.lo - SLACK * (1 + np.abs(interval.lo)), digits)
        hi = round_array(interval.hi + SLACK * (1 + np.abs(interval.hi)), digits)
    return Interval(lo, hi)
