"""Exports for notes and blogs: markdown, LaTeX and HTML, each parsed back and checked.

Markdown is parsed with markdown-it-py, HTML with the standard library's parser, and LaTeX
is checked for balanced environments, braces and escapes (and compiled, where pdflatex is
installed). Every grid the text format draws is a table in each of them.
"""

import re
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest
from conftest import ROOT, SAMPLES
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from handcalc import compute
from handcalc.cli import app
from handcalc.load import load
from handcalc.numbers import format_number
from handcalc.render import RenderOptions, for_export
from handcalc.render.blocks import EXPLAIN, GRID, HEADING, NOTE, PICTURE, WORK, blocks
from handcalc.render.formulas import html_formula, latex
from handcalc.render.grid import bar_columns, is_rule
from handcalc.render.markdown import escape
from handcalc.trace import INPUT

EXPORTS = ("markdown", "latex", "html")
SPECIAL_TOKENS = ["!", "a|b", "<b>", "x_1", "50%"]
NAMED = {name: ROOT / "samples" / f"{name}.yaml" for name in ("self_attention", "two_heads", "causal", "rows_layout")}


def run(*args):
    result = CliRunner().invoke(app, [*map(str, args)])
    assert result.exit_code == 0, result.output
    return result.stdout


def export(path, fmt, *options):
    return run("run", path, "--format", fmt, *options)


def shown(path, *flags):
    """The blocks that the exports draw for ``path`` (at the export width)."""
    options = RenderOptions(show_work="--show-work" in flags, explain="--explain" in flags, full="--full" in flags)
    return list(blocks(compute(load(path)), for_export(options)))


def grids(path, *flags):
    return [block.grid for block in shown(path, *flags) if block.kind in (GRID, PICTURE)]


@pytest.fixture
def special(write_problem):
    """Tokens that are markup in every one of the three formats."""
    return write_problem(
        {
            "title": "Tricky <tokens> & 100% $pecial #1 a_b",
            "tokens": SPECIAL_TOKENS,
            "mask": "causal",
            "X": [[1, 0, 1, 0, 1], [0, 2, 0, 2, 1], [1, 1, 1, 1, 0]],
            "W_q": [[1, 0, 1], [0, 1, 1]],
            "W_k": [[0, 1, 1], [1, 0, 0]],
            "W_v": [[1, 1, 0], [0, 0, 1]],
        },
        "special.yaml",
    )


@pytest.fixture
def big_problem(write_problem):
    """32 tokens: too many columns for a page, so the exports elide them as the text does."""
    rng = np.random.default_rng(1)
    ints = lambda *shape: rng.integers(-2, 3, size=shape).tolist()
    return write_problem({"X": ints(6, 32), "W_q": ints(3, 6), "W_k": ints(3, 6), "W_v": ints(2, 6)}, "big.yaml")


def problems(special):
    return [*NAMED.values(), special]


# --- the formulas ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "formula, expected",
    [
        ("Q = W_q · X", r"Q = W_q \cdot X"),
        ("scores = Kᵀ · Q", r"\text{scores} = K^\top \cdot Q"),
        ("K = W_k · X_kv", r"K = W_k \cdot X_{kv}"),
        ("scaled = scores / (√d_k · T)", r"\text{scaled} = \text{scores} / (\sqrt{d_k} \cdot T)"),
        (
            "masked = scaled, with −∞ where the mask blocks",
            r"\text{masked} = \text{scaled},\text{ with }-\infty \text{ where the mask blocks}",
        ),
        ("exp = e^(scaled − column max)", r"\text{exp} = e^{\text{scaled} -\text{ column max}}"),
        (
            "concat = h1.Z, h2.Z, stacked top to bottom",
            r"\text{concat} = \text{h1.}Z,\ \text{h2.}Z,\text{ stacked top to bottom}",
        ),
        ("exp[2,1] = 3^−∞ = 0", r"\text{exp}[2,1] = 3^{-\infty} = 0"),
        ("masked[1,1] = 1.414 (allowed by the mask)", r"\text{masked}[1,1] = 1.414\ (\text{allowed by the mask})"),
    ],
)
def test_formulas_become_latex(formula, expected):
    assert latex(formula) == expected


def test_formulas_become_html_without_markup_of_their_own():
    assert (
        html_formula("scores = Kᵀ · Q") == '<span class="word">scores</span> = <var>K</var><sup>T</sup> · <var>Q</var>'
    )
    assert html_formula("scaled = scores / √d_k").endswith('√<span class="radicand"><var>d</var><sub>k</sub></span>')
    assert (
        html_formula("exp = 3^masked") == '<span class="word">exp</span> = 3<sup><span class="word">masked</span></sup>'
    )
    assert html_formula("mask <b> & more") == "mask &lt;<var>b</var>&gt; &amp; more"


def test_every_formula_of_every_sample_is_balanced_latex():
    for sample in SAMPLES:
        for step in compute(load(sample)):
            assert balanced_braces(latex(step.formula)), step.formula


# --- markdown -------------------------------------------------------------------------------
def markdown_tables(text):
    """Each table as a list of rows, each row the list of its cells' plain text."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    tables, row = [], None
    for token in tokens:
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            row = []
            tables[-1].append(row)
        elif token.type in ("th_open", "td_open"):
            row.append("")
        elif token.type == "inline" and row is not None:
            row[-1] = "".join(child.content for child in token.children or [] if child.type == "text")
        elif token.type == "tr_close":
            row = None
    return tables


@pytest.mark.parametrize("name", [*NAMED, "special"])
def test_markdown_has_a_table_per_grid_in_the_by_hand_arrangement(name, special):
    path = NAMED.get(name, special)
    text = export(path, "markdown", "--show-work", "--explain")
    expected = grids(path, "--show-work", "--explain")
    tables = markdown_tables(text)
    assert len(tables) == len(expected)
    for table, grid in zip(tables, expected):
        assert len(table) == len(grid)  # the first row is the header row: every grid row is a table row
        assert {len(row) for row in table} == {len(grid[0])}
        for row, cells in zip(table, grid):
            if not is_rule(cells):
                assert [text.strip() for text in row] == [
                    cell.text.strip() if cell.style != "rule" else "" for cell in cells
                ]
    assert text.count("$$") % 2 == 0
    math = re.findall(r"\$\$(.+?)\$\$", text, re.DOTALL)
    assert len(math) >= sum(block.kind == HEADING and block.step.kind != INPUT for block in shown(path)) and all(
        map(balanced_braces, math)
    )


def test_markdown_headings_math_notes_and_work(special):
    text = export(NAMED["causal"], "markdown", "--show-work", "--explain")
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    levels = [token.tag for token in tokens if token.type == "heading_open"]
    assert levels[0] == "h1" and levels.count("h3") == len(compute(load(NAMED["causal"])).steps)
    assert r"$$\text{scores} = K^\top \cdot Q$$" in text and r"$$d_k = 2,\quad \sqrt{d_k} = 1.414$$" in text
    for block in shown(NAMED["causal"], "--show-work", "--explain"):
        if block.kind == WORK:
            assert "\n".join(block.lines) in text
        if block.kind in (NOTE, EXPLAIN):
            assert escape(block.text) in text


def test_markdown_escapes_labels_and_keeps_them(special):
    text = export(special, "markdown")
    assert "a\\|b" in text and "\\<b\\>" in text and "x\\_1" in text
    header = markdown_tables(text)[0][0]
    assert header == ["X", *SPECIAL_TOKENS]
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "<b>" not in html and "&lt;b&gt;" in html


def test_two_heads_have_their_banners(special):
    text = export(NAMED["two_heads"], "markdown")
    assert "## Head 1  (d\\_k = 2, d\\_v = 2)" in text and "## Head 2" in text
    assert r"$$\text{concat} = \text{h1.}Z,\ \text{h2.}Z,\text{ stacked top to bottom}$$" in text


# --- HTML -----------------------------------------------------------------------------------
VOID = {"meta", "br", "hr", "img", "link", "input", "col", "wbr"}


class Page(HTMLParser):
    """Checks that every tag closes in order, and collects the tables and the text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.tables, self.text, self.tags = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in VOID:
            return
        self.stack.append(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.tables[-1][-1].append([dict(attrs).get("class", ""), ""])

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)
        if {"td", "th"} & set(self.stack[-3:]) and self.tables:
            self.tables[-1][-1][-1][1] += data


def parse_html(text):
    page = Page()
    page.feed(text)
    page.close()
    assert page.stack == [], f"unclosed: {page.stack}"
    return page


@pytest.mark.parametrize("name", [*NAMED, "special"])
def test_html_is_one_well_formed_page_with_a_table_per_grid(name, special):
    path = NAMED.get(name, special)
    text = export(path, "html", "--show-work", "--explain")
    page = parse_html(text)
    assert text.startswith("<!DOCTYPE html>") and text.count("<html") == 1
    expected = grids(path, "--show-work", "--explain")
    assert len(page.tables) == len(expected)
    for table, grid in zip(page.tables, expected):
        assert len(table) == len(grid) and {len(row) for row in table} == {len(grid[0])}
        for row, cells in zip(table, grid):
            assert [cls.split()[0] for cls, _ in row] == [cell.style for cell in cells]


@pytest.mark.parametrize("name", [*NAMED, "special"])
def test_html_loads_nothing_from_the_network(name, special):
    text = export(NAMED.get(name, special), "html", "--show-work", "--explain")
    for reference in ("http://", "https://", "src=", "href=", "@import", "url(", "<script", "<link"):
        assert reference not in text.lower()


def test_html_shows_the_numbers_labels_and_formulas(special):
    path = NAMED["causal"]
    page = parse_html(export(path, "html", "--show-work", "--explain"))
    text = "".join(page.text)
    Z = compute(load(path))["Z"].value
    assert all(format_number(float(x)) in text for x in Z.flat)
    assert "−∞" in text and "scaled = scores / √dk" in text
    assert sum(tag == "section" for tag, _ in page.tags) == len(compute(load(path)).steps)
    for block in shown(path, "--show-work", "--explain"):
        if block.kind in (NOTE, EXPLAIN):
            assert block.text in text
        if block.kind == WORK:
            assert "\n".join(block.lines) in text
    classes = {attrs.get("class", "").split()[0] for tag, attrs in page.tags if tag in ("td", "th")}
    assert {"name", "label", "operand", "value", "masked", "sum", "rule"} <= classes


def test_html_escapes_labels_and_prints_well(special):
    text = export(special, "html")
    page = parse_html(text)
    assert not any(tag == "b" for tag, _ in page.tags)
    header = [cell for _, cell in page.tables[0][0]]
    assert header == ["X", *SPECIAL_TOKENS]
    assert "@media print" in text and "break-inside: avoid" in text


# --- LaTeX ----------------------------------------------------------------------------------
def balanced_braces(text):
    depth = 0
    for char in re.sub(r"\\[{}]", "", text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def environments(text):
    """The environments, checked to close in order; their names as opened."""
    stack, names = [], []
    for verb, name in re.findall(r"\\(begin|end)\{([^}]*)\}", text):
        if verb == "begin":
            stack.append(name)
            names.append(name)
        else:
            assert stack and stack.pop() == name, name
    assert stack == []
    return names


def outside_math(text):
    """The text with its comments, display math and inline math taken out."""
    text = re.sub(r"(?m)^%.*$", "", text)
    text = re.sub(r"\\\[.*?\\\]", "", text, flags=re.DOTALL)
    return re.sub(r"(?<!\\)\$.*?(?<!\\)\$", "", text, flags=re.DOTALL)


@pytest.mark.parametrize("name", [*NAMED, "special"])
def test_latex_is_balanced_and_escaped(name, special):
    path = NAMED.get(name, special)
    text = export(path, "latex", "--show-work", "--explain")
    names = environments(text)
    assert balanced_braces(text)
    assert text.count(r"\[") - text.count(r"\\[") == text.count(r"\]") and len(re.findall(r"(?<!\\)\$", text)) % 2 == 0
    steps = compute(load(path)).steps
    assert names.count("bmatrix") == len(steps)
    assert names.count("array") == sum(
        block.kind == PICTURE or _has_rules(block.grid) for block in shown(path) if block.grid
    )
    prose = outside_math(text)
    for char in "_#%&$^":
        assert not re.search(rf"(?<!\\){re.escape(char)}", prose), f"unescaped {char}"
    assert text.isascii(), "a character pdflatex cannot typeset: map it in render/formulas.py"


def _has_rules(grid):
    return any(map(is_rule, grid)) or bool(bar_columns(grid))


def test_latex_writes_masked_cells_and_escaped_labels(special):
    text = export(special, "latex")
    assert r"\hfill -\infty" in text
    for label in (
        r"\text{a\textbar{}b}",
        r"\text{\textless{}b\textgreater{}}",
        r"\text{x\_1}",
        r"\text{50\%}",
        r"\text{!}",
    ):
        assert label in text
    assert r"\section*{Tricky \textless{}tokens\textgreater{} \& 100\% \$pecial \#1 a\_b}" in text
    assert r"\emph{(tokens as columns)}" in text
    assert "amsmath" in text.splitlines()[1]


@pytest.mark.parametrize("name", [*NAMED, "special"])
def test_latex_compiles_inside_an_article(name, special, tmp_path):
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed (Debian: texlive-latex-base); the balance checks above still ran")
    (tmp_path / "fragment.tex").write_text(export(NAMED.get(name, special), "latex", "--show-work", "--explain"))
    document = (
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n\\input{fragment}\n\\end{document}\n"
    )
    (tmp_path / "doc.tex").write_text(document)
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        check=False, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000


# --- all three ------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", EXPORTS)
def test_large_problems_are_elided_unless_full(big_problem, fmt):
    elided, full = export(big_problem, fmt), export(big_problem, fmt, "--full")
    assert "x32" in elided and "x16" not in elided and "x16" in full
    assert ("\\cdots" if fmt == "latex" else "⋯") in elided
    assert ("\\cdots" if fmt == "latex" else "⋯") not in full


@pytest.mark.parametrize("fmt", EXPORTS)
def test_the_width_of_the_terminal_does_not_change_an_export(big_problem, fmt):
    narrow = CliRunner().invoke(app, ["run", str(big_problem), "--format", fmt], env={"COLUMNS": "40"}).stdout
    assert narrow == export(big_problem, fmt)


@pytest.mark.parametrize("fmt", EXPORTS)
@pytest.mark.parametrize("sample", SAMPLES, ids=[s.stem for s in SAMPLES])
def test_every_sample_exports(sample, fmt):
    assert "Z" in export(sample, fmt)


@pytest.mark.parametrize("fmt", EXPORTS)
def test_softmax_exports(fmt):
    text = run("softmax", "1", "2", "3", "--format", fmt)
    assert "0.665" in text and ("exp" in text)


@pytest.mark.parametrize("fmt, suffix", [("markdown", "md"), ("latex", "tex"), ("html", "html")])
def test_an_export_goes_to_a_file(tmp_path, fmt, suffix):
    target = tmp_path / f"causal.{suffix}"
    assert run("run", NAMED["causal"], "--format", fmt, "-o", target) == ""
    assert target.read_text(encoding="utf-8") == export(NAMED["causal"], fmt)


def test_exact_fractions_are_fractions_in_latex(write_problem):
    path = write_problem(
        {
            "scale": "none",
            "base": 3,
            "X": [[1, 0, 1], [0, 1, 1]],
            "W_q": [[1, 0], [0, 1]],
            "W_k": [[1, 0], [0, 1]],
            "W_v": [[1, 1], [0, 1]],
        }
    )
    text = export(path, "latex", "--exact")
    assert r"\tfrac{3}{7} & \tfrac{1}{7} & \tfrac{1}{5}" in text
    assert "| 3/7 | 1/7 | 1/5 |" in export(path, "markdown", "--exact")
