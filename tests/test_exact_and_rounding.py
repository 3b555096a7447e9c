"""--exact and carried rounding, against independent computations written here with
Python's fractions and decimal modules, step by step in the rows orientation."""

import json
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np
import pytest
from conftest import ROOT, cli_runner

from handcalc import Problem, compute
from handcalc.load import load

runner = cli_runner()
THREE_HEADS = ROOT / "samples" / "three_heads.yaml"


def base3_softmax_rows(scaled: list[list[Fraction]]) -> list[list[Fraction]]:
    """Each row: 3**x / Σ 3**x, in Fractions (x whole)."""
    rows = []
    for row in scaled:
        powers = [Fraction(3) ** int(x) for x in row]
        rows.append([p / sum(powers) for p in powers])
    return rows


def matmul(a, b):
    return [[sum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))] for i in range(len(a))]


def transpose(m):
    return [list(col) for col in zip(*m, strict=True)]


def test_base_3_with_a_perfect_square_d_k_stays_exact_to_the_end():
    """d_k = 4 (√d_k = 2) and scores that halve to whole numbers: every step a Fraction."""
    X = [[2, 0, 2], [0, 2, 2], [2, 2, 0], [0, 0, 2]]  # (d_model 4, n 3)
    W = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]  # d_k = 4
    W_v = [[1, 1, 0, 0], [0, 0, 1, 1]]
    trace = compute(Problem(X=X, W_q=W, W_k=W, W_v=W_v, base=3), exact=True)
    assert all(step.value.dtype == object for step in trace), [s.name for s in trace if s.value.dtype != object]
    assert not any(step.notes for step in trace)
    Q = K = matmul(W, X)  # (4, 3)
    scaled = [[x / 2 for x in row] for row in matmul(transpose(Q), K)]  # rows = queries
    A = base3_softmax_rows(scaled)  # (n, m)
    Z = matmul(matmul(W_v, X), transpose(A))  # (d_v, n) = V · A with A keys × queries
    assert trace["A"].value.tolist() == transpose(A)
    assert trace["Z"].value.tolist() == Z
    assert all(sum(column) == 1 for column in trace["A"].value.T)


def test_exactness_ends_where_the_arithmetic_becomes_irrational():
    trace = compute(load(ROOT / "samples" / "self_attention.yaml"), exact=True)  # d_k = 2
    assert trace["scores"].value.dtype == object and trace["scaled"].value.dtype == float
    assert trace["scaled"].notes == ("√2 is not a fraction, so from here on the values are decimals.",)
    np.testing.assert_allclose(trace["Z"].value, compute(load(ROOT / "samples" / "self_attention.yaml"))["Z"].value)


def test_base_e_stops_at_the_exponentials():
    trace = compute(Problem(X=[[1, 0], [0, 1]], W_q=[[1, 0]], W_k=[[0, 1]], W_v=[[1, 1]]), exact=True)  # d_k = 1
    assert trace["scaled"].value.dtype == object and trace["exp"].value.dtype == float
    assert trace["exp"].notes == ("e^x is not a fraction, so from here on the values are decimals.",)


def test_exact_output_is_printed_as_fractions_and_json_as_p_over_q():
    from handcalc.cli import app

    args = ["run", str(THREE_HEADS), "--exact", "--only", "h1.A", "--format"]
    assert "81/91" in runner.invoke(app, [*args, "text"]).stdout
    document = json.loads(runner.invoke(app, [*args, "json"]).stdout)
    assert document["steps"][0]["value"][0] == ["3/13", "1/3", "9/91"]


# --- carried rounding ---------------------------------------------------------------------
def rounded(x: float, digits: int) -> float:
    """Half away from zero, on the decimal as printed (the way a calculator user rounds)."""
    return float(Decimal(str(x)).quantize(Decimal(10) ** -digits, rounding=ROUND_HALF_UP))


def carried_reference(problem: dict, digits: int) -> dict[str, np.ndarray]:
    """Single-head attention in the rows orientation, every step rounded before the next."""
    import math

    r = lambda m: [[rounded(x, digits) for x in row] for row in m]  # noqa: E731
    X, W_q, W_k, W_v = (transpose(problem[k]) for k in ("X", "W_q", "W_k", "W_v"))  # to rows
    Q, K, V = r(matmul(X, W_q)), r(matmul(X, W_k)), r(matmul(X, W_v))
    scores = r(matmul(Q, transpose(K)))
    d_k = len(W_q[0])
    root = math.sqrt(d_k) if math.isqrt(d_k) ** 2 == d_k else rounded(math.sqrt(d_k), digits)  # √d_k as shown
    scaled = r([[x / root for x in row] for row in scores])
    exp = r([[math.exp(x) for x in row] for row in scaled])
    sums = [rounded(sum(row), digits) for row in exp]
    A = r([[x / s for x in row] for row, s in zip(exp, sums, strict=True)])
    Z = r(matmul(A, V))
    steps = {"Q": Q, "K": K, "V": V, "scores": scores, "scaled": scaled, "exp": exp, "A": A, "Z": Z}
    return {name: np.array(transpose(v)) for name, v in steps.items()} | {"sums": np.array(sums)}


@pytest.mark.parametrize("digits", [0, 1, 2, 3])
def test_carried_rounding_matches_a_hand_computation_cell_by_cell(digits):
    problem = {"X": [[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]], "W_q": [[1, 0, 1], [0, 1, 1]],
               "W_k": [[0, 1, 1], [1, 0, 0]], "W_v": [[1, 1, 0], [0, 0, 1]]}
    trace = compute(Problem(**problem, round=digits))
    for name, expected in carried_reference(problem, digits).items():
        np.testing.assert_array_equal(trace[name].value, expected, err_msg=name)


def test_the_last_step_says_how_far_rounding_drifted():
    problem = load(ROOT / "samples" / "self_attention.yaml")
    rounded_trace, full = compute(problem.replaced(round=1)), compute(problem)
    (name, drift), = [c for c in rounded_trace["Z"].constants if c[0].startswith("max")]
    assert name == "max |Z − full precision|"
    assert drift == pytest.approx(np.max(np.abs(rounded_trace["Z"].value - full["Z"].value)))
    assert drift > 0 and "rounded to 1 decimals" in rounded_trace["Z"].notes[-1]


def test_round_in_the_file_and_on_the_command_line(write_problem):
    from handcalc.cli import app

    path = write_problem((ROOT / "samples" / "self_attention.yaml").read_text() + "round: 2\n")
    from_file = runner.invoke(app, ["run", str(path), "--format", "text", "--only", "A"]).stdout
    from_option = runner.invoke(app, ["run", str(ROOT / "samples" / "self_attention.yaml"), "--round", "2",
                                      "--format", "text", "--only", "A"]).stdout
    assert from_file == from_option and "0.05" in from_file and "0.054" not in from_file
