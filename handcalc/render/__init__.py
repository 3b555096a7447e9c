"""Renderers: each turns a Trace into one output format and computes nothing.

A format is one module here with a ``render(trace, options)`` function; the by-hand
arrangement that the text formats share is built in :mod:`handcalc.render.grid`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from importlib import import_module

from handcalc.steps import head_of

_MODULES = {
    "rich": "terminal", "text": "text", "json": "json", "markdown": "markdown", "latex": "latex", "html": "html",
}  # fmt: skip
EXPORT_WIDTH = 120  # a file for notes or a blog is as wide as a page, not as the terminal


@dataclass(frozen=True)
class RenderOptions:
    """What a person asked to see: how many decimals, which steps, how wide, how much."""

    precision: int = 3
    only: tuple[str, ...] | None = None
    full: bool = False
    width: int = 100
    show_work: bool = False  # the arithmetic of each step's first cells, under it
    cell: str | None = None  # with show_work: the work of this one cell only, e.g. "A[2,1]"
    explain: bool = False  # a sentence or two under each step: what it means and why
    encoding: str | None = None  # the terminal's where it is not UTF-8: text and rich drawn as they print there


def for_export(options: RenderOptions) -> RenderOptions:
    """``options`` for a page (markdown, LaTeX, HTML): elided at :data:`EXPORT_WIDTH`."""
    return replace(options, width=EXPORT_WIDTH)


MAX_TITLE = 120  # characters of a title shown; a label is cut at MAX_LABEL
MAX_LABEL = 24


def renderer(fmt: str):
    """The ``render`` function of format ``fmt`` (imported only when it is used); every
    format but json draws the trace's title and labels as :func:`shown` makes them."""
    render = import_module(f"handcalc.render.{_MODULES[fmt]}").render
    return render if fmt == "json" else lambda trace, options: render(shown(trace), options)


def shown(trace):
    """``trace`` with its title and labels as they may be drawn: control characters escaped
    (no terminal escape sequence, no newline inside a table) and long ones cut short."""
    from handcalc.numbers import printable

    def labels(texts):
        return tuple(printable(text, MAX_LABEL) for text in texts)

    steps = tuple(replace(step, rows=labels(step.rows), cols=labels(step.cols)) for step in trace)
    tokens = labels(trace.tokens) if trace.tokens is not None else None
    return replace(trace, title=printable(trace.title, MAX_TITLE), tokens=tokens, steps=steps)


def shown_sheets(sheets):
    """Worksheets with their titles and labels as :func:`shown` makes a trace's."""
    from handcalc.numbers import printable

    return [replace(sheet, title=printable(sheet.title, MAX_TITLE), trace=shown(sheet.trace)) for sheet in sheets]


def drawer(fmt: str):
    """The ``draw(blocks, options)`` function of a text-like format (text or rich)."""
    return import_module(f"handcalc.render.{_MODULES[fmt]}").draw


def selected(trace, options: RenderOptions):
    """The steps to show: all of them, or those named by ``--only`` (a step, or a head
    such as ``h2`` for all of its steps), in trace order."""
    if options.only is None:
        return list(trace)
    return [step for step in trace if step.name in options.only or head_of(step.name) in options.only]


COMBINING = "Combining the heads"  # the banner over concat and output, after the heads


def head_changes(steps):
    """Each step with what it opens: a head (``h2``) when it is the first shown of that head,
    "" when it is the first shown after the heads (concat, output), else None."""
    shown = None
    for step in steps:
        head = head_of(step.name)
        if head is not None:
            yield step, head if head != shown else None
        else:
            yield step, "" if shown is not None else None
        shown = head
