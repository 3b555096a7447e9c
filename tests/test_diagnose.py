"""Diagnosis of the classic mistakes (``handcalc check``, issue 5 item 4).

Each student's answer is made here by *performing* the mistake with plain numpy on the
problem's own matrices (never from handcalc's candidates), written as a student writes it
(3 decimals), and matched as ``check`` matches: half a unit in the third decimal, blanks
aside. Right answers come from tests/reference.py, an independent computation."""

import json

import numpy as np
import pytest
from conftest import ROOT
from reference import reference_attention, reference_multihead
from ruamel.yaml import YAML

from handcalc.attention import compute
from handcalc.check import agrees
from handcalc.diagnose import SENTENCES, diagnose
from handcalc.load import parse

SAMPLES = ROOT / "samples"


def sample(name: str) -> dict:
    return YAML(typ="safe").load((SAMPLES / f"{name}.yaml").read_text("utf-8"))


def rows_of(problem: dict) -> dict:
    """The same problem with tokens as rows: every matrix transposed."""
    return {
        **problem,
        "layout": "rows",
        **{key: np.array(problem[key]).T.tolist() for key in ("X", "W_q", "W_k", "W_v")},
    }


MADE = {  # problems made here, beside the samples
    # n = m = d_k = d_v = 3, tokens as columns: Q·Kᵀ and A·V are the shape of the truth
    "square": {"X": [[1, 0, 2], [0, 1, 1], [1, 1, 0]], "W_q": [[1, 0, 1], [0, 1, 0], [1, 1, 0]],
               "W_k": [[0, 1, 0], [1, 0, 1], [0, 0, 1]], "W_v": [[1, 0, 0], [0, 2, 1], [1, 0, 1]]},
    "causal_rows": rows_of(sample("causal")),  # a causal mask and base 3, tokens as rows
    "hot": {**sample("self_attention"), "temperature": 2},  # scaled = scores / (√d_k · T)
}  # fmt: skip


def problem_dict(name: str) -> dict:
    return MADE[name] if name in MADE else sample(name)


def trace_of(name: str):
    return compute(parse(json.dumps(problem_dict(name)), name))


class Hand:
    """One head worked by hand with plain numpy, in the problem's own layout."""

    def __init__(self, sample: str, head: int | None = None) -> None:
        p = problem_dict(sample)
        weights = p["heads"][head - 1] if head else p
        self.columns = p.get("layout", "columns") == "columns"
        X, W_q, W_k, W_v = (np.array(m, dtype=float) for m in (p["X"], weights["W_q"], weights["W_k"], weights["W_v"]))
        self.base = np.e if p.get("base", "e") == "e" else float(p["base"])
        if self.columns:  # tokens as columns: Q = W_q X, scores = Kᵀ Q (keys × queries)
            self.Q, self.K, self.V = W_q @ X, W_k @ X, W_v @ X
            self.scores = self.K.T @ self.Q
            self.d_k, self.d_model = W_q.shape[0], X.shape[0]
        else:  # tokens as rows: Q = X W_q, scores = Q Kᵀ (queries × keys)
            self.Q, self.K, self.V = X @ W_q, X @ W_k, X @ W_v
            self.scores = self.Q @ self.K.T
            self.d_k, self.d_model = W_q.shape[1], X.shape[1]
        self.axis = 0 if self.columns else 1  # the softmax's axis: one distribution per query
        n = self.scores.shape[0]
        causal = p.get("mask") == "causal"
        # causal: query j sees keys 1..j; columns: rows are keys, so key i > query j is blocked
        self.blocked = (
            (np.tril(np.ones((n, n)), -1) if self.columns else np.triu(np.ones((n, n)), 1)).astype(bool)
            if causal
            else None
        )
        self.T = float(p.get("temperature", 1))
        self.scaled = self.scores / (np.sqrt(self.d_k) * self.T)
        self.masked = self.mask(self.scaled)
        self.exp = self.base**self.masked
        self.sums = self.exp.sum(axis=self.axis)
        self.A = self.softmax(self.masked)
        self.Z = self.V @ self.A if self.columns else self.A @ self.V

    def mask(self, x):
        return x if self.blocked is None else np.where(self.blocked, -np.inf, x)

    def softmax(self, x):
        e = self.base**x
        return e / e.sum(axis=self.axis, keepdims=True)


def student(value) -> np.ndarray:
    """As a student writes it: 3 decimals (−∞ and blanks as they are)."""
    return np.round(np.asarray(value, dtype=float), 3)


def matcher(given: np.ndarray):
    places = np.full(given.shape, 3)
    return lambda c: c.shape == given.shape and bool(np.all(agrees(given, places, c) | np.isnan(given)))


def diagnosis(sample: str, name: str, answer) -> str | None:
    given = student(answer)
    return diagnose(trace_of(sample), name, matcher(given))


TRANSPOSED_COLUMNS = "scores are transposed: rows should be keys and columns queries (Kᵀ·Q), not Qᵀ·K"
TRANSPOSED_ROWS = "scores are transposed: rows should be queries and columns keys (Q·Kᵀ), not K·Qᵀ"
AXIS_COLUMNS = "softmax along the wrong axis: each column (one query) should sum to 1, not each row"
AXIS_ROWS = "softmax along the wrong axis: each row (one query) should sum to 1, not each column"
SUMS_COLUMNS = "sums along the wrong axis: sum each column of exp (one sum per query), not each row"
SUMS_ROWS = "sums along the wrong axis: sum each row of exp (one sum per query), not each column"
D_MODEL = "the scores are divided by √d_model = √3 instead of √d_k = √2"
NOT_SCALED = "the scores are not scaled: divide them by √d_k"
TWICE = "the scores are scaled twice: divide them by √d_k once"
NO_MASK = "the mask is forgotten: blocked cells must be −∞ before the softmax, so that they get 0"
ZERO_MASK = "masked with 0 instead of −∞: a blocked cell then counts as 3^0 = 1, not 3^−∞ = 0"


def no_mask(h: Hand, step: str):
    """The mask forgotten: every step from ``scaled`` on, as if nothing were blocked."""
    exp = h.base**h.scaled
    return {"masked": h.scaled, "exp": exp, "sums": exp.sum(axis=h.axis), "A": h.softmax(h.scaled)}[step]


def zero_mask(h: Hand, step: str):
    """Blocked cells written 0 instead of −∞, and carried on."""
    masked = np.where(h.blocked, 0.0, h.scaled)
    exp = h.base**masked
    return {"masked": masked, "exp": exp, "sums": exp.sum(axis=h.axis), "A": h.softmax(masked)}[step]


CASES = [
    # the classic exercise, tokens as columns
    ("self_attention", "scores", lambda h: h.Q.T @ h.K, TRANSPOSED_COLUMNS),
    ("self_attention", "A", lambda h: h.exp / h.exp.sum(axis=1, keepdims=True), AXIS_COLUMNS),
    ("self_attention", "sums", lambda h: h.exp.sum(axis=1), SUMS_COLUMNS),
    ("self_attention", "scaled", lambda h: h.scores / np.sqrt(h.d_model), D_MODEL),
    ("self_attention", "A", lambda h: h.softmax(h.scores / np.sqrt(h.d_model)), D_MODEL),
    ("self_attention", "exp", lambda h: np.exp(h.scores / np.sqrt(h.d_model)), D_MODEL),
    ("self_attention", "scaled", lambda h: h.scores, NOT_SCALED),
    ("self_attention", "exp", lambda h: np.exp(h.scores), NOT_SCALED),
    ("self_attention", "sums", lambda h: np.exp(h.scores).sum(axis=0), NOT_SCALED),
    ("self_attention", "A", lambda h: h.softmax(h.scores), NOT_SCALED),
    ("self_attention", "scaled", lambda h: h.scores / h.d_k, TWICE),
    ("self_attention", "A", lambda h: h.softmax(h.scores / np.sqrt(h.d_k) / np.sqrt(h.d_k)), TWICE),
    ("self_attention", "Z", lambda h: h.V @ h.A.T, "Z is V·Aᵀ instead of V·A: each column of Z is V times a column of A"),
    ("self_attention", "A", lambda h: h.A.T, "A is transposed: swap its rows and columns"),
    ("self_attention", "scaled", lambda h: h.scaled.T, "scaled is transposed: swap its rows and columns"),
    # a causal mask and base 3
    ("causal", "masked", lambda h: no_mask(h, "masked"), NO_MASK),
    ("causal", "exp", lambda h: no_mask(h, "exp"), NO_MASK),
    ("causal", "sums", lambda h: no_mask(h, "sums"), NO_MASK),
    ("causal", "A", lambda h: no_mask(h, "A"), NO_MASK),
    ("causal", "masked", lambda h: zero_mask(h, "masked"), ZERO_MASK),
    ("causal", "exp", lambda h: zero_mask(h, "exp"), ZERO_MASK),
    ("causal", "sums", lambda h: zero_mask(h, "sums"), ZERO_MASK),
    ("causal", "A", lambda h: zero_mask(h, "A"), ZERO_MASK),
    ("causal", "A", lambda h: h.exp / h.exp.sum(axis=1, keepdims=True), AXIS_COLUMNS),
    ("causal", "A", lambda h: h.softmax(h.mask(h.scores / np.sqrt(h.d_model))), D_MODEL),
    ("causal", "masked", lambda h: h.mask(h.scores), NOT_SCALED),
    ("causal", "scores", lambda h: h.Q.T @ h.K, TRANSPOSED_COLUMNS),
    ("causal", "A", lambda h: np.roll(h.A, 1, axis=0),
     "the rows of A are shifted down by one: each row holds the values of the row above it"),
    ("causal", "masked", lambda h: np.roll(h.masked, -1, axis=0),
     "the rows of masked are shifted up by one: each row holds the values of the row below it"),
    ("causal", "Q", lambda h: np.roll(h.Q, 1, axis=1),
     "the columns of Q are shifted right by one: each column holds the values of the column to its left"),
    ("causal", "A", lambda h: np.roll(h.A, -1, axis=1),
     "the columns of A are shifted left by one: each column holds the values of the column to its right"),
    ("causal", "sums", lambda h: np.roll(h.sums, 1),
     "the sums are shifted by one place: each sum is written against the wrong query"),
    # tokens as rows: every mistake mirrored
    ("rows_layout", "scores", lambda h: h.K @ h.Q.T, TRANSPOSED_ROWS),
    ("rows_layout", "A", lambda h: h.exp / h.exp.sum(axis=0, keepdims=True), AXIS_ROWS),
    ("rows_layout", "sums", lambda h: h.exp.sum(axis=0), SUMS_ROWS),
    ("rows_layout", "scaled", lambda h: h.scores / np.sqrt(h.d_model), D_MODEL),
    ("rows_layout", "A", lambda h: h.softmax(h.scores), NOT_SCALED),
    ("rows_layout", "Z", lambda h: h.A.T @ h.V, "Z is Aᵀ·V instead of A·V: each row of Z is a row of A times V"),
    ("rows_layout", "A", lambda h: h.A.T, "A is transposed: swap its rows and columns"),
    # tokens as rows, with a causal mask and base 3
    ("causal_rows", "masked", lambda h: zero_mask(h, "masked"), ZERO_MASK),
    ("causal_rows", "A", lambda h: no_mask(h, "A"), NO_MASK),
    ("causal_rows", "sums", lambda h: zero_mask(h, "sums"), ZERO_MASK),
    ("causal_rows", "A", lambda h: h.exp / h.exp.sum(axis=0, keepdims=True), AXIS_ROWS),
    ("causal_rows", "scores", lambda h: h.K @ h.Q.T, TRANSPOSED_ROWS),
    ("causal_rows", "A", lambda h: np.roll(h.A, 1, axis=1),
     "the columns of A are shifted right by one: each column holds the values of the column to its left"),
    # a temperature: the divisor is √d_k · T
    ("hot", "scaled", lambda h: h.scores, "the scores are not scaled: divide them by √d_k · T"),
    ("hot", "A", lambda h: h.softmax(h.scaled / (np.sqrt(h.d_k) * h.T)),
     "the scores are scaled twice: divide them by √d_k · T once"),
    ("hot", "scaled", lambda h: h.scores / (np.sqrt(h.d_model) * h.T), D_MODEL),
    # where the shapes allow the other products: n = m = d_k = d_v
    ("square", "scores", lambda h: h.Q @ h.K.T,
     "scores are Q·Kᵀ, not Kᵀ·Q: rows should be keys and columns queries"),
    ("square", "Z", lambda h: h.A @ h.V, "Z is A·V instead of V·A: each column of Z is V times a column of A"),
    ("square", "Z", lambda h: h.V @ h.A.T, "Z is V·Aᵀ instead of V·A: each column of Z is V times a column of A"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("sample", "name", "mistake", "sentence"), CASES, ids=lambda v: v if isinstance(v, str) and len(v) < 20 else ""
)
def test_each_classic_mistake_is_recognised(sample, name, mistake, sentence):
    assert diagnosis(sample, name, mistake(Hand(sample))) == sentence


@pytest.mark.parametrize(
    ("name", "mistake", "sentence"),
    [
        ("h2.A", lambda h: h.exp / h.exp.sum(axis=1, keepdims=True), AXIS_COLUMNS),
        ("h2.A", lambda h: h.A.T, "A is transposed: swap its rows and columns"),
        ("h1.scores", lambda h: h.Q.T @ h.K, TRANSPOSED_COLUMNS),
        ("h1.scaled", lambda h: h.scores, NOT_SCALED),
        ("h2.sums", lambda h: h.exp.sum(axis=1), SUMS_COLUMNS),
    ],
)
def test_a_head_is_diagnosed_with_its_own_steps(name, mistake, sentence):
    head = int(name[1])
    assert diagnosis("two_heads", name, mistake(Hand("two_heads", head))) == sentence


def test_a_mistake_that_changes_nothing_is_no_mistake():
    """Head 2 has d_k = 1: its scores not scaled are its scaled scores, and right."""
    h = Hand("two_heads", 2)
    assert diagnosis("two_heads", "h2.scaled", h.scores) is None


def test_blank_cells_are_left_aside():
    given = student(Hand("self_attention").Q.T @ Hand("self_attention").K)
    given[0, 1] = given[2, 3] = np.nan
    assert diagnose(trace_of("self_attention"), "scores", matcher(given)) == TRANSPOSED_COLUMNS
    blank = np.full((4, 4), np.nan)
    assert diagnose(trace_of("self_attention"), "scores", matcher(blank)) is None  # nothing written: nothing wrong


RIGHT = {
    "self_attention": reference_attention(problem_dict("self_attention")),
    "causal": reference_attention(problem_dict("causal")),
    "rows_layout": reference_attention(problem_dict("rows_layout")),
    "two_heads": reference_multihead(problem_dict("two_heads")),
    **{name: reference_attention(problem) for name, problem in MADE.items()},
}


@pytest.mark.parametrize("sample", RIGHT)
def test_a_right_answer_is_never_diagnosed(sample):
    for name, value in RIGHT[sample].items():
        assert diagnosis(sample, name, value) is None, name


@pytest.mark.parametrize("sample", RIGHT)
def test_random_noise_is_not_a_classic_mistake(sample):
    rng = np.random.default_rng(5)
    for name, value in RIGHT[sample].items():
        for _ in range(3):
            assert diagnosis(sample, name, rng.normal(0, 3, value.shape)) is None, name


def test_an_arithmetic_slip_is_not_a_classic_mistake():
    Q = Hand("self_attention").Q.copy()
    Q[1, 2] += 1
    assert diagnosis("self_attention", "Q", Q) is None


def test_candidates_have_the_steps_shape_and_the_truth_is_asked_first():
    trace = trace_of("self_attention")
    for name in ("Q", "scores", "scaled", "exp", "sums", "A", "Z"):
        asked: list = []
        assert diagnose(trace, name, lambda c, asked=asked: asked.append(c.shape) or False) is None
        assert set(asked) == {trace[name].shape}, name


def test_one_table_of_sentences():
    assert all(sentence == sentence.strip() and "\n" not in sentence for sentence in SENTENCES.values())


# --- the sample answers files (samples/answers/), marked as `handcalc check` marks them ---------
def marked(answers_file: str):
    from handcalc.answers import load_answers
    from handcalc.check import mark

    trace = trace_of("self_attention")
    path = SAMPLES / "answers" / answers_file
    return mark(trace, load_answers(path, trace), str(path))


def test_the_sample_of_typical_mistakes_is_diagnosed():
    marks = marked("self_attention_mistakes.yaml")
    diagnoses = {step.name: step.diagnosis for step in marks.steps}
    assert diagnoses == {"Q": None, "K": None, "V": None, "scores": TRANSPOSED_COLUMNS, "exp": None,
                         "sums": SUMS_COLUMNS, "A": None, "Z": None}  # fmt: skip
    # A is exp over the student's own (wrong) sums: one mistake, diagnosed once, then carried
    carried = {step.name: step.carried_from for step in marks.steps if step.count("carried")}
    assert carried == {"A": ("sums",), "Z": ("sums",)}
    q = next(step for step in marks.steps if step.name == "Q")
    assert (q.count("wrong"), q.first_wrong.index) == (1, (1, 2))  # one slip: Q[2,3]
    assert sum(step.count("blank") for step in marks.steps) == 2


def test_the_sample_of_right_answers_is_all_right():
    marks = marked("self_attention_right.yaml")
    assert marks.all_right and {step.name for step in marks.steps} == {
        "Q", "K", "V", "scores", "scaled", "exp", "sums", "A", "Z"}  # fmt: skip
    assert all(step.diagnosis is None for step in marks.steps)
