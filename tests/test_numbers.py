"""One rounding rule, on exact values: halves away from zero, as taught in school, on the
screen, in keys, under ``round:`` and in marking; numbers printed so that a student can
copy them. Expected values are worked out here with ``decimal`` and plain arithmetic."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np
import pytest
from conftest import cli_runner

from handcalc.cli import app
from handcalc.numbers import format_number, round_array, round_cells, round_half_away

runner = cli_runner()


def school(text: str, places: int) -> str:
    """A decimal written as text, rounded halves away from zero."""
    return str(Decimal(text).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize(("x", "places"), [(0.0625, 3), (2.675, 2), (1.5 * 0.7, 1), (-0.125, 2), (0.5, 0), (-2.5, 0),
                                           (1.0049999999999999, 3), (123.4565, 3)])  # fmt: skip
def test_halves_round_away_from_zero_on_the_number_written(x, places):
    written = repr(round(x, 12))  # 1.5 · 0.7 is 1.05, whatever float arithmetic left over
    expected = school(written, places)
    assert format_number(x, places) == (expected if Decimal(expected) % 1 else str(int(Decimal(expected))))
    assert float(round_half_away(x, places)) == float(expected)
    assert round_array(np.array([x]), places)[0] == float(expected)


def test_fractions_are_rounded_exactly_and_stay_fractions():
    assert round_half_away(Fraction(21, 20), 1) == Fraction(11, 10)
    cells = round_cells(np.array([Fraction(1, 16), Fraction(-1, 8)], dtype=object), 3)
    assert list(cells) == [Fraction(63, 1000), Fraction(-125, 1000)]


@pytest.mark.parametrize("x", [5.048e12, 12345678901.5, 9.99e20])
def test_large_numbers_are_written_out_in_full(x):
    text = format_number(x, 3)
    assert "e" not in text and abs(float(text) - x) <= 0.0005 * max(1, abs(x) * 1e-12)


def test_beyond_ten_to_the_21_scientific_notation():
    assert format_number(1.9424e130, 3) == "1.942e+130"


def run_json(problem: dict, *args: str, write_problem) -> dict:
    path = write_problem(json.dumps(problem))
    result = runner.invoke(app, ["run", str(path), "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return {step["name"]: step for step in json.loads(result.stdout)["steps"]}


@pytest.mark.parametrize("exact", [False, True])
def test_round_1_rounds_the_value_not_a_float_artefact(write_problem, exact):
    problem = {"X": [[1.5]], "W_q": [[0.7]], "W_k": [[0.7]], "W_v": [[0.7]], "round": 1}
    Q = run_json(problem, *(["--exact"] if exact else []), write_problem=write_problem)["Q"]["value"][0][0]
    assert Fraction(str(Q)) == Fraction(11, 10)  # 1.5 · 0.7 = 1.05 → 1.1


def test_round_uses_the_square_root_as_shown(write_problem):
    problem = {"X": [[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]], "W_q": [[1, 0, 1], [0, 1, 1]],
               "W_k": [[0, 1, 1], [1, 0, 0]], "W_v": [[1, 1, 0], [0, 0, 1]], "round": 2}  # fmt: skip
    steps = run_json(problem, write_problem=write_problem)
    scores = np.array(steps["scores"]["value"], dtype=float)
    shown_root = float(school(repr(2**0.5), 2))  # 1.41, as the sheet shows it
    expected = [[float(school(repr(float(s) / shown_root), 2)) for s in row] for row in scores]
    assert steps["scaled"]["value"] == expected


def test_round_with_a_column_of_exponentials_that_all_round_to_0(write_problem):
    problem = {"X": [[1, 0], [0, 1]], "W_q": [[-6, 0], [-8, 1]], "W_k": [[1, 0], [0, 1]], "W_v": [[1, 0], [0, 1]],
               "scale": "none", "round": 2}  # fmt: skip
    steps = run_json(problem, write_problem=write_problem)  # e^-6 and e^-8 both round to 0.00
    A = np.array(steps["A"]["value"])
    exp = [1.0, float(school(repr(float(np.exp(-2.0))), 2))]  # the column's max subtracted: e^0, e^-2 = 0.14
    assert A[:, 0].tolist() == [float(school(repr(e / sum(exp)), 2)) for e in exp]  # 0.88, 0.12
