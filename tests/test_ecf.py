"""Error carried forward: a step done right from a student's own wrong earlier answers is
*carried*, not wrong, and a step from their right answers is right.

Each student's numbers are worked out here with plain numpy on their matrices
(``their_K.T @ their_Q`` for the scores in the columns layout …), never with handcalc's code,
and marked by ``check.mark`` exactly as written (no rounding room); ``Work.evaluate()`` is
checked against every cell of every sample.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from conftest import ROOT, SAMPLES

import handcalc
from handcalc.check import CARRIED, EXACT, RIGHT, WRONG, Answer, mark
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


def verdicts(trace, given: dict[str, np.ndarray], digits: int | None = None) -> dict[str, np.ndarray]:
    """Each given step's cells as ``check`` marks them, every number taken as written exactly."""
    answers = [Answer(name, np.asarray(value, dtype=float), np.full(np.shape(value), EXACT)) for name, value in given.items()]
    marks = mark(trace, answers, "student.yaml", digits=digits)
    return {s.name: np.array([c.verdict for c in s.cells], dtype=object).reshape(trace[s.name].shape) for s in marks.steps}


def assert_carried(marked: np.ndarray, theirs: np.ndarray, truth: np.ndarray) -> None:
    """Where the student's own work differs from the truth it is carried; elsewhere right."""
    differs = ~np.isclose(theirs, truth, rtol=1e-9, atol=1e-12) & ~(np.isneginf(theirs) & np.isneginf(truth))
    assert differs.any()
    assert (marked[differs] == CARRIED).all(), marked
    assert (marked[~differs] == RIGHT).all(), marked


def assert_right(marked: np.ndarray) -> None:
    assert (marked == RIGHT).all(), marked


# --- a wrong cell carried into the steps after it ----------------------------------------------
def test_scores_from_their_own_Q():
    trace = trace_of(CLASSIC)
    t = true(trace)
    their_Q = t["Q"].copy()
    their_Q[1, 2] += 1  # one wrong cell of Q
    their_scores = t["K"].T @ their_Q  # … and the scores done right from it
    ecf = verdicts(trace, {"Q": their_Q, "scores": their_scores})
    assert_carried(ecf["scores"], their_scores, t["scores"])
    assert (ecf["Q"] == WRONG).sum() == 1  # Q is worked from the true W_q and X


def test_scores_from_their_own_Q_and_K():
    trace = trace_of(CLASSIC)
    t = true(trace)
    their_Q, their_K = t["Q"] + [[0, 0, 0, 0], [0, 1, 0, 0]], t["K"] - [[0, 0, 2, 0], [0, 0, 0, 0]]
    their_scores = their_K.T @ their_Q
    ecf = verdicts(trace, {"Q": their_Q, "K": their_K, "scores": their_scores})
    assert_carried(ecf["scores"], their_scores, t["scores"])


def test_A_from_their_own_exp_and_sums():
    trace = trace_of(CLASSIC)
    t = true(trace)
    their_exp = t["exp"].copy()
    their_exp[0, 1] = 7.0
    their_sums = their_exp.sum(axis=0)
    their_A = their_exp / their_sums
    ecf = verdicts(trace, {"exp": their_exp, "sums": their_sums, "A": their_A})
    assert_carried(ecf["sums"], their_sums, t["sums"])
    assert_carried(ecf["A"], their_A, t["A"])


def test_A_from_their_wrong_sums_and_right_exp():
    """A wrong sum is carried into its column of A, and only into it."""
    trace = trace_of(CLASSIC)
    t = true(trace)
    their_sums = t["sums"].copy()
    their_sums[2] += 1
    their_A = t["exp"] / their_sums
    ecf = verdicts(trace, {"exp": t["exp"], "sums": their_sums, "A": their_A})
    assert_carried(ecf["A"], their_A, t["A"])
    assert (ecf["sums"][2] == WRONG) and (np.delete(ecf["sums"], 2) == RIGHT).all()  # from the right exp
    assert_right(np.delete(ecf["A"], 2, axis=1))


def test_Z_from_their_own_A():
    trace = trace_of(CLASSIC)
    t = true(trace)
    their_A = t["A"].copy()
    their_A[[0, 1], 0] = their_A[[1, 0], 0]  # two cells of a column swapped
    their_Z = t["V"] @ their_A
    ecf = verdicts(trace, {"A": their_A, "Z": their_Z})
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
    ecf = verdicts(trace, theirs)
    assert list(ecf) == list(theirs)  # the given steps, in the trace's order
    assert (ecf["Q"] == WRONG).sum() == 1
    for name in ("scores", "scaled", "exp", "sums", "A", "Z"):
        assert_carried(ecf[name], theirs[name], t[name])


def test_concat_and_output_from_their_heads_Z():
    trace = trace_of(TWO_HEADS)
    t = true(trace)
    their_h2_Z = t["h2.Z"].copy()
    their_h2_Z[1, 3] += 0.5
    their_concat = np.vstack([t["h1.Z"], their_h2_Z])  # head outputs top to bottom
    their_output = t["W_o"] @ their_concat
    ecf = verdicts(trace, {"h2.Z": their_h2_Z, "concat": their_concat, "output": their_output})
    assert_carried(ecf["concat"], their_concat, t["concat"])
    assert_carried(ecf["output"], their_output, t["output"])
    assert (ecf["h2.Z"] == WRONG).sum() == 1  # worked from the true h2.V and h2.A


def test_each_head_carries_its_own_answers():
    """h1's wrong Q reaches h1's scores, not h2's."""
    trace = trace_of(TWO_HEADS)
    t = true(trace)
    their_h1_Q = t["h1.Q"] + 1
    given = {"h1.Q": their_h1_Q, "h1.scores": t["h1.K"].T @ their_h1_Q, "h2.scores": t["h2.scores"]}
    ecf = verdicts(trace, given)
    assert_carried(ecf["h1.scores"], given["h1.scores"], t["h1.scores"])
    assert_right(ecf["h2.scores"])


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
    ecf = verdicts(trace, given)
    for name in ("masked", "exp", "sums", "A"):
        assert_carried(ecf[name], given[name], t[name])
    assert (ecf["masked"][~allowed] == RIGHT).all() and (ecf["exp"][~allowed] == RIGHT).all()


def test_masked_with_zero_is_not_carried_into_masked_itself():
    """A student who writes 0 where the mask blocks: those cells of masked are wrong (the
    mask decides, not the student), and their exp, 3⁰ = 1 there, is carried from them."""
    trace = trace_of(CAUSAL)
    t = true(trace)
    allowed = np.isfinite(t["masked"])
    their_scaled = t["scaled"].copy()
    their_scaled[1, 3] -= 1  # so that masked is worked out again from their scaled
    assert allowed[1, 3]
    their_masked = np.where(allowed, their_scaled, 0.0)
    their_exp = np.power(3.0, their_masked)
    ecf = verdicts(trace, {"scaled": their_scaled, "masked": their_masked, "exp": their_exp})
    assert (ecf["masked"][~allowed] == WRONG).all() and ecf["masked"][1, 3] == CARRIED
    assert_carried(ecf["exp"], their_exp, t["exp"])
    ecf = verdicts(trace, {"masked": their_masked})  # nothing before it: worked from the truth
    assert (ecf["masked"][~allowed] == WRONG).all() and ecf["masked"][1, 3] == WRONG


def test_base_3_without_a_mask():
    trace = trace_of(CLASSIC, base=3)
    t = true(trace)
    their_scaled = t["scaled"].copy()
    their_scaled[1, 1] = 0.25
    their_exp = 3.0**their_scaled
    ecf = verdicts(trace, {"scaled": their_scaled, "exp": their_exp})
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
    ecf = verdicts(trace, {**theirs, "A": A})
    for name in ("scores", "scaled", "exp", "sums", "Z"):
        assert_carried(ecf[name], theirs[name], t[name])
    assert (ecf["A"][0] == WRONG).all()  # their reversed row is a mistake of its own
    assert_carried(ecf["A"][1:], A[1:], t["A"][1:])


def test_the_rows_layout_multi_head_concat_is_side_by_side():
    trace = trace_of(TWO_HEADS, layout="rows")
    t = true(trace)
    their_h1_Z = t["h1.Z"] * 2
    their_concat = np.hstack([their_h1_Z, t["h2.Z"]])
    ecf = verdicts(trace, {"h1.Z": their_h1_Z, "concat": their_concat})
    assert_carried(ecf["concat"], their_concat, t["concat"])


# --- what is given, what is not ------------------------------------------------------------------
@pytest.mark.parametrize("layout", ["columns", "rows"])
@pytest.mark.parametrize("exact", [False, True], ids=["float", "exact"])
@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_nothing_wrong_is_all_right(path, layout, exact):
    trace = trace_of(path, layout, exact)
    ecf = verdicts(trace, computed(trace, true(trace)))
    assert list(ecf) == [step.name for step in trace if step.kind != INPUT]
    for marked in ecf.values():
        assert_right(marked)


def test_a_step_s_own_answer_does_not_feed_its_recomputation():
    trace = trace_of(CLASSIC)
    t = true(trace)
    ecf = verdicts(trace, {"scores": t["scores"] + 5, "A": np.zeros_like(t["A"])})
    assert (ecf["scores"] == WRONG).all() and (ecf["A"] == WRONG).all()


def test_operands_not_given_are_worked_through():
    """Their A, with exp and sums not handed in, is worked from the true exp and sums."""
    trace = trace_of(CLASSIC)
    t = true(trace)
    ecf = verdicts(trace, {"Q": t["Q"] + 1, "A": t["A"]})
    assert set(ecf) == {"Q", "A"}
    assert_right(ecf["A"])


def test_skipped_steps_carry_a_mistake_through():
    """Q wrong, then only A handed in, done right from that Q: carried through the skipped steps."""
    trace = trace_of(CLASSIC)
    t = true(trace)
    their_Q = t["Q"].copy()
    their_Q[0, 0] -= 2
    _, _, their_A = softmax_columns(t["K"].T @ their_Q / math.sqrt(t["Q"].shape[0]))
    ecf = verdicts(trace, {"Q": their_Q, "A": their_A})
    assert_carried(ecf["A"], their_A, t["A"])


def test_blank_cells_are_worked_through():
    trace = trace_of(CLASSIC)
    t = true(trace)
    their_Q = t["Q"].copy()
    their_Q[0, 0] += 1
    their_Q[1, :] = np.nan  # a row left blank
    filled = np.where(np.isnan(their_Q), t["Q"], their_Q)
    their_scores = t["K"].T @ filled
    their_scores[0, 0] = np.nan
    ecf = verdicts(trace, {"Q": their_Q, "scores": their_scores})
    assert ecf["scores"][0, 0] == "blank"
    written = ~np.isnan(their_scores)
    assert_carried(ecf["scores"][written], their_scores[written], t["scores"][written])


def test_an_exact_trace_with_float_answers():
    """--exact: the trace holds Fractions, the student's answers are floats."""
    trace = trace_of(CLASSIC, exact=True, base=3)
    t = true(trace)
    their_K = t["K"].copy()
    their_K[0, 1] -= 1
    their_scores = their_K.T @ t["Q"]
    ecf = verdicts(trace, {"K": their_K, "scores": their_scores})
    assert_carried(ecf["scores"], their_scores, t["scores"])


def test_round_2_carries_what_the_student_would_write():
    """round: 2: their A from their own exp and sums, rounded half away from zero, is carried."""
    trace = trace_of(CLASSIC, round=2)
    t = true(trace)
    their_exp = t["exp"].copy()
    their_exp[0, 0] += 1
    their_sums = np.array([round(x + 1e-9, 2) for x in their_exp.sum(axis=0)])
    their_A = np.vectorize(lambda x: math.floor(x * 100 + 0.5) / 100)(their_exp / their_sums)
    ecf = verdicts(trace, {"exp": their_exp, "sums": their_sums, "A": their_A}, digits=2)
    assert ecf["sums"][0] == CARRIED and ecf["exp"][0, 0] == WRONG
    assert (ecf["A"][:, 0] == CARRIED).any() and (ecf["A"] != WRONG).all()


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
