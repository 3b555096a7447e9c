"""Worksheets: which steps are blank, the PDF (valid, its text, the key's answers), class
sets, and the safety of the output file. Few PDFs are compiled, so the suite stays fast."""

from __future__ import annotations

import re
import subprocess
import sys
import types
from pathlib import Path

import pytest
from conftest import ROOT, cli_runner

from handcalc import compute, load_problem
from handcalc.cli import app
from handcalc.render.formulas import typst_formula, typst_string
from handcalc.worksheet import BlankError, blank_steps, build, variant_id

SAMPLE = ROOT / "samples" / "self_attention.yaml"
CAUSAL_HEADS = ROOT / "samples" / "causal_multihead.yaml"
runner = cli_runner()


def invoke(*args: str):
    return runner.invoke(app, ["worksheet", *map(str, args)])


def page_count(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))


def pdf_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return done.stdout.decode("utf-8").replace("−", "-")


@pytest.fixture(scope="module")
def trace():
    return compute(load_problem(SAMPLE))


@pytest.fixture(scope="module")
def heads_trace():
    return compute(load_problem(CAUSAL_HEADS))


# --- which steps are blank --------------------------------------------------------------------
def test_levels(trace, heads_trace):
    assert blank_steps(trace, level=1) == ("A", "Z")
    assert blank_steps(trace, level=2) == ("scores", "scaled", "exp", "sums", "A", "Z")
    assert blank_steps(trace, level=3) == ("Q", "K", "V", "scores", "scaled", "exp", "sums", "A", "Z")
    assert blank_steps(trace) == blank_steps(trace, level=3)
    assert blank_steps(heads_trace, level=1) == ("h1.A", "h1.Z", "h2.A", "h2.Z")
    assert "h1.masked" in blank_steps(heads_trace, level=2) and "h1.Q" not in blank_steps(heads_trace, level=2)
    assert blank_steps(heads_trace, level=2)[-2:] == ("concat", "output")


def test_blank_names(trace, heads_trace):
    assert blank_steps(trace, "Z, A") == ("A", "Z")  # trace order, spaces ignored
    assert blank_steps(heads_trace, "A") == ("h1.A", "h2.A")  # a short name: every head's
    assert blank_steps(heads_trace, "h2.A,output") == ("h2.A", "output")
    assert blank_steps(heads_trace, "h1") == tuple(n for n in heads_trace.names if n.startswith("h1.") and "W_" not in n)
    for wrong in ("X", "nope", ""):
        with pytest.raises(BlankError):
            blank_steps(trace, wrong)
    with pytest.raises(BlankError):
        blank_steps(trace, "A", level=1)


def test_the_model(trace, heads_trace):
    sheet = build(trace, ("A", "Z"))
    assert [s.name for s in sheet.blank] == ["A", "Z"]
    assert [s.name for s in sheet.given][:4] == ["X", "W_q", "W_k", "W_v"] and "A" not in [s.name for s in sheet.given]
    assert not sheet.key and sheet.variant is None and variant_id(3, 30) == "V03" and variant_id(7, 120) == "V007"
    masked = heads_trace["h1.masked"]
    prefilled = build(heads_trace, blank_steps(heads_trace, level=2)).prefilled(masked)
    assert prefilled.sum() == 3 and prefilled[1, 0] and not prefilled[0, 0]  # the causal mask's −∞


def test_masked_cells_are_prefilled_and_operands_of_blanks_are_not_given(heads_trace, trace):
    from handcalc.render.sheet import ANSWER, COPY, PREFILLED, blank_grid

    sheet = build(heads_trace, blank_steps(heads_trace, level=2))
    cells = [c for row in blank_grid(sheet, heads_trace["h1.masked"]) for c in row]
    assert sum(c.style == PREFILLED and c.text == "−∞" for c in cells) == 3
    assert sum(c.style == ANSWER and c.text == "" for c in cells) == 6
    sheet = build(trace, blank_steps(trace, level=3))
    scores = [c for row in blank_grid(sheet, trace["scores"]) for c in row]
    assert sum(c.style == COPY for c in scores) == 16 and all(c.text == "" for c in scores if c.style == COPY)
    key = build(trace, blank_steps(trace, level=3), key=True)
    assert {c.text for row in blank_grid(key, trace["scores"]) for c in row if c.style == ANSWER} == {"3", "4", "6"}


def test_typst_escaping():
    assert typst_string('a"b\\c#$*_@<') == '"a\\"b\\\\c#$*_@<"'
    assert typst_formula("scores = Kᵀ · Q") == '"scores" = K^T dot Q'
    assert typst_formula("scaled = scores / √d_k") == '"scaled" = "scores" \\/ sqrt(d_k)'
    assert typst_formula("K = W_k · X_kv") == 'K = W_k dot X_"kv"'


# --- the PDF ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sheet_and_key(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sheets")
    sheet, key = folder / "sheet.pdf", folder / "key.pdf"
    assert invoke(SAMPLE, "--level", "2", "-o", sheet).exit_code == 0
    assert invoke(SAMPLE, "--level", "2", "--key", "--show-work", "-o", key).exit_code == 0
    return sheet, key


def test_pdf_is_valid(sheet_and_key):
    for path in sheet_and_key:
        data = path.read_bytes()
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
        assert 1 <= page_count(data) <= 4
    assert not list(sheet_and_key[0].parent.glob(".*.tmp"))  # the temporary file was renamed


def test_pdf_text_sheet_and_key(sheet_and_key):
    sheet, key = (pdf_text(path) for path in sheet_and_key)
    for text in (sheet, key):
        assert "Self-attention by hand" in text and "Name" in text and "Date" in text
        assert "scores" in text and "Your work" in text or "Answers" in text
    # the given Q (level 2: Q, K, V are given) is printed in both
    assert re.search(r"2\s+1\s+2\s+1", sheet) and re.search(r"1\s+3\s+1\s+3", sheet)
    # the answers (scores 3 4 6, A 0.054 0.446, Z 1.893) only in the key
    for answer in ("0.054", "0.446", "1.893", "155.867"):
        assert answer in key and answer not in sheet
    assert "ANSWER KEY" in key and "ANSWER KEY" not in sheet
    assert "Work:" in key and "scores[1,1] = 1·2 + 1·1 = 3" in key.replace(" ", " ")


def test_multihead_masked_letter(tmp_path):
    out = tmp_path / "heads.pdf"
    result = invoke(CAUSAL_HEADS, "--level", "2", "--paper", "letter", "-o", out)
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert b"/MediaBox [0 0 612 792]" in data or re.search(rb"/MediaBox\s*\[\s*0 0 612(\.0+)? 792", data)
    text = pdf_text(out)
    assert "Head 1" in text and "Head 2" in text and text.count("-∞") >= 6


# --- safety -------------------------------------------------------------------------------------
def test_never_overwrites_without_force(tmp_path):
    out = tmp_path / "sheet.md"
    out.write_text("precious")
    result = invoke(SAMPLE, "-f", "markdown", "-o", out)
    assert result.exit_code == 3 and "exists already" in result.stderr and "Traceback" not in result.output
    assert out.read_text() == "precious"
    assert invoke(SAMPLE, "-f", "markdown", "--force", "-o", out).exit_code == 0
    assert out.read_text().startswith("# Self-attention by hand")
    assert invoke(SAMPLE, "-o", SAMPLE, "--force").exit_code == 3  # never over the problem itself


def test_a_typst_error_is_one_line(tmp_path, monkeypatch):
    import handcalc.render.typst as typst_render

    monkeypatch.setattr(typst_render, "_PREAMBLE", typst_render._PREAMBLE + "\n#let broken = (\n")
    out = tmp_path / "sheet.pdf"
    result = invoke(SAMPLE, "--level", "1", "-o", out)
    assert result.exit_code == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: Typst could not compile")
    assert not out.exists() and not list(tmp_path.iterdir())  # nothing half-written


def test_usage_errors():
    assert invoke(SAMPLE, "--blank", "A", "--level", "1", "-o", "x.pdf").exit_code == 2
    assert invoke(SAMPLE, "--blank", "nope", "-o", "x.pdf").exit_code == 2
    assert invoke("-o", "x.pdf").exit_code == 2  # neither a problem nor --seed
    assert invoke(SAMPLE, "--variants", "2", "--seed", "1", "-o", "x.pdf").exit_code == 2


def test_html_and_markdown(tmp_path):
    html, md = tmp_path / "s.html", tmp_path / "s.md"
    assert invoke(SAMPLE, "--blank", "A,Z", "--key", "-f", "html", "-o", html).exit_code == 0
    page = html.read_text()
    assert "@media print" in page and "http" not in page.replace("http-equiv", "") and 'class="answer"' in page
    assert "0.054" in page
    assert invoke(SAMPLE, "--blank", "A,Z", "-f", "markdown", "-o", md).exit_code == 0
    text = md.read_text()
    assert "## Your work" in text and "|  |  |  |  |" in text and "0.054" not in text


# --- class sets -------------------------------------------------------------------------------
@pytest.fixture
def generator(monkeypatch):
    """The real generator when it is installed; else a stand-in with its signature, so that
    the class-set plumbing is tested either way."""
    try:
        import handcalc.generate  # noqa: F401
    except ImportError:
        import random

        from handcalc.problem import Problem

        def generate(*, seed, tokens=4, d_model=4, d_k=4, d_v=None, heads=1, layout="columns", mask="none",
                     base="e", value_range=(-1, 2)):  # fmt: skip
            rng = random.Random(seed)
            m = lambda r, c: [[rng.randint(*value_range) for _ in range(c)] for _ in range(r)]
            return Problem(X=m(d_model, tokens), W_q=m(d_k, d_model), W_k=m(d_k, d_model), W_v=m(d_v or d_k, d_model),
                           mask=mask, base=base, layout=layout)  # fmt: skip

        monkeypatch.setitem(sys.modules, "handcalc.generate", types.SimpleNamespace(generate=generate))


def test_variants_are_deterministic_and_marked(tmp_path, generator):
    a, b, c, key = (tmp_path / f"{name}.pdf" for name in ("a", "b", "c", "key"))
    args = ("--variants", "3", "--seed", "2026", "--level", "1", "--tokens", "3")
    for out in (a, b):
        assert invoke(*args, "-o", out).exit_code == 0
    assert a.read_bytes() == b.read_bytes()  # same arguments, same bytes
    assert invoke(*args, "--key", "-o", key).exit_code == 0
    assert invoke("--variants", "3", "--seed", "7", "--level", "1", "--tokens", "3", "-o", c).exit_code == 0
    assert a.read_bytes() != c.read_bytes()
    assert page_count(a.read_bytes()) >= 3 and page_count(a.read_bytes()) == page_count(key.read_bytes())
    text, keys = pdf_text(a), pdf_text(key)
    for n, seed in ((1, 2026), (2, 2027), (3, 2028)):
        assert f"Variant V0{n}" in text and f"Variant V0{n} · seed {seed}" in keys
    assert "seed" not in text.lower()  # a student's sheet never gives away how to make its answers
    pages = text.split("\f")
    assert "V01" in pages[0] and "V03" in [p for p in pages if p.strip()][-1]


def test_exact_key_writes_the_fractions_of_base_3(tmp_path):
    import json
    from fractions import Fraction

    import numpy as np

    X, W_q, W_k, W_v = [[1, 0, 1], [0, 1, 1]], [[1, 0], [0, 1]], [[1, 1], [0, 1]], [[1, 0], [1, 1]]
    spec = {"X": X, "W_q": W_q, "W_k": W_k, "W_v": W_v, "base": 3, "scale": "none"}
    path, out = tmp_path / "p.json", tmp_path / "key.md"
    path.write_text(json.dumps(spec))
    result = invoke(path, "--key", "--exact", "--blank", "A", "-f", "markdown", "-o", out)
    assert result.exit_code == 0, result.output
    scores = (np.array(W_k) @ np.array(X)).T @ (np.array(W_q) @ np.array(X))  # Kᵀ Q, keys × queries
    columns = [[Fraction(3) ** int(s) for s in column] for column in scores.T]
    A = [[str(e / sum(column)) for e in column] for column in columns]  # each query's weights, exact
    text = out.read_text()
    assert all(f in text for column in A for f in column if "/" in f) and any("/" in f for column in A for f in column)
    assert invoke(path, "--key", "--blank", "A", "-f", "markdown", "-o", out, "--force").exit_code == 0
    assert not any(f in out.read_text() for column in A for f in column if "/" in f)  # decimals without --exact


def test_show_work_without_key_is_a_usage_error(tmp_path):
    result = invoke(SAMPLE, "--show-work", "-o", tmp_path / "s.pdf")
    assert result.exit_code == 2 and "--key" in result.stderr and not (tmp_path / "s.pdf").exists()


@pytest.mark.parametrize("fmt", ["html", "markdown"])
def test_a_class_sets_sheets_never_name_the_seed_its_keys_do(tmp_path, fmt):
    sheet, key = tmp_path / "sheet.out", tmp_path / "key.out"
    args = ("--variants", "2", "--seed", "9041", "--tokens", "3", "-f", fmt)
    assert invoke(*args, "-o", sheet).exit_code == 0 and invoke(*args, "--key", "-o", key).exit_code == 0
    assert "Variant V02" in sheet.read_text() and "9041" not in sheet.read_text() and "9042" not in sheet.read_text()
    assert "seed 9041" in key.read_text() and "seed 9042" in key.read_text()
