"""Tables of many cells drawn at numpy's speed, exactly as they were drawn cell by cell:
every number formatted as ``format_number`` formats it alone, JSON as ``json.dumps`` writes
it, the terminal's lines as rich draws a ``Text`` of the same pieces."""

from __future__ import annotations

import io
import json
import math
import re
from fractions import Fraction

import numpy as np
import pytest
from conftest import ROOT
from rich.console import Console, Group
from rich.text import Text

from handcalc import compute
from handcalc.load import load
from handcalc.numbers import format_number, format_numbers
from handcalc.render import RenderOptions, renderer
from handcalc.render.blocks import GRID, PICTURE, blocks
from handcalc.render.grid import lines
from handcalc.render.terminal import STYLES, draw

# Every kind of cell: integers, halves, a value a hair off a half, −0, masked −∞, +∞,
# nan, large numbers written out, beyond 10^21, tiny ones; repeated, as a table repeats them.
SPECIAL = [0.0, -0.0, 1.0, -1.0, 2.5, 0.0625, 1.0049999999999999, 1.5 * 0.7, -np.inf, np.inf, np.nan, 5.048e12,
           12345678901.5, 1.9424e130, 1e-300, 1 / 3, -2 / 3, 0.9999999999999999, 2.0**53 + 2]  # fmt: skip


@pytest.mark.parametrize("precision", [0, 2, 3, 15])
def test_an_array_is_formatted_as_each_cell_alone(precision):
    rng = np.random.default_rng(precision)
    value = rng.choice(np.array(SPECIAL + list(rng.normal(size=20))), size=(7, 9))
    expected = [[format_number(float(x), precision) for x in row] for row in value]
    assert format_numbers(value, precision).tolist() == expected
    assert format_numbers(value[0], precision).tolist() == expected[0]  # a vector


def test_exact_cells_are_never_merged_with_the_floats_they_equal():
    value = np.array([[Fraction(1, 2), 0.5, -np.inf], [Fraction(4, 2), 2.0, Fraction(-1, 3)]], dtype=object)
    assert format_numbers(value, 3).tolist() == [["1/2", "0.500", "−∞"], ["2", "2", "-1/3"]]


def _json_cell(x):
    """A cell as run's JSON documents it, worked out here on its own."""
    if isinstance(x, Fraction):
        return x.numerator if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    x = float(x)
    if x in (-math.inf, math.inf):
        return None
    return int(x) if x == int(x) and abs(x) < 2**53 else x


def _problem(write_problem, tokens: int, exact: bool = False):
    """A causal problem of ``tokens`` tokens with few distinct values and some masked."""
    rng = np.random.default_rng(tokens)
    X = rng.integers(-1, 3, size=(4, tokens)).tolist()
    W = {name: rng.integers(-1, 2, size=(3, 4)).tolist() for name in ("W_q", "W_k", "W_v")}
    trace = compute(load(write_problem({"X": X, **W, "mask": "causal"})), exact=exact)
    return trace


@pytest.mark.parametrize("exact", [False, True])
def test_json_cells_are_the_trace_values_written_as_json_dumps_writes_them(write_problem, exact):
    trace = _problem(write_problem, 40, exact)
    text = renderer("json")(trace, RenderOptions())
    document = json.loads(text)
    step_lines = [line.strip().rstrip(",") for line in text.splitlines() if line.startswith('    {"name"')]
    assert len(step_lines) == len(document["steps"]) == len(list(trace))
    for step, line, written in zip(trace, step_lines, document["steps"]):
        value = step.value.tolist()
        rows = [value] if step.value.ndim == 1 else value
        expected = [[_json_cell(x) for x in row] for row in rows]
        expected = expected[0] if step.value.ndim == 1 else expected
        assert written["value"] == expected, step.name
        assert line == json.dumps(written, ensure_ascii=False), step.name  # byte for byte as json.dumps
    steps = {step["name"]: step for step in document["steps"]}
    assert None in steps["masked"]["value"][5] and steps["masked"]["value"][0][5] is not None


def _as_text(pieces) -> Text:
    """A grid's line as rich's own Text of its styled pieces: what the terminal drew before."""
    return Text.assemble("  ", *((text, STYLES.get(style, "")) for text, style in pieces), no_wrap=True)


def _tables(tables, options) -> tuple[Group, Group]:
    """The lines of ``tables`` as the terminal draws them, and as Texts of their pieces."""
    drawn = Group(*(part for block in tables for part in draw([block], options).renderables if str(part.plain)))
    return drawn, Group(*(_as_text(line) for block in tables for line in lines(block.grid)))


def _printed(renderable, soft: bool = True, **console) -> str:
    stream = io.StringIO()
    Console(file=stream, **console).print(renderable, soft_wrap=soft)
    return stream.getvalue()


@pytest.mark.parametrize("console", [
    {"force_terminal": True, "color_system": "truecolor", "width": 100},  # a colour terminal
    {"force_terminal": True, "color_system": "standard", "width": 60},
    {"force_terminal": False, "color_system": None, "width": 80},  # piped: no colour
])  # fmt: skip
@pytest.mark.parametrize("full", [False, True])
def test_the_terminal_draws_a_table_as_a_text_of_its_pieces_would(write_problem, console, full):
    trace = _problem(write_problem, 12)
    options = RenderOptions(full=full, width=console["width"], only=("Q", "masked", "sums", "A"))
    shown = list(blocks(trace, options))
    tables = [b for b in shown if b.kind in (GRID, PICTURE)]
    assert tables
    drawn, reference = _tables(tables, options)
    assert _printed(drawn, **console) == _printed(reference, **console)
    if console["color_system"]:  # coloured: −∞ of the masked scores in red
        assert re.search("\x1b\\[31m *−∞", _printed(drawn, **console))


def test_a_table_written_to_a_file_is_cut_at_the_width_as_before(write_problem):
    trace = _problem(write_problem, 12)
    options = RenderOptions(full=True, width=40, only=("A",))
    tables = [b for b in blocks(trace, options) if b.kind == GRID]
    drawn, reference = _tables(tables, options)
    kept = {"width": 40, "color_system": None, "soft": False}
    assert _printed(drawn, **kept) == _printed(reference, **kept)
    assert max(map(len, _printed(drawn, **kept).splitlines())) == 40  # cut, as a Text is


def test_every_format_of_a_full_table_shows_each_shown_cell(write_problem):
    """The shown cells of --full, in every text format, are the values formatted one by one."""
    trace = _problem(write_problem, 40)
    A = trace["A"].value
    expected = [format_number(float(x), 3) for x in A[39, :]]
    for fmt in ("text", "markdown", "html", "latex"):
        out = renderer(fmt)(trace, RenderOptions(full=True, only=("A",)))
        assert all(text in out for text in set(expected)), fmt


def test_a_control_code_in_a_cell_is_taken_out_as_a_text_takes_it_out():
    from handcalc.render.terminal import _Line

    pieces = [("1\x07", "value"), ("  ", "gap"), ("\r2", "masked")]
    reference = _as_text(pieces)
    for console in ({"force_terminal": True, "color_system": "truecolor"}, {"color_system": None}):
        assert _printed(_Line(pieces), **console) == _printed(reference, **console)
        assert "\x07" not in _printed(_Line(pieces), **console)


def test_a_decimal_is_its_own_latex():
    """LaTeX cells skip the formula reader for the decimals format_number writes: they read as they are."""
    from handcalc.render.formulas import latex

    rng = np.random.default_rng(5)
    values = np.concatenate([rng.normal(scale=1000, size=300), rng.integers(-10**6, 10**6, size=100), SPECIAL[:8]])
    for precision in (0, 3, 15):
        for text in {format_number(float(x), precision) for x in values if np.isfinite(x)}:
            assert latex(text) == text, text
