"""``--show-work`` and ``--cell``: the arithmetic of each cell, written out as a student does.

Every written line is checked twice, independently of handcalc's own code: its printed
terms are parsed back and recomputed with plain Python (Σ a·b, a / √d_k, base^x, a + b …),
which must land on the trace's value within what the printed rounding allows; and the
terms must be the cells the textbook formula names (row i of W_q, column j of X …).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from conftest import ROOT, cli_runner

from handcalc.attention import compute
from handcalc.cli import app
from handcalc.load import load
from handcalc.numbers import format_number
from handcalc.render import RenderOptions
from handcalc.render.work import work_lines, wrapped
from handcalc.softmax import compute as softmax
from handcalc.work import CellError, parse_cell

runner = cli_runner()
SAMPLES = sorted((ROOT / "samples").glob("*.yaml"))
CLASSIC, CAUSAL, ROWS, TWO_HEADS = (
    ROOT / "samples" / name for name in ("self_attention.yaml", "causal.yaml", "rows_layout.yaml", "two_heads.yaml")
)
MINUS_INFINITY = "−∞"


def run(*args, columns: int = 100) -> str:
    result = runner.invoke(app, ["run", *map(str, args), "--format", "text"], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.stdout


def trace_of(path, layout: str | None = None, **options):
    problem = load(path)
    problem = problem.with_layout(layout) if layout else problem
    return compute(problem.replaced(**options) if options else problem)


def work_blocks(text: str) -> list[list[str]]:
    """The lines of each ``Work:`` block of a text output, a wrapped line joined back up."""
    blocks: list[list[str]] = []
    inside = False
    for line in text.splitlines():
        if line == "  Work:":
            blocks.append([])
            inside = True
        elif inside and line.startswith("    "):
            body = line.strip()
            if body[0] in "+=":  # a line continued under its "="
                blocks[-1][-1] += " " + body
            else:
                blocks[-1].append(body)
        else:
            inside = False
    return blocks


def work_blocks_text(text: str, name: str) -> list[str]:
    """The printed lines (not joined) of the work block of step ``name``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"    {name}["))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("    …"))
    return lines[start : end + 1]


def cell_lines(text: str) -> list[str]:
    """Every worked cell's line (not the "… and N more cells" lines)."""
    return [line for block in work_blocks(text) for line in block if not line.startswith("…")]


# --- reading a written line back, and recomputing it ------------------------------------------
LINE = re.compile(r"(?P<name>[\w.]+)\[(?P<index>\d+(?:,\d+)?)\] = (?P<rhs>.+)")


def number(text: str) -> Fraction | float:
    """A printed number: ``2``, ``(-0.500)``, ``(1/3)``, ``4.111e+38``, ``−∞``."""
    text = text.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    return -math.inf if text == MINUS_INFINITY else Fraction(text)


def off_by(text: str, h: float) -> float:
    """How far a printed number may be from the value it stands for: ``h``, or ``h`` of
    its mantissa in scientific notation (``4.111e+38``)."""
    return float(abs(number(text))) * 2 * h if "e+" in text else h


def split_result(rhs: str) -> tuple[str, str]:
    """``1·2 + 3·4 = 14`` (or ``e^2.121 ≈ 8.342``) as the arithmetic and the printed result."""
    sign = " ≈ " if " ≈ " in rhs else " = "
    work, _, result = rhs.rpartition(sign)
    return work, result


def recompute(work: str, h: float) -> tuple[float, float, str]:
    """The value of the written arithmetic ``work``, a bound on how far the true value may
    be from it when every printed decimal is off by up to ``h``, and what kind it is."""
    if power := re.fullmatch(r"(?P<base>e|[\d.]+)\^(?P<x>.+)", work):
        base = math.e if power["base"] == "e" else float(power["base"])
        x = power["x"]
        if x == MINUS_INFINITY:
            return 0.0, 0.0, "power"
        if shifted := re.fullmatch(r"\((.+) − (.+)\)", x):
            exponent, error = (
                float(number(shifted[1])) - float(number(shifted[2])),
                off_by(shifted[1], h) + off_by(shifted[2], h),
            )
        else:
            exponent, error = float(number(x)), off_by(x, h)
        value = base**exponent
        return value, value * math.log(base) * error * 1.01, "power"
    if " / " in work:
        dividend, divisor_text = work.split(" / ")
        a = float(number(dividend))
        divisor, divisor_error = 1.0, 0.0
        for part in divisor_text.strip("()").split(" · "):
            factor = math.sqrt(float(number(part[1:]))) if part.startswith("√") else float(number(part))
            divisor_error = divisor_error * factor + divisor * (0 if part.startswith("√") else off_by(part, h))
            divisor *= factor
        return a / divisor, off_by(dividend, h) / divisor + abs(a) * divisor_error / divisor**2, "quotient"
    terms = work.split(" + ")
    if "·" in work:
        pairs = [term.split("·") for term in terms]
        value = sum(float(number(a)) * float(number(b)) for a, b in pairs)
        error = sum(
            abs(float(number(a))) * off_by(b, h) + abs(float(number(b))) * off_by(a, h) + off_by(a, h) * off_by(b, h)
            for a, b in pairs
        )
        return value, error, "product"
    return sum(float(number(x)) for x in terms), sum(off_by(x, h) for x in terms), "sum"


def check(line: str, trace, precision: int, rounded: int | None = None) -> str:
    """Recompute ``line`` from its printed terms and compare it with the trace; return its kind.

    With carried rounding to ``rounded`` decimals, the trace's cell is itself rounded."""
    match = LINE.fullmatch(line)
    assert match, line
    step = trace[match["name"]]
    index = tuple(int(k) - 1 for k in match["index"].split(","))
    value = float(step.value[index])
    h = 0.5 * 10.0**-precision
    rhs = match["rhs"]
    if rhs == f"{MINUS_INFINITY} (blocked by the mask)":
        assert value == -math.inf and step.name.endswith("masked"), line
        return "blocked"
    if allowed := re.fullmatch(r"(.+) \(allowed by the mask\)", rhs):
        assert allowed[1] == format_number(step.value[index], precision), line
        return "allowed"
    if copy := re.fullmatch(r"(?P<name>[\w.]+)\[(?P<i>\d+),(?P<j>\d+)\] = (?P<result>.+)", rhs):
        source = trace[copy["name"]].value[int(copy["i"]) - 1, int(copy["j"]) - 1]
        assert copy["result"] == format_number(source, precision) == format_number(step.value[index], precision)
        return "copy"
    work, result = split_result(rhs)
    assert result == format_number(step.value[index], precision), line  # the result is the trace's cell
    if not work:  # scaled, with nothing to divide by
        return "unscaled"
    recomputed, error, kind = recompute(work, h)
    carried = 0 if rounded is None else 0.5 * 10.0**-rounded
    assert abs(recomputed - value) <= error + carried + 1e-9 * max(1, abs(value)), (line, recomputed, value, error)
    return kind


KIND_OF = {"Q": "product", "K": "product", "V": "product", "scores": "product", "Z": "product",
           "output": "product", "scaled": "quotient", "masked": "masked", "exp": "power", "sums": "sum",
           "A": "quotient", "concat": "copy"}  # fmt: skip


# --- every sample, both layouts: every written cell recomputes to the trace ------------------
@pytest.mark.parametrize("layout", ["columns", "rows"])
@pytest.mark.parametrize("precision", [3, 8])
@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.stem)
def test_every_written_cell_recomputes_to_the_trace(path, layout, precision):
    trace = trace_of(path, layout)
    lines = cell_lines(run(path, "--show-work", "--layout", layout, "--precision", precision))
    seen = set()
    for line in lines:
        kind = check(line, trace, precision)
        short = LINE.fullmatch(line)["name"].rpartition(".")[2]
        assert kind in (KIND_OF[short], "blocked", "allowed", "unscaled"), line
        seen.add(short)
    assert seen == {step.name.rpartition(".")[2] for step in trace if step.kind != "input"}


def test_the_issue_example_written_as_a_student_writes_it():
    text = run(CLASSIC, "--only", "Q,scaled,exp,sums,A", "--show-work")
    lines = cell_lines(text)
    assert "Q[1,1] = 1·1 + 0·0 + 1·1 = 2" in lines
    assert "scaled[1,1] = 3 / √2 = 2.121" in lines
    assert "exp[1,1] = e^2.121 ≈ 8.342" in lines  # e^2.121 is 8.339: the true exp, not equal
    assert "sums[1] = 8.342 + 69.591 + 8.342 + 69.591 ≈ 155.867" in lines  # they add to 155.866
    assert "A[2,1] = 69.591 / 155.867 = 0.446" in lines


# --- the terms are the cells the textbook formula names ---------------------------------------
def terms(line: str) -> list[list[str]]:
    work, _ = split_result(LINE.fullmatch(line)["rhs"])
    return [term.split("·") for term in work.split(" + ")]


def printed(values) -> list[str]:
    """Numbers as the work writes a factor: negatives and fractions in parentheses."""
    out = []
    for x in values:
        text = format_number(x)
        out.append(f"({text})" if text.startswith("-") or "/" in text else text)
    return out


@pytest.mark.parametrize("layout", ["columns", "rows"])
def test_a_product_cell_is_a_row_of_the_left_times_a_column_of_the_right(layout):
    """Columns: Q = W_q · X and scores = Kᵀ · Q; rows: Q = X · W_q and scores = Q · Kᵀ."""
    trace = trace_of(ROWS if layout == "rows" else CLASSIC)
    value = {name: trace[name].value for name in ("X", "W_q", "Q", "K")}
    if layout == "columns":
        want = {"Q": (value["W_q"], value["X"]), "scores": (value["K"].T, value["Q"])}
    else:
        want = {"Q": (value["X"], value["W_q"]), "scores": (value["Q"], value["K"].T)}
    for line in cell_lines(run(ROWS if layout == "rows" else CLASSIC, "--only", "Q,scores", "--show-work")):
        name, index = LINE.fullmatch(line)["name"], LINE.fullmatch(line)["index"]
        i, j = (int(k) - 1 for k in index.split(","))
        left, right = want[name]
        assert [a for a, _ in terms(line)] == printed(left[i, :]), line  # every term, zeros too
        assert [b for _, b in terms(line)] == printed(right[:, j]), line


def test_negative_terms_are_in_parentheses(write_problem):
    path = write_problem({"X": [[1, -2], [0, 3]], "W_q": [[-1, 0], [2, -1]], "W_k": [[1, 0], [0, 1]],
                          "W_v": [[1, 0], [0, 1]]})  # fmt: skip
    lines = cell_lines(run(path, "--only", "Q", "--show-work"))
    assert lines[0] == "Q[1,1] = (-1)·1 + 0·0 = -1"
    assert lines[2] == "Q[1,2] = (-1)·(-2) + 0·3 = 2"


@pytest.mark.parametrize("layout", ["columns", "rows"])
def test_sums_add_each_column_of_exp_or_each_row(layout):
    trace = trace_of(CLASSIC, layout)
    exp = trace["exp"].value
    for line in cell_lines(run(CLASSIC, "--layout", layout, "--only", "sums", "--show-work")):
        (j,) = (int(LINE.fullmatch(line)["index"]) - 1,)
        line_of_exp = exp[:, j] if layout == "columns" else exp[j, :]
        work, _ = split_result(LINE.fullmatch(line)["rhs"])
        assert work.split(" + ") == [format_number(x) for x in line_of_exp]


@pytest.mark.parametrize("layout", ["columns", "rows"])
def test_a_weight_is_its_exponential_over_the_sum_of_its_column_or_row(layout):
    trace = trace_of(CLASSIC, layout)
    exp, sums = trace["exp"].value, trace["sums"].value
    lines = cell_lines(run(CLASSIC, "--layout", layout, "--only", "A", "--show-work"))
    assert len(lines) == 3
    for line in lines:
        i, j = (int(k) - 1 for k in LINE.fullmatch(line)["index"].split(","))
        numerator, denominator = split_result(LINE.fullmatch(line)["rhs"])[0].split(" / ")
        assert numerator == format_number(exp[i, j])
        assert denominator == format_number(sums[j] if layout == "columns" else sums[i])


def test_the_first_cells_are_those_of_the_first_token():
    """Tokens as columns: down the first column; tokens as rows: along the first row."""
    cells = lambda text: [LINE.fullmatch(line)["index"] for line in cell_lines(text)]
    assert cells(run(CLASSIC, "--only", "A", "--show-work")) == ["1,1", "2,1", "3,1"]
    assert cells(run(CLASSIC, "--layout", "rows", "--only", "A", "--show-work")) == ["1,1", "1,2", "1,3"]


# --- scaled: √d_k, s and T --------------------------------------------------------------------
def test_scaled_divides_by_root_dk_and_temperature(write_problem):
    assert cell_lines(run(CLASSIC, "--only", "scaled", "--show-work"))[0] == "scaled[1,1] = 3 / √2 = 2.121"
    problem = json.dumps({**_classic(), "temperature": 2})
    lines = cell_lines(run(write_problem(problem), "--only", "scaled", "--show-work"))
    assert lines[0] == "scaled[1,1] = 3 / (√2 · 2) = 1.061"


def test_scaled_with_a_number_or_no_scale(write_problem):
    lines = cell_lines(run(write_problem({**_classic(), "scale": 4}), "--only", "scaled", "--show-work"))
    assert lines[1] == "scaled[2,1] = 6 / 4 = 1.500"
    lines = cell_lines(run(write_problem({**_classic(), "scale": "none"}), "--only", "scaled", "--show-work"))
    assert lines[1] == "scaled[2,1] = 6"


def _classic() -> dict:
    return {"X": [[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]], "W_q": [[1, 0, 1], [0, 1, 1]],
            "W_k": [[0, 1, 1], [1, 0, 0]], "W_v": [[1, 1, 0], [0, 0, 1]]}  # fmt: skip


# --- masked, exp: base e or 3, −∞, and the max subtracted -------------------------------------
@pytest.mark.parametrize("layout", ["columns", "rows"])
def test_a_masked_problem_blocks_cells_and_their_exponentials_are_zero(layout):
    """The causal sample (base 3): blocked cells are −∞ and 3^−∞ = 0."""
    text = run(CAUSAL, "--layout", layout, "--only", "masked,exp,sums", "--show-work")
    masked, exp, sums = work_blocks(text)
    blocked = "masked[2,1]" if layout == "columns" else "masked[1,2]"  # key 2 comes after query 1
    assert masked[1] == f"{blocked} = {MINUS_INFINITY} (blocked by the mask)"
    assert masked[0].endswith("(allowed by the mask)")
    assert exp[1].endswith(f"= 3^{MINUS_INFINITY} = 0") and exp[0].startswith("exp[1,1] = 3^")
    assert " + 0 + 0 + 0 = " in sums[0]  # the blocked keys' zeros are written too


def test_base_3_with_whole_exponents_is_written_as_powers(write_problem):
    path = write_problem({**_classic(), "base": 3, "scale": "none"})
    lines = cell_lines(run(path, "--only", "exp", "--show-work"))
    assert lines == ["exp[1,1] = 3^3 = 27", "exp[2,1] = 3^6 = 729", "exp[3,1] = 3^3 = 27"]


@pytest.mark.parametrize("layout", ["columns", "rows"])
def test_the_subtracted_max_is_written_in_the_exponent(write_problem, layout):
    """Scores too large for e^x: each column's (row's) max is subtracted, and the work says so."""
    path = write_problem({"X": [[400, 0], [0, 300]], "W_q": [[1, 0], [0, 1]], "W_k": [[1, 0], [0, 1]],
                          "W_v": [[1, 0], [0, 1]], "layout": layout})  # fmt: skip
    trace = trace_of(path)
    scaled = trace["scaled"].value
    for line in cell_lines(run(path, "--only", "exp", "--show-work", "--precision", 6)):
        i, j = (int(k) - 1 for k in LINE.fullmatch(line)["index"].split(","))
        exponent = re.search(r"\^\((.+) − (.+)\) = ", line)
        assert exponent, line
        assert exponent[1] == format_number(scaled[i, j], 6)
        assert exponent[2] == format_number(max(scaled[:, j] if layout == "columns" else scaled[i, :]), 6)
        assert check(line, trace, 6) == "power"


# --- heads, concat, exact fractions, carried rounding -----------------------------------------
def test_a_heads_steps_are_named_with_the_head():
    text = run(TWO_HEADS, "--only", "h2.Q,concat", "--show-work")
    q, concat = work_blocks(text)
    assert q[0] == "h2.Q[1,1] = 0·1 + 1·0 + 0·1 = 0"
    assert concat[:3] == [
        "concat[1,1] = h1.Z[1,1] = 1.893",
        "concat[2,1] = h1.Z[2,1] = 1",
        "concat[3,1] = h2.Z[1,1] = 2",
    ]
    rows = work_blocks(run(TWO_HEADS, "--layout", "rows", "--only", "concat", "--show-work", "--cell", "concat[1,3]"))
    assert rows == [["concat[1,3] = h2.Z[1,1] = 2"]]  # side by side: column 3 is h2's first


def test_exact_fractions_are_written_in_parentheses_and_recompute_exactly(write_problem):
    path = write_problem({**_classic(), "W_v": [["1/2", 1, 0], [0, 0, "-1/3"]], "base": 3, "scale": "none"})
    trace = compute(load(path), exact=True)
    text = runner.invoke(app, ["run", str(path), "--exact", "--show-work", "--format", "text"]).stdout
    v = next(block for block in work_blocks(text) if block[0].startswith("V["))
    assert v[0] == "V[1,1] = (1/2)·1 + 1·0 + 0·1 = 1/2"
    assert v[1] == "V[2,1] = 0·1 + 0·0 + (-1/3)·1 = -1/3"
    for line in cell_lines(text):
        work, result = split_result(LINE.fullmatch(line)["rhs"])
        if "·" in work and "^" not in work:  # a product of fractions is exact: Σ a·b == result
            assert sum(number(a) * number(b) for a, b in (t.split("·") for t in work.split(" + "))) == number(result)
    assert all(check(line, trace, 3) for line in cell_lines(text))


def test_with_carried_rounding_the_work_uses_the_rounded_values():
    trace = trace_of(CLASSIC, round=2)
    text = run(CLASSIC, "--round", "2", "--only", "exp,sums,A,Z", "--show-work")
    for line in cell_lines(text):
        check(line, trace, 2, rounded=2)
    sums = next(block for block in work_blocks(text) if block[0].startswith("sums"))
    # scaled = 3 / 1.41 = 2.13 (√2 as the sheet shows it), e^2.13 = 8.41 rounded, and they add up
    assert sums[0] == "sums[1] = 8.41 + 70.81 + 8.41 + 70.81 = 158.44"


# --- how much is shown ------------------------------------------------------------------------
def test_inputs_have_no_work():
    assert work_blocks(run(CLASSIC, "--only", "X,W_q", "--show-work")) == []


def test_a_step_shows_its_first_three_cells_and_how_many_were_left_out():
    blocks = work_blocks(run(CLASSIC, "--only", "Q,A,sums", "--show-work"))
    assert [block[-1] for block in blocks] == ["… and 5 more cells", "… and 1 more cell", "… and 13 more cells"]
    assert [len(block) for block in blocks] == [4, 4, 4]


def sixty_four_tokens() -> dict:
    rng = np.random.default_rng(7)
    matrix = lambda rows, cols: rng.integers(-2, 3, size=(rows, cols)).tolist()
    return {"X": matrix(8, 64), "W_q": matrix(3, 8), "W_k": matrix(3, 8), "W_v": matrix(3, 8), "mask": "causal"}


@pytest.mark.parametrize("columns", [100, 60])
def test_a_64_token_problem_shows_few_cells_says_how_many_were_left_out_and_fits(write_problem, columns):
    path = write_problem(sixty_four_tokens())
    text = run(path, "--show-work", columns=columns)
    blocks = {block[0].partition("[")[0]: block for block in work_blocks(text)}
    assert blocks["A"][-1] == f"… and {64 * 64 - 3} more cells"
    assert len(blocks["Z"]) == 2 and blocks["Z"][-1] == f"… and {3 * 64 - 1} more cells"  # 64 terms: one cell
    assert len(blocks["sums"]) == 2 and blocks["sums"][0].count(" + ") == 63  # every term, zeros too
    work = [line for line in text.splitlines() if line.startswith("    ")]
    assert work and max(map(len, work)) <= columns
    rich = runner.invoke(app, ["run", str(path), "--show-work", "--only", "Z", "--format", "rich"],
                         env={"COLUMNS": str(columns)})  # fmt: skip
    assert work_blocks_text(rich.stdout, "Z") == work_blocks_text(text, "Z")  # the terminal wraps the same
    trace = trace_of(path)
    assert all(check(line, trace, 3) for line in cell_lines(text))


def test_the_rich_format_shows_the_same_work():
    result = runner.invoke(app, ["run", str(CLASSIC), "--only", "A", "--show-work", "--format", "rich"],
                           env={"COLUMNS": "60"})  # fmt: skip
    assert result.exit_code == 0
    assert "    A[2,1] = 69.591 / 155.867 = 0.446" in result.stdout.splitlines()


# --- --cell ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "cell", "line"),
    [
        (CLASSIC, "A[2,1]", "A[2,1] = 69.591 / 155.867 = 0.446"),
        (CLASSIC, "sums[3]", "sums[3] = 8.342 + 69.591 + 8.342 + 69.591 ≈ 155.867"),
        (CLASSIC, " scores[ 4 , 2 ] ", "scores[4,2] = 3·1 + 0·3 = 3"),
        (TWO_HEADS, "h2.A[1,1]", "h2.A[1,1] = 1 / 4 = 0.250"),
    ],
)
def test_cell_shows_only_that_cell_under_its_step(path, cell, line):
    text = run(path, "--cell", cell)
    assert work_blocks(text) == [[line]]
    assert text.count("Work:") == 1 and "more cell" not in text


def test_cell_indices_follow_the_layout_as_displayed():
    """In rows, A is queries × keys: A[1,2] is query 1's weight on key 2, A[2,1] in columns."""
    rows = cell_lines(run(CLASSIC, "--layout", "rows", "--cell", "A[1,2]"))
    columns = cell_lines(run(CLASSIC, "--cell", "A[2,1]"))
    assert rows[0].partition(" = ")[2] == columns[0].partition(" = ")[2]


@pytest.mark.parametrize(
    ("path", "cell", "message"),
    [
        (CLASSIC, "A[5,1]", "outside A, which is 4×4 (rows 1…4, columns 1…4)"),
        (CLASSIC, "A[0,1]", "outside A"),
        (CLASSIC, "A[2]", "give a row and a column"),
        (CLASSIC, "sums[1,2]", "give one index"),
        (CLASSIC, "sums[5]", "outside sums"),
        (CLASSIC, "A(2,1)", "is not a cell"),
        (CLASSIC, "A[2,1", "is not a cell"),
        (CLASSIC, "A[-1,1]", "is not a cell"),
        (CLASSIC, "B[1,1]", "no step 'B'"),
        (CLASSIC, "X[1,1]", "X is given"),
    ],
)
def test_a_bad_cell_is_a_usage_error(path, cell, message):
    result = runner.invoke(app, ["run", str(path), "--cell", cell, "--format", "text"])
    assert result.exit_code == 2, result.output
    assert "--cell" in result.stderr and message in " ".join(result.stderr.split())
    assert result.stdout == ""


def test_a_cell_of_a_step_that_only_leaves_out_is_a_usage_error():
    result = runner.invoke(app, ["run", str(CLASSIC), "--cell", "A[2,1]", "--only", "Q"])
    assert result.exit_code == 2 and "not among the steps shown" in result.stderr


def test_parse_cell_gives_a_zero_based_index():
    trace = trace_of(TWO_HEADS)
    assert parse_cell("h2.A[3,1]", trace) == ("h2.A", (2, 0))
    assert parse_cell("h1.sums[4]", trace) == ("h1.sums", (3,))
    with pytest.raises(CellError) as error:
        parse_cell("h9.A[1,1]", trace)
    assert error.value.exit_code == 2


# --- the softmax calculator, the library, the pure core ---------------------------------------
def test_the_softmax_calculator_shows_its_work_too():
    result = runner.invoke(
        app, ["softmax", "--show-work", "--format", "text", "--temperature", "2", "--", "1", "-1", "3"]
    )
    assert result.exit_code == 0, result.output
    trace = softmax(["1", "-1", "3"], temperature=2)
    lines = cell_lines(result.stdout)
    assert lines[:2] == ["scaled[1,1] = 1 / 2 = 0.500", "scaled[1,2] = (-1) / 2 = -0.500"]
    assert "exp[1,2] = e^(-0.500) = 0.607" in lines
    assert [check(line, trace, 3) for line in lines] == ["quotient"] * 3 + ["power"] * 3 + ["sum"] + ["quotient"] * 3


def test_work_is_one_line_a_cell_and_the_text_formats_wrap_it_with_the_plus_under_the_equals():
    """Exports (LaTeX items, HTML) get a cell a line; text and the terminal break it to fit."""
    trace = trace_of(CLASSIC)
    lines = work_lines(trace["sums"], trace, RenderOptions(width=40, show_work=True))
    assert lines[0] == "sums[1] = 8.342 + 69.591 + 8.342 + 69.591 ≈ 155.867"
    assert wrapped(lines[:1], 36) == ["sums[1] = 8.342 + 69.591 + 8.342", "        + 69.591 ≈ 155.867"]
    text = run(CLASSIC, "--only", "sums", "--show-work", columns=40)
    assert "    sums[1] = 8.342 + 69.591 + 8.342\n            + 69.591 ≈ 155.867\n" in text


def test_the_core_is_pure():
    code = "import sys, handcalc.work; assert not {'rich', 'typer'} & set(sys.modules), sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)
