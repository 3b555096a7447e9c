"""Plain text: the by-hand grids with no colour, for pipes, files and NO_COLOR terminals."""

from __future__ import annotations

import textwrap

from handcalc.render import RenderOptions, head_changes, selected
from handcalc.render.grid import constants, head_title, heading, lines, step_grid, title
from handcalc.trace import Trace


def render(trace: Trace, options: RenderOptions) -> str:
    out = [title(trace), ""]
    for step, head in head_changes(selected(trace, options)):
        if head:
            out += ["═" * min(options.width, 80), f"  {head_title(trace, head)}", "═" * min(options.width, 80), ""]
        rule = "─" * max(0, min(options.width, 80) - len(heading(step)) - 4)
        out.append(f"── {heading(step)} {rule}")
        if step.constants:
            out.append(f"   {constants(step, options.precision)}")
        out.append("")
        grid = step_grid(step, trace, options.precision, options.width - 2, options.full)
        out.extend("  " + "".join(text for text, _ in line) for line in lines(grid))
        for note in step.notes:
            out += textwrap.wrap(f"Note: {note}", options.width - 2, initial_indent="  ", subsequent_indent="  ")
        out.append("")
    return "\n".join(out)
