"""The terminal: the same by-hand grids as plain text, with colour as a help.

Returns a rich renderable; the CLI owns the Console that prints it. With ``NO_COLOR`` set
or output piped, the words and layout are exactly those of the text format.
"""

from __future__ import annotations

from rich.console import Group
from rich.rule import Rule
from rich.text import Text

from handcalc.render import RenderOptions, head_changes, selected
from handcalc.render.grid import (
    LABEL,
    MASKED,
    NAME,
    OPERAND,
    RULE,
    SUM,
    VALUE,
    constants,
    head_title,
    heading,
    lines,
    step_grid,
    title,
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
}


def render(trace: Trace, options: RenderOptions) -> Group:
    parts = [Text(title(trace), style="bold underline"), Text()]
    for step, head in head_changes(selected(trace, options)):
        if head:
            parts.append(Rule(Text(head_title(trace, head), style="bold magenta"), characters="═", style="magenta"))
        parts.append(Rule(Text(heading(step), style="bold" if step.kind != INPUT else ""), align="left", style="dim"))
        if step.constants:
            parts.append(Text(f"   {constants(step, options.precision)}", style="italic"))
        grid = step_grid(step, trace, options.precision, options.width - 2, options.full)
        for line in lines(grid):
            parts.append(Text.assemble("  ", *((text, STYLES.get(style, "")) for text, style in line), no_wrap=True))
        parts.extend(Text(f"  Note: {note}", style="italic") for note in step.notes)
        parts.append(Text())
    return Group(*parts)
