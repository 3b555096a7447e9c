"""Moodle quizzes: each worksheet as one Cloze question in Moodle XML (``handcalc moodle``).

The question text is the exercise laid out by hand as HTML tables: the given matrices filled
in, and each blank step in its by-hand arrangement, every cell of it an embedded NUMERICAL
sub-question (the mask's −∞ printed, not asked)::

    {1:NUMERICAL:=0.258:0.0005#Right.~%0%0.335:0.0005#softmax along the wrong axis: …}

The right value is rounded as the key is and accepted within half a unit of the asked
precision (or an absolute tolerance); each classic mistake for that cell
(:func:`handcalc.diagnose.mistakes`) follows as a zero-credit answer whose feedback is its
diagnosis. The general feedback is the worked key. Pure: it returns text.

Moodle's Cloze syntax gives ``} # ~ / " \\`` a meaning inside a sub-question, where they are
escaped with a backslash; in the text around the sub-questions a brace is written as an
HTML character reference, so that no token or title can open a sub-question.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from html import escape

import numpy as np

from handcalc.numbers import format_number
from handcalc.render import COMBINING, head_changes
from handcalc.render.formulas import html_formula
from handcalc.render.grid import LABEL, NAME, RULE, SUM, Cell, Grid, bar_columns, constant_texts, head_title, is_rule
from handcalc.render.sheet import ANSWER, COPY, PREFILLED, blank_grid, given_grid
from handcalc.steps import short
from handcalc.trace import INPUT, Step
from handcalc.worksheet import Worksheet

RIGHT_FEEDBACK = "Right."
_FIELD_SPECIAL = re.compile(r'([}#~/"\\])')  # the characters a backslash escapes inside a sub-question

# Inline styles: Moodle keeps a question's HTML but not a style sheet.
_CELL_STYLE = {
    NAME: "color:#8a3ab9;font-weight:700",
    LABEL: "color:#1b6f8a;font-weight:normal;font-style:italic",
    "operand": "color:#555",
    "value": "font-weight:600",
    "masked": "color:#b3261e",
    SUM: "font-weight:700;background:#fff1c2",
    COPY: "border:1.5px dashed #888;min-width:3rem",
    PREFILLED: "background:#e8e8e8;color:#b3261e",
    ANSWER: "border:1.5px solid #222",
}
_TD = "padding:.12rem .45rem;text-align:right;white-space:nowrap"


def quiz(sheets: Sequence[Worksheet], category: str = "handcalc", tolerance: float | None = None) -> str:
    """Moodle XML: a category, then one Cloze question per worksheet (its blanks the fields)."""
    import xml.etree.ElementTree as ET

    root = ET.Element("quiz")
    head = ET.SubElement(root, "question", type="category")
    _text(ET.SubElement(head, "category"), f"$course$/top/{category}")
    _text(ET.SubElement(head, "info", format="html"), "")
    for sheet in sheets:
        question = ET.SubElement(root, "question", type="cloze")
        _text(ET.SubElement(question, "name"), question_name(sheet))
        _text(ET.SubElement(question, "questiontext", format="html"), question_text(sheet, tolerance))
        _text(ET.SubElement(question, "generalfeedback", format="html"), worked_key(sheet))
        ET.SubElement(question, "penalty").text = "0.3333333"
        ET.SubElement(question, "hidden").text = "0"
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode", short_empty_elements=False) + "\n"


def _text(parent, text: str) -> None:
    import xml.etree.ElementTree as ET

    ET.SubElement(parent, "text").text = text


def question_name(sheet: Worksheet) -> str:
    """The title, and the variant code when there is one: ``Self-attention by hand · V03``."""
    return f"{sheet.title} · {sheet.variant}" if sheet.variant else sheet.title


def question_text(sheet: Worksheet, tolerance: float | None = None) -> str:
    """The exercise as HTML, every blank cell a NUMERICAL sub-question."""
    from handcalc.render.typst import instructions

    sheet = dataclasses.replace(sheet, key=False)
    out = [f"<p><strong>{text(sheet.title)}</strong></p>", f"<p>{text(instructions(sheet))}</p>"]
    if sheet.given:
        out.append("<h4>Given</h4>")
        out += _steps(sheet, sheet.given, lambda step: _table(given_grid(sheet, step)), across=3)
    out.append("<h4>Your work</h4>")
    out += _steps(sheet, sheet.blank, lambda step: _table(blank_grid(sheet, step), iter(fields(sheet, step, tolerance))))
    return "\n".join(out)


def worked_key(sheet: Worksheet) -> str:
    """The general feedback: every blank step filled in, with the arithmetic of its first cell."""
    from handcalc.render.work import written

    key = dataclasses.replace(sheet, key=True)

    def step_html(step: Step) -> str:
        work = key.first_work(step)
        return _table(blank_grid(key, step)) + (f"<p>Work: {text(written(work, key.precision))}</p>" if work else "")

    return "\n".join(["<h4>Worked key</h4>", *_steps(key, key.blank, step_html)])


def _steps(sheet: Worksheet, steps: Iterable[Step], draw, across: int = 1) -> list[str]:
    """Each step under its formula (and constants), each head under its own title; with
    ``across`` > 1, that many steps side by side (a layout table: Moodle keeps no style sheet)."""
    out: list[str] = []
    row: list[str] = []

    def flush() -> None:
        if across > 1 and row:
            cells = "".join(f'<td style="vertical-align:top;padding:0 2.5rem .5rem 0">{one}</td>' for one in row)
            out.append(f"<table><tr>{cells}</tr></table>")
        row.clear()

    for step, opens in head_changes(steps):
        if opens is not None:
            flush()
            out.append(f"<h5>{text(head_title(sheet.trace, opens) if opens else COMBINING)}</h5>")
        formula = short(step.name) + ", given" if step.kind == INPUT else step.formula
        constants = ", ".join(map(html_formula, constant_texts(step, sheet.precision)))
        caption = html_formula(formula) + (f"&ensp;<em>{constants}</em>" if constants else "")
        drawn = f"<p style=\"white-space:nowrap\">{_braces(caption)}</p>\n{draw(step)}"
        if across == 1:
            out.append(drawn)
            continue
        row.append(drawn)
        if len(row) == across:
            flush()
    flush()
    return out


def fields(sheet: Worksheet, step: Step, tolerance: float | None = None) -> list[str]:
    """One NUMERICAL sub-question per cell of ``step`` a student writes (not the mask's −∞),
    in reading order (row by row): the right value, then each classic mistake's value."""
    from handcalc.diagnose import mistakes

    value = np.asarray(step.value, dtype=float)
    tol = tolerance if tolerance is not None else 0.5 * 10.0**-sheet.precision
    wrong = list(mistakes(sheet.trace, step.name))
    asked = ~sheet.prefilled(step)
    return [
        field(value[index], [(sentence, candidate[index]) for sentence, candidate in wrong], sheet.precision, tol)
        for index in np.ndindex(value.shape)
        if asked[index]
    ]


def field(right: float, wrong: Sequence[tuple[str, float]], precision: int, tolerance: float) -> str:
    """``{1:NUMERICAL:=right:tol#Right.~%0%wrong:tol#diagnosis…}``: a wrong value is offered
    only when no answer before it already accepts it (the first that fits is the one Moodle
    gives), and a non-finite one never."""
    tol = f"{tolerance:.10g}"
    right_text = format_number(right, precision)
    answers = [f"={right_text}:{tol}#{field_text(RIGHT_FEEDBACK)}"]
    taken = [float(right_text)]
    for sentence, value in wrong:
        if not np.isfinite(value):
            continue
        value_text = format_number(value, precision)
        if all(abs(float(value_text) - other) > 2 * tolerance for other in taken):
            answers.append(f"%0%{value_text}:{tol}#{field_text(_sentence(sentence))}")
            taken.append(float(value_text))
    return "{1:NUMERICAL:" + "~".join(answers) + "}"


def _sentence(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:] + "."


def field_text(words: str) -> str:
    """Feedback inside a sub-question: HTML-escaped, Cloze's special characters backslashed."""
    return _FIELD_SPECIAL.sub(r"\\\1", escape(words, quote=False))


def text(words: str) -> str:
    """Text around the sub-questions: HTML-escaped, braces as character references."""
    return _braces(escape(words, quote=False))


def _braces(html: str) -> str:
    return html.replace("{", "&#123;").replace("}", "&#125;")


def _table(grid: Grid, answers=None) -> str:
    """``grid`` as an HTML table with inline styles; each ANSWER cell takes the next of
    ``answers`` (sub-questions) when given, else shows its own text (the key's value)."""
    bars = bar_columns(grid)
    rows = []
    for row in grid:
        rule = is_rule(row)
        cells = "".join(_cell(cell, j in bars, rule, answers) for j, cell in enumerate(row))
        rows.append(f"<tr>{cells}</tr>")
    if answers is not None and next(answers, None) is not None:
        raise AssertionError("more sub-questions than answer cells")  # a drawing and its fields disagree
    return '<table style="border-collapse:collapse;margin:.4rem 0 .8rem">' + "".join(rows) + "</table>"


def _cell(cell: Cell, bar: bool, rule: bool, answers) -> str:
    if bar:
        return '<td style="border-left:2px solid #444;padding:0"></td>'
    if rule or cell.style == RULE:
        return '<td style="border-top:2px solid #444;padding:0;height:0"></td>'
    tag = "th" if cell.style in (NAME, LABEL) else "td"
    style = f"{_TD};{_CELL_STYLE.get(cell.style, '')}" + (";text-align:left" if cell.left else "")
    if cell.style == ANSWER and answers is not None:
        content = next(answers)
    elif cell.style == NAME:
        content = _braces(html_formula(cell.text.strip()))
    else:
        content = text(cell.text.strip())
    return f'<{tag} style="{style}">{content}</{tag}>'
