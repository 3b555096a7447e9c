"""Worksheets as Markdown: the given matrices and each blank step as GitHub tables in the
by-hand arrangement, the cells to fill in left empty (filled on a key)."""

from __future__ import annotations

from collections.abc import Sequence

from handcalc.render import COMBINING, head_changes
from handcalc.render.grid import head_title
from handcalc.render.markdown import constants_math, escape, math, table
from handcalc.render.sheet import blank_grid, given_grid
from handcalc.render.typst import instructions, variant_text
from handcalc.trace import INPUT
from handcalc.worksheet import Worksheet


def render(sheets: Sequence[Worksheet]) -> str:
    return "\n\n---\n\n".join(_sheet(sheet) for sheet in sheets) + "\n"


def _sheet(sheet: Worksheet) -> str:
    variant = f" — {variant_text(sheet)}" if sheet.variant else ""
    key = " — answer key" if sheet.key else ""
    out = [f"# {escape(sheet.title)}{escape(variant)}{key}", "Name: ____________________  Date: __________",
           escape(instructions(sheet))]  # fmt: skip
    if sheet.given:
        out.append("## Given")
        out += _steps(sheet, sheet.given, given=True)
    if sheet.blank:
        out.append("## Answers" if sheet.key else "## Your work")
        out += _steps(sheet, sheet.blank, given=False)
    return "\n\n".join(out)


def _steps(sheet: Worksheet, steps, given: bool) -> list[str]:
    out = []
    for step, opens in head_changes(steps):
        if opens is not None:
            out.append(f"### {escape(head_title(sheet.trace, opens) if opens else COMBINING)}")
        out.append(f"**{escape(step.name)}**" + (", given" if step.kind == INPUT else ""))
        if step.kind != INPUT:
            out.append(math(step.formula))
        if not given and step.constants:
            out.append(constants_math(step, sheet.precision))
        out.append(table(given_grid(sheet, step) if given else blank_grid(sheet, step)))
        if not given and sheet.key and sheet.show_work and (work := sheet.first_work(step)) is not None:
            from handcalc.render.work import written

            out.append(f"Work: `{written(work, sheet.precision)}`")
    return out
