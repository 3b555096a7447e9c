"""Error carried forward: every step recomputed from a student's own earlier answers.

Each expected value is worked out here again, with plain numpy on the student's matrices
(``their_K.T @ their_Q`` for the scores in the columns layout …), never with handcalc's code;
and ``Work.evaluate()`` is checked against every cell of every sample.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from conftest import ROOT, SAMPLES

import handcalc
from handcalc.ecf import carried_forward
from handcalc.trace import INPUT
from handcalc.work import Copy, DotProduct, Masking, Power, Quotient, Scaling, Sum, cell_work

CLASSIC, CAUSAL, TWO_HEADS = (
    ROOT / "samples" / name for name in ("self_attention.yaml", "causal.yaml", "two_heads.yaml")
)


def trace_of(path, layout: str | None = None, exact: bool = False, **options):
    problem = handcalc.load_problem(path)
    problem = problem.with_layout(layout) if layout else problem
    return handcalc.compute(problem.replaced(**options) if options else problem, exact=exact)


def true(trace) -> dict[str, np.ndarray]:
    """Every step's true value, as floats: a student who got everything right."""
    return {step.name: np.array(step.value, dtype=float) for step in trace}


def computed(trace, answers: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The answers a student hands in: the computed steps only."""
    return {name: value for name, value in answers.items() if trace[name].kind != INPUT}


def softmax_columns(x: np.ndarray, base: float = math.e) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """exp, sums and A of every column of ``x`` (−∞ gives 0), written out with numpy."""
    exp = np.power(base, x)
    sums = exp.sum(axis=0)
    return exp, sums, exp / sums


def assert_carried(ecf: np.ndarray, theirs: np.ndarray, truth: np.ndarray) -> None:
    """ECF agrees with the student's own work, which is not the truth."""
    np.testing.assert_allclose(ecf, theirs, rtol=1e-12, atol=1e-12)
    assert not np.allclose(theirs, truth)


# --- a wrong cell carried into the steps after it ----------------------------------------------
def test_scores_from_their_own_Q():
    trace = trace_of(CLASSIC)
    t = true(trace)
    their_Q = t["Q"].copy()
    their_Q[1, 2] += 1  # one wrong cell of Q
    their_scores = t["K"].T @ their_Q  # … and the scores done right from it
    ecf = carried_forward(trace, {"Q": their_Q, "scores": their_scores})
    assert_carried(ecf["scores"], their_scores, t["scores"])
    assert ecf["Q"] == pytest.approx(t["Q"])  # Q is computed from the true W_q and X


def test_scores_from_their_own_Q_and_K():
    trace = trace_of(CLASSIC)
    t = true(trace)
    their_Q, their_K = t["Q"] + [[0, 0, 0, 0], [0, 1, 0, 0]], t["K"] - [[0, 0, 2, 0], [0, 0, 0, 0]]
    their_scores = their_K.T @ their_Q
    ecf = carried_forward(trace, {"Q": their_Q, "K": their_K, "scores": their_scores})
    assert_carried(ecf["scores"], their_scores, t["scores"])


def test_A_from_their_own_exp_and_sums():
    trace = trace_of(CLASSIC)
    t = true(trace)
    their_exp = t["exp"].copy()
    their_exp[0, 1] = 7.0
    their_sums = their_exp.sum(axis=0)
    their_A = their_exp / their_sums
    ecf = carried_forward(trace, {"exp": their_exp, "sums": their_sums, "A": their_A})
    assert_carried(ecf["sums"], their_sums, t["sums"])
    assert_carried(ecf["A"], their_A, t["A"])


def test_A_from_their_wrong_sums_and_right_exp():
    """A wrong sum is carried into its column of A, and only into it."""
    trace = trace_of(CLASSIC)
    t = true(trace)
    their_sums = t["sums"].copy()
    their_sums[2] += 1
    their_A = t["exp"] / their_sums
    ecf = carried_forward(trace, {"exp": t["exp"], "sums": their_sums, "A": their_A})
    assert_carried(ecf["A"], their_A, t["A"])
    np.testing.assert_allclose(ecf["sums"], t["sums"], rtol=1e-12)  # from the right exp
    np.testing.assert_allclose(np.delete(ecf["A"], 2, axis=1), np.delete(t["A"], 2, axis=1), rtol=1e-12)


def test_Z_from_their_own_A():
    trace = trace_of(CLASSIC)
    t = true(trace)
    their_A = t["A"].copy()
    their_A[[0, 1], 0] = their_A[[1, 0], 0]  # two cells of a column swapped
    their_Z = t["V"] @ their_A
    ecf = carried_forward(trace, {"A": their_A, "Z": their_Z})
    assert_carried(ecf["Z"], their_Z, t["Z"])


def test_a_chain_from_Q_to_Z():
    """One wrong cell of Q, everything after it done right: every step is carried."""
    trace = trace_of(CLASSIC)
    t = true(trace)
    d_k = t["Q"].shape[0]
    Q = t["Q"].copy()
    Q[0, 0] -= 2
    scores = t["K"].T @ Q
    scaled = scores / math.sqrt(d_k)
    exp, sums, A = softmax_columns(scaled)
    Z = t["V"] @ A
    theirs = {"Q": Q, "scores": scores, "scaled": scaled, "exp": exp, "sums": sums, "A": A, "Z": Z}
    ecf = carried_forward(trace, theirs)
    assert list(ecf) == list(theirs)  # the given steps, in the trace's order
    for name in ("scores", "scaled", "exp", "sums", "A", "Z"):
        assert_carried(ecf[name], theirs[name], t[name])


def test_concat_and_output_from_their_heads_Z():
    trace = trace_of(TWO_HEADS)
    t = true(trace)
    their_h2_Z = t["h2.Z"].copy()
    their_h2_Z[1, 3] += 0.5
    their_concat = np.vstack([t["h1.Z"], their_h2_Z])  # head outputs top to bottom
    their_output = t["W_o"] @ their_concat
    ecf = carried_forward(trace, {"h2.Z": their_h2_Z, "concat": their_concat, "output": their_output})
    assert_carried(ecf["concat"], their_concat, t["concat"])
    assert_carried(ecf["output"], their_output, t["output"])
    np.testing.assert_allclose(ecf["h2.Z"], t["h2.Z"], rtol=1e-12)  # from the true h2.V and h2.A


def test_each_head_carries_its_own_answers():
    """h1's wrong Q reaches h1's scores, not h2's."""
    trace = trace_of(TWO_HEADS)
    t = true(trace)
    their_h1_Q = t["h1.Q"] + 1
    given = {"h1.Q": their_h1_Q, "h1.scores": t["h1.K"].T @ their_h1_Q, "h2.scores": t["h2.scores"]}
    ecf = carried_forward(trace, given)
    assert_carried(ecf["h1.scores"], given["h1.scores"], t["h1.scores"])
    np.testing.assert_allclose(ecf["h2.scores"], t["h2.scores"], rtol=1e-12)


def test_a_masked_problem_in_base_3():
    """causal.yaml: mask causal, base 3. A wrong allowed cell of scaled is carried into
    masked and exp; the blocked cells stay −∞ (the mask decides, not the student)."""
    trace = trace_of(CAUSAL)
    t = true(trace)
    allowed = np.isfinite(t["masked"])  # keys × queries: key i may be seen by query j ≥ i
    assert not allowed.all()
    their_scaled = t["scaled"].copy()
    their_scaled[0, 2] += 1
    assert allowed[0, 2]
    their_masked = np.where(allowed, their_scaled, -np.inf)
    their_exp, their_sums, their_A = softmax_columns(their_masked, base=3)
    given = {"scaled": their_scaled, "masked": their_masked, "exp": their_exp, "sums": their_sums, "A": their_A}
    ecf = carried_forward(trace, given)
    for name in ("masked", "exp", "sums", "A"):
        assert_carried(ecf[name], given[name], t[name])
    assert (ecf["masked"][~allowed] == -np.inf).all()
    assert (ecf["exp"][~allowed] == 0).all()


def test_masked_with_zero_is_not_carried_into_masked_itself():
    """A student who writes 0 where the mask blocks: their own masked never decides which
    cells are blocked, but their exp is carried from it (3⁰ = 1)."""
    trace = trace_of(CAUSAL)
    t = true(trace)
    allowed = np.isfinite(t["masked"])
    their_scaled = t["scaled"].copy()
    their_scaled[1, 3] -= 1  # so that masked is worked out again from their scaled
    assert allowed[1, 3]
    their_masked = np.where(allowed, their_scaled, 0.0)
    their_exp = np.power(3.0, their_masked)
    ecf = carried_forward(trace, {"scaled": their_scaled, "masked": their_masked, "exp": their_exp})
    np.testing.assert_array_equal(ecf["masked"], np.where(allowed, their_scaled, -np.inf))
    assert_carried(ecf["exp"], their_exp, t["exp"])
    ecf = carried_forward(trace, {"masked": their_masked})  # nothing before it: the truth
    np.testing.assert_array_equal(ecf["masked"], t["masked"])


def test_base_3_without_a_mask():
    trace = trace_of(CLASSIC, base=3)
    t = true(trace)
    their_scaled = t["scaled"].copy()
    their_scaled[1, 1] = 0.25
    their_exp = 3.0**their_scaled
    ecf = carried_forward(trace, {"scaled": their_scaled, "exp": their_exp})
    assert_carried(ecf["exp"], their_exp, t["exp"])
    assert not np.allclose(np.exp(their_scaled), their_exp)  # base 3 it is, not e


def test_the_rows_layout():
    """Tokens as rows: scores = Q · Kᵀ, each row of A sums to 1, Z = A · V."""
    trace = trace_of(CLASSIC, layout="rows")
    t = true(trace)
    d_k = t["Q"].shape[1]
    Q = t["Q"].copy()
    Q[2, 1] += 3
    scores = Q @ t["K"].T
    scaled = scores / math.sqrt(d_k)
    exp = np.exp(scaled)
    sums = exp.sum(axis=1)  # one sum per row
    A = exp / sums[:, None]
    A[0] = A[0, ::-1]  # and a mistake of their own in A's first row
    Z = A @ t["V"]
    theirs = {"Q": Q, "scores": scores, "scaled": scaled, "exp": exp, "sums": sums, "Z": Z}
    ecf = carried_forward(trace, {**theirs, "A": A})
    for name in ("scores", "scaled", "exp", "sums", "Z"):
        assert_carried(ecf[name], theirs[name], t[name])
    np.testing.assert_allclose(ecf["A"], exp / sums[:, None], rtol=1e-12)  # not their reversed row


def test_the_rows_layout_multi_head_concat_is_side_by_side():
    trace = trace_of(TWO_HEADS, layout="rows")
    t = true(trace)
    their_h1_Z = t["h1.Z"] * 2
    their_concat = np.hstack([their_h1_Z, t["h2.Z"]])
    ecf = carried_forward(trace, {"h1.Z": their_h1_Z, "concat": their_concat})
    assert_carried(ecf["concat"], their_concat, t["concat"])


# --- what is given, what is not ------------------------------------------------------------------
@pytest.mark.parametrize("layout", ["columns", "rows"])
@pytest.mark.parametrize("exact", [False, True], ids=["float", "exact"])
@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_nothing_wrong_carries_the_truth(path, layout, exact):
    trace = trace_of(path, layout, exact)
    t = true(trace)
    ecf = carried_forward(trace, computed(trace, t))
    assert list(ecf) == [step.name for step in trace if step.kind != INPUT]
    for name, value in ecf.items():
        assert value.dtype == float
        np.testing.assert_allclose(value, t[name], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_right_answers_carry_the_truth_through_recomputation(path):
    """Every answer right but for a hair in the last place: every step is worked out again,
    cell by cell, from the student's numbers, and still lands on the truth."""
    trace = trace_of(path)
    t = true(trace)
    nudged = {name: np.where(np.isfinite(v), v * (1 + 1e-15) + 1e-300, v) for name, v in computed(trace, t).items()}
    ecf = carried_forward(trace, nudged)
    for name, value in ecf.items():
        np.testing.assert_allclose(value, t[name], rtol=1e-12, atol=1e-12)


def test_a_step_s_own_answer_does_not_feed_its_recomputation():
    trace = trace_of(CLASSIC)
    t = true(trace)
    ecf = carried_forward(trace, {"scores": t["scores"] + 5, "A": np.zeros_like(t["A"])})
    np.testing.assert_allclose(ecf["scores"], t["scores"], rtol=1e-12)
    np.testing.assert_allclose(ecf["A"], t["A"], rtol=1e-12)


def test_operands_not_given_are_the_true_ones():
    """Their A, with exp and sums not handed in, is recomputed from the true exp and sums."""
    trace = trace_of(CLASSIC)
    t = true(trace)
    their_Q = t["Q"] + 1
    ecf = carried_forward(trace, {"Q": their_Q, "A": t["A"]})
    assert set(ecf) == {"Q", "A"}
    np.testing.assert_allclose(ecf["A"], t["A"], rtol=1e-12)


def test_blank_cells_are_the_true_values():
    trace = trace_of(CLASSIC)
    t = true(trace)
    their_Q = t["Q"].copy()
    their_Q[0, 0] += 1
    their_Q[1, :] = np.nan  # a row left blank
    filled = np.where(np.isnan(their_Q), t["Q"], their_Q)
    their_scores = t["K"].T @ filled
    their_scores[0, 0] = np.nan
    ecf = carried_forward(trace, {"Q": their_Q, "scores": their_scores})
    expected = t["K"].T @ filled
    assert_carried(ecf["scores"], expected, t["scores"])  # the blank cell of scores too


def test_a_miscopied_input_is_carried_but_not_returned():
    trace = trace_of(CLASSIC)
    t = true(trace)
    their_X = t["X"].copy()
    their_X[2, 0] = 5
    their_Q = t["W_q"] @ their_X
    ecf = carried_forward(trace, {"X": their_X, "Q": their_Q})
    assert list(ecf) == ["Q"]
    assert_carried(ecf["Q"], their_Q, t["Q"])


def test_an_exact_trace_with_float_answers():
    """--exact: the trace holds Fractions, the student's answers are floats."""
    trace = trace_of(CLASSIC, exact=True, base=3)
    t = true(trace)
    their_K = t["K"].copy()
    their_K[0, 1] -= 1
    their_scores = their_K.T @ t["Q"]
    ecf = carried_forward(trace, {"K": their_K, "scores": their_scores})
    assert_carried(ecf["scores"], their_scores, t["scores"])


def test_digits_rounds_as_the_problem_does():
    """round: 2: what is carried is what the student would write, rounded (halves away)."""
    trace = trace_of(CLASSIC, round=2)
    t = true(trace)
    their_exp = t["exp"].copy()
    their_exp[0, 0] += 1
    their_sums = their_exp.sum(axis=0)
    ecf = carried_forward(trace, {"exp": their_exp, "sums": their_sums, "A": t["A"]}, digits=2)
    unrounded = their_exp / their_sums
    assert np.all(np.abs(ecf["A"] - unrounded) <= 0.005 + 1e-12)
    np.testing.assert_allclose(ecf["A"] * 100, np.round(ecf["A"] * 100), atol=1e-9)
    assert not np.allclose(ecf["A"], t["A"])


def test_a_zero_sum_and_a_huge_exponent_give_floats_not_errors():
    trace = trace_of(CLASSIC)
    t = true(trace)
    their_sums = t["sums"].copy()
    their_sums[0] = 0
    their_scaled = t["scaled"].copy()
    their_scaled[0, 0] = 1e6
    ecf = carried_forward(trace, {"sums": t["sums"], "A": t["A"], "scaled": their_scaled, "exp": t["exp"]})
    assert ecf["exp"][0, 0] == math.inf
    ecf = carried_forward(trace, {"sums": their_sums, "A": t["A"]})
    assert np.isinf(ecf["A"][:, 0]).all()


def test_the_answers_are_left_as_they_were():
    trace = trace_of(CLASSIC)
    their_Q = true(trace)["Q"] + 1
    before = their_Q.copy()
    carried_forward(trace, {"Q": their_Q, "scores": np.zeros((4, 4))})
    np.testing.assert_array_equal(their_Q, before)
    assert their_Q.flags.writeable


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"Qq": np.zeros((2, 4))}, "no step 'Qq'"),
        ({"Q": np.zeros((4, 2))}, "Q is 2×4, the answer given for it 4×2"),
        ({"sums": np.zeros(3)}, "a list of 4 numbers"),
    ],
)
def test_a_step_not_in_the_problem_or_of_the_wrong_shape(given, message):
    with pytest.raises(ValueError, match=message):
        carried_forward(trace_of(CLASSIC), given)


# --- Work.evaluate() ---------------------------------------------------------------------------
@pytest.mark.parametrize("layout", ["columns", "rows"])
@pytest.mark.parametrize("exact", [False, True], ids=["float", "exact"])
@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_evaluate_gives_every_cell_of_every_sample(path, layout, exact):
    trace = trace_of(path, layout, exact)
    for step in trace:
        for index in np.ndindex(*step.shape):
            work = cell_work(step, trace, index)
            if work is None:
                break
            value, expected = work.evaluate(), float(step.value[index])
            assert type(value) is float
            assert value == pytest.approx(expected, rel=1e-12, abs=1e-12), (step.name, index)


def test_evaluate_each_kind_of_work():
    half, third = Fraction(1, 2), Fraction(1, 3)
    assert DotProduct("Q", (0, 0), None, ((1, 2), (3, 4))).evaluate() == 14.0
    assert DotProduct("Q", (0, 0), None, ((third, 3), (half, half))).evaluate() == 1.25
    assert Scaling("scaled", (0, 0), None, 6, 4, ()).evaluate() == 3.0
    assert Scaling("scaled", (0, 0), None, 1, 2, (Fraction(2),)).evaluate() == pytest.approx(1 / (2 * math.sqrt(2)))
    assert Scaling("scaled", (0, 0), None, third, None, (half, 2)).evaluate() == pytest.approx(1 / 3)
    assert Masking("masked", (0, 0), None, 1.5, True).evaluate() == -math.inf
    assert Masking("masked", (0, 0), None, half, False).evaluate() == 0.5
    assert Power("exp", (0, 0), None, "e", 1, None).evaluate() == math.e
    assert Power("exp", (0, 0), None, "3", Fraction(2), None).evaluate() == 9.0
    assert Power("exp", (0, 0), None, "2.5", 3, 1).evaluate() == 6.25
    assert Power("exp", (0, 0), None, "3", -math.inf, None).evaluate() == 0.0
    assert Power("exp", (0, 0), None, "e", 1e6, None).evaluate() == math.inf
    assert Sum("sums", (0,), None, (third, third, third)).evaluate() == 1.0
    assert Sum("sums", (0,), None, (1.0, 0.0, 0.5)).evaluate() == 1.5
    assert Quotient("A", (0, 0), None, 1, 4).evaluate() == 0.25
    assert Quotient("A", (0, 0), None, third, Fraction(2, 3)).evaluate() == 0.5
    assert Quotient("A", (0, 0), None, 1, 0).evaluate() == math.inf
    assert math.isnan(Quotient("A", (0, 0), None, 0, 0.0).evaluate())
    assert Copy("concat", (2, 0), None, "h2.Z", (0, 0), third).evaluate() == pytest.approx(1 / 3)


def test_evaluate_lets_blanks_through():
    assert math.isnan(DotProduct("Q", (0, 0), None, ((1, math.nan), (3, 4))).evaluate())
    assert math.isnan(Sum("sums", (0,), None, (1, math.nan)).evaluate())
    assert math.isnan(Power("exp", (0, 0), None, "e", math.nan, None).evaluate())
    assert math.isnan(Scaling("scaled", (0, 0), None, math.nan, 2, ()).evaluate())


def test_copy_holds_its_source_value():
    trace = trace_of(TWO_HEADS)
    work = cell_work(trace["concat"], trace, (3, 1))  # h1.Z has 2 rows: this is h2.Z[2,2]
    assert (work.source, work.source_index) == ("h2.Z", (1, 1))
    assert work.value == trace["h2.Z"].value[1, 1] == work.result
