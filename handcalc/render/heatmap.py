"""A picture of A: who attends to whom, seen at a glance.

Under each table of attention weights, the same weights again, each with a bar of block
glyphs as long as the weight (a weight of 1 fills the bar), so that the pattern reads
without colour; the cells carry a shade (``heat1`` … ``heat4``) that a terminal can colour.
A cell the mask blocks is left blank; any weight above 0 has at least an eighth of a block,
so a tiny weight never looks like a blocked one::

    A       the         cat         sat        down
    the       1 ████  0.500 ██    0.333 █▍    0.075 ▎
    cat               0.500 ██    0.333 █▍    0.075 ▎
    sat                           0.333 █▍    0.774 ███▏
    down                                      0.075 ▎

It is shown under every ``A`` (each head's, and the softmax calculator's) without being
asked for: the issue wants the pattern seen at a glance, and ``--only`` still leaves it out.
"""

from __future__ import annotations

import math

import numpy as np

from handcalc.numbers import ELLIPSIS, format_numbers
from handcalc.render import RenderOptions
from handcalc.render.grid import (
    BLANK,
    EDGES,
    FULL_EDGE,
    HEAT,
    LABEL,
    NAME,
    V_ELLIPSIS,
    X_ELLIPSIS,
    Cell,
    Grid,
    _labels,
    _row_label,
    line_width,
    printed_grid,
    visible,
)
from handcalc.steps import short
from handcalc.trace import Step, Trace

EIGHTHS = " ▏▎▍▌▋▊▉█"  # a block's width in eighths: EIGHTHS[k] is k/8 of a block
BARS = (4, 3, 2)  # the bar's width in blocks, widest first; 1 where nothing else fits


def picture(step: Step, trace: Trace, options: RenderOptions) -> Grid | None:
    """The heat-map drawn under ``step`` (only attention weights have one); None: none."""
    if short(step.name) != "A" or step.value.ndim != 2:
        return None
    blocked = _blocked(step, trace)

    def drawn(size: int, edge: int) -> Grid:  # as it prints: measured on that
        return printed_grid(heatmap(step, blocked, options.precision, size, edge), options.encoding)

    if options.full:
        return drawn(BARS[0], FULL_EDGE)
    for edge in EDGES:  # the most tokens first, then the longest bars that fit with them
        for size in BARS:
            grid = drawn(size, edge)
            if line_width(grid) <= options.width - 2:
                return grid
    return drawn(1, EDGES[-1])


def heatmap(step: Step, blocked: np.ndarray, precision: int, size: int, edge: int | None) -> Grid:
    """The weights of ``step`` labelled like it, each cell ``0.459 █▊``: its number and a bar
    of ``size`` blocks; ``blocked`` cells blank. ``edge`` elides the columns (as ``visible``)."""
    rows = visible(len(step.rows), None if edge is None else max(edge, EDGES[0]))
    cols = visible(len(step.cols), edge)
    at_row = {i: k for k, i in enumerate(i for i in rows if i is not None)}  # where each shown index is
    at_col = {j: k for k, j in enumerate(j for j in cols if j is not None)}
    texts = format_numbers(step.value[np.ix_(list(at_row), list(at_col))], precision)  # floats, or exact Fractions
    digits = max(map(len, texts.ravel().tolist()))
    # Each label stands over its column's numbers, the bars trailing to their right.
    labels = [Cell(label.text.rjust(digits), LABEL, True) for label in _labels(step.cols, cols)]
    grid: Grid = [[Cell(short(step.name), NAME, True), *labels]]
    for i in rows:
        line = [_row_label(step.rows, i)]
        for j in cols:
            if j is None:
                line.append(Cell(X_ELLIPSIS if i is None else ELLIPSIS, LABEL))
            elif i is None:
                line.append(Cell(V_ELLIPSIS.rjust(digits), LABEL, True))
            elif blocked[i, j]:
                line.append(BLANK)
            else:
                w = float(step.value[i, j])
                line.append(Cell(f"{texts[at_row[i], at_col[j]]:>{digits}} {bar(w, size)}", shade(w)))
        grid.append(line)
    return grid


def bar(weight: float, size: int) -> str:
    """A bar of ``size`` blocks filled in proportion to ``weight`` (0 to 1), to the nearest
    eighth of a block, padded with spaces to ``size``; a weight above 0 gets at least ▏."""
    eighths = min(8 * size, max(round(weight * 8 * size), 1 if weight > 0 else 0))
    full, part = divmod(eighths, 8)
    return ("█" * full + (EIGHTHS[part] if part else "")).ljust(size)


def shade(weight: float) -> str:
    """The style of a weight's cell: ``heat1`` up to ¼, … ``heat4`` above ¾."""
    return HEAT[min(len(HEAT) - 1, max(0, math.ceil(weight * len(HEAT)) - 1))]


def _blocked(step: Step, trace: Trace) -> np.ndarray:
    """The cells that the mask blocks (−∞ in this head's ``masked`` step): none without one."""
    head = step.name[: -len(short(step.name))]
    masked = f"{head}masked"
    if masked in trace and trace[masked].shape == step.shape:
        return np.isneginf(np.asarray(trace[masked].value, dtype=float))
    return np.zeros(step.shape, dtype=bool)
