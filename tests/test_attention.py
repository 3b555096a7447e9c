"""handcalc's numbers against independent computations: PyTorch fixtures and tests/reference.py."""

import json

import numpy as np
import pytest
from conftest import TORCH_CASES
from reference import reference_attention
from typer.testing import CliRunner

from handcalc import Problem, compute
from handcalc.cli import app

IDS = [case["name"] for case in TORCH_CASES]


def problem_of(case) -> Problem:
    return Problem(**case["problem"])


@pytest.mark.parametrize("case", TORCH_CASES, ids=IDS)
def test_matches_pytorch(case):
    trace = compute(problem_of(case))
    for name, expected in case["expected"].items():
        np.testing.assert_allclose(trace[name].value, expected, rtol=0, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("case", TORCH_CASES, ids=IDS)
def test_every_step_matches_the_loop_reference(case):
    trace = compute(problem_of(case))
    expected = reference_attention(case["problem"])
    computed = [step.name for step in trace if step.kind != "input"]
    assert computed == [name for name in trace.names if name in expected]
    assert set(computed) == set(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(trace[name].value, value, rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("case", TORCH_CASES, ids=IDS)
def test_json_output_carries_full_precision(case, write_problem):
    """``--format json`` through the loader: every value exactly as computed (not the
    displayed rounding), agreeing with the reference; masked cells as null."""
    result = CliRunner().invoke(app, ["run", str(write_problem(case["problem"])), "--format", "json"])
    assert result.exit_code == 0, result.output
    steps = {step["name"]: step for step in json.loads(result.stdout)["steps"]}
    trace = compute(problem_of(case))
    for name, value in reference_attention(case["problem"]).items():
        cells = steps[name]["value"]
        got = np.array([[-np.inf if x is None else x for x in row] for row in cells] if value.ndim == 2 else cells)
        assert list(got.shape) == steps[name]["shape"] == list(value.shape)
        assert np.array_equal(got, trace[name].value), name
        np.testing.assert_allclose(got, value, rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("case", TORCH_CASES, ids=IDS)
def test_both_layouts_give_the_same_numbers_transposed(case):
    problem = problem_of(case)
    other = problem.with_layout("rows" if problem.layout == "columns" else "columns")
    this, that = compute(problem), compute(other)
    assert this.names == that.names
    for step in this:
        np.testing.assert_allclose(step.value.T, that[step.name].value, rtol=1e-14, atol=1e-14, err_msg=step.name)


def classic(**options) -> Problem:
    return Problem(X=[[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]], W_q=[[1, 0, 1], [0, 1, 1]],
                   W_k=[[0, 1, 1], [1, 0, 0]], W_v=[[1, 1, 0], [0, 0, 1]], **options)


def test_masked_cells_get_weight_exactly_zero():
    trace = compute(classic(mask="causal"))
    blocked = np.triu(np.ones((4, 4), dtype=bool), 1).T  # key i > query j
    assert np.all(trace["masked"].value[blocked] == -np.inf)
    assert np.all(trace["A"].value[blocked] == 0.0)
    assert np.all(trace["A"].value[~blocked] > 0)


@pytest.mark.parametrize("big", [1e3, -1e3, 1e5])
def test_softmax_never_overflows_for_finite_input(big):
    """Scores far beyond exp's range: the column max is subtracted, and a note says so."""
    trace = compute(Problem(X=[[1, 0, 1], [0, 1, 1]], W_q=[[big, 0], [0, 1]], W_k=[[1, 0], [0, big]],
                            W_v=[[1, 2], [3, 4]], scale="none"))
    A = trace["A"].value
    assert np.isfinite(A).all() and np.isfinite(trace["exp"].value).all()
    np.testing.assert_allclose(A.sum(axis=0), 1, rtol=1e-12)
    assert trace["exp"].notes and "largest value was subtracted" in trace["exp"].notes[0]
    assert "max" in trace["exp"].formula
    X = np.array([[1, 0, 1], [0, 1, 1]], dtype=float)
    scores = (np.array([[1, 0], [0, big]]) @ X).T @ (np.array([[big, 0], [0, 1]]) @ X)  # Kᵀ·Q, (3, 3)
    log_sums = np.log(np.exp(scores - scores.max(axis=0)).sum(axis=0)) + scores.max(axis=0)
    np.testing.assert_allclose(A, np.exp(scores - log_sums), rtol=1e-9, atol=1e-300)  # log-sum-exp loses digits at 1e10


def test_small_scores_need_no_shift_and_no_note():
    trace = compute(classic())
    assert trace["exp"].notes == ()
    assert trace["exp"].formula == "exp = e^scaled"


def test_steps_are_read_only_and_named_in_order():
    trace = compute(classic(mask="causal", W_o=[[1, 0], [0, 1], [1, 1]]))
    assert trace.names == ("X", "W_q", "W_k", "W_v", "W_o", "Q", "K", "V", "scores", "scaled", "masked",
                           "exp", "sums", "A", "Z", "output")
    with pytest.raises(ValueError):
        trace["A"].value[0, 0] = 1.0


@pytest.mark.parametrize(
    ("options", "formula"),
    [({}, "scaled = scores / √d_k"), ({"temperature": 2}, "scaled = scores / (√d_k · T)"),
     ({"scale": "none"}, "scaled = scores"), ({"scale": "none", "temperature": 2}, "scaled = scores / T"),
     ({"scale": 2}, "scaled = scores / s")],
)
def test_scaled_formula_follows_the_options(options, formula):
    assert compute(classic(**options))["scaled"].formula == formula


def test_fractions_are_read_exactly():
    third = compute(Problem(X=[["1/3"]], W_q=[[3]], W_k=[[3]], W_v=[["2/3"]]))
    assert third["Q"].value[0, 0] == 1.0
    assert third["Z"].value[0, 0] == pytest.approx(2 / 9, abs=1e-16)  # V = 2/3 · 1/3, A = 1
