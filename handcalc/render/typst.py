"""Worksheets as Typst source, and as PDF through the ``typst`` Python binding (offline, its
own fonts). ``source(sheets, paper)`` is the text; ``pdf(sheets, paper)`` the compiled bytes.

Each sheet starts a page (a class set: one sheet per variant, each page headed with its
variant id): the title, Name and Date lines, the given matrices filled in, then each blank
step under its formula in the by-hand arrangement of :mod:`handcalc.render.sheet`, with
boxes wide enough to write its longest number by pen. A table too large for a page is cut
into blocks that repeat its labels (:mod:`handcalc.render.sheet_pages`), each kept whole
on a page with its heading. A key is the same pages with every box filled.

All text from the problem (title, token labels) reaches Typst as string literals, never as
markup, so ``#``, ``$``, ``*``, ``_``, ``@`` and ``<`` print as themselves.
"""

from __future__ import annotations

from collections.abc import Sequence

from handcalc.errors import HandcalcError
from handcalc.render import COMBINING, head_changes
from handcalc.render.formulas import typst_formula, typst_string
from handcalc.render.grid import (
    GAP,
    LABEL,
    NAME,
    SUM,
    Cell,
    Grid,
    constant_texts,
    head_title,
    is_rule,
)
from handcalc.render.sheet import ANSWER, COPY, PREFILLED, blank_grid, given_grid, has_copies, widest_answer
from handcalc.render.sheet_pages import (
    LINE,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    PAPERS,
    Page,
    choose_page,
    column_kinds,
    fits_by_hand,
    pieces,
)
from handcalc.steps import short
from handcalc.trace import INPUT, Step
from handcalc.worksheet import Worksheet

TYPST_PAPER = {"a4": "a4", "letter": "us-letter"}


class TypstCompileError(HandcalcError):
    """Typst could not compile a worksheet (a bug in handcalc; please report it)."""


def pdf(sheets: Sequence[Worksheet], paper: str = "a4") -> bytes:
    """The compiled PDF of ``sheets``; a Typst error is one ``TypstCompileError``.

    Typst keeps what it laid out in memory until its process ends, so a large class set is
    compiled in parts (:func:`pdf_parts`), each in a process of its own, two at a time, and
    the parts' pages joined in order."""
    return joined([data for _, data in pdf_parts(sheets, paper)])


PART_SOURCE = 300_000  # characters of Typst source: about 20 sheets of a class set, under 200 MB to lay out
PER_PART = 10  # sheets at most in a part: Typst's time and memory grow faster than its pages


def pdf_parts(sheets: Sequence[Worksheet], paper: str = "a4", boxes: bool = False) -> list[tuple[list[int], object]]:
    """The PDF of ``sheets`` in consecutive parts of whole sheets (:func:`_parts`), every part
    set on the page of the whole document (the same boxes for everyone), as (the sheets'
    indices, the part): each part as :func:`compile_source` gives it, or with ``boxes`` as
    :func:`compile_with_boxes` does. One part is compiled here; more, each in a process of
    its own, two at a time (:func:`_compiled`)."""
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)}")
    page = document_page(sheets, paper)
    bodies = [_sheet(sheet, page) for sheet in sheets]
    parts = _parts(bodies)
    sources = [_document(_title_of(sheets), page, [bodies[k] for k in part], boxes) for part in parts]
    return list(zip(parts, _compiled(compile_with_boxes if boxes else compile_source, sources)))


def _parts(bodies: Sequence[str]) -> list[list[int]]:
    """The sheets' indices in consecutive parts of at most ``PART_SOURCE`` characters and
    ``PER_PART`` sheets each (a larger sheet is a part of its own)."""
    parts: list[list[int]] = [[]]
    size = 0
    for k, body in enumerate(bodies):
        if parts[-1] and (size + len(body) > PART_SOURCE or len(parts[-1]) >= PER_PART):
            parts.append([])
            size = 0
        parts[-1].append(k)
        size += len(body)
    return parts


def _compiled(compile, sources: list[str]) -> list:
    """``compile`` (a function of this module) of each source: one here, more each in a fresh
    process, two at a time. The processes are forks of this one while Typst (whose threads a
    fork would not carry over) has not been loaded here, as in a command's run; else a fork
    server's."""
    import multiprocessing
    import sys
    from concurrent.futures import ProcessPoolExecutor

    if len(sources) == 1:
        return [compile(sources[0])]
    compiled: list = []
    if "typst" not in sys.modules:
        context = multiprocessing.get_context("fork")
        for k in range(0, len(sources), 2):  # a pool per pair: each process compiles once, then its memory is freed
            with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
                compiled += pool.map(compile, sources[k : k + 2])
    else:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["handcalc.render.typst", "typst"])
        with ProcessPoolExecutor(max_workers=2, mp_context=context, max_tasks_per_child=1) as pool:
            compiled = list(pool.map(compile, sources))
    return compiled


def joined(pdfs: Sequence[bytes]) -> bytes:
    """One PDF of the pages of ``pdfs``, in order, with the first one's title."""
    import io

    from pypdf import PdfReader, PdfWriter

    if len(pdfs) == 1:
        return pdfs[0]
    writer = PdfWriter()
    for k, data in enumerate(pdfs):
        reader = PdfReader(io.BytesIO(data))
        if k == 0 and reader.metadata:
            writer.add_metadata(dict(reader.metadata))
        writer.append(reader)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_boxes(sheets: Sequence[Worksheet], paper: str = "a4", page: Page | None = None) -> tuple[bytes, list[int], list[dict]]:
    """The compiled PDF of ``sheets`` (the same pages as :func:`pdf`) with where its sheets
    and answer boxes lie, as :func:`compile_with_boxes` gives them."""
    return compile_with_boxes(source(sheets, paper, boxes=True, page=page))


def compile_with_boxes(text: str) -> tuple[bytes, list[int], list[dict]]:
    """The compiled PDF of the Typst source ``text`` (made with ``boxes``), the first page of
    each sheet (0-based) and where each answer box lies: ``{"name", "corner", "page", "x",
    "y"}``, the box's field name (:func:`handcalc.marking.pdf_forms.field_name`), its
    top-left (corner 0) or bottom-right (corner 1) corner, its 1-based page, and x, y in
    points from the page's top-left corner."""
    import json
    import tempfile
    from pathlib import Path

    import typst

    with tempfile.TemporaryDirectory() as folder:  # a file, so that one compilation serves the query too
        main = Path(folder) / "sheets.typ"
        main.write_text(text, encoding="utf-8")
        try:
            compiler = typst.Compiler(str(main), ignore_system_fonts=True)
            data = compiler.compile(format="pdf", pdf_tags=False)  # as compile_source: untagged
            starts = json.loads(compiler.query("<hcsheet>", field="value"))
            boxes = json.loads(compiler.query("<hcbox>", field="value"))
        except typst.TypstError as error:
            raise _compile_error(error) from None
    return data, [page - 1 for page in starts], boxes


def compile_source(text: str) -> bytes:
    import typst  # heavy: only when a PDF is made

    try:
        # untagged: poppler misreads the tagged PDF's /MarkInfo and complains on every page
        return typst.compile(text.encode("utf-8"), format="pdf", ignore_system_fonts=True, pdf_tags=False)
    except typst.TypstError as error:
        raise _compile_error(error) from None


def _compile_error(error) -> TypstCompileError:
    message = " ".join(str(getattr(error, "message", "") or error).split()) or "unknown error"
    message = message if len(message) <= 160 else message[:159] + "…"
    return TypstCompileError(f"Typst could not compile the worksheet: {message}")


def source(sheets: Sequence[Worksheet], paper: str = "a4", boxes: bool = False, page: Page | None = None) -> str:
    """The Typst source of ``sheets``, one after the other, each from a new page (``page``:
    set on that page rather than on the one they need); with ``boxes``, each sheet's start and
    each answer box's corners are marked (``<hcsheet>``, ``<hcbox>``) for a query, which
    changes nothing on the page."""
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)}")
    page = page or document_page(sheets, paper)
    return _document(_title_of(sheets), page, [_sheet(sheet, page) for sheet in sheets], boxes)


def _document(title: str, page: Page, bodies: Sequence[str], boxes: bool) -> str:
    """The Typst source of a document of sheets (their ``bodies``) set on ``page``."""
    return _preamble(title, page).replace("MARKED", str(boxes).lower()) + "\n".join(bodies) + "\n#whereabouts()\n"


def _title_of(sheets: Sequence[Worksheet]) -> str:
    """The document's title: its first sheet's."""
    return sheets[0].title if sheets else "Worksheet"


# --- the page -------------------------------------------------------------------------------
def document_page(sheets: Sequence[Worksheet], paper: str) -> Page:
    """The page of the whole document: boxes for the widest answer of any sheet, portrait
    unless a grid needs the width of landscape. Sheets laid out alike (the variants of a
    class set) are measured once."""
    alike = {}
    for sheet in sheets:
        alike.setdefault(_layout_key(sheet), sheet)
    grids = [blank_grid(sheet, step) for sheet in alike.values() for step in sheet.blank]
    return choose_page(grids, max((widest_answer(sheet) for sheet in sheets), default=1), paper)


def _layout_key(sheet: Worksheet) -> tuple:
    """What decides the width of a sheet's grids, but for its numbers: its blanks and steps."""
    steps = tuple((step.name, step.shape, tuple(step.rows), tuple(step.cols)) for step in sheet.trace)
    return sheet.blanks, sheet.trace.layout, steps


_PREAMBLE = r"""
#set document(title: TITLE, author: "handcalc", date: none)
#set page(paper: PAPER, flipped: FLIPPED, margin: (x: MARGINXcm, top: MARGINTOPcm, bottom: MARGINBOTTOMcm),
  header-ascent: 35%, footer-descent: 35%)
#set text(font: ("New Computer Modern", "DejaVu Sans Mono"), size: 10.5pt, number-width: "tabular", lang: "en")
#set par(leading: 0.55em)
#let ink = luma(25)
#let soft = luma(110)
#let answer-ink = rgb("#1740a8")
#let boxw = BOXcm
#let boxh = BOXHcm
#let lineh = LINEcm
#let lab(t) = text(size: 8.5pt, style: "italic", fill: soft, t)
#let num(t) = text(size: 10pt, t)
#let given(t) = text(size: 9.5pt, t)
#let answer(t) = text(size: 9.5pt, weight: "bold", fill: answer-ink, t)
#let step(formula, note, body) = block(breakable: false, above: 1.1em, below: 0.4em, width: 100%)[
  #block(below: 0.55em)[#text(size: 11.5pt, formula) #h(0.8em) #text(size: 9pt, fill: soft, note)]
  #body
]
#let more(formula, part, body) = block(breakable: false, above: 1.1em, below: 0.4em, width: 100%)[
  #block(below: 0.45em, text(size: 9pt, fill: soft)[#formula, continued (#part)])
  #body
]
#let givenbox(caption, body) = box(inset: (right: 0.9cm, bottom: 0.5em))[
  #block(below: 0.35em, text(size: 10pt, caption))
  #body
]
#let headline(t) = block(above: 1.0em, below: 0.5em, sticky: true, text(size: 11pt, weight: "bold", t))
#let section(t) = block(above: 1.1em, below: 0.6em, sticky: true,
  stack(dir: ttb, spacing: 3pt, text(size: 12pt, weight: "bold", t), line(length: 100%, stroke: 0.6pt + ink)))
#let marked = MARKED
#let corner(name, k) = [#metadata((name, k)) <hccorner>]
#let answerbox(name, body) = box(width: 100%, height: 100%, {
  if marked { place(top + left, corner(name, 0)); place(bottom + right, corner(name, 1)) }
  align(center + horizon, body)
})
#let ab(name, t) = grid.cell(stroke: 0.8pt + ink, inset: 0pt, answerbox(name, answer(t)))
#let plainbox = grid.cell(stroke: 0.8pt + ink)[]
#let eb(name) = if marked { ab(name, "") } else { plainbox }
#let cb(t) = grid.cell(stroke: (paint: soft, thickness: 0.6pt, dash: "dashed"), align: center + horizon, num(t))
#let lb(t) = grid.cell(align: center + horizon, lab(t))
#let sheetstart() = if marked { [#metadata(none) <hcstart>] }
#let whereabouts() = if marked { context {  // every mark's place, read once at the end
  for m in query(<hccorner>) { let p = m.location().position(); [#metadata((name: m.value.at(0), corner: m.value.at(1), page: p.page, x: p.x.pt(), y: p.y.pt())) <hcbox>] }
  for m in query(<hcstart>) { [#metadata(m.location().page()) <hcsheet>] }
} }
#let writeline(label, width, filled: none) = box(baseline: 0pt)[#label #box(width: width, height: 0.9em,
  stroke: (bottom: 0.5pt + ink), inset: (left: 4pt), text(size: 11pt, filled))]
""".lstrip()


def _preamble(title: str, page: Page) -> str:
    replacements = {
        "TITLE": typst_string(title), "PAPER": typst_string(TYPST_PAPER[page.paper]), "FLIPPED": str(page.landscape).lower(),
        "MARGINX": f"{MARGIN_X:g}", "MARGINTOP": f"{MARGIN_TOP:g}", "MARGINBOTTOM": f"{MARGIN_BOTTOM:g}",
        "BOXH": f"{page.box_height:.2f}", "BOX": f"{page.box:.2f}", "LINE": f"{LINE:.2f}",
    }  # fmt: skip
    text = _PREAMBLE
    for name, value in replacements.items():
        text = text.replace(name, value)
    return text


def _sheet(sheet: Worksheet, page: Page) -> str:
    """One sheet: its header (the variant id on every page), title, name lines, the given
    matrices and the blank steps."""
    out = [_page_rule(sheet), "#counter(page).update(1)", "#sheetstart()"]
    out.append(_title(sheet))
    given = [step for step in sheet.given]
    if given:
        out.append("#section[Given]")
        out += _given(sheet, given, page)
    if sheet.blank:
        out.append(f"#section[{'Answers' if sheet.key else 'Your work'}]")
        out += _blanks(sheet, page)
    return "\n".join(out) + "\n"


def _page_rule(sheet: Worksheet) -> str:
    """A ``set page`` rule: it starts a new page whose header carries this sheet's variant."""
    left = typst_string(f"{sheet.student} · {sheet.title}" if sheet.student else sheet.title)
    kind = '[#text(weight: "bold", fill: rgb("#b3261e"))[ANSWER KEY]]' if sheet.key else "[]"
    right = typst_string(variant_text(sheet)) if sheet.variant else '""'
    header = (
        f'grid(columns: (1fr, auto, 1fr), align: (left, center, right), text(size: 8.5pt, fill: soft, {left}), '
        f'{kind}, text(size: 10pt, weight: "bold", {right}))'
    )
    footer = (
        f'context align(center, text(size: 8.5pt, fill: soft)[{_footer_text(sheet)}page #counter(page).display()])'
    )
    return f"#set page(header: {header}, footer: {footer})"


def variant_text(sheet: Worksheet) -> str:
    """``Variant V07``; on a key also its seed, which a student's sheet never shows (it would
    make the answers in one command)."""
    seed = f" · seed {sheet.seed}" if sheet.key and sheet.seed is not None else ""
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
    dashed = " Dashed boxes: copy your own earlier answers." if has_copies(sheet) else ""
    return f"Fill in every box. {rounding} {tokens}.{dashed}"


def _given(sheet: Worksheet, steps: list[Step], page: Page) -> list[str]:
    """The given matrices, side by side as far as they fit (a large one in blocks that
    repeat its labels); a head's under its own heading."""
    out, boxes = [], []
    for step, opens in head_changes(steps):
        if opens is not None:
            out += _flush(boxes) + [_head_line(sheet, opens)]
        caption = f"${typst_formula(step.formula)}$" if step.kind != INPUT else f"${typst_formula(short(step.name))}$, given"
        blocks = pieces(given_grid(sheet, step), page, given=True)
        for k, piece in enumerate(blocks):
            part = f" #text(size: 9pt, fill: soft)[{_part(k, len(blocks))}]" if len(blocks) > 1 else ""
            boxes.append(f"#givenbox([{caption}{part}], {_table(piece, page, given=True)})")
    return out + _flush(boxes)


def _part(k: int, count: int) -> str:
    return f"part {k + 1} of {count}"


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
    """Each blank step under its formula, in blocks that fit a page: the first with the
    formula, each later one with a line saying which part it is."""
    out = []
    for step, opens in head_changes(sheet.blank):
        if opens is not None:
            out.append(_head_line(sheet, opens))
        grid = blank_grid(sheet, step)
        notes = [f"${typst_formula(text)}$" for text in constant_texts(step, sheet.precision)]
        if not fits_by_hand(grid, page):
            grid = blank_grid(sheet, step, by_hand=False)
            notes.append("its operands as above (too large to repeat beside it)")
        blocks = pieces(grid, page)
        formula = f"${typst_formula(step.formula)}$"
        if len(blocks) > 1:
            notes.append(f"{_part(0, len(blocks))}, each repeating the labels")
        out.append(f"#step([{formula}], [{', '.join(notes)}], {_table(blocks[0], page)})")
        out += [f"#more([{formula}], [{_part(k, len(blocks))}], {_table(piece, page)})" for k, piece in enumerate(blocks[1:], 1)]
        if sheet.key and sheet.show_work and (work := sheet.first_work(step)) is not None:
            from handcalc.render.work import written

            line = typst_string(written(work, sheet.precision))
            out.append(f"#block(above: 0.3em, text(size: 9pt, fill: soft)[Work: #text(font: \"DejaVu Sans Mono\", size: 8pt, {line})])")
    return out


# --- a grid as a Typst table ----------------------------------------------------------------
def _table(grid: Grid, page: Page, given: bool = False) -> str:
    """``grid`` as a Typst ``grid`` (a table without a table's semantics, twice as fast to
    lay out): its rule rows and bar columns become lines, its number
    columns fixed-width boxes (or as wide as their numbers, given matrices), every row of
    a fixed height, so that a block is as tall as :mod:`handcalc.render.sheet_pages` says."""
    kinds = column_kinds(grid)
    keep_cols = [j for j, kind in enumerate(kinds) if kind != "bar"]
    keep_rows = [i for i, row in enumerate(grid) if not is_rule(row)]
    widths = ["boxw" if kinds[j] == "box" and not given else "auto" for j in keep_cols]
    boxed = (ANSWER, COPY, PREFILLED)
    heights = ["boxh" if not given and any(grid[i][j].style in boxed for j in keep_cols) else "lineh" for i in keep_rows]
    lines = []
    for j, kind in enumerate(kinds):
        if kind == "bar":
            lines.append(f"grid.vline(x: {sum(1 for k in keep_cols if k < j)}, stroke: 0.9pt + ink)")
    for i, row in enumerate(grid):
        if is_rule(row):
            lines.append(f"grid.hline(y: {sum(1 for k in keep_rows if k < i)}, stroke: 0.9pt + ink)")
    cells = [_cell(grid[i][j], given, kinds[j] == "box" and not given) for i in keep_rows for j in keep_cols]
    inset = "(x: 4pt, y: 3pt)" if given else "(x: 3pt, y: 4pt)"
    return (
        f"grid(columns: ({', '.join(widths)},), rows: ({', '.join(heights)},), stroke: none, inset: {inset}, "
        f"align: right + horizon, {', '.join(lines + cells)})"
    )


def _cell(cell: Cell, given: bool, centred: bool) -> str:
    """One cell; in a column of boxes everything is centred, so labels sit over the boxes.
    The commonest cells are short calls of the preamble's (``eb``, ``ab``, ``lb``): a
    class set has tens of thousands of them."""
    text = cell.text.strip()
    if cell.style == ANSWER:  # the box fills its cell, so that its corners are the cell's
        field = typst_string(cell.field or "")
        return f"ab({field}, {_number(text)})" if text else f"eb({field})"
    if cell.style == COPY:
        return f"cb({_number(text)})"
    if cell.style == PREFILLED:
        return f"grid.cell(stroke: 0.8pt + ink, fill: luma(232), align: center + horizon, num({_number(text)}))"
    if not text or cell.style == GAP:
        return "[]"
    align = "center" if centred else "left" if cell.left else "right"
    if cell.style == NAME:
        return f"grid.cell(align: {align} + horizon)[${typst_formula(text)}$]"
    if cell.style == LABEL:
        return f"lb({typst_string(text)})" if centred else f"grid.cell(align: {align} + horizon, lab({typst_string(text)}))"
    content = f"{'given' if given else 'num'}({_number(text)})"
    if cell.style == SUM:
        content = f"strong({content})"
    return f"grid.cell(align: {align} + horizon, {content})" if centred else content


def _number(text: str) -> str:
    """A number as printed: a true minus sign."""
    return typst_string(text.replace("-", "−") if text[:1] == "-" or "e-" in text else text)
