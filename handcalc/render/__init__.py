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


def for_export(options: RenderOptions) -> RenderOptions:
    """``options`` for a page (markdown, LaTeX, HTML): elided at :data:`EXPORT_WIDTH`."""
    return replace(options, width=EXPORT_WIDTH)


def renderer(fmt: str):
    """The ``render`` function of format ``fmt`` (imported only when it is used)."""
    return import_module(f"handcalc.render.{_MODULES[fmt]}").render


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
