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
    F, names = len(files), [name for name in trace.names if name in batches]
    # per step, every file's cells as Python lists, made once for the whole batch
    indices = {name: list(itertools.product(*map(range, trace[name].shape))) for name in names}
    truths = {name: np.asarray(trace[name].value, dtype=float).ravel().tolist() for name in names}
    given = {name: batches[name].given.reshape(F, -1).tolist() for name in names}
    places = {name: batches[name].places.reshape(F, -1).tolist() for name in names}
    verdicts = {name: np.array(VERDICTS, dtype=object)[chains.verdicts[name].reshape(F, -1)].tolist() for name in names}
    answered = {name: batches[name].answered.tolist() for name in names}
    carried = {name: (chains.verdicts[name] == C).reshape(F, -1).any(axis=1).tolist() for name in names}
    marks = []
    for f, file in enumerate(files):
        steps = []
        for name in names:
            if not answered[name][f]:
                continue
            texts = batches[name].texts.get(f)
            cells = _cell_marks(indices[name], given[name][f], truths[name], verdicts[name][f], places[name][f], texts)
            origin = _carried_from(name, f, trace, chains) if carried[name][f] else ()
            steps.append(StepMarks(name, cells, found.get((name, f)), origin))
        marks.append(Marks(file, tuple(steps)))
    return marks


def _cell_marks(indices: list, given: list, truth: list, verdicts: list, places: list, texts: dict | None) -> tuple[CellMark, ...]:
    """``CellMark(index, given, expected, verdict, places, text)`` for each cell of a step, made
    without the frozen dataclass's field-by-field ``__init__``: a class has 100,000 cells,
    and this is 4× faster."""
    new, cells = object.__new__, []
    for index, g, e, verdict, p in zip(indices, given, truth, verdicts, places):
        cell = new(CellMark)
        cell.__dict__.update(index=index, given=g, expected=e, verdict=verdict, places=p,
                             text=None if texts is None else texts.get(index))  # fmt: skip
        cells.append(cell)
    return tuple(cells)


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
