"""Worksheets as Typst source, and as PDF through the ``typst`` Python binding (offline, its
own fonts). ``source(sheets, paper)`` is the text; ``pdf(sheets, paper)`` the compiled bytes.

Each sheet starts a page (a class set: one sheet per variant, each page headed with its
variant id): the title, Name and Date lines, the given matrices filled in, then each blank
step under its formula in the by-hand arrangement of :mod:`handcalc.render.sheet`, with
boxes wide enough to write a number by pen. A key is the same page with every box filled.

All text from the problem (title, token labels) reaches Typst as string literals, never as
markup, so ``#``, ``$``, ``*``, ``_``, ``@`` and ``<`` print as themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from handcalc.errors import HandcalcError
from handcalc.render import COMBINING, head_changes
from handcalc.render.formulas import typst_formula, typst_string
from handcalc.render.grid import (
    GAP,
    LABEL,
    MASKED,
    NAME,
    OPERAND,
    SUM,
    VALUE,
    Cell,
    Grid,
    bar_columns,
    constant_texts,
    head_title,
    is_rule,
)
from handcalc.render.sheet import ANSWER, COPY, PREFILLED, blank_grid, given_grid
from handcalc.steps import short
from handcalc.trace import INPUT, Step
from handcalc.worksheet import Worksheet

PAPERS = {"a4": (21.0, 29.7), "letter": (21.59, 27.94)}  # cm, portrait
TYPST_PAPER = {"a4": "a4", "letter": "us-letter"}
MARGIN = 1.5  # cm, each side
BOX_WIDEST, BOX_NARROWEST = 1.45, 0.95  # cm: room for "−0.123" by pen, and the least that still takes it
LANDSCAPE_BELOW = 1.15  # cm: a narrower box in portrait turns the pages to landscape
CHAR = 0.2  # cm: the width of a character of a label, for the width estimate
_NUMBERS = (VALUE, OPERAND, MASKED, SUM, ANSWER, COPY, PREFILLED)


class TypstCompileError(HandcalcError):
    """Typst could not compile a worksheet (a bug in handcalc; please report it)."""


@dataclass(frozen=True)
class Page:
    """The page every sheet of a document is set on: paper, orientation, box width (cm)."""

    paper: str
    landscape: bool
    box: float

    @property
    def text_width(self) -> float:
        width, height = PAPERS[self.paper]
        return (height if self.landscape else width) - 2 * MARGIN

    @property
    def text_height(self) -> float:
        width, height = PAPERS[self.paper]
        return (width if self.landscape else height) - 3.2 - 1.0  # the margins, and the header and footer


def pdf(sheets: Sequence[Worksheet], paper: str = "a4") -> bytes:
    """The compiled PDF of ``sheets``; a Typst error is one ``TypstCompileError``."""
    return compile_source(source(sheets, paper))


def compile_source(text: str) -> bytes:
    import typst  # heavy: only when a PDF is made

    try:
        return typst.compile(text.encode("utf-8"), format="pdf", ignore_system_fonts=True)
    except typst.TypstError as error:
        message = " ".join(str(getattr(error, "message", "") or error).split()) or "unknown error"
        message = message if len(message) <= 160 else message[:159] + "…"
        raise TypstCompileError(f"Typst could not compile the worksheet: {message}") from None


def source(sheets: Sequence[Worksheet], paper: str = "a4") -> str:
    """The Typst source of ``sheets``, one after the other, each from a new page."""
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)}")
    page = choose_page(sheets, paper)
    body = [_sheet(sheet, page) for sheet in sheets]
    title = sheets[0].title if sheets else "Worksheet"
    return _preamble(title, page) + "\n".join(body)


# --- the page -------------------------------------------------------------------------------
def choose_page(sheets: Sequence[Worksheet], paper: str) -> Page:
    """Portrait with boxes as wide as they go (at most ``BOX_WIDEST``); landscape when the
    widest grid would squeeze them under ``LANDSCAPE_BELOW``; never under ``BOX_NARROWEST``
    (a grid wider still is scaled down to fit by the page itself, never cut off)."""
    grids = [blank_grid(sheet, step) for sheet in sheets for step in sheet.blank]
    portrait = Page(paper, False, 0)
    box = min([BOX_WIDEST, *(_box_width(grid, portrait.text_width) for grid in grids)])
    if box < LANDSCAPE_BELOW:
        landscape = Page(paper, True, 0)
        box = min([BOX_WIDEST, *(_box_width(grid, landscape.text_width) for grid in grids)])
        return Page(paper, True, max(BOX_NARROWEST, box))
    return Page(paper, False, box)


def _box_width(grid: Grid, text_width: float) -> float:
    """The widest box with which ``grid`` fits in ``text_width``."""
    columns = _columns(grid)
    numbers = sum(1 for kind in columns if kind == "box")
    labels = sum(0.35 + CHAR * max((len(row[j].text) for row in grid), default=0) for j, kind in enumerate(columns) if kind == "auto")
    return (text_width - labels - 0.2) / max(1, numbers)


def _columns(grid: Grid) -> list[str]:
    """Each column of ``grid``: ``box`` (numbers), ``auto`` (labels, names) or ``bar`` (a rule)."""
    bars = bar_columns(grid)
    kinds = []
    for j in range(len(grid[0])):
        if j in bars:
            kinds.append("bar")
        elif any(row[j].style in _NUMBERS for row in grid if not is_rule(row)):
            kinds.append("box")
        else:
            kinds.append("auto")
    return kinds


_PREAMBLE = r"""
#set document(title: TITLE, author: "handcalc", date: none)
#set page(paper: PAPER, flipped: FLIPPED, margin: (x: MARGINcm, top: 1.7cm, bottom: 1.5cm),
  header-ascent: 35%, footer-descent: 35%)
#set text(font: ("New Computer Modern", "DejaVu Sans Mono"), size: 10.5pt, number-width: "tabular", lang: "en")
#set par(leading: 0.55em)
#let ink = luma(25)
#let soft = luma(110)
#let answer-ink = rgb("#1740a8")
#let boxw = BOXcm
#let boxh = BOXHcm
#let lab(t) = text(size: 8.5pt, style: "italic", fill: soft, t)
#let num(t) = text(size: 10pt, t)
#let given(t) = text(size: 9.5pt, t)
#let answer(t) = text(size: 9.5pt, weight: "bold", fill: answer-ink, t)
#let fitwidth(body) = layout(size => {
  let w = measure(body).width
  if w <= size.width { body } else { scale(size.width / w * 100%, origin: top + left, reflow: true, body) }
})
#let step(formula, note, body, breakable: false) = block(breakable: breakable, above: 1.1em, below: 0.4em, width: 100%)[
  #block(below: 0.55em, sticky: true)[#text(size: 11.5pt, formula) #h(0.8em) #text(size: 9pt, fill: soft, note)]
  #fitwidth(body)
]
#let givenbox(caption, body) = box(inset: (right: 0.9cm, bottom: 0.5em))[
  #block(below: 0.35em, text(size: 10pt, caption))
  #body
]
#let headline(t) = block(above: 1.0em, below: 0.5em, sticky: true, text(size: 11pt, weight: "bold", t))
#let section(t) = block(above: 1.1em, below: 0.6em, sticky: true,
  stack(dir: ttb, spacing: 3pt, text(size: 12pt, weight: "bold", t), line(length: 100%, stroke: 0.6pt + ink)))
#let writeline(label, width, filled: none) = box(baseline: 0pt)[#label #box(width: width, height: 0.9em,
  stroke: (bottom: 0.5pt + ink), inset: (left: 4pt), text(size: 11pt, filled))]
""".lstrip()


def _preamble(title: str, page: Page) -> str:
    replacements = {
        "TITLE": typst_string(title), "PAPER": typst_string(TYPST_PAPER[page.paper]), "FLIPPED": str(page.landscape).lower(),
        "MARGIN": f"{MARGIN:g}", "BOXH": f"{_box_height(page):.2f}", "BOX": f"{page.box:.2f}",
    }  # fmt: skip
    text = _PREAMBLE
    for name, value in replacements.items():
        text = text.replace(name, value)
    return text


def _height(grid: Grid, page: Page) -> float:
    """The height of ``grid`` with its formula above it, in cm (an estimate on the high side)."""
    boxes = sum(1 for row in grid if any(cell.style in (ANSWER, COPY, PREFILLED) for cell in row))
    return 1.4 + boxes * _box_height(page) + (len(grid) - boxes) * 0.55


def _box_height(page: Page) -> float:
    return 0.85 if page.box >= 1.2 else 0.75


def _sheet(sheet: Worksheet, page: Page) -> str:
    """One sheet: its header (the variant id on every page), title, name lines, the given
    matrices and the blank steps."""
    out = [_page_rule(sheet), "#counter(page).update(1)"]
    out.append(_title(sheet))
    given = [step for step in sheet.given]
    if given:
        out.append("#section[Given]")
        out += _given(sheet, given)
    if sheet.blank:
        out.append(f"#section[{'Answers' if sheet.key else 'Your work'}]")
        out += _blanks(sheet, page)
    return "\n".join(out) + "\n"


def _page_rule(sheet: Worksheet) -> str:
    """A ``set page`` rule: it starts a new page whose header carries this sheet's variant."""
    left = typst_string(f"{sheet.student} · {sheet.title}" if sheet.student else sheet.title)
    kind = '[#text(weight: "bold", fill: rgb("#b3261e"))[ANSWER KEY]]' if sheet.key else "[]"
    right = typst_string(_variant_text(sheet)) if sheet.variant else '""'
    header = (
        f'grid(columns: (1fr, auto, 1fr), align: (left, center, right), text(size: 8.5pt, fill: soft, {left}), '
        f'{kind}, text(size: 10pt, weight: "bold", {right}))'
    )
    footer = (
        f'context align(center, text(size: 8.5pt, fill: soft)[{_footer_text(sheet)}page #counter(page).display()])'
    )
    return f"#set page(header: {header}, footer: {footer})"


def _variant_text(sheet: Worksheet) -> str:
    seed = f" · seed {sheet.seed}" if sheet.seed is not None else ""
    return f"Variant {sheet.variant}{seed}"


def _footer_text(sheet: Worksheet) -> str:
    variant = f"#{typst_string(sheet.variant)} · " if sheet.variant else ""
    return f"handcalc worksheet · {variant}"


def _title(sheet: Worksheet) -> str:
    title = f'#block(below: 0.7em, text(size: 17pt, weight: "bold", {typst_string(sheet.title)}))'
    if sheet.variant:
        title += f'\n#place(top + right, dy: 0.1em, text(size: 13pt, weight: "bold", {typst_string(sheet.variant)}))'
    name = f", filled: {typst_string(sheet.student)}" if sheet.student else ""
    lines = f'#block(below: 0.6em)[#writeline("Name", 7.5cm{name}) #h(1fr) #writeline("Date", 4cm)]'
    return "\n".join([title, lines, f"#text(size: 9.5pt, fill: soft, {typst_string(instructions(sheet))})"])


def instructions(sheet: Worksheet) -> str:
    """The line under the name: what to write, and how the tokens are laid out."""
    layout = sheet.trace.layout
    tokens = "Tokens are the columns" if layout == "columns" else "Tokens are the rows"
    rounding = (
        f"Round every step to {sheet.round} decimals before the next one uses it."
        if sheet.round is not None
        else f"Write numbers that are not whole to {sheet.precision} decimals."
    )
    # the key says the same, so that its page lies line for line beside the sheet's
    dashed = " Dashed boxes: copy your own earlier answers." if _has_copies(sheet) else ""
    return f"Fill in every box. {rounding} {tokens}.{dashed}"


def _has_copies(sheet: Worksheet) -> bool:
    return any(cell.style == COPY for step in sheet.blank for row in blank_grid(sheet, step) for cell in row)


def _given(sheet: Worksheet, steps: list[Step]) -> list[str]:
    """The given matrices, side by side as far as they fit; a head's under its own heading."""
    out, boxes = [], []
    for step, opens in head_changes(steps):
        if opens is not None:
            out += _flush(boxes) + [_head_line(sheet, opens)]
        caption = f"${typst_formula(step.formula)}$" if step.kind != INPUT else f"${typst_formula(short(step.name))}$, given"
        boxes.append(f"#givenbox([{caption}], {_table(given_grid(sheet, step), None, given=True)})")
    return out + _flush(boxes)


def _head_line(sheet: Worksheet, head: str) -> str:
    """``Head 1`` and its ``(d_k = 2, d_v = 3)`` in math; "" is the banner after the heads."""
    if not head:
        return f"#headline[{COMBINING}]"
    words, _, rest = head_title(sheet.trace, head).partition("(")
    sizes = f" $({typst_formula(rest.rstrip(')'))})$" if rest else ""
    return f"#headline[#{typst_string(words.strip())}{sizes}]"


def _flush(boxes: list[str]) -> list[str]:
    if not boxes:
        return []
    text = "#block(width: 100%)[" + "\n".join(boxes) + "]"
    boxes.clear()
    return [text]


def _blanks(sheet: Worksheet, page: Page) -> list[str]:
    out = []
    for step, opens in head_changes(sheet.blank):
        if opens is not None:
            out.append(_head_line(sheet, opens))
        grid = blank_grid(sheet, step)
        note = ", ".join(f"${typst_formula(text)}$" for text in constant_texts(step, sheet.precision))
        body = _table(grid, page)
        tall = _height(grid, page) > page.text_height  # only a grid taller than a page runs on to the next
        out.append(f"#step([${typst_formula(step.formula)}$], [{note}], {body}, breakable: {str(tall).lower()})")
        if sheet.key and sheet.show_work and (work := sheet.first_work(step)) is not None:
            from handcalc.render.work import written

            line = typst_string(written(work, sheet.precision))
            out.append(f"#block(above: 0.3em, text(size: 9pt, fill: soft)[Work: #text(font: \"DejaVu Sans Mono\", size: 8pt, {line})])")
    return out


# --- a grid as a Typst table ----------------------------------------------------------------
def _table(grid: Grid, page: Page | None, given: bool = False) -> str:
    """``grid`` as a ``table``: its rule rows and bar columns become lines, its number
    columns fixed-width boxes (``page`` given) or as wide as their numbers (given matrices)."""
    kinds = _columns(grid)
    keep_cols = [j for j, kind in enumerate(kinds) if kind != "bar"]
    keep_rows = [i for i, row in enumerate(grid) if not is_rule(row)]
    widths = ["boxw" if kinds[j] == "box" and page is not None else "auto" for j in keep_cols]
    heights = ["boxh" if any(grid[i][j].style in (ANSWER, COPY, PREFILLED) for j in keep_cols) else "auto" for i in keep_rows]
    lines = []
    for j, kind in enumerate(kinds):
        if kind == "bar":
            lines.append(f"table.vline(x: {sum(1 for k in keep_cols if k < j)}, stroke: 0.9pt + ink)")
    for i, row in enumerate(grid):
        if is_rule(row):
            lines.append(f"table.hline(y: {sum(1 for k in keep_rows if k < i)}, stroke: 0.9pt + ink)")
    cells = [_cell(grid[i][j], given, kinds[j] == "box" and not given) for i in keep_rows for j in keep_cols]
    inset = "(x: 4pt, y: 3pt)" if given else "(x: 3pt, y: 4pt)"
    return (
        f"table(columns: ({', '.join(widths)},), rows: ({', '.join(heights)},), stroke: none, inset: {inset}, "
        f"align: right + horizon, {', '.join(lines + cells)})"
    )


def _cell(cell: Cell, given: bool, centred: bool) -> str:
    """One cell; in a column of boxes everything is centred, so labels sit over the boxes."""
    text = cell.text.strip()
    if cell.style == ANSWER:
        return f"table.cell(stroke: 0.8pt + ink, align: center + horizon, answer({_number(text)}))"
    if cell.style == COPY:
        stroke = '(paint: soft, thickness: 0.6pt, dash: "dashed")'
        return f"table.cell(stroke: {stroke}, align: center + horizon, num({_number(text)}))"
    if cell.style == PREFILLED:
        return f"table.cell(stroke: 0.8pt + ink, fill: luma(232), align: center + horizon, num({_number(text)}))"
    if not text or cell.style == GAP:
        return "[]"
    align = "center" if centred else "left" if cell.left else "right"
    if cell.style == NAME:
        return f"table.cell(align: {align} + horizon)[${typst_formula(text)}$]"
    if cell.style == LABEL:
        return f"table.cell(align: {align} + horizon, lab({typst_string(text)}))"
    content = f"{'given' if given else 'num'}({_number(text)})"
    if cell.style == SUM:
        content = f"strong({content})"
    return f"table.cell(align: {align} + horizon, {content})" if centred else content


def _number(text: str) -> str:
    """A number as printed: a true minus sign."""
    return typst_string(text.replace("-", "−") if text[:1] == "-" or "e-" in text else text)
