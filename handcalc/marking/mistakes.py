"""One mistake, one diagnosis: a step with wrong cells is matched against the classic
mistakes (``handcalc.diagnose.candidates``) built from each student's **own** earlier
numbers, at the precision they wrote them, so that the recogniser fires for students who
round; failing that, from their right numbers and the truth. A step whose cells follow from
an earlier mistake is carried, not diagnosed again. Every file of a batch is tried at once:
a candidate is a batch of matrices, one per file.

Pure core code: it prints nothing.
"""

from __future__ import annotations

import numpy as np

from handcalc.diagnose import SENTENCES, candidates, differs
from handcalc.marking.batch import W, Chains
from handcalc.marking.precision import Interval, agrees
from handcalc.steps import short
from handcalc.trace import INPUT, Trace


class _Points:
    """Each step of a chain as one matrix per file (the middle of its candidates' hull),
    and how far a computation from rounded numbers may land from it (its widest half-width);
    each worked out once, when first asked for."""

    def __init__(self, chain: dict[str, Interval], files: int) -> None:
        self.chain, self.files, self.hulls, self.done = chain, files, {}, {}

    def hull(self, name: str) -> Interval:
        if name not in self.hulls:
            self.hulls[name] = self.chain[name].hull()
        return self.hulls[name]

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.done:
            mid = self.hull(name).mid[:, 0]
            self.done[name] = np.broadcast_to(mid, (self.files, *mid.shape[1:]))
        return self.done[name]

    def slack(self, name: str) -> np.ndarray:
        """Per file (F,): the widest half-width of the step."""
        rad = self.hull(name).rad[:, 0]
        rad = np.where(np.isfinite(rad), rad, 0.0).reshape(rad.shape[0], -1).max(axis=1)
        return np.broadcast_to(rad, (self.files,))


def diagnoses(trace: Trace, chains: Chains) -> dict[tuple[str, int], str]:
    """The diagnosis of each (step, file) with wrong cells that shows a classic mistake:
    built from the file's own numbers first, then from its right ones and the truth."""
    found: dict[tuple[str, int], str] = {}
    computed = [step.name for step in trace if step.kind != INPUT]
    F = len(next(iter(chains.batches.values())).answered) if chains.batches else 0
    # each chain's points, worked out once for every step diagnosed (the chains are final)
    chain_points = [(_Points(chains.own, F), _Points(chains.own_recomputed, F)),
                    (_Points(chains.right, F), _Points(chains.right_recomputed, F))]
    for name, batch in chains.batches.items():
        wrong = (chains.verdicts[name] == W).reshape(F, -1).any(axis=1) & batch.answered
        for f in np.flatnonzero(wrong & batch.transposed):
            found[(name, int(f))] = SENTENCES["transposed"].format(step=short(name))
        todo = np.flatnonzero(wrong & ~batch.transposed)
        for points, recomputed in chain_points:
            if not todo.size:
                break
            theirs = {step: points[step][todo] for step in computed if step != name}
            truth = recomputed[name][todo]
            theirs[name] = truth
            matches = _matcher(batch.given[todo], batch.places[todo], np.asarray(trace[name].value, dtype=float),
                               recomputed.slack(name)[todo])  # fmt: skip
            open_ = ~matches(truth)  # what follows from their numbers is no mistake
            for sentence, candidate in candidates(trace, name, theirs):
                candidate = np.broadcast_to(candidate, truth.shape)
                hit = open_ & differs(candidate, truth) & matches(candidate)
                for k in np.flatnonzero(hit):
                    found[(name, int(todo[k]))] = sentence
                open_ &= ~hit
            todo = todo[open_]
    return found


def _matcher(given: np.ndarray, places: np.ndarray, truth: np.ndarray, slack: np.ndarray):
    """Per file, whether a batch of candidates is what the file wrote, blanks aside: within
    half a unit of what was written, and ``slack`` for the rounding of the numbers the
    candidate was built from."""
    wrote = ~np.isnan(given)
    F = len(given)
    some = wrote.reshape(F, -1).any(axis=1)
    room = slack.reshape((F, 1) + (1,) * (given.ndim - 1))

    def matches(candidate: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            around = Interval(candidate[:, None] - room, candidate[:, None] + room)
        ok = agrees(given, places, around, truth) | ~wrote
        return ok.reshape(F, -1).all(axis=1) & some

    return matches
