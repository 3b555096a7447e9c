"""Worksheets as one printable HTML page: the style of :mod:`handcalc.render.html` with
boxes to write in, a page break before each variant, and nothing loaded from the network."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from handcalc.render import COMBINING, head_changes
from handcalc.render.formulas import html_formula
from handcalc.render.grid import constant_texts, head_title
from handcalc.render.html import STYLE, table
from handcalc.render.sheet import blank_grid, given_grid
from handcalc.render.typst import instructions, variant_text
from handcalc.steps import short
from handcalc.trace import INPUT
from handcalc.worksheet import Worksheet

SHEET_STYLE = """
.sheet + .sheet { break-before: page; page-break-before: always; }
.sheet header { display: flex; justify-content: space-between; align-items: baseline; }
.variant { font-weight: 700; font-size: 1.2rem; }
.keymark { color: #b3261e; font-weight: 700; letter-spacing: .05em; }
.lines { display: flex; gap: 3rem; margin: .8rem 0; }
.lines span { flex: 1; border-bottom: 1px solid #000; padding-bottom: .2rem; }
.lines span.date { flex: 0 0 12rem; }
.instructions { color: #555; font-size: .9rem; }
.given { display: flex; flex-wrap: wrap; gap: .2rem 2.5rem; }
.given figure { margin: 0; }
.given figcaption { font-size: .95rem; }
h2.part { font-size: 1.15rem; border-bottom: 1px solid #1a1a1a; margin-top: 1.6rem; }
table.grid td.answer, table.grid td.copy, table.grid td.prefilled {
  width: 3.4rem; min-width: 3.4rem; height: 2.1rem; border: 1.5px solid #222; text-align: center; }
table.grid td.copy { border: 1.5px dashed #888; }
table.grid td.prefilled { background: #e8e8e8; }
table.grid td.answer { color: #1740a8; font-weight: 700; }
.work { font: .85rem "DejaVu Sans Mono", monospace; color: #444; }
@page { size: PAPER; margin: 1.5cm; }
@media print { .sheet section.step { break-inside: avoid; } td.prefilled { background: #e8e8e8 !important; }
  table.grid td.answer { color: #000 !important; } }
"""


def render(sheets: Sequence[Worksheet], paper: str = "a4") -> str:
    body = articles(sheets)
    title = sheets[0].title if sheets else "Worksheet"
    style = sheet_style(paper)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>\n{style}\n</style>\n</head>\n<body>\n<main>\n"
        f"{body}\n</main>\n</body>\n</html>\n"
    )


def articles(sheets: Sequence[Worksheet]) -> str:
    """The sheets, each an ``<article>``, to go in a page styled by :func:`sheet_style`."""
    return "\n".join(_sheet(sheet) for sheet in sheets)


def sheet_style(paper: str = "a4") -> str:
    return STYLE + "\n" + SHEET_STYLE.replace("PAPER", "A4" if paper == "a4" else "letter").strip()


def _sheet(sheet: Worksheet) -> str:
    variant = f'<span class="variant">{escape(variant_text(sheet))}</span>' if sheet.variant else "<span></span>"
    mark = '<span class="keymark">ANSWER KEY</span>' if sheet.key else "<span></span>"
    out = [f'<article class="sheet">\n<header>{mark}{variant}</header>', f"<h1>{escape(sheet.title)}</h1>",
           '<p class="lines"><span>Name</span><span class="date">Date</span></p>',
           f'<p class="instructions">{escape(instructions(sheet))}</p>']  # fmt: skip
    if sheet.given:
        out.append('<h2 class="part">Given</h2>')
        figures = []
        for step, opens in head_changes(sheet.given):
            if opens is not None and figures:
                out.append(f'<div class="given">{"".join(figures)}</div>')
                figures = []
            if opens is not None:
                out.append(_head_line(sheet, opens))
            caption = html_formula(step.formula if step.kind != INPUT else short(step.name)) + (
                ", given" if step.kind == INPUT else ""
            )
            figures.append(f"<figure><figcaption>{caption}</figcaption>{table(given_grid(sheet, step))}</figure>")
        out.append(f'<div class="given">{"".join(figures)}</div>')
    if sheet.blank:
        out.append(f'<h2 class="part">{"Answers" if sheet.key else "Your work"}</h2>')
        for step, opens in head_changes(sheet.blank):
            if opens is not None:
                out.append(_head_line(sheet, opens))
            constants = ", ".join(map(html_formula, constant_texts(step, sheet.precision)))
            out.append(f'<section class="step"><h3>{html_formula(step.formula)} <span class="shape">{constants}</span></h3>')
            out.append(table(blank_grid(sheet, step)))
            if sheet.key and sheet.show_work and (work := sheet.first_work(step)) is not None:
                from handcalc.render.work import written

                out.append(f'<p class="work">Work: {escape(written(work, sheet.precision))}</p>')
            out.append("</section>")
    return "\n".join(out) + "\n</article>"


def _head_line(sheet: Worksheet, head: str) -> str:
    return f"<h3>{escape(head_title(sheet.trace, head) if head else COMBINING)}</h3>"
