"""One mistake, one diagnosis: a step with wrong cells is matched against the classic
mistakes (``handcalc.diagnose``) built from the student's **own** earlier numbers, at the
precision they wrote them, so that the recogniser fires for students who round. A step
whose cells follow from an earlier mistake is carried, not diagnosed again.

Pure core code: it prints nothing.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from handcalc.diagnose import SENTENCES, diagnose
from handcalc.marking.batch import W, Chains
from handcalc.marking.precision import Interval, agrees
from handcalc.steps import short
from handcalc.trace import INPUT, Trace


def worked_trace(trace: Trace, values: dict[str, Interval], f: int) -> Trace:
    """``trace`` with each computed step holding file ``f``'s point of ``values`` (a chain:
    what the file wrote, and what follows where it wrote nothing), as floats."""
    steps = tuple(
        step if step.kind == INPUT else dataclasses.replace(step, value=_point(values[step.name], f))
        for step in trace
    )
    return dataclasses.replace(trace, steps=steps)


def _point(interval: Interval, f: int) -> np.ndarray:
    """One file's value of an interval: the middle of its candidates' hull."""
    hull = interval.hull()
    return np.array(hull.mid[min(f, hull.mid.shape[0] - 1), 0])


def _slack(interval: Interval, f: int) -> float:
    """How far a computation from the file's rounded numbers may honestly land from the
    point: the widest half-width of the recomputed step."""
    hull = interval.hull()
    rad = hull.rad[min(f, hull.rad.shape[0] - 1), 0]
    rad = rad[np.isfinite(rad)]
    return float(rad.max()) if rad.size else 0.0


def diagnoses(trace: Trace, chains: Chains) -> dict[tuple[str, int], str]:
    """The diagnosis of each (step, file) with wrong cells that shows a classic mistake:
    built from the file's own numbers first, then from its right ones and the truth."""
    found: dict[tuple[str, int], str] = {}
    worked: dict[tuple[str, int], Trace] = {}
    for name, batch in chains.batches.items():
        wrong = (chains.verdicts[name] == W).reshape(len(batch.answered), -1).any(axis=1)
        truth = np.asarray(trace[name].value, dtype=float)
        for f in np.flatnonzero(wrong & batch.answered):
            if batch.transposed[f]:
                found[(name, f)] = SENTENCES["transposed"].format(step=short(name))
                continue
            for chain, values, recomputed in (("own", chains.own, chains.own_recomputed),
                                              ("right", chains.right, chains.right_recomputed)):  # fmt: skip
                if (chain, f) not in worked:
                    worked[(chain, f)] = worked_trace(trace, values, f)
                theirs = worked[(chain, f)]
                step = dataclasses.replace(theirs[name], value=_point(recomputed[name], f))
                theirs = dataclasses.replace(theirs, steps=tuple(step if s.name == name else s for s in theirs))
                matches = matcher(batch.given[f], batch.places[f], truth, _slack(recomputed[name], f))
                if (sentence := diagnose(theirs, name, matches)) is not None:
                    found[(name, f)] = sentence
                    break
    return found


def matcher(given: np.ndarray, places: np.ndarray, truth: np.ndarray, slack: float = 0.0):
    """Whether a candidate matrix is what the student wrote, blanks aside: within half a
    unit of what was written, and ``slack`` for the rounding of the numbers it was built from."""
    wrote = ~np.isnan(given)

    def matches(candidate: np.ndarray) -> bool:
        candidate = np.asarray(candidate, dtype=float)
        if candidate.shape != given.shape or not wrote.any():
            return False
        with np.errstate(invalid="ignore"):
            around = Interval((candidate - slack)[None, None], (candidate + slack)[None, None])
        return bool(agrees(given[None], places[None], around, truth)[0][wrote].all())

    return matches
