"""What a person sees: the by-hand arrangement, labels, elision, formats and options."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, SAMPLES
from typer.testing import CliRunner

from handcalc import compute
from handcalc.cli import app
from handcalc.load import load

CLASSIC = ROOT / "samples" / "self_attention.yaml"


def run(*args, env=None):
    result = CliRunner().invoke(app, ["run", *map(str, args)], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


def section(text: str, heading: str) -> list[str]:
    """The lines of one step, from its heading to the next heading."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"── {heading}"))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("── ")), len(lines))
    return lines[start + 1 : end]


def numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?![\w])", text) if not re.match(r"[a-z]", x)]


def cells(part: str) -> list[float]:
    """The numbers of a table row part, ignoring labels such as q1 or k2."""
    return [float(token) for token in part.split() if re.fullmatch(r"-?\d+(\.\d+)?", token)]


def test_a_product_is_drawn_by_hand_right_operand_above_left_beside():
    """Row i of W_q and column j of X meet at cell (i, j) of Q."""
    trace = compute(load(CLASSIC))
    lines = section(run(CLASSIC, "--format", "text"), "Q = W_q · X")
    cross = next(i for i, line in enumerate(lines) if "┼" in line)
    above = [line.split("│") for line in lines[:cross] if "│" in line]
    below = [line.split("│") for line in lines[cross + 1 :] if "│" in line]
    assert above[0][1].split() == ["x1", "x2", "x3", "x4"]
    assert [cells(right) for _, right in above[1:]] == trace["X"].value.tolist()
    assert all(cells(left) == [] for left, _ in above)
    assert below[0][1].split() == ["q1", "q2", "q3", "q4"] and below[0][0].split() == ["W_q", "Q"]
    assert [cells(left) for left, _ in below[1:]] == trace["W_q"].value.tolist()
    assert [cells(right) for _, right in below[1:]] == trace["Q"].value.tolist()


def test_scores_put_keys_on_rows_and_queries_on_columns():
    lines = section(run(CLASSIC, "--format", "text"), "scores = Kᵀ · Q")
    below = [line.split("│") for line in lines[next(i for i, text in enumerate(lines) if "┼" in text) + 1 :] if "│" in line]
    assert below[0][0].split() == ["Kᵀ", "scores"] and below[0][1].split() == ["q1", "q2", "q3", "q4"]
    assert [left.split()[0] for left, _ in below[1:]] == ["k1", "k2", "k3", "k4"]


def test_sums_are_written_under_the_exponentials_and_beside_them_in_rows():
    columns = section(run(CLASSIC, "--format", "text"), "sums")
    assert columns[-2].lstrip().startswith("Σ") and "──" in columns[-3]
    rows = section(run(CLASSIC, "--format", "text", "--layout", "rows"), "sums")
    assert rows[1].split("│")[1].strip() == "Σ"
    trace = compute(load(CLASSIC))
    np.testing.assert_allclose(cells(columns[-2]), trace["sums"].value, atol=5e-4)


def test_integers_print_as_integers_and_other_values_with_the_precision():
    text = run(CLASSIC, "--format", "text", "--only", "Q,A", "--precision", "2")
    assert "." not in "".join(section(text, "Q = W_q · X"))
    assert re.search(r"\b0\.\d\d\b", "".join(section(text, "A = exp / sums")))
    assert not re.search(r"\d\.\d{3}", text)


def test_only_shows_the_named_steps_in_trace_order():
    text = run(CLASSIC, "--format", "text", "--only", "Z,scores")
    headings = [line for line in text.splitlines() if line.startswith("── ")]
    assert [h.split()[1] for h in headings] == ["scores", "Z"]


def test_layout_option_transposes_the_file():
    text = run(CLASSIC, "--format", "text", "--layout", "rows", "--only", "scores,Z")
    assert "── scores = Q · Kᵀ" in text and "── Z = A · V   (4×2)" in text


def test_tokens_label_rows_and_columns():
    text = run(ROOT / "samples" / "tokens.yaml", "--format", "text", "--only", "A")
    header, *rows = section(text, "A = exp / sums")[1:6]
    assert header.split() == ["A", "I", "love", "cats", "!"]
    assert [row.split()[0] for row in rows] == ["I", "love", "cats", "!"]


def test_cross_attention_scores_are_keys_by_queries():
    text = run(ROOT / "samples" / "cross_attention.yaml", "--format", "text")
    assert "── scores = Kᵀ · Q   (3×2: keys × queries)" in text and "── K = W_k · X_kv" in text


@pytest.fixture
def big_problem(write_problem):
    """64 tokens, d_model 16, d_k 8: small integers from a fixed seed."""
    rng = np.random.default_rng(0)
    ints = lambda *shape: rng.integers(-2, 3, size=shape).tolist()  # noqa: E731
    return write_problem({"X": ints(16, 64), "W_q": ints(8, 16), "W_k": ints(8, 16), "W_v": ints(4, 16)})


@pytest.mark.parametrize("columns", [100, 60])
def test_large_problems_are_elided_to_fit_the_width(big_problem, columns):
    text = run(big_problem, "--format", "text", env={"COLUMNS": str(columns)})
    assert "⋯" in text and "x64" in text and "x30" not in text
    assert max(len(line) for line in text.splitlines()) <= columns
    assert len(text.splitlines()) < 400


def test_full_shows_every_row_and_column(big_problem):
    text = run(big_problem, "--format", "text", "--full")
    assert "⋯" not in text
    assert all(f"q{i}" in text for i in range(1, 65))


def test_piped_output_is_plain_text_without_colour_codes():
    for fmt in ([], ["--format", "rich"]):
        assert "\x1b[" not in run(CLASSIC, *fmt)


def test_rich_and_text_show_the_same_tables():
    rich_lines = [line.rstrip() for line in run(CLASSIC, "--format", "rich").splitlines() if "│" in line]
    text_lines = [line.rstrip() for line in run(CLASSIC, "--format", "text").splitlines() if "│" in line]
    assert rich_lines == text_lines


def test_json_has_the_documented_shape():
    document = json.loads(run(ROOT / "samples" / "causal.yaml", "--format", "json"))
    assert set(document) == {"title", "layout", "tokens", "steps"}
    assert document["tokens"] == ["the", "cat", "sat", "down"]
    steps = {step["name"]: step for step in document["steps"]}
    assert all(set(step) == {"name", "formula", "shape", "value"} for step in document["steps"])
    assert steps["masked"]["value"][1][0] is None and steps["A"]["value"][1][0] == 0
    assert steps["sums"]["shape"] == [4] and all(isinstance(x, float) for x in steps["sums"]["value"])
    assert steps["Q"]["formula"] == "Q = W_q · X"


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.stem for s in SAMPLES])
@pytest.mark.parametrize("fmt", ["rich", "text", "json"])
def test_every_sample_runs_in_every_format(sample, fmt):
    out = run(sample, "--format", fmt)
    assert load(sample).title in out


def test_no_file_runs_the_bundled_example_and_examples_are_listed():
    assert run() == run(CLASSIC)
    listing = CliRunner().invoke(app, ["examples"]).stdout
    assert [line.split()[0] for line in listing.splitlines() if not line.startswith(" ")] == [s.stem for s in SAMPLES]
    assert run("--example", "causal") == run(ROOT / "samples" / "causal.yaml")


def test_output_file_gets_the_text_format(tmp_path):
    target = tmp_path / "out.txt"
    CliRunner().invoke(app, ["run", str(CLASSIC), "--output", str(target)])
    assert target.read_text(encoding="utf-8") == run(CLASSIC, "--format", "text")


def test_python_dash_m_and_version():
    result = subprocess.run([sys.executable, "-m", "handcalc", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and re.fullmatch(r"handcalc \d+\.\d+\.\d+\n", result.stdout)
