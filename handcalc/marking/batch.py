"""A batch of answers files marked in whole-array arithmetic: every step's cells of every
file compared, recomputed and diagnosed as numpy arrays (``handcalc.check.mark_many``).

Per step, in the trace's order: the right and own chains are recomputed from the cells the
files wrote before it (``chains.recompute``); each cell is right when it agrees with the
right chain, carried when it agrees only with the own chain, else wrong (or blank). Then
the cells a file wrote take their place in the chains for the steps after it.

Pure core code: it prints nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from handcalc.check import BLANK, CARRIED, RIGHT, VERDICTS, WRONG, Answer, CellMark, Marks, StepMarks
from handcalc.marking.chains import recompute
from handcalc.marking.precision import Interval, agrees, written
from handcalc.trace import INPUT, Trace
from handcalc.work import reads

CHUNK_CELLS = 2_000_000  # files marked together hold about this many interval cells
R, W, B, C = range(4)  # RIGHT, WRONG, BLANK, CARRIED as codes


@dataclass
class StepBatch:
    """One step as the F files wrote it: ``given`` and ``places`` (F, *shape), nan where a
    file wrote nothing; ``answered`` and ``transposed`` per file."""

    given: np.ndarray
    places: np.ndarray
    answered: np.ndarray
    transposed: np.ndarray
    texts: dict[int, dict[tuple[int, ...], str]]  # per file, the cells written as text (wrong)


@dataclass
class Chains:
    """The steps of a batch, worked: per step, the right and own chains after the files'
    cells took their place, both as recomputed before them (``*_recomputed``), and
    the verdict codes of each answered step (F, *shape)."""

    right: dict[str, Interval]
    own: dict[str, Interval]
    right_recomputed: dict[str, Interval]
    own_recomputed: dict[str, Interval]
    verdicts: dict[str, np.ndarray]
    batches: dict[str, StepBatch]


def gather(trace: Trace, answer_sets: Sequence[list[Answer]]) -> dict[str, StepBatch]:
    """The answered steps of the files, as arrays over the files."""
    F = len(answer_sets)
    batches: dict[str, StepBatch] = {}
    for f, answers in enumerate(answer_sets):
        for answer in answers:
            batch = batches.get(answer.name)
            if batch is None:
                shape = trace[answer.name].shape
                batch = batches[answer.name] = StepBatch(
                    np.full((F, *shape), np.nan), np.zeros((F, *shape), dtype=int),
                    np.zeros(F, dtype=bool), np.zeros(F, dtype=bool), {})  # fmt: skip
            batch.given[f], batch.places[f] = answer.given, answer.places
            batch.answered[f], batch.transposed[f] = True, answer.transposed
            if answer.texts:
                batch.texts[f] = answer.texts
    return batches


def work_chains(
    trace: Trace, batches: dict[str, StepBatch], tolerance: float | None, digits: int | None
) -> Chains:
    """Both chains through every step, and the verdicts of the answered ones."""
    chains = Chains({}, {}, {}, {}, {}, batches)
    for step in trace:
        truth = np.asarray(step.value, dtype=float)
        if step.kind == INPUT:
            chains.right[step.name] = chains.own[step.name] = Interval.point(truth)
            continue
        names = reads(step, trace)
        right = recompute(step, trace, {n: chains.right[n] for n in names}, digits)
        own = recompute(step, trace, {n: chains.own[n] for n in names}, digits)
        chains.right_recomputed[step.name], chains.own_recomputed[step.name] = right, own
        batch = batches.get(step.name)
        if batch is None:
            chains.right[step.name], chains.own[step.name] = right, own
            continue
        given, places = batch.given, batch.places
        blank = np.isnan(given)
        is_right = agrees(given, places, right, truth, tolerance) | (blank & np.isneginf(truth))
        is_right &= ~_cells(batch.transposed, given)
        from_own = agrees(given, places, own, truth, tolerance)
        codes = np.where(is_right, R, np.where(blank, B, np.where(from_own & ~_cells(batch.transposed, given), C, W)))
        for f, texts in batch.texts.items():  # not a number: wrong, whatever the cell holds
            for index in texts:
                codes[(f, *index)] = W
        chains.verdicts[step.name] = codes.astype(np.int8)
        student = written(given, places, truth)
        chains.right[step.name] = student.where((is_right & ~blank)[:, None], right)
        chains.own[step.name] = student.where(~blank[:, None], own)
    return chains


def _cells(per_file: np.ndarray, like: np.ndarray) -> np.ndarray:
    """A per-file flag spread over each file's cells."""
    return np.broadcast_to(per_file.reshape((-1,) + (1,) * (like.ndim - 1)), like.shape)


def mark_arrays(
    trace: Trace,
    answer_sets: Sequence[list[Answer]],
    files: Sequence[str],
    tolerance: float | None,
    digits: int | None,
) -> list[Marks]:
    """Each file's Marks: its answered steps in the trace's order, every cell marked."""
    from handcalc.marking.mistakes import diagnoses

    batches = gather(trace, answer_sets)
    with np.errstate(all="ignore"):  # a student's sum may be 0, an exponent huge: intervals say so
        chains = work_chains(trace, batches, tolerance, digits)
        found = diagnoses(trace, chains)
    indices = {name: list(itertools.product(*map(range, trace[name].shape))) for name in batches}
    truths = {name: np.asarray(trace[name].value, dtype=float).ravel().tolist() for name in batches}
    marks = []
    for f, file in enumerate(files):
        steps = []
        for name in (name for name in trace.names if name in batches):
            batch = batches[name]
            if not batch.answered[f]:
                continue
            codes = chains.verdicts[name][f]
            cells = _cell_marks(indices[name], batch.given[f], batch.places[f], truths[name], codes, batch.texts.get(f, {}))
            origin = _carried_from(name, f, trace, chains) if (codes == C).any() else ()
            steps.append(StepMarks(name, cells, found.get((name, f)), origin))
        marks.append(Marks(file, tuple(steps)))
    return marks


def _cell_marks(
    indices: list, given: np.ndarray, places: np.ndarray, truth: list, codes: np.ndarray, texts: dict
) -> tuple[CellMark, ...]:
    cells = zip(indices, given.ravel().tolist(), truth, codes.ravel().tolist(), places.ravel().tolist())
    return tuple(_cell_mark(index, g, e, VERDICTS[code], p, texts.get(index)) for index, g, e, code, p in cells)


def _cell_mark(index, given, expected, verdict, places, text) -> CellMark:
    """``CellMark(index, given, expected, verdict, places, text)``, made without the frozen
    dataclass's field-by-field ``__init__``: a class has 100,000 cells, and this is 4× faster."""
    cell = object.__new__(CellMark)
    cell.__dict__.update(index=index, given=given, expected=expected, verdict=verdict, places=places, text=text)
    return cell


def _carried_from(name: str, f: int, trace: Trace, chains: Chains) -> tuple[str, ...]:
    """The earlier answered steps (through the ones skipped) whose mistakes step ``name``
    of file ``f`` follows from: a step with wrong cells, or where a carried step came from."""
    origins: list[str] = []
    todo = list(reads(trace[name], trace))
    seen: set[str] = set()
    while todo:
        source = todo.pop(0)
        if source in seen or trace[source].kind == INPUT:
            continue
        seen.add(source)
        batch = chains.batches.get(source)
        codes = chains.verdicts[source][f] if batch is not None and batch.answered[f] else None
        if codes is not None and (codes == W).any():
            origins.append(source)
        elif codes is not None and (codes == C).any():
            origins += [o for o in _carried_from(source, f, trace, chains) if o not in origins]
        elif codes is None or (codes == B).any():
            todo += reads(trace[source], trace)
    return tuple(sorted(dict.fromkeys(origins), key=trace.names.index))


__all__ = ["mark_arrays", "work_chains", "gather", "Chains", "StepBatch", "RIGHT", "WRONG", "BLANK", "CARRIED"]
