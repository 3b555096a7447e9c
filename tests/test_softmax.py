"""``handcalc softmax``: the softmax calculator of issue 3, items 6 and 7.

Values are checked against a softmax written differently from handcalc's (plain ``math``
loops, no max subtracted, no numpy) and against exact fractions worked out by hand: with
base 3 and integer inputs every step is rational.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from fractions import Fraction

import pytest
from conftest import cli_runner

from handcalc.cli import app
from handcalc.errors import SchemaError
from handcalc.softmax import compute

runner = cli_runner()


def softmax(xs, base=math.e, T=1.0):
    """softmax(x / T) with ``base`` for e: base^(x_i / T) / Σ_j base^(x_j / T), term by term."""
    powers = [base ** (x / T) for x in xs]
    total = 0.0
    for p in powers:
        total += p
    return [p / total for p in powers]


def invoke(*args, env=None):
    return runner.invoke(app, ["softmax", *map(str, args)], env=env)


def steps(*args) -> dict:
    """The JSON steps of ``handcalc softmax ARGS``, by name."""
    result = invoke("--format", "json", *args)  # options first: a word after -- is a number
    assert result.exit_code == 0, result.output
    return {step["name"]: step for step in json.loads(result.stdout)["steps"]}


def document(*args) -> dict:
    result = invoke(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def text(*args, columns=100) -> str:
    result = invoke(*args, "--format", "text", env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.stdout


# --- the numbers ---------------------------------------------------------------------------
def test_a_vector_against_a_softmax_written_term_by_term():
    got = steps(1, 0, -1, 3)
    want = softmax([1, 0, -1, 3])
    assert got["A"]["value"][0] == pytest.approx(want, rel=1e-12)
    assert got["exp"]["value"][0] == pytest.approx([math.e, 1, 1 / math.e, math.e**3], rel=1e-12)
    assert got["sums"]["value"] == pytest.approx([math.e + 1 + 1 / math.e + math.e**3], rel=1e-12)


def test_the_well_known_numbers_of_softmax_1_0_minus1_3():
    # torch.softmax(torch.tensor([1., 0., -1., 3.], dtype=torch.float64), dim=0), to 6 places
    got = steps(1, 0, -1, 3)["A"]["value"][0]
    assert got == pytest.approx([0.112457, 0.041371, 0.015219, 0.830953], abs=1e-6)


def test_base_3_is_exact_fractions_by_hand():
    # exp = 3^x = 3, 1, 1/3, 27; their sum is 94/3; A = 9/94, 3/94, 1/94, 81/94
    got = steps(1, 0, -1, 3, "--base", 3)
    assert got["exp"]["value"][0] == pytest.approx([3, 1, 1 / 3, 27], rel=1e-15)
    assert got["sums"]["value"] == pytest.approx([94 / 3], rel=1e-15)
    assert got["A"]["value"][0] == pytest.approx([9 / 94, 3 / 94, 1 / 94, 81 / 94], rel=1e-15)
    assert got["exp"]["formula"] == "exp = 3^x"


def test_temperature_adds_a_scaled_step_first():
    got = steps(1, 0, -1, 3, "--temperature", 2, "--base", 3)
    assert list(got) == ["x", "scaled", "exp", "sums", "A"]
    assert got["scaled"]["formula"] == "scaled = x / T"
    assert got["scaled"]["value"][0] == [0.5, 0, -0.5, 1.5]
    assert got["exp"]["formula"] == "exp = 3^scaled"
    assert got["A"]["value"][0] == pytest.approx(softmax([1, 0, -1, 3], base=3, T=2), rel=1e-12)


@pytest.mark.parametrize("T", ["1", "2/2", "1.0", "1e0"])
def test_a_temperature_of_one_has_no_scaled_step(T):
    assert list(steps(1, 2, "--temperature", T)) == ["x", "exp", "sums", "A"]


def test_fractions_and_decimals_as_arguments():
    got = steps("1/3", "-.5", "1e1", "+2")
    assert got["x"]["value"] == [[pytest.approx(1 / 3, rel=1e-15), -0.5, 10, 2]]
    assert got["A"]["value"][0] == pytest.approx(softmax([1 / 3, -0.5, 10, 2]), rel=1e-12)


def test_the_base_and_temperature_may_be_fractions():
    got = steps(1, 2, "--base", "5/2", "--temperature", "1/2")
    assert got["exp"]["formula"] == "exp = (5/2)^scaled"
    assert got["A"]["value"][0] == pytest.approx(softmax([1, 2], base=2.5, T=0.5), rel=1e-12)


# --- negative numbers as arguments -----------------------------------------------------------
@pytest.mark.parametrize(
    "args, x",
    [
        (["-1", "-2", "-3"], [-1, -2, -3]),
        (["-.5", "1", "-1e3"], [-0.5, 1, -1000]),
        (["2", "-1/4", "-2e-1"], [2, -0.25, -0.2]),
        (["-1", "--base", "3", "-2"], [-1, -2]),  # options between negative numbers
        (["--", "-1", "-2"], [-1, -2]),
    ],
)
def test_negative_numbers_are_plain_arguments(args, x):
    assert steps(*args)["x"]["value"] == [x]


def test_a_negative_temperature_is_its_value_not_an_option():
    result = invoke(1, 2, "--temperature", -2)
    assert result.exit_code == 3
    assert result.stderr == "Error: temperature must be a positive number, not -2\n"


# --- vectors and matrices: the layout -----------------------------------------------------
def test_a_vector_is_one_row_with_its_sum_beside_it():
    doc = document(1, 0, -1, 3)
    assert doc["title"] == "Softmax by hand" and doc["layout"] == "rows" and doc["tokens"] is None
    shapes = {step["name"]: step["shape"] for step in doc["steps"]}
    assert shapes == {"x": [1, 4], "exp": [1, 4], "sums": [1], "A": [1, 4]}
    sums = text(1, 0, -1, 3).split("── sums")[1].split("── A")[0]
    assert "│       Σ" in sums and "│  24.172" in sums


def test_every_step_has_the_document_shape_of_run():
    for step in document(1, 2, "--temperature", 3)["steps"]:
        assert list(step) == ["name", "formula", "shape", "value"]


def test_a_vector_file_is_a_vector(tmp_path):
    path = tmp_path / "v.yaml"
    path.write_text("[1, 0, -1, 3]   # a vector\n")
    assert document("--file", path) == document(1, 0, -1, 3)


def test_a_vector_may_be_shown_as_one_column(tmp_path):
    doc = document(1, 0, -1, 3, "--axis", "columns")
    assert doc["layout"] == "columns"
    A = {step["name"]: step for step in doc["steps"]}["A"]
    assert A["shape"] == [4, 1]
    assert [row[0] for row in A["value"]] == pytest.approx(softmax([1, 0, -1, 3]), rel=1e-12)


MATRIX = '- [1, 2, 3]\n- [0, 0, "1/3"]\n'  # 2×3


def test_a_matrix_is_a_softmax_of_each_column_by_default(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(MATRIX)
    doc = document("--file", path)
    got = {step["name"]: step for step in doc["steps"]}
    assert doc["layout"] == "columns" and got["sums"]["shape"] == [3]
    columns = [[1, 0], [2, 0], [3, 1 / 3]]
    for j, column in enumerate(columns):
        assert [row[j] for row in got["A"]["value"]] == pytest.approx(softmax(column), rel=1e-12)
    assert got["sums"]["formula"] == "sums = Σ exp over each column"
    assert "  Σ    3.718  8.389  21.481" in text("--file", path)  # the sums under the columns


def test_a_matrix_by_rows(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(MATRIX)
    doc = document("--file", path, "--axis", "rows", "--base", 3)
    got = {step["name"]: step for step in doc["steps"]}
    assert doc["layout"] == "rows" and got["A"]["shape"] == [2, 3] and got["sums"]["shape"] == [2]
    # row 1: 3, 9, 27 over 39; row 2: 1, 1, 3^(1/3) over 2 + 3^(1/3)
    assert got["A"]["value"][0] == pytest.approx([1 / 13, 3 / 13, 9 / 13], rel=1e-15)
    assert got["A"]["value"][1] == pytest.approx(softmax([0, 0, 1 / 3], base=3), rel=1e-12)


# --- overflow -----------------------------------------------------------------------------
def test_large_numbers_subtract_the_max_with_a_note():
    got = steps(1000, 999)
    assert got["exp"]["formula"] == "exp = e^(x − row max)"
    assert got["exp"]["value"][0] == pytest.approx([1, 1 / math.e], rel=1e-15)
    assert got["A"]["value"][0] == pytest.approx(softmax([1, 0]), rel=1e-12)  # = softmax(1000, 999)
    note = "The largest value was subtracted before exponentiating, so that no number overflows or rounds to nothing; A is unchanged by it."
    assert f"Note: {note}" in " ".join(line.strip() for line in text(1000, 999).splitlines())  # wrapped to the width


def test_a_matrix_overflows_column_by_column_as_run_does(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("[[1000, 1], [999, 2]]\n")
    got = steps("--file", path)
    assert got["exp"]["formula"] == "exp = e^(x − column max)"
    assert [row[0] for row in got["A"]["value"]] == pytest.approx(softmax([1, 0]), rel=1e-12)
    assert [row[1] for row in got["A"]["value"]] == pytest.approx(softmax([1, 2]), rel=1e-12)
    assert "Each column's largest value was subtracted" in text("--file", path)


def test_numbers_far_below_underflow_still_make_a_distribution():
    assert steps(-1000, -1001)["A"]["value"][0] == pytest.approx(softmax([1, 0]), rel=1e-12)
    assert steps("1e308", "-1e308")["A"]["value"][0] == [1, 0]


# --- what a person sees -------------------------------------------------------------------
def test_the_text_of_the_classic_vector():
    out = text(1, 0, -1, 3)
    assert out.splitlines()[0] == "Softmax by hand  (each row is one distribution)"
    assert "── exp = e^x   (1×4) ─" in out
    assert "  A     x1     x2     x3     x4\n     0.112  0.041  0.015  0.831\n" in out


def test_precision():
    assert "  A   x1   x2\n     0.3  0.7\n" in text(1, 2, "--precision", 1)


@pytest.mark.parametrize("columns", [60, 100])
def test_the_tables_fit_the_width(columns):
    out = text(*range(-6, 14), "--temperature", 3, columns=columns)  # 20 numbers: elided
    assert "⋯" in out
    assert all(len(line) <= columns for line in out.splitlines())


def test_full_shows_every_number():
    assert "x20" in text(*range(20), "--full", columns=60)


def test_rich_has_the_words_and_numbers_of_text():
    rich = invoke(1, 0, -1, 3, "--format", "rich", env={"COLUMNS": "100", "NO_COLOR": "1"})
    assert rich.exit_code == 0
    plain = [line for line in text(1, 0, -1, 3).splitlines() if line.startswith("  ")]
    assert all(line in rich.stdout for line in plain)


def test_the_core_is_pure():
    code = (
        "import sys, handcalc.softmax as s; t = s.compute(['1', '-1/2'], base='3', temperature=2);"
        "assert t.names == ('x', 'scaled', 'exp', 'sums', 'A'), t.names;"
        "assert not {'rich', 'typer'} & set(sys.modules), sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_core_takes_fractions_and_checks_its_options():
    trace = compute([[Fraction(1), Fraction(0)], [Fraction(0), Fraction(1)]], axis="rows")
    assert trace.layout == "rows" and trace["A"].shape == (2, 2)
    with pytest.raises(SchemaError, match="axis must be columns or rows"):
        compute([1, 2], axis="diagonal")


# --- bad input: exit 3, one Error line ------------------------------------------------------
def assert_bad(result, message):
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    assert result.stderr == f"Error: {message}\n"


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "no numbers: give some, as in: handcalc softmax 1 0 -1 3 (or --file F.yaml)"),
        (["--base", "3"], "no numbers: give some, as in: handcalc softmax 1 0 -1 3 (or --file F.yaml)"),
        (["1", "abc"], 'x[2]: expected a number, found the text "abc"'),
        (["1", "1/0"], 'x[2]: bad fraction "1/0": division by zero'),
        (["1", "1//3"], 'x[2]: expected a number, found the text "1//3" (a fraction is written like "1/3")'),
        (["nan"], 'x[1]: expected a finite number, found "nan"'),
        (["1", "-inf"], 'x[2]: expected a finite number, found "-inf"'),
        (["1e400"], 'x[1]: "1e400" is too large to be a finite number'),
        (["1", "--temperature", "0"], "temperature must be a positive number, not 0"),
        (["1", "--temperature", "-1/2"], "temperature must be a positive number, not -1/2"),
        (["1", "--temperature", "hot"], 'temperature: expected a number, found the text "hot"'),
        (["1", "--base", "1"], "base must be e or a number greater than 1, not 1"),
        (["1", "--base", "0.5"], "base must be e or a number greater than 1, not 0.5"),
        (["1", "--base", "-3"], "base must be e or a number greater than 1, not -3"),
        (["1", "--base", "pi"], 'base must be e or a number greater than 1, not "pi"'),
        (["1", "--temperature", "1e-400"], "scaled overflows double precision: the inputs are too large"),
        ([str(i) for i in range(257)], "x has 257 numbers; handcalc takes at most 256"),
    ],
)
def test_bad_arguments(args, message):
    assert_bad(invoke(*args), message)


@pytest.mark.parametrize(
    "content, message",
    [
        ("- [1, 2]\n- [3, x]\n", '2:7: x[2,2]: expected a number, found the text "x"'),
        ("- [1, 2]\n- [3]\n", "2:3: x is ragged: row 2 has 1 numbers, row 1 has 2"),
        ("[1, true]\n", "1:5: x[2]: expected a number, found a boolean (true)"),
        ("- 1\n- null\n", "2:3: x[2]: expected a number, found nothing (null)"),
        ("[1, [2]]\n", "1:2: x row 1 must be a non-empty list of numbers"),
        ("[[1], []]\n", "1:7: x row 2 must be a non-empty list of numbers"),
        ("[]\n", "1:1: no numbers: give at least one"),
        ("x: [1, 2]\n", "1:1: expected a list of numbers or a list of rows, found a mapping"),
        ("3\n", "1:1: expected a list of numbers or a list of rows, found a number"),
        ("", "1:1: expected a list of numbers or a list of rows, found an empty file"),
        ("[1, 2\n", "2:1: malformed YAML: expected ',' or ']'"),
        ("- &a 1\n- *a\n", "1:3: YAML anchors and aliases (& and *) are not allowed; write the matrix out in full"),
    ],
)
def test_bad_files_say_where(tmp_path, content, message):
    path = tmp_path / "x.yaml"
    path.write_text(content)
    assert_bad(invoke("--file", path), f"{path}:{message}")


def test_a_missing_file(tmp_path):
    assert_bad(invoke("--file", tmp_path / "nope.yaml"), f"{tmp_path / 'nope.yaml'}: no such file")


def test_HANDCALC_DEBUG_lets_the_error_through():
    result = invoke("abc", env={"HANDCALC_DEBUG": "1"})
    assert result.exit_code != 0 and "SchemaError" in repr(result.exception)


# --- usage mistakes Click-style: exit 2 ---------------------------------------------------
@pytest.mark.parametrize(
    "args, words",
    [
        (["1", "--bas", "3"], "no such option --bas; did you mean --base?"),
        (["1", "-x"], "no such option -x; the options are --file"),
        (["--", "1", "--format", "json"], "--format comes after --, where every word is a number"),
        (["1", "--format", "xml"], "'xml' is not one of"),
        (["1", "--axis", "diagonal"], "'diagonal' is not one of"),
        (["1", "--temperature"], "requires an argument"),
        (["1", "--precision", "99"], "0<=x<=15"),
    ],
)
def test_usage_mistakes(args, words):
    result = invoke(*args)
    assert result.exit_code == 2 and words in result.stderr and result.stdout == ""


def test_numbers_and_a_file_are_one_too_many(tmp_path):
    path = tmp_path / "v.yaml"
    path.write_text("[1, 2]\n")
    result = invoke(1, "--file", path)
    assert result.exit_code == 2 and "give numbers or --file, not both" in result.stderr
