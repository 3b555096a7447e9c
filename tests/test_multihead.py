"""Multi-head attention: names, layouts, selection, and every multi-head input error."""

import json

import numpy as np
import pytest
from conftest import MHA_CASES, ROOT, cli_runner
from reference import reference_multihead

from handcalc import Problem, compute
from handcalc.cli import app
from handcalc.load import load

TWO_HEADS = ROOT / "samples" / "two_heads.yaml"
runner = cli_runner()


@pytest.mark.parametrize("case", MHA_CASES, ids=[case["name"] for case in MHA_CASES])
def test_matches_pytorch_multihead_attention(case):
    """nn.MultiheadAttention (or per-head SDPA where it cannot), float64: A, concat, output."""
    trace = compute(Problem(**case["problem"]))
    for name, expected in case["expected"].items():
        np.testing.assert_allclose(trace[name].value, expected, rtol=0, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("case", MHA_CASES, ids=[case["name"] for case in MHA_CASES])
def test_every_multihead_step_matches_the_loop_reference(case, write_problem):
    """Through the file and --format json, every step of every head."""
    result = runner.invoke(app, ["run", str(write_problem(case["problem"])), "--format", "json"])
    steps = {step["name"]: step["value"] for step in json.loads(result.stdout)["steps"]}
    expected = reference_multihead(case["problem"])
    assert [name for name in steps if name in expected] == list(expected)
    for name, value in expected.items():
        got = np.array([[-np.inf if x is None else x for x in row] for row in steps[name]] if value.ndim == 2 else steps[name])
        np.testing.assert_allclose(got, value, rtol=1e-12, atol=1e-12, err_msg=name)


def test_steps_are_named_by_head_then_concat_and_output():
    trace = compute(load(TWO_HEADS))
    per_head = ["W_q", "W_k", "W_v", "Q", "K", "V", "scores", "scaled", "exp", "sums", "A", "Z"]
    assert trace.names == ("X", "W_o", *[f"h{h}.{name}" for h in (1, 2) for name in per_head], "concat", "output")
    assert trace.heads == ("h1", "h2")
    assert trace["h2.Q"].formula == "Q = W_q · X" and trace["output"].formula == "output = W_o · concat"


def test_each_head_is_single_head_attention_and_concat_stacks_them():
    problem = load(TWO_HEADS)
    trace = compute(problem)
    for h, head in enumerate(problem.heads, 1):
        single = compute(Problem(X=problem.X, W_q=head.W_q, W_k=head.W_k, W_v=head.W_v, tokens=problem.tokens))
        for name in ("Q", "K", "V", "scores", "scaled", "exp", "sums", "A", "Z"):
            np.testing.assert_array_equal(trace[f"h{h}.{name}"].value, single[name].value, err_msg=f"h{h}.{name}")
    np.testing.assert_array_equal(trace["concat"].value, np.vstack([trace["h1.Z"].value, trace["h2.Z"].value]))
    np.testing.assert_allclose(trace["output"].value, problem.W_o.astype(float) @ trace["concat"].value, rtol=1e-15)


def test_d_k_is_per_head():
    trace = compute(load(TWO_HEADS))
    assert dict(trace["h1.scaled"].constants)["d_k"] == 2 and dict(trace["h2.scaled"].constants)["d_k"] == 1


def test_rows_layout_puts_heads_side_by_side():
    columns = compute(load(TWO_HEADS))
    rows = compute(load(TWO_HEADS).with_layout("rows"))
    assert rows["concat"].formula.endswith("side by side") and rows["output"].formula == "output = concat · W_o"
    np.testing.assert_array_equal(rows["concat"].value, np.hstack([rows["h1.Z"].value, rows["h2.Z"].value]))
    for step in columns:
        np.testing.assert_allclose(step.value.T, rows[step.name].value, rtol=1e-14, err_msg=step.name)


def test_only_a_head_shows_its_banner_and_its_steps():
    text = runner.invoke(app, ["run", str(TWO_HEADS), "--format", "text", "--only", "h2"]).stdout
    headings = [line.split()[1].rstrip(",") for line in text.splitlines() if line.startswith("── ")]
    assert "Head 2  (d_k = 1, d_v = 2)" in text and "Head 1" not in text
    assert headings == ["W_q", "W_k", "W_v", "Q", "K", "V", "scores", "scaled", "exp", "sums", "A", "Z"]


def test_json_carries_every_head_by_name():
    document = json.loads(runner.invoke(app, ["run", str(TWO_HEADS), "--format", "json"]).stdout)
    names = [step["name"] for step in document["steps"]]
    assert names == list(compute(load(TWO_HEADS)).names)
    concat = next(step for step in document["steps"] if step["name"] == "concat")
    assert concat["shape"] == [4, 4]


@pytest.mark.parametrize("fmt", ["text", "rich"])
@pytest.mark.parametrize("sample", sorted((ROOT / "samples").glob("*head*.yaml")), ids=lambda p: p.stem)
def test_multi_head_samples_run(sample, fmt):
    result = runner.invoke(app, ["run", str(sample), "--format", fmt])
    assert result.exit_code == 0, result.output
    assert "Head 2  (d_k = " in result.stdout and "concat = h1.Z, h2.Z" in result.stdout


HEADER = "X: [[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]]\nheads:\n"
HEAD_1 = "  - W_q: [[1, 0, 1], [0, 1, 1]]\n    W_k: [[0, 1, 1], [1, 0, 0]]\n    W_v: [[1, 1, 0], [0, 0, 1]]\n"


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        pytest.param(HEADER + HEAD_1 + "  - W_q: [[1, 0, 1]]\n    W_k: [[1, 0]]\n    W_v: [[1, 1, 1]]\n",
                     "heads[2].W_k: W_k · X needs W_k's 2 columns to match X's 3 rows", 7, 10, id="head-shape"),
        pytest.param(HEADER + HEAD_1 + "  - W_q: [[1, 0, 1]]\n    W_k: [[1, 0, 1], [0, 1, 0]]\n    W_v: [[1, 1, 1]]\n",
                     "heads[2].W_k: Kᵀ · Q needs Kᵀ's 2 columns to match Q's 1 rows", 7, 10, id="head-d_k"),
        pytest.param(HEADER + HEAD_1 + "W_o: [[1, 0, 1]]\n",
                     "W_o · concat needs W_o's 3 columns to match concat's 2 rows", 6, 6, id="W_o-concat"),
        pytest.param(HEADER + HEAD_1.replace("W_v:", "Wvv:"), "unknown key Wvv in heads[1]; did you mean W_v?",
                     5, 5, id="unknown-head-key"),
        pytest.param(HEADER + "  - W_q: [[1, 0, 1]]\n    W_k: [[1, 0, 1]]\n", "missing W_v in heads[1]: each head needs W_q, W_k and W_v", 3, 5, id="head-missing-W_v"),
        pytest.param(HEADER + "  - [[1, 0, 1]]\n", "heads[1] must be a mapping of W_q, W_k and W_v, not a list", 3, 5, id="head-not-a-mapping"),
        pytest.param("X: [[1]]\nheads: []\n", "heads must list at least one head", 2, 8, id="no-heads"),
        pytest.param(HEADER + HEAD_1 + "  - W_q: [[1, 0, true]]\n    W_k: [[1, 0, 1]]\n    W_v: [[1, 1, 1]]\n",
                     "heads[2].W_q[1,3]: expected a number, found a boolean (true)", 6, 18, id="head-cell"),
        pytest.param(HEADER.replace("heads:\n", "") + "W_q: [[1]]\nW_k: [[1]]\n", "missing W_v", 1, 1,
                     id="no-W_v-no-heads"),
    ],
)
def test_multi_head_input_errors(write_problem, text, message, line, column):
    path = write_problem(text)
    result = runner.invoke(app, ["run", str(path)])
    assert result.exit_code == 3, result.output
    assert result.stderr == f"Error: {path}:{line}:{column}: {result.stderr.split(': ', 2)[2]}"
    assert message in result.stderr and result.stderr.count("\n") == 1
