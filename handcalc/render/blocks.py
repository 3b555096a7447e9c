"""What is shown of a trace, in order, as blocks that every text-like format draws its way.

A step is a heading, its constants, an explanation (``--explain``), its by-hand grid, a
picture (the heat-map of A), its notes and its worked cells (``--show-work``). Formats
differ only in how they draw each kind of block, never in what they show.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from handcalc.render import RenderOptions, head_changes, selected
from handcalc.render.grid import Grid, constants, head_title, heading, step_grid, title
from handcalc.trace import Step, Trace

TITLE, HEAD, HEADING, CONSTANTS, EXPLAIN, GRID, PICTURE, NOTE, WORK = (
    "title", "head", "heading", "constants", "explain", "grid", "picture", "note", "work",
)  # fmt: skip


@dataclass(frozen=True)
class Block:
    """One thing to draw: ``text`` for words, ``grid`` for a table, ``lines`` for work."""

    kind: str
    text: str = ""
    grid: Grid | None = None
    lines: tuple[str, ...] = ()
    step: Step | None = None


def blocks(trace: Trace, options: RenderOptions) -> Iterator[Block]:
    """The blocks of ``trace`` as ``options`` ask, in the order they are drawn."""
    from handcalc.render.heatmap import picture

    yield Block(TITLE, title(trace))
    for step, head in head_changes(selected(trace, options)):
        if head:
            yield Block(HEAD, head_title(trace, head))
        yield Block(HEADING, heading(step), step=step)
        if step.constants:
            yield Block(CONSTANTS, constants(step, options.precision), step=step)
        if options.explain and (sentence := _explanation(step, trace, options.precision)):
            yield Block(EXPLAIN, sentence, step=step)
        grid = step_grid(step, trace, options.precision, options.width - 2, options.full, options.encoding)
        yield Block(GRID, grid=grid, step=step)
        if (drawing := picture(step, trace, options)) is not None:
            yield Block(PICTURE, grid=drawing, step=step)
        for note in step.notes:
            yield Block(NOTE, note, step=step)
        if options.show_work and (work := _work(step, trace, options)):
            yield Block(WORK, lines=tuple(work), step=step)


def printed(block: Block, encoding: str | None) -> Block:
    """``block``'s words and lines as they print on an output in ``encoding`` (None: UTF-8,
    as they are), to be wrapped and ruled on what is printed; its grid is made so as it is fitted."""
    if encoding is None:
        return block
    from handcalc.plain import printed as plain

    return replace(block, text=plain(block.text, encoding), lines=tuple(plain(line, encoding) for line in block.lines))


def _explanation(step: Step, trace: Trace, precision: int) -> str | None:
    from handcalc.explain import explanation  # only with --explain: start-up stays small

    return explanation(step, trace, precision)


def _work(step: Step, trace: Trace, options: RenderOptions) -> list[str]:
    from handcalc.render.work import work_lines  # only with --show-work

    return work_lines(step, trace, options)
