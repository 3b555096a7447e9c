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

import functools
import itertools
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from handcalc.render import COMBINING, head_changes
from handcalc.render.formulas import typst_formula as _typst_formula
from handcalc.render.formulas import typst_string
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
    cuts,
    fits_by_hand,
    pieces,
    row_heights,
)
from handcalc.render.typst_compile import (  # noqa: F401 (the renderer's API)
    TypstCompileError,
    compile_source,
    compile_with_boxes,
)
from handcalc.steps import short
from handcalc.trace import INPUT, Step
from handcalc.worksheet import Worksheet

TYPST_PAPER = {"a4": "a4", "letter": "us-letter"}
typst_formula = functools.lru_cache(maxsize=1024)(_typst_formula)  # the same few formulas on every sheet


def pdf(sheets: Sequence[Worksheet], paper: str = "a4") -> bytes:
    """The compiled PDF of ``sheets``; a Typst error is one ``TypstCompileError``.

    Typst keeps what it laid out in memory until its process ends, so a class set, or a
    sheet too large to lay out at once, is compiled in parts (:func:`pdf_parts`), each in a
    process of its own, as many at a time as there are cores, and the parts' pages joined
    in order as they come."""
    return joined(_compiled(sheets, paper))


PART_SOURCE = 300_000  # characters of Typst source in a part at most (a class set's sheet has ~16,000)
PER_PART = 10  # sheets at most in a part: ~100 MB to lay out (Typst's time and memory grow faster than its pages)
FORMS_PER_PART = 5  # with fillable forms: the boxes' places are queried and each sheet made a form in the part's process too
CHUNK_CELLS = 12_000  # cells of a sheet laid out at once at most: ~130 MB to lay out (a 32-token sheet has 10,000)


def pdf_parts(sheets: Sequence[Worksheet], paper: str = "a4", forms: Sequence[Mapping[str, str]] | None = None) -> list:
    """The PDF of ``sheets`` in consecutive parts (:func:`_jobs`), every part set on the page
    of the whole document (the same boxes for everyone): each part's bytes, or with ``forms``
    (sheet k's hidden fields ``forms[k]``, see :func:`handcalc.render.pdf_form.fillable_forms`)
    (the part's bytes, each of its sheets as a fillable form; a sheet is then never cut)."""
    return list(_compiled(sheets, paper, forms))


def _compiled(sheets: Sequence[Worksheet], paper: str, forms: Sequence[Mapping[str, str]] | None = None) -> Iterator:
    """:func:`pdf_parts`, each part as soon as it is in. A sheet laid out at once is compiled
    here; more, each part in a worker process (:func:`handcalc.render.typst_compile.run_all`)."""
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)}")
    from handcalc.render.typst_compile import run, run_all

    page = document_page(sheets, paper)
    jobs = _jobs(sheets, page, forms)
    if len(sheets) <= 1:
        first, more = next(jobs), next(jobs, None)
        if more is None:  # one sheet (or none), laid out at once: no process to start
            return iter([run(first([]))])
        jobs = itertools.chain([first, more], jobs)
    return run_all(jobs)


def _jobs(sheets: Sequence[Worksheet], page: Page, forms: Sequence[Mapping[str, str]] | None) -> Iterator:
    """The parts' jobs for :func:`handcalc.render.typst_compile.run_all`, each made as soon
    as its sheets are laid out: whole sheets together (:func:`_per_part` of them), each
    chunk of a cut sheet a part of its own, its pages numbered on from the part before."""
    title, marked = _title_of(sheets), forms is not None
    kind = "forms" if marked else "pdf"
    per = _per_part(len(sheets), FORMS_PER_PART if marked else PER_PART)
    group: list[int] = []
    bodies: list[str] = []
    made = 0  # the parts made so far
    for k, sheet in enumerate(sheets):
        chunks = _chunks(sheet, page, whole=marked)
        if group and (len(chunks) > 1 or len(group) >= per or sum(map(len, bodies)) + len(chunks[0]) > PART_SOURCE):
            yield _job(kind, _document(title, page, bodies, marked), [forms[j] for j in group] if marked else None)
            made += 1
            group, bodies = [], []
        group.append(k)
        bodies.append(chunks[0])
        if len(chunks) > 1:  # a sheet too large to lay out at once: each chunk a part, numbered on
            yield _job(kind, _document(title, page, bodies, marked), None)
            first, made = made, made + 1
            for chunk in chunks[1:]:
                yield _continued(title, page, sheet, chunk, first, made)
                made += 1
            group, bodies = [], []
    if group or not sheets:  # (no sheets: an empty document)
        yield _job(kind, _document(title, page, bodies, marked), [forms[j] for j in group] if marked else None)


def _job(kind: str, text: str, identities):
    return lambda results: (kind, text, identities)


def _continued(title: str, page: Page, sheet: Worksheet, chunk: str, first: int, part: int):
    """The job of a later chunk of ``sheet``: its page numbers follow those of the sheet's
    parts ``first`` to ``part - 1`` (known once they are compiled)."""

    def job(results) -> tuple:
        start = 1 + sum(page_count(results[j]) for j in range(first, part))
        head = f"{_page_rule(sheet)}\n#counter(page).update({start})\n"
        return "pdf", _document(title, page, [head + chunk], False), None

    return job


def _per_part(count: int, most: int) -> int:
    """Sheets in a part: at most ``most``, in an even number of parts of about the same size,
    so that two worker processes are busy to the end (30 sheets, at most 10 a part: 4 parts
    of 8 or 7). The parts never depend on the machine, so the same arguments make the same
    bytes."""
    parts = max(1, 2 * math.ceil(count / (2 * most)))
    return max(1, math.ceil(count / parts))


def page_count(data: bytes) -> int:
    """The pages of the PDF ``data``."""
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def joined(pdfs: Iterable[bytes]) -> bytes:
    """One PDF of the pages of ``pdfs``, in order, with the first one's title; each is added
    as it comes (while the next ones are still being compiled)."""
    import io

    pdfs = iter(pdfs)
    first, second = next(pdfs), next(pdfs, None)
    if second is None:
        return first
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for k, data in enumerate(itertools.chain([first, second], pdfs)):
        reader = PdfReader(io.BytesIO(data))
        if k == 0 and reader.metadata:
            writer.add_metadata(dict(reader.metadata))
        writer.append(reader)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def source(sheets: Sequence[Worksheet], paper: str = "a4", boxes: bool = False, page: Page | None = None) -> str:
    """The Typst source of ``sheets``, one after the other, each from a new page (``page``:
    set on that page rather than on the one they need); with ``boxes``, each sheet's start and
    each answer box's corners are marked (``<hcsheet>``, ``<hcbox>``) for a query, which
    changes nothing on the page. The same pages as :func:`pdf`'s, in one document."""
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)}")
    page = page or document_page(sheets, paper)
    bodies = [PAGE_BREAK.join(_chunks(sheet, page, whole=boxes)) for sheet in sheets]
    return _document(_title_of(sheets), page, bodies, boxes)


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
#let ab(name, t) = if marked { grid.cell(stroke: 0.8pt + ink, inset: 0pt, answerbox(name, answer(t))) } else {
  grid.cell(stroke: 0.8pt + ink, inset: 0pt, align: center + horizon, answer(t)) }  // the same, without the corners' box
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


PAGE_BREAK = "#pagebreak(weak: true)\n"  # between the chunks of a sheet in one document


@dataclass(frozen=True)
class _Block:
    """Marks where a block of a blank step starts among a sheet's lines: its ``cells``, and
    whether it is ``tall`` (half a page or more, so that it mostly starts a page anyway):
    before a tall block, a sheet of many cells may be cut (:func:`_chunks`)."""

    cells: int
    tall: bool


def _chunks(sheet: Worksheet, page: Page, whole: bool = False) -> list[str]:
    """One sheet: its header (the variant id on every page), title, name lines, the given
    matrices and the blank steps; a sheet of many cells in chunks, each starting a page
    (at the places :func:`_blanks` marks, once ``CHUNK_CELLS`` cells have been laid out),
    unless ``whole``. A sheet and its key are cut alike (by cells, not by characters)."""
    lines = [_page_rule(sheet), "#counter(page).update(1)", "#sheetstart()"]
    lines.append(_title(sheet))
    given = [step for step in sheet.given]
    if given:
        lines.append("#section[Given]")
        lines += _given(sheet, given, page)
    if sheet.blank:
        blanks = _blanks(sheet, page)  # its first block's mark goes before the section's title, kept with it
        lines += [*blanks[:1], f"#section[{'Answers' if sheet.key else 'Your work'}]", *blanks[1:]]
    chunks: list[list[str]] = [[]]
    cells = 0  # in the chunk so far
    for line in lines:
        if isinstance(line, _Block):
            if line.tall and cells + line.cells > CHUNK_CELLS and chunks[-1] and not whole:
                chunks.append([])
                cells = 0
            cells += line.cells
        else:
            chunks[-1].append(line)
    return ["\n".join(chunk) + "\n" for chunk in chunks]


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


def _given(sheet: Worksheet, steps: list[Step], page: Page) -> list[str | _Block]:
    """The given matrices, side by side as far as they fit (a large one in blocks that
    repeat its labels); a head's under its own heading. Their cells are marked (a
    :class:`_Block` never cut before) so that a chunk counts them."""
    out: list[str | _Block] = [_Block(sum(step.value.size for step in steps), False)]
    boxes: list[str] = []
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


def _blanks(sheet: Worksheet, page: Page) -> list[str | _Block]:
    """Each blank step under its formula, in blocks that fit a page: the first with the
    formula, each later one with a line saying which part it is; each block marked
    (:class:`_Block`), the first before its head's line."""
    out: list[str | _Block] = []
    for step, opens in head_changes(sheet.blank):
        grid = blank_grid(sheet, step)
        notes = [f"${typst_formula(text)}$" for text in constant_texts(step, sheet.precision)]
        if not fits_by_hand(grid, page):
            grid = blank_grid(sheet, step, by_hand=False)
            notes.append("its operands as above (too large to repeat beside it)")
        blocks, heights = cuts(grid, page), row_heights(grid, page, False)
        formula = f"${typst_formula(step.formula)}$"
        if len(blocks) > 1:
            notes.append(f"{_part(0, len(blocks))}, each repeating the labels")
        for k, (rows, cols) in enumerate(blocks):
            piece = [[grid[i][j] for j in cols] for i in rows]
            out.append(_Block(len(rows) * len(cols), sum(heights[i] for i in rows) > page.room / 2))
            if k == 0:
                out += [] if opens is None else [_head_line(sheet, opens)]
                out.append(f"#step([{formula}], [{', '.join(notes)}], {_table(piece, page)})")
            else:
                out.append(f"#more([{formula}], [{_part(k, len(blocks))}], {_table(piece, page)})")
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
