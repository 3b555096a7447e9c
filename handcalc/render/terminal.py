"""The terminal: the same by-hand grids as plain text, with colour as a help.

Returns a rich renderable; the CLI owns the Console that prints it. With ``NO_COLOR`` set
or output piped, the words and layout are exactly those of the text format.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from rich.console import Group
from rich.control import STRIP_CONTROL_CODES
from rich.rule import Rule
from rich.segment import Segment
from rich.text import Text

from handcalc.render import RenderOptions
from handcalc.render.blocks import CONSTANTS, GRID, HEAD, HEADING, NOTE, PICTURE, TITLE, WORK, Block, blocks, printed
from handcalc.render.text import heading_lines, title_lines
from handcalc.render.grid import (
    GAP,
    HEAT,
    LABEL,
    MASKED,
    NAME,
    OPERAND,
    RULE,
    SUM,
    VALUE,
    lines,
)
from handcalc.trace import INPUT, Trace

STYLES = {
    NAME: "bold magenta",
    LABEL: "cyan",
    OPERAND: "",
    VALUE: "bold",
    MASKED: "red",
    SUM: "bold yellow",
    RULE: "dim",
    **dict(zip(HEAT, ("bright_blue", "green", "yellow", "bold bright_red"))),  # the heat-map of A, light to heavy
    "right": "green",  # a marked answer's cells (handcalc check): the verdicts themselves
    "wrong": "bold red",
    "current": "reverse bold",  # the cell asked for now (handcalc practice); brackets say so too
    "carried": "yellow",
    "blank": "dim",
}


def render(trace: Trace, options: RenderOptions) -> Group:
    return draw(blocks(trace, options), options)


def draw(shown: Iterable[Block], options: RenderOptions) -> Group:
    """The blocks as rich renderables, spaced as the text format spaces them."""
    parts: list = []
    for block in shown:
        block = printed(block, options.encoding)
        if block.kind in (HEADING, GRID, PICTURE, WORK) and parts and getattr(parts[-1], "plain", "-"):
            parts.append(Text())
        parts += _draw(block, options.width)
    return Group(*parts)


def _draw(block: Block, width: int) -> list:
    if block.kind == TITLE:
        return [Text(line, style="bold underline") for line in title_lines(block.text, width)]
    if block.kind == HEAD:
        return [Rule(Text(block.text, style="bold magenta"), characters="═", style="magenta")]
    if block.kind == HEADING:
        style = "" if block.step.kind == INPUT else "bold"
        *first, last = heading_lines(block.text, width)
        return [*(Text(line, style=style) for line in first), Rule(Text(last, style=style), align="left", style="dim")]
    if block.kind == CONSTANTS:
        return [Text(f"   {block.text}", style="italic")]
    if block.kind in (GRID, PICTURE):
        return [_Line(line) for line in lines(block.grid)]
    if block.kind == WORK:
        from handcalc.render.work import wrapped  # only with --show-work

        return [Text("  Work:", style="bold"), *(Text(f"    {line}") for line in wrapped(block.lines, width - 4))]
    style = "italic" if block.kind == NOTE else "green"
    text = ("Note: " if block.kind == NOTE else "") + block.text  # wrapped as in the text format
    return [Text(line, style=style) for line in textwrap.wrap(text, width - 2, initial_indent="  ", subsequent_indent="  ")]


_STRIPPED = tuple(map(chr, STRIP_CONTROL_CODES))  # what a Text takes out of what it is given


class _Line:
    """A grid's line: its (text, style) pieces, drawn exactly as ``Text.assemble("  ", *pieces,
    no_wrap=True)`` is but as plain segments, since a 65-column table has thousands of pieces
    and a Text's span bookkeeping was most of the time of ``--full``."""

    def __init__(self, pieces: list[tuple[str, str]]):
        self.pieces = [("  ", GAP), *pieces]
        self.plain = "".join([text for text, _ in self.pieces])

    def text(self) -> Text:
        return Text.assemble(*((text, STYLES.get(style, "")) for text, style in self.pieces), no_wrap=True)

    def __rich_console__(self, console, options):
        if options.overflow != "ignore" or any(code in self.plain for code in _STRIPPED):
            yield self.text()  # not soft-wrapped (a file): cropped at the width, as a Text is
            return
        if console.color_system is None:  # no styles are drawn: the line as it reads
            yield Segment(self.plain)
        else:
            styles = {name: console.get_style(style) for name, style in STYLES.items() if style}
            yield from (Segment(text, styles.get(style)) for text, style in self.pieces if text)
        yield Segment.line()
