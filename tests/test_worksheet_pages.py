"""Worksheets at every size the command accepts: tables cut into blocks that repeat their
labels, each block inside the page, every cell of every step on some page.

The values a key must show come from the slow, independent reference (tests/reference.py);
the PDFs are read back with poppler (pdftotext) and checked with qpdf."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
from conftest import cli_runner
from reference import reference_attention

from handcalc import compute, load_problem
from handcalc.cli import app
from handcalc.render.grid import RULE
from handcalc.render.sheet import blank_grid, given_grid, widest_answer
from handcalc.render.sheet_pages import BOX_MIN, column_widths, fits_by_hand, heads, pieces, row_heights
from handcalc.render.typst import document_page
from handcalc.worksheet import blank_steps, build

runner = cli_runner()
STEPS = ("Q", "K", "V", "scores", "scaled", "exp", "sums", "A", "Z")


def problem(tokens: int, seed: int = 0) -> dict:
    """A problem with small whole numbers, made here (not by handcalc's generator)."""
    rng = np.random.default_rng(seed)
    m = lambda rows, cols: rng.integers(-1, 2, size=(rows, cols)).tolist()  # noqa: E731
    return {"title": f"{tokens} tokens", "X": m(4, tokens), "W_q": m(4, 4), "W_k": m(4, 4), "W_v": m(4, 4)}


def number(x: float) -> str:
    """A value as a key writes it: whole numbers bare, others to 3 decimals."""
    return str(int(round(x))) if abs(x - round(x)) < 1e-9 else f"{x:.3f}"


def numbers(text: str) -> Counter:
    return Counter(word for word in text.split() if re.fullmatch(r"-?\d+(\.\d+)?", word))


def pdf_text(path, *flags: str) -> str:
    """The PDF's text by pdftotext, which must print nothing on stderr (a valid PDF)."""
    done = subprocess.run(["pdftotext", *flags, str(path), "-"], capture_output=True, check=True)
    assert done.stderr == b"", done.stderr.decode()
    return done.stdout.decode("utf-8").replace("−", "-")


def words_outside_margins(path) -> list[str]:
    """Every word that lies outside the text area (the header and footer excepted)."""
    text = pdf_text(path, "-bbox")
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', text, re.S)
    outside = []
    cm = 72 / 2.54
    for width, height, body in pages:
        width, height = float(width), float(height)
        for x0, y0, x1, y1, word in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', body):
            x0, y0, x1, y1 = map(float, (x0, y0, x1, y1))
            if y1 < 1.7 * cm or y0 > height - 1.5 * cm:
                continue  # the header and the footer, in the margins
            if x0 < 1.5 * cm - 1 or x1 > width - 1.5 * cm + 1:
                outside.append(word)
    return outside


# --- the cut, as data -------------------------------------------------------------------------
@pytest.mark.parametrize("tokens", [4, 40, 64])
def test_blocks_hold_every_cell_once_and_fit_the_page(tokens, tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(problem(tokens)))
    trace = compute(load_problem(path))
    sheet = build(trace, blank_steps(trace), key=True)
    page = document_page([sheet], "a4")
    grids = [(blank_grid(sheet, step, by_hand), False, step.name) for step in sheet.blank for by_hand in (True, False)]
    grids += [(given_grid(sheet, step), True, step.name) for step in sheet.given]
    for grid, given, name in grids:
        if not given and not fits_by_hand(grid, page):
            continue  # drawn without its operands (the by_hand=False grid of the same step)
        head_rows, head_cols = heads(grid)
        # each cell tagged with its place, so that a block shows where each of its cells came from
        tagged = [[c if c.style == RULE else replace(c, text=f"{i},{j}") for j, c in enumerate(row)] for i, row in enumerate(grid)]
        blocks = pieces(tagged, page, given)
        places = [tuple(map(int, c.text.split(","))) for b in blocks for row in b for c in row if c.style != RULE]
        body = Counter(place for place in places if place[0] not in head_rows and place[1] not in head_cols)
        inner = {(i, j) for i in range(len(grid)) for j in range(len(grid[0]))
                 if i not in head_rows and j not in head_cols and grid[i][j].style != RULE}  # fmt: skip
        assert set(body) == inner and set(body.values()) == {1}, name  # every cell, once
        for block in blocks:
            assert block[0][0].text == "0,0"  # each block repeats its labels
            assert sum(column_widths(block, page, given)) <= page.text_width
            assert sum(row_heights(block, page, given)) <= page.room
        if tokens >= 40 and name in ("scores", "A"):
            assert len(blocks) > 1


def test_boxes_take_the_widest_answer_and_never_shrink(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(problem(16)))
    trace = compute(load_problem(path))
    narrow, wide = (build(trace, blank_steps(trace), precision=p) for p in (0, 6))
    assert widest_answer(wide) >= widest_answer(narrow) + 5  # "-0.414213" against "-0"
    page_narrow, page_wide = document_page([narrow], "a4"), document_page([wide], "a4")
    assert page_narrow.box >= BOX_MIN[0] and page_wide.box > page_narrow.box
    assert page_wide.box >= 0.15 * widest_answer(wide)  # at least 1.5 mm a handwritten character


def test_a_small_sheet_is_one_block_with_roomy_boxes(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(problem(3)))
    trace = compute(load_problem(path))
    sheet = build(trace, blank_steps(trace))
    page = document_page([sheet], "a4")
    assert not page.landscape and page.box > BOX_MIN[0]
    assert all(len(pieces(blank_grid(sheet, step), page)) == 1 for step in sheet.blank)


# --- the PDFs -----------------------------------------------------------------------------------
@pytest.mark.parametrize("tokens, sheet_too", [(8, True), (16, False), (32, False), (64, True)])
def test_every_label_and_every_key_value_is_printed_inside_the_page(tokens, sheet_too, tmp_path):
    spec = problem(tokens, seed=tokens)
    path = tmp_path / "p.json"
    path.write_text(json.dumps(spec))
    key = tmp_path / "key.pdf"
    result = runner.invoke(app, ["worksheet", str(path), "--key", "-o", str(key)])
    assert result.exit_code == 0, result.output
    text = pdf_text(key, "-layout")
    words = set(text.split())
    missing = [f"{p}{i}" for p in "xqk" for i in range(1, tokens + 1) if f"{p}{i}" not in words]
    assert not missing, missing
    want = Counter(number(x) for name in STEPS for x in np.ravel(reference_attention(spec)[name]))
    have = numbers(text)
    short = {value: count - have[value] for value, count in want.items() if have[value] < count}
    assert not short, f"key values missing from the PDF: {dict(list(short.items())[:8])}"
    assert words_outside_margins(key) == []
    check = subprocess.run(["qpdf", "--check", str(key)], capture_output=True, text=True)
    assert check.returncode == 0 and "WARNING" not in check.stdout + check.stderr
    if sheet_too:
        sheet = tmp_path / "sheet.pdf"
        assert runner.invoke(app, ["worksheet", str(path), "-o", str(sheet)]).exit_code == 0
        blank = pdf_text(sheet, "-layout")
        assert all(f"k{i}" in blank.split() and f"q{i}" in blank.split() for i in range(1, tokens + 1))
        assert not any(number(x) in blank.split() for x in np.ravel(reference_attention(spec)["A"]) if abs(x - round(x)) > 1e-9)
        assert words_outside_margins(sheet) == []
        pages = lambda p: int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(p)], capture_output=True, text=True).stdout)[1])  # noqa: E731
        assert pages(sheet) == pages(key)  # the key lies page for page beside the sheet


def test_a_problem_too_large_to_print_is_refused_in_one_line(tmp_path):
    path, out = tmp_path / "p.json", tmp_path / "s.pdf"
    path.write_text(json.dumps(problem(65)))
    result = runner.invoke(app, ["worksheet", str(path), "-o", str(out)])
    assert result.exit_code == 3 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"Error: {path}: ") and "64×64" in result.stderr and "4×65" in result.stderr
    assert not out.exists()


def _same_pages(parted, whole) -> None:
    """The two PDFs have the same pages, word for word, and ``parted`` is a valid PDF."""
    pages = lambda path: [" ".join(p.split()) for p in pdf_text(path, "-layout").split("\f")]  # noqa: E731
    assert pages(parted) == pages(whole)
    check = subprocess.run(["qpdf", "--check", str(parted)], capture_output=True, text=True)
    assert check.returncode == 0 and "WARNING" not in check.stdout + check.stderr


def _whole(sheets, path) -> None:
    """``sheets`` compiled at once, in one Typst document, here."""
    from handcalc.render.typst import compile_source, source

    path.write_bytes(compile_source(source(sheets)))


def test_a_class_set_compiled_in_parts_is_the_whole_set_in_order(tmp_path, monkeypatch):
    """Parts compiled in worker processes of their own (memory freed) make the same pages, in
    order, as the whole set compiled at once; and so do a command's own run's."""
    import handcalc.render.typst as typst_render
    from handcalc.cli.worksheet import _sheets
    from handcalc.render import shown_sheets

    args = ["--variants", "3", "--seed", "11", "--level", "1", "--tokens", "3"]
    whole, parted = tmp_path / "whole.pdf", tmp_path / "parted.pdf"
    _whole(shown_sheets(_sheets(None, 3, 11, {"tokens": 3}, None, 1, False, False, None)), whole)
    monkeypatch.setattr(typst_render, "PART_SOURCE", 1)  # every sheet a part of its own
    parts = list(typst_render._jobs(shown_sheets(_sheets(None, 3, 11, {"tokens": 3}, None, 1, False, False, None)),
                                    typst_render.document_page([], "a4"), None))  # fmt: skip
    assert len(parts) == 3
    result = runner.invoke(app, ["worksheet", *args, "-o", str(parted)])
    assert result.exit_code == 0, result.output
    _same_pages(parted, whole)
    order = [re.search(r"Variant (V\d+)", p)[1] for p in pdf_text(parted, "-layout").split("\f") if "Variant" in p]
    assert order == sorted(order) and set(order) == {"V01", "V02", "V03"}
    ran = tmp_path / "ran.pdf"  # a command of its own: its parts too are compiled in worker processes
    done = subprocess.run([sys.executable, "-m", "handcalc", "worksheet", *args, "-o", str(ran)], capture_output=True)
    assert done.returncode == 0, done.stderr
    _same_pages(ran, whole)


def test_a_sheet_too_large_to_lay_out_at_once_is_compiled_in_chunks_numbered_on(tmp_path, monkeypatch):
    """A sheet cut into chunks (each laid out in a worker process of its own, starting a page
    before a tall block) has the same pages as when it is laid out at once, and its pages are
    numbered 1, 2, … across the chunks; the cuts fall where a page starts anyway, so the pages
    are those of the sheet uncut."""
    import handcalc.render.typst as typst_render

    path = tmp_path / "p.json"
    path.write_text(json.dumps(problem(12, seed=4)))
    sheet = build(compute(load_problem(path)), blank_steps(compute(load_problem(path))), key=True)
    monkeypatch.setattr(typst_render, "CHUNK_CELLS", 150)
    page = document_page([sheet], "a4")
    assert len(typst_render._chunks(sheet, page)) >= 3
    assert len(typst_render._chunks(sheet, page, whole=True)) == 1  # a fillable form's sheet is never cut
    whole, parted, uncut = tmp_path / "whole.pdf", tmp_path / "parted.pdf", tmp_path / "uncut.pdf"
    _whole([sheet], whole)
    parted.write_bytes(typst_render.pdf([sheet]))
    _same_pages(parted, whole)
    info = subprocess.run(["pdfinfo", str(parted)], capture_output=True, text=True).stdout
    footers = [int(n) for n in re.findall(r"handcalc worksheet · page (\d+)", " ".join(pdf_text(parted).split()))]
    assert footers == list(range(1, int(re.search(r"Pages:\s+(\d+)", info)[1]) + 1))
    monkeypatch.setattr(typst_render, "CHUNK_CELLS", 10**9)
    _whole([sheet], uncut)
    _same_pages(parted, uncut)


def test_a_typst_error_in_a_worker_process_is_one_line(tmp_path, monkeypatch):
    import handcalc.render.typst as typst_render

    monkeypatch.setattr(typst_render, "_PREAMBLE", typst_render._PREAMBLE + "\n#let broken = (\n")
    out = tmp_path / "set.pdf"
    result = runner.invoke(app, ["worksheet", "--variants", "2", "--seed", "3", "--tokens", "2", "-o", str(out)])
    assert result.exit_code == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: Typst could not compile the worksheet: ")
    assert not out.exists()


def test_a_worker_process_that_stops_is_one_error_line():
    """Whatever stops a worker process (here a job it cannot read) is one TypstCompileError."""
    from handcalc.render.typst_compile import TypstCompileError, _in_worker

    with pytest.raises(TypstCompileError) as stopped:
        _in_worker(lambda results: ("no such job",), [])
    message = str(stopped.value)
    assert "\n" not in message and message.startswith("Typst could not compile the worksheet: its process stopped (status 1")
