"""Plain text: the by-hand grids with no colour, for pipes, files and NO_COLOR terminals."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from handcalc.render import RenderOptions
from handcalc.render.blocks import (
    CONSTANTS,
    EXPLAIN,
    GRID,
    HEAD,
    HEADING,
    NOTE,
    PICTURE,
    TITLE,
    WORK,
    Block,
    blocks,
    printed,
)
from handcalc.render.grid import lines
from handcalc.trace import Trace


def render(trace: Trace, options: RenderOptions) -> str:
    return draw(blocks(trace, options), options)


def draw(shown: Iterable[Block], options: RenderOptions) -> str:
    """The blocks as plain text, a blank line before each step and each table."""
    out: list[str] = []
    for block in shown:
        block = printed(block, options.encoding)
        if block.kind in (HEADING, HEAD, GRID, PICTURE, WORK) and out and out[-1]:
            out.append("")  # a blank line before each step and each table
        out += _draw(block, options)
    return "\n".join(out) + "\n"


def title_lines(text: str, width: int) -> list[str]:
    """A title wrapped at word boundaries to ``width``, its later lines indented."""
    return textwrap.wrap(text, max(width, 20), subsequent_indent="  ", break_long_words=False) or [""]


def heading_lines(text: str, width: int) -> list[str]:
    """A step's heading in lines that leave room for the rule's start and a bit of rule:
    one line where it fits, else the formula and its shape on lines of their own, each
    broken at word boundaries (never in a word) if it must."""
    room = max(width - 6, 20)
    if len(text) <= room:
        return [text]
    return [line for part in text.split("   ") for line in textwrap.wrap(part, room, break_long_words=False)] or [""]


def _draw(block: Block, options: RenderOptions) -> list[str]:
    rule = min(options.width, 80)
    if block.kind == TITLE:
        return title_lines(block.text, options.width)
    if block.kind == HEAD:
        return ["═" * rule, f"  {block.text}", "═" * rule]
    if block.kind == HEADING:
        wrapped = heading_lines(block.text, options.width)  # the rule after the last line
        wrapped[-1] += " " + "─" * max(2, rule - len(wrapped[-1]) - 4)
        return [("── " if k == 0 else "   ") + line for k, line in enumerate(wrapped)]
    if block.kind == CONSTANTS:
        return [f"   {block.text}"]
    if block.kind in (GRID, PICTURE):
        return ["  " + "".join(text for text, _ in line) for line in lines(block.grid)]
    if block.kind == WORK:
        from handcalc.render.work import wrapped  # only with --show-work

        return ["  Work:", *(f"    {line}" for line in wrapped(block.lines, options.width - 4))]
    prefix = "Note: " if block.kind == NOTE else ""
    assert block.kind in (NOTE, EXPLAIN), block.kind
    return textwrap.wrap(prefix + block.text, options.width - 2, initial_indent="  ", subsequent_indent="  ")
