"""Marking students who work as people do: rounding every step and carrying the rounded
numbers on, with a rounded √d_k or e ≈ 2.718, or making one classic mistake and working on
consistently from it. Their answers come from tests/simulated.py, a simulator written apart
from handcalc; each is marked by ``handcalc check`` as a teacher would have it."""

from __future__ import annotations

import math

import pytest
from conftest import ROOT, cli_runner
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from simulated import MISTAKES, as_yaml, work

import handcalc
from handcalc.answers import load_answers
from handcalc.check import CARRIED, RIGHT, WRONG, mark
from handcalc.cli import app

SAMPLES = {name: ROOT / "samples" / f"{name}.yaml" for name in ("self_attention", "rows_layout", "causal", "tokens")}
STEPS_AFTER = ("scores", "scaled", "masked", "exp", "sums", "A", "Z")
MISTAKE_STEP = {"scores transposed": "scores", "not scaled": "scaled", "sums axis": "sums", "softmax axis": "A",
                "Z product": "Z"}  # fmt: skip
runner = cli_runner()


def problem_dict(path) -> dict:
    from ruamel.yaml import YAML

    return dict(YAML(typ="safe").load(path.read_text()))


def marked(path, steps: dict, tmp_path):
    trace = handcalc.compute(handcalc.load_problem(path))
    answers = tmp_path / "answers.yaml"
    answers.write_text(as_yaml(steps))
    problem = handcalc.load_problem(path)
    return mark(trace, load_answers(answers, trace), str(answers), digits=problem.round)


def wrong_cells(marks) -> dict[str, int]:
    return {step.name: step.count(WRONG) for step in marks.steps if step.count(WRONG)}


# --- students who round, carry, and use the constants as people do: all right ---------------------
@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize("decimals", [1, 2, 3, 4, None])
def test_a_student_who_carries_rounded_values_scores_100(sample, decimals, tmp_path):
    marks = marked(SAMPLES[sample], work(problem_dict(SAMPLES[sample]), decimals), tmp_path)
    assert wrong_cells(marks) == {} and marks.all_right and marks.score() == 1, marks


@pytest.mark.parametrize("sample", ["self_attention", "rows_layout", "tokens"])
@pytest.mark.parametrize(("decimals", "root_decimals", "e"), [
    (3, 3, math.e), (2, 2, math.e), (3, 2, math.e), (4, 4, math.e), (2, 1, math.e), (None, 3, math.e),
    (3, None, 2.718), (2, None, 2.72), (4, None, 2.7183), (None, None, 2.718), (3, 3, 2.718)])  # fmt: skip
def test_a_rounded_square_root_or_e_is_right(sample, decimals, root_decimals, e, tmp_path):
    steps = work(problem_dict(SAMPLES[sample]), decimals, e=e, root_decimals=root_decimals)
    marks = marked(SAMPLES[sample], steps, tmp_path)
    assert wrong_cells(marks) == {} and marks.all_right, marks


def test_the_command_exits_0_for_a_student_rounding_to_2_places(tmp_path):
    answers = tmp_path / "student.yaml"
    answers.write_text(as_yaml(work(problem_dict(SAMPLES["self_attention"]), 2)))
    result = runner.invoke(app, ["check", str(SAMPLES["self_attention"]), str(answers), "--format", "text"])
    assert result.exit_code == 0 and "— 100%" in result.stdout.replace("\n  ", " "), result.output


# --- one classic mistake, then consistent work: wrong and diagnosed once, the rest carried ------------
# (not scaling is no mistake in the causal sample: its d_k is 1, so √d_k = 1 divides nothing)
@pytest.mark.parametrize(("sample", "mistake"), [
    (sample, mistake) for sample in ("self_attention", "rows_layout", "causal") for mistake in MISTAKES
    if (sample, mistake) != ("causal", "not scaled")
])  # fmt: skip
@pytest.mark.parametrize("decimals", [None, 2, 3])
def test_one_mistake_is_diagnosed_once_and_carried(sample, mistake, decimals, tmp_path):
    marks = marked(SAMPLES[sample], work(problem_dict(SAMPLES[sample]), decimals, mistake=mistake), tmp_path)
    where = MISTAKE_STEP[mistake]
    by_name = {step.name: step for step in marks.steps}
    assert list(wrong_cells(marks)) == [where], marks  # wrong only where the mistake is
    diagnosed = {step.name: step.diagnosis for step in marks.steps if step.diagnosis}
    assert list(diagnosed) == [where] and _sentence(mistake) in diagnosed[where], diagnosed
    later = [name for name in STEPS_AFTER[STEPS_AFTER.index(where) + 1 :] if name in by_name]
    for name in later:  # every later step: nothing wrong, carried where it differs, "follows from …"
        step = by_name[name]
        assert step.count(RIGHT) + step.count(CARRIED) == len(step.cells), step
        if step.count(CARRIED):
            assert step.carried_from == (where,) and step.note == f"follows from your {where}"


def _sentence(mistake: str) -> str:
    return {"scores transposed": "scores are transposed", "not scaled": "not scaled", "sums axis": "sums along the wrong axis",
            "softmax axis": "softmax along the wrong axis", "Z product": "Z is "}[mistake]  # fmt: skip


# --- property: the true trace rounded at any decimals, carried step by step, is always right ----------
small = st.integers(min_value=-2, max_value=2)


@settings(max_examples=25, deadline=None)
@given(
    X=st.lists(st.lists(small, min_size=3, max_size=3), min_size=2, max_size=4),
    W=st.lists(st.lists(small, min_size=3, max_size=3), min_size=6, max_size=6),
    decimals=st.integers(min_value=1, max_value=4),
    layout=st.sampled_from(["rows", "columns"]),
)
def test_rounding_at_any_decimals_carried_is_always_right(X, W, decimals, layout):
    import tempfile
    from pathlib import Path

    W_q, W_k, W_v = [W[0:2], W[2:4], W[4:6]]  # (2, 3) each: d_model = 3, d_k = d_v = 2
    problem = {"X": [list(col) for col in zip(*X)], "W_q": W_q, "W_k": W_k, "W_v": W_v}  # tokens as columns
    if layout == "rows":
        problem = {"layout": "rows", **{k: [list(col) for col in zip(*v)] for k, v in problem.items()}}
    try:
        steps = work(problem, decimals)
    except ZeroDivisionError:  # every exponential of a query rounds to 0: nobody can divide by that sum
        reject()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "problem.yaml"
        path.write_text("\n".join(f"{key}: {value}" for key, value in problem.items()) + "\n")
        marks = marked(path, steps, Path(folder))
    assert wrong_cells(marks) == {} and marks.all_right, (problem, decimals, marks)


def test_a_class_marked_together_is_marked_as_each_file_alone(tmp_path):
    from handcalc.check import mark_many

    path = SAMPLES["self_attention"]
    trace = handcalc.compute(handcalc.load_problem(path))
    problem = problem_dict(path)
    students = [work(problem, d, mistake=m) for d in (None, 2, 3) for m in (None, *MISTAKES)]
    answer_sets = []
    for k, steps in enumerate(students):
        answers = tmp_path / f"s{k}.yaml"
        answers.write_text(as_yaml(steps))
        answer_sets.append(load_answers(answers, trace))
    together = mark_many(trace, answer_sets, [str(k) for k in range(len(students))])
    alone = [mark(trace, answers, str(k)) for k, answers in enumerate(answer_sets)]
    assert together == alone
