"""One command line: step names case-insensitive everywhere, a short name for every head's
step, the closest name suggested; headings and titles wrapped at word boundaries; each
matrix's rows labelled with its own labels; whole example descriptions."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, cli_runner

from handcalc.cli import app

SAMPLE = ROOT / "samples" / "self_attention.yaml"
HEADS = ROOT / "samples" / "two_heads.yaml"
CAUSAL = ROOT / "samples" / "causal.yaml"
ROWS = ROOT / "samples" / "rows_layout.yaml"
runner = cli_runner()


def run(*args, env=None):
    return runner.invoke(app, [str(arg) for arg in args], env=env)


def shown(*args) -> list[str]:
    result = run("run", *args, "-f", "json")
    assert result.exit_code == 0, result.output
    return [step["name"] for step in json.loads(result.stdout)["steps"]]


def test_only_is_case_insensitive_and_a_short_name_means_every_head():
    assert shown(SAMPLE, "--only", "a,z") == ["A", "Z"]
    assert shown(SAMPLE, "--only", "SCORES") == ["scores"]
    assert shown(HEADS, "--only", "A") == ["h1.A", "h2.A"]
    assert shown(HEADS, "--only", "H2.a,output") == ["h2.A", "output"]
    assert [name for name in shown(HEADS, "--only", "h1")] == [n for n in shown(HEADS) if n.startswith("h1.")]


@pytest.mark.parametrize("option, command", [("--only", "run"), ("--blank", "worksheet")])
def test_an_unknown_step_suggests_the_closest(option, command, tmp_path):
    extra = ["-o", tmp_path / "s.md"] if command == "worksheet" else []
    result = run(command, SAMPLE, option, "scroes", *extra)
    assert result.exit_code == 2 and "did you mean 'scores'" in result.stderr
    assert run(command, SAMPLE, option, "qqqqqq", *extra).exit_code == 2


def test_blank_and_cell_are_case_insensitive(tmp_path):
    out = tmp_path / "s.md"
    assert run("worksheet", HEADS, "--blank", "a", "-o", out).exit_code == 0
    text = out.read_text()
    assert text.count("**h1.A**") == 1 and text.count("**h2.A**") == 1
    result = run("run", SAMPLE, "--only", "a", "--cell", "a[1,1]", "-f", "text")
    assert result.exit_code == 0 and "A[1,1] = " in result.stdout


@pytest.mark.parametrize("fmt", ["text", "rich"])
def test_headings_and_titles_wrap_at_word_boundaries_at_60_columns(fmt):
    result = run("run", CAUSAL, "-f", fmt, env={"COLUMNS": "60"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert all(len(line) <= 60 for line in lines if "│" not in line and "┼" not in line)
    assert "…" not in result.stdout  # nothing truncated
    words = " ".join(line.strip("─ ").strip() for line in lines)
    assert "with −∞ where the mask blocks (4×4: keys × queries)" in " ".join(words.split())


def test_rows_layout_labels_each_matrix_with_its_own_rows():
    result = run("run", ROWS, "--only", "Q,Z", "-f", "text", env={"COLUMNS": "100"})
    lines = result.stdout.splitlines()
    q = next(k for k, line in enumerate(lines) if line.startswith("── Q ="))
    first_row = next(line for line in lines[q:] if line.strip().startswith("x1"))
    assert first_row.split()[0] == "x1" and "q1" in first_row.split()  # X's row x1 beside Q's row q1
    assert not any(line.strip().startswith(("q1", "k1", "v1")) for line in lines[q : q + 14])
    z = next(k for k, line in enumerate(lines) if line.startswith("── Z ="))
    assert not any(line.strip().startswith("z1") for line in lines[z:])  # A's rows are not Z's


def test_examples_describe_each_example_whole():
    result = run("examples", env={"COLUMNS": "80"})
    listing = " ".join(result.stdout.split())
    for sample in sorted((ROOT / "samples").glob("*.yaml")):
        comment = []
        for line in sample.read_text().splitlines():
            if not line.startswith("#"):
                break
            comment.append(line.lstrip("# ").strip())
        assert " ".join(" ".join(comment).split()) in listing, sample.name
    assert all(len(line) <= 80 for line in result.stdout.splitlines())


def test_a_short_cell_name_is_each_heads_cell():
    result = run("run", HEADS, "--only", "a", "--cell", "a[2,1]", "-f", "text")
    assert result.exit_code == 0, result.output
    assert "h1.A[2,1] = " in result.stdout and "h2.A[2,1] = " in result.stdout
    outside = run("run", HEADS, "--cell", "A[9,1]", "-f", "text")
    assert outside.exit_code == 2 and "outside" in outside.stderr
    hidden = run("run", HEADS, "--only", "Z", "--cell", "A[1,1]", "-f", "text")
    assert hidden.exit_code == 2 and "not among the steps shown" in hidden.stderr
