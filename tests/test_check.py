"""handcalc check: marking as a teacher does, answers files, batches, reports and exit codes.

Right answers come from tests/reference.py (an independent computation), written the way a
student writes them: rounded to a few decimals."""

import csv
import json

import numpy as np
import pytest
from conftest import ROOT, cli_runner
from reference import reference_attention, reference_multihead

from handcalc.check import EXACT, agrees
from handcalc.cli import app

runner = cli_runner()
CLASSIC = ROOT / "samples" / "self_attention.yaml"
CLASSIC_DICT = {"X": [[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]], "W_q": [[1, 0, 1], [0, 1, 1]],
                "W_k": [[0, 1, 1], [1, 0, 0]], "W_v": [[1, 1, 0], [0, 0, 1]]}  # samples/self_attention.yaml


def written(value: np.ndarray, decimals: int = 3) -> list:
    """A step as a student writes it: each number rounded to ``decimals``; −∞ as "-inf"."""
    cell = lambda x: "-inf" if np.isneginf(x) else round(float(x), decimals)  # noqa: E731
    return [cell(x) for x in value] if value.ndim == 1 else [[cell(x) for x in row] for row in value]


def answers_file(write_problem, steps: dict, name="answers.yaml"):
    return write_problem("\n".join(f"{key}: {json.dumps(value)}" for key, value in steps.items()) + "\n", name)


def check(*args):
    return runner.invoke(app, ["check", *map(str, args)])


# --- marking as a teacher does -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "places", "truth", "right"),
    [
        (0.26, 2, 0.2577, True), (0.258, 3, 0.2577, True), (0.25, 2, 0.2577, False),
        (2, 0, 2.0, True), (3, 0, 2.0, False), (0, 0, 0.446, False),  # a whole number is not a rounding
        (0.3, 1, 0.2577, True), (0.2, 1, 0.2577, False), (0.2577, 4, 0.2577, True),
        (1 / 3, EXACT, 1 / 3, True), (0.333, EXACT, 1 / 3, False), (-np.inf, 0, -np.inf, True),
        (0.0, 0, -np.inf, False), (np.nan, 0, 0.2577, False),
    ],
)  # fmt: skip
def test_half_a_unit_in_the_last_written_place(given, places, truth, right):
    assert bool(agrees(np.array([given]), np.array([places]), np.array([truth]))[0]) is right


def test_tolerance_is_an_absolute_bound_instead():
    given, places, truth = np.array([0.25, 0.24]), np.array([2, 2]), np.array([0.2577, 0.2577])
    assert agrees(given, places, truth, tolerance=0.01).tolist() == [True, False]


def test_all_right_exits_0(write_problem):
    steps = {name: written(value) for name, value in reference_attention(CLASSIC_DICT).items()}
    result = check(CLASSIC, answers_file(write_problem, steps), "--format", "text")
    assert result.exit_code == 0, result.output
    assert "— 100%" in " ".join(result.stdout.splitlines()[:3])  # the title line, wrapped to the width


def test_a_wrong_cell_exits_1_and_shows_the_true_value_and_the_work(write_problem):
    Q = written(reference_attention(CLASSIC_DICT)["Q"])
    Q[1][3] = 4  # the truth is 3
    result = check(CLASSIC, answers_file(write_problem, {"Q": Q}), "--format", "text")
    assert result.exit_code == 1
    assert "Q 7/8 — 88%" in result.stdout and "4 ✗ 3" in result.stdout
    assert "Q[2,4] = 0·0 + 1·2 + 1·1 = 3; you wrote 4" in result.stdout


def test_blanks_and_masked_cells(write_problem):
    problem = {**CLASSIC_DICT, "mask": "causal"}
    path = write_problem(json.dumps(problem), "causal.yaml")
    truth = reference_attention(problem)
    A = written(truth["A"])
    A[0][1], A[0][2], A[3][3] = None, "?", "_"  # three blanks
    masked = written(truth["masked"])
    masked[1][0], masked[2][0] = "-∞", None  # a masked cell written as −∞ or left blank is right
    result = check(path, answers_file(write_problem, {"masked": masked, "A": A}), "--format", "json")
    steps = {step["name"]: step for step in json.loads(result.stdout)["files"][0]["steps"]}
    assert (steps["masked"]["right"], steps["masked"]["blank"]) == (16, 0)
    assert (steps["A"]["right"], steps["A"]["blank"], steps["A"]["wrong"]) == (13, 3, 0)
    assert result.exit_code == 1  # blanks are not all right


def test_json_lists_every_cell_that_is_not_right(write_problem):
    scores = written(reference_attention(CLASSIC_DICT)["scores"])
    scores[2][1] = 9
    document = json.loads(check(CLASSIC, answers_file(write_problem, {"scores": scores}), "--format", "json").stdout)
    (entry,) = document["files"]
    assert set(entry) == {"file", "score", "steps"} and entry["score"] == pytest.approx(15 / 16)
    (step,) = entry["steps"]
    assert set(step) >= {"name", "right", "wrong", "blank", "carried", "diagnosis", "cells"}  # fields may be added
    assert step["cells"] == [{"row": 3, "col": 2, "given": 9.0, "expected": 4.0, "verdict": "wrong"}]


def test_a_problem_with_round_is_marked_against_rounded_numbers(write_problem):
    path = write_problem(json.dumps({**CLASSIC_DICT, "round": 1}), "rounded.yaml")
    carried = runner.invoke(app, ["run", str(path), "--format", "json", "--only", "A"])
    A = json.loads(carried.stdout)["steps"][0]["value"]  # what a student rounding to 1 place gets
    assert check(path, answers_file(write_problem, {"A": A}), "--format", "text").exit_code == 0
    full = written(reference_attention(CLASSIC_DICT)["A"], 3)
    assert check(path, answers_file(write_problem, {"A": full}), "--format", "text").exit_code == 1


def test_multi_head_answers(write_problem):
    problem = json.loads(json.dumps({"X": CLASSIC_DICT["X"], "heads": [
        {"W_q": [[1, 0, 1], [0, 1, 1]], "W_k": [[0, 1, 1], [1, 0, 0]], "W_v": [[1, 1, 0], [0, 0, 1]]},
        {"W_q": [[0, 1, 0]], "W_k": [[1, 0, 1]], "W_v": [[0, 1, 1], [1, 0, 0]]}]}))
    path = write_problem(json.dumps(problem), "heads.yaml")
    truth = reference_multihead(problem)
    steps = {name: written(truth[name]) for name in ("h1.Q", "h2.A", "concat")}
    assert check(path, answers_file(write_problem, steps), "--format", "text").exit_code == 0


# --- batches and reports -------------------------------------------------------------------------
def test_a_batch_with_a_broken_file_reports_it_and_marks_the_rest(write_problem, tmp_path):
    truth = reference_attention(CLASSIC_DICT)
    good = answers_file(write_problem, {"Q": written(truth["Q"])}, "good.yaml")
    slip = written(truth["K"])
    slip[0][0] = 7
    wrong = answers_file(write_problem, {"K": slip}, "wrong.yaml")
    broken = write_problem("Q: [[1, 2\n", "broken.yaml")
    report = tmp_path / "grades.csv"
    result = check(CLASSIC, good, broken, wrong, "--report", report, "--format", "text")
    assert result.exit_code == 3
    assert result.stderr.startswith(f"Error: {broken}:") and result.stderr.count("\n") == 1
    rows = list(csv.reader(report.open()))
    assert rows[0] == ["file", "score", "Q", "K", "first mistake"]
    assert rows[1][:3] == [str(good), "1.0", "4/4"[:0] + "8/8"]
    assert rows[2][0] == str(broken) and rows[2][1] == "" and "malformed YAML" in rows[2][-1]
    assert rows[3][1] == "0.875" and rows[3][-1] == "K[1,1]: wrote 7, expected 1"


def test_the_report_is_never_written_over_an_existing_file(write_problem, tmp_path):
    report = tmp_path / "grades.csv"
    report.write_text("keep me")
    answers = answers_file(write_problem, {"Q": written(reference_attention(CLASSIC_DICT)["Q"])})
    result = check(CLASSIC, answers, "--report", report)
    assert result.exit_code == 3 and report.read_text() == "keep me"
    assert check(CLASSIC, answers, "--report", report, "--force").exit_code == 0


# --- bad answers ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ("scors: [[1]]\n", "no step scors in this problem; did you mean scores?", 1, 1),
        ("Q: [[1, 2], [3, 4]]\n", "Q is 2×4, but the answer is 2×2", 1, 1),
        ("Q: [[2, 1, 2, 1], [1, 3, x, 3]]\n", 'Q[2,3]: expected a number, found the text "x"', 1, 26),
        ("Q: [[2, 1, 2, 1], [1, 3, true, 3]]\n", "Q[2,3]: expected a number, found a boolean (true)", 1, 26),
        ("X: [[1]]\n", "X is given in the problem, not an answer", 1, 1),
        ("sums: [[1, 2, 3, 4]]\n", "sums is 4, but the answer is a list of 1 list", 1, 1),
        ("- 1\n", "expected a mapping of step names to answers", 1, 1),
        ("", "expected a mapping of step names to answers (Q: [[…]]), found an empty file", 1, 1),
        ("Q: &a [[1]]\n", "anchors and aliases", 1, 4),
        ("Q: [[2, 1, 2, 1], [1, 3, 1, 3]]\nQ: [[2, 1, 2, 1], [1, 3, 1, 3]]\n",
         "duplicate key Q; each step may be answered only once", 2, 1),
    ],
)
def test_bad_answers_name_file_step_and_cell(write_problem, text, message, line, column):
    path = write_problem(text)
    result = check(CLASSIC, path)
    assert result.exit_code == 3, result.output
    assert result.stderr.startswith(f"Error: {path}:{line}:{column}: ") and message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_the_sample_answers_files(tmp_path):
    right, mistakes = (ROOT / "samples" / "answers" / f"self_attention_{kind}.yaml" for kind in ("right", "mistakes"))
    assert check(CLASSIC, right, "--format", "text").exit_code == 0
    result = check(CLASSIC, mistakes, "--format", "text")
    assert result.exit_code == 1 and "✗" in result.stdout


def test_ecf_gives_credit_for_work_carried_from_the_students_own_answers():
    mistakes = ROOT / "samples" / "answers" / "self_attention_mistakes.yaml"
    plain = json.loads(check(CLASSIC, mistakes, "--format", "json").stdout)["files"][0]
    credited = json.loads(check(CLASSIC, mistakes, "--format", "json", "--ecf").stdout)["files"][0]
    carried = sum(step["carried"] for step in plain["steps"])
    total = sum(step["right"] + step["wrong"] + step["blank"] + step["carried"] for step in plain["steps"])
    assert carried > 0
    assert credited["score"] == pytest.approx(plain["score"] + carried / total)
    Z = next(step for step in plain["steps"] if step["name"] == "Z")
    assert Z["carried"] == 8 and Z["wrong"] == 0  # right from their own (wrong) A


def test_a_problem_that_overflows_names_its_file(write_problem):
    path = write_problem(json.dumps({**CLASSIC_DICT, "W_q": [[1e300, 0, 1], [0, 1, 1]], "W_k": [[1e300, 1, 1], [1, 0, 0]]}))
    result = check(path, answers_file(write_problem, {"Q": [[1, 1, 1, 1], [1, 1, 1, 1]]}, "a.yaml"))
    assert result.exit_code == 3 and result.stderr.startswith(f"Error: {path}: ") and "overflows" in result.stderr


# --- the teacher's view: exit codes, CSV, JSON -----------------------------------------------------
def test_with_ecf_carried_cells_count_as_right_for_the_exit_code_too():
    from handcalc.check import CellMark, Marks, StepMarks

    carried = Marks("f", (StepMarks("A", (CellMark((0, 0), 0.5, 0.4, "carried"), CellMark((0, 1), 0.5, 0.5, "right"))),))
    assert not carried.passed() and carried.passed(ecf=True) and carried.score(ecf=True) == 1
    wrong = Marks("f", (StepMarks("A", (CellMark((0, 0), 0.5, 0.4, "wrong"),)),))
    assert not wrong.passed(ecf=True)


def test_a_step_worked_from_a_slip_is_carried_and_says_where_from(write_problem):
    truth = reference_attention(CLASSIC_DICT)
    Q = np.array(truth["Q"], dtype=float)
    Q[0, 0] += 1  # one slip …
    scores = truth["K"].T @ Q  # … and the scores worked right from it
    answers = answers_file(write_problem, {"Q": written(Q), "scores": written(scores)})
    result = check(CLASSIC, answers, "--format", "json", "--ecf")
    assert result.exit_code == 1  # Q itself is still wrong
    scores_marks = json.loads(result.stdout)["files"][0]["steps"][1]
    assert scores_marks["wrong"] == 0 and scores_marks["carried"] > 0 and scores_marks["carried_from"] == ["Q"]


def test_every_file_below_full_marks_has_a_first_mistake(write_problem, tmp_path):
    truth = reference_attention(CLASSIC_DICT)
    A = written(truth["A"])
    A[1][2] = None  # only a blank
    blank = answers_file(write_problem, {"A": A}, "blank.yaml")
    wrong = answers_file(write_problem, {"Q": [[2, 1, 2, 1], [1, 3, 1, 4]]}, "wrong.yaml")
    report = tmp_path / "grades.csv"
    check(CLASSIC, blank, wrong, "--report", report, "--format", "text")
    rows = {row[0]: row for row in csv.reader(report.open())}
    assert rows[str(blank)][-1] == "A[2,3]: blank"
    assert rows[str(wrong)][-1] == "Q[2,4]: wrote 4, expected 3"


def test_masked_cells_are_null_in_the_json(write_problem):
    problem = {**CLASSIC_DICT, "mask": "causal"}
    path = write_problem(json.dumps(problem), "causal.yaml")
    masked = written(reference_attention(problem)["masked"])
    masked[1][0] = 0  # a blocked cell (key 2, query 1) written 0: wrong, and its true value is −∞
    document = json.loads(check(path, answers_file(write_problem, {"masked": masked}), "--format", "json").stdout)
    (cell,) = document["files"][0]["steps"][0]["cells"]
    assert cell == {"row": 2, "col": 1, "given": 0.0, "expected": None, "verdict": "wrong"}


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf"])
def test_tolerance_must_be_a_finite_number(write_problem, bad):
    answers = answers_file(write_problem, {"Q": [[2, 1, 2, 1], [1, 3, 1, 3]]})
    result = check(CLASSIC, answers, "--tolerance", bad)
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_a_class_is_one_line_per_file_unless_tables_are_asked_for(write_problem):
    truth = reference_attention(CLASSIC_DICT)
    good = answers_file(write_problem, {"Q": written(truth["Q"])}, "good.yaml")
    bad = answers_file(write_problem, {"Q": [[2, 1, 2, 1], [1, 3, 1, 4]]}, "bad.yaml")
    brief = check(CLASSIC, good, bad, "--format", "text").stdout
    assert "│" not in brief and "first mistake: Q[2,4]: wrote 4, expected 3" in brief
    assert "│" in check(CLASSIC, good, bad, "--format", "text", "--tables").stdout


# --- the precision model at the edges --------------------------------------------------------------
def test_a_non_square_step_written_transposed_is_marked_wrong_and_the_rest_marked(write_problem):
    truth = reference_attention(CLASSIC_DICT)
    answers = answers_file(write_problem, {"Q": written(truth["Q"].T), "scores": written(truth["scores"])})
    document = json.loads(check(CLASSIC, answers, "--format", "json").stdout)
    Q, scores = document["files"][0]["steps"]
    assert Q["wrong"] == 8 and Q["diagnosis"] == "Q is transposed: swap its rows and columns"
    assert scores["right"] == 16


def test_skipped_steps_are_worked_through_for_the_carried_cells(write_problem):
    truth = reference_attention(CLASSIC_DICT)
    Q = np.array(truth["Q"], dtype=float)
    Q[1, 0] += 1  # a slip in Q; scores, scaled, exp and sums skipped; A and Z worked from it
    scores = truth["K"].T @ Q
    exp = np.exp(scores / np.sqrt(2))
    A = exp / exp.sum(axis=0)
    answers = answers_file(write_problem, {"Q": written(Q), "A": written(A), "Z": written(truth["V"] @ A)})
    steps = json.loads(check(CLASSIC, answers, "--format", "json").stdout)["files"][0]["steps"]
    assert [(s["name"], s["wrong"]) for s in steps] == [("Q", 1), ("A", 0), ("Z", 0)]
    assert steps[1]["carried"] > 0 and steps[1]["carried_from"] == ["Q"] and steps[2]["carried_from"] == ["Q"]


def test_a_large_value_written_out_or_in_the_shown_notation_is_right(write_problem):
    problem = {"X": [[10, 0], [0, 1]], "W_q": [[3, 0], [0, 1]], "W_k": [[1, 0], [0, 1]], "W_v": [[1, 0], [0, 1]],
               "scale": "none"}  # fmt: skip
    path = write_problem(json.dumps(problem), "large.yaml")
    exp = reference_attention(problem)["exp"]
    big = exp[0, 0]  # e^300, far beyond 10^21
    assert big > 1e21
    shown = runner.invoke(app, ["run", str(path), "--only", "exp", "--format", "text"]).stdout
    notation = f"{big:.3e}"
    assert notation in shown  # printed in scientific notation only from 10^21 on
    for text in (notation, repr(float(big))):
        answers = write_problem(f"exp: [[{text}, 1], [1, 2.718]]\n", "big.yaml")
        result = check(path, answers, "--format", "json")
        assert result.exit_code == 0, (text, result.output)


@pytest.mark.parametrize(("truth", "text", "right"), [
    (5047999999999.998, "5047999999999.998", True), (5047999999999.998, "5048000000000", True),
    (5047999999999.998, "5.048e+12", True), (5048123456789.0, "5.048e+12", True), (5048123456789.0, "5.049e+12", False),
    (5048123456789.0, "5048123456789", True), (5047999999999.998, "5047999999998", False)])  # fmt: skip
def test_numbers_from_ten_billion_on_are_as_precise_as_written(truth, text, right):
    from handcalc.answers import written_cell
    from handcalc.numbers import format_number

    assert "e" not in format_number(truth)  # written out in full, as a student copies it
    given, places = written_cell(text)
    assert bool(agrees(np.array([given]), np.array([places]), np.array([truth]))[0]) is right


@pytest.mark.parametrize("layout", ["columns", "rows"])
def test_a_student_who_copies_the_shown_work_is_right(write_problem, layout):
    from handcalc.render.work import written as work_line

    path = write_problem(json.dumps({**CLASSIC_DICT, "layout": layout} if layout == "columns" else
                                    reference_rows(CLASSIC_DICT)), "p.yaml")  # fmt: skip
    import handcalc
    from handcalc.work import cell_work

    trace = handcalc.compute(handcalc.load_problem(path))
    for name in ("scaled", "exp", "sums", "A"):
        step = trace[name]
        for index in np.ndindex(step.shape):
            line = work_line(cell_work(step, trace, index), 3)
            left, sign, result = line.rpartition(" ")[0].rpartition(" ")[0], line.split(" ")[-2], line.split(" ")[-1]
            assert sign in ("=", "≈"), line
            if sign == "=":  # the operands as shown give the result as shown
                assert _evaluated(line) == pytest.approx(float(result), abs=0.0005 + 1e-9), line


def reference_rows(problem: dict) -> dict:
    return {"layout": "rows", **{key: np.array(value).T.tolist() for key, value in problem.items()}}


def _evaluated(line: str) -> float:
    """The arithmetic of a work line, done again from its written numbers."""
    import math
    import re

    expression = line.split(" = ", 1)[1].rsplit(" ", 2)[0]
    expression = expression.replace("·", "*").replace("^", "**").replace("e**", f"{math.e}**").replace("√", "math.sqrt")
    expression = expression.replace("−", "-")
    expression = re.sub(r"math\.sqrt(\d+)", r"math.sqrt(\1)", expression)
    return float(eval(expression, {"math": math}))  # noqa: S307 - our own arithmetic text


def test_a_carried_product_is_drawn_with_the_students_own_operand(write_problem):
    truth = reference_attention(CLASSIC_DICT)
    A = np.array(truth["A"], dtype=float)
    A[:, 0] = A[::-1, 0]  # a wrong first column of A …
    Z = truth["V"] @ A  # … and Z worked right from it
    answers = answers_file(write_problem, {"A": written(A), "Z": written(Z)})
    text = check(CLASSIC, answers, "--format", "text").stdout
    z_table = text[text.index("── Z ="):]
    assert "your A" in z_table and "follows from your A" in z_table
    first_row = next(line for line in z_table.splitlines() if line.strip().startswith("k1"))
    assert f"{A[0, 0]:.3f}" in first_row  # their A[1,1] beside Z, not the true one


@pytest.mark.parametrize("tokens", [8, 9, 10, 70])
@pytest.mark.parametrize("options", [[], ["--full"]])
def test_every_cell_drawn_of_a_wide_step_carries_its_mark(tmp_path, tokens, options):
    """Only the cells that elision (⋯) shows are drawn, at the edges where an axis is shown
    whole (9 = 4 + 1 + 4) or elided (10), and with --full (65 = 32 + 1 + 32, elided at 70)."""
    X = [[(i + j) % 3 - 1 for j in range(tokens)] for i in range(2)]
    problem = tmp_path / "wide.yaml"
    problem.write_text(json.dumps({"X": X, "W_q": [[1, 0], [0, 1]], "W_k": [[1, 1], [0, 1]], "W_v": [[1, 0], [1, 1]]}))
    answers = tmp_path / "answers.yaml"
    answers.write_text(f"A: {json.dumps([[0.5] * tokens] * tokens)}\n")
    result = runner.invoke(app, ["check", str(problem), str(answers), "--format", "text", *options], env={"COLUMNS": "100"})
    assert result.exit_code == 1, result.output
    lines = result.stdout.split("── A = ")[1].splitlines()
    header = next(line.split() for line in lines if line.startswith("  A "))
    rows = [line for line in lines if line.lstrip().startswith("k")]
    columns = [label for label in header if label.startswith("q")]  # the columns shown, ⋯ apart
    assert len(rows) == (tokens if tokens <= (65 if options else 9) else (64 if options else 8))
    assert rows and all(line.count("✗") + line.count("✓") == len(columns) for line in rows)
