"""handcalc practice: scripted sessions through stdin, each saved file re-marked by check.

The numbers a student types come from tests/reference.py (an independent computation),
walked in the by-hand order the issue asks for: the steps in order, each step's cells down
each column (tokens as columns) or along each row (tokens as rows)."""

import json
import math
import re

import numpy as np
import pytest
from conftest import ROOT, cli_runner
from reference import reference_attention

from handcalc.cli import app

runner = cli_runner()
CLASSIC = ROOT / "samples" / "self_attention.yaml"
CLASSIC_DICT = {"X": [[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]], "W_q": [[1, 0, 1], [0, 1, 1]],
                "W_k": [[0, 1, 1], [1, 0, 0]], "W_v": [[1, 1, 0], [0, 0, 1]]}  # samples/self_attention.yaml
ORDER = ("Q", "K", "V", "scores", "scaled", "masked", "exp", "sums", "A", "Z")
TRUTH = reference_attention(CLASSIC_DICT)


def cells(value: np.ndarray, layout: str = "columns"):
    """The cells of a step in the order a student fills them."""
    if value.ndim == 1:
        return [(j,) for j in range(len(value))]
    m, n = value.shape
    if layout == "columns":
        return [(i, j) for j in range(n) for i in range(m)]
    return [(i, j) for i in range(m) for j in range(n)]


def typed(x: float, decimals: int = 3) -> str:
    """A number as a student types it: whole numbers as they are, the others rounded."""
    if math.isinf(x):
        return "-inf"
    return str(int(round(x))) if abs(x - round(x)) < 1e-9 else f"{x:.{decimals}f}"


def entries(truth: dict, steps=ORDER, decimals: int = 3, layout: str = "columns") -> list[str]:
    return [typed(truth[name][index], decimals)
            for name in steps if name in truth for index in cells(truth[name], layout)]  # fmt: skip


def practice(*args, lines=()):
    return runner.invoke(app, ["practice", *map(str, args)], input="".join(f"{line}\n" for line in lines))


def check_text(problem, answers):
    result = runner.invoke(app, ["check", str(problem), str(answers), "--format", "text"])
    assert result.exit_code in (0, 1), result.output
    return result


def assert_marked_alike(result, problem, saved):
    """The summary practice printed is what check prints of the saved file, word for word."""
    marked = check_text(problem, saved)
    assert marked.stdout in result.stdout
    return marked


def all_right(marked: str) -> bool:
    """The score check printed (the title may wrap before it) is 100%."""
    return re.search(r"—\s+100%", marked) is not None


def feedback(output: str) -> list[str]:
    """The verdict lines, in order."""
    return re.findall(r"^  ([✓✗~]) (?:right$|wrong: try|carried: )", output, flags=re.M)


# --- whole sessions -----------------------------------------------------------------------------
def test_practice_all_right_is_marked_right_and_saved_as_check_marks_it(tmp_path):
    saved = tmp_path / "mine.yaml"
    lines = entries(TRUTH)
    result = practice(CLASSIC, "--save", saved, lines=lines)
    assert result.exit_code == 0, result.output
    assert feedback(result.stdout) == ["✓"] * len(lines) == ["✓"] * 100
    assert "Every cell done." in result.stdout
    marked = assert_marked_alike(result, CLASSIC, saved)
    assert marked.exit_code == 0 and all_right(marked.stdout)


def test_practice_rounding_student_is_right(tmp_path):
    """A student who rounds every step to 2 decimals and carries the rounded numbers on."""
    saved = tmp_path / "rounded.yaml"
    K, Q, V = (np.array(TRUTH[name]) for name in ("K", "Q", "V"))
    scores = K.T @ Q
    scaled = np.round(scores / math.sqrt(2), 2)
    exp = np.round(np.exp(scaled), 2)
    sums = np.round(exp.sum(axis=0), 2)
    A = np.round(exp / sums, 2)
    Z = np.round(V @ A, 2)
    own = {"scores": scores, "scaled": scaled, "exp": exp, "sums": sums, "A": A, "Z": Z}
    lines = entries(own, decimals=2)
    result = practice(CLASSIC, "--from", "scores", "--save", saved, lines=lines)
    assert result.exit_code == 0, result.output
    assert feedback(result.stdout) == ["✓"] * len(lines)
    assert all_right(assert_marked_alike(result, CLASSIC, saved).stdout)


def test_practice_wrong_entry_is_asked_again_until_right(tmp_path):
    saved = tmp_path / "retry.yaml"
    lines = entries(TRUTH, steps=("Q",))
    result = practice(CLASSIC, "--blank", "Q", "--save", saved, lines=["7", *lines])
    assert result.exit_code == 0, result.output
    assert feedback(result.stdout) == ["✗", "✓", *["✓"] * 7]
    assert "Q[1,1] = 7\n  ✗ wrong: try again (h for a hint, s to skip)\nQ[1,1] = 2\n" in result.stdout  # asked again
    assert "Q 0/8 · 0 hints · 0 retries" in result.stdout
    saved_q = json.loads(saved.read_text().partition("Q:")[2].replace("\n", ""))
    assert saved_q == TRUTH["Q"].tolist()  # the last entry of each cell
    assert all_right(assert_marked_alike(result, CLASSIC, saved).stdout)


def test_practice_hints_show_the_row_and_column_then_the_work(tmp_path):
    result = practice(CLASSIC, "--blank", "Q", lines=["h", "h", "w", "2", "q"])
    assert result.exit_code == 0, result.output
    W_q, X = np.array(CLASSIC_DICT["W_q"]), np.array(CLASSIC_DICT["X"])
    row, column = ", ".join(map(str, W_q[0])), ", ".join(map(str, X[:, 0]))
    terms = " + ".join(f"{a}·{b}" for a, b in zip(W_q[0], X[:, 0]))
    said = result.stdout.split("Q[1,1] = h\n", 1)[1]
    first, second, work = (part.split("\n")[0].strip() for part in re.split(r"Q\[1,1\] = [hw]\n", said)[:3])
    assert first == f"row 1 of W_q ({row}) meets column 1 of X ({column}): the sum starts {W_q[0, 0]}·{X[0, 0]} + …"
    assert second == f"Q[1,1] = {terms} = ?"
    assert work == f"Q[1,1] = {terms} = {W_q[0] @ X[:, 0]}"


def test_practice_skip_and_back(tmp_path):
    saved = tmp_path / "skips.yaml"
    q = entries(TRUTH, steps=("Q",))
    # skip Q[1,1], enter Q[2,1], go back twice to Q[1,1] and enter it, keep Q[2,1], skip Q[1,2], then stop
    result = practice(CLASSIC, "--blank", "Q", "--save", saved, lines=["s", q[1], "b", "b", q[0], "", "s", "q"])
    assert result.exit_code == 0, result.output
    assert "Q[1,1] skipped: it counts as blank" in result.stdout
    assert "back to Q[2,1]" in result.stdout and "back to Q[1,1]" in result.stdout
    assert f"Q[2,1] (Enter keeps {q[1]}) = " in result.stdout
    assert "stopped at Q[2,2]" in result.stdout
    marked = assert_marked_alike(result, CLASSIC, saved)
    assert "2 right, 6 blank" in marked.stdout


def test_practice_classic_mistake_is_explained_at_the_end_of_its_step(tmp_path):
    """Scores typed transposed at first (Qᵀ·K), each wrong cell then corrected."""
    saved = tmp_path / "transposed.yaml"
    scores = TRUTH["scores"]
    lines = []
    for index in cells(scores):
        right, first = typed(scores[index]), typed(scores.T[index])
        lines += [first, right] if first != right else [right]
    result = practice(CLASSIC, "--blank", "scores", "--save", saved, lines=lines)
    assert result.exit_code == 0, result.output
    assert feedback(result.stdout).count("✗") == int((scores != scores.T).sum()) == 8
    end = result.stdout.split("scores done: 16 right")[1]
    assert end.lstrip().startswith("Note on your first tries: scores are transposed")
    assert all_right(assert_marked_alike(result, CLASSIC, saved).stdout)  # the saved file holds the corrections


def test_practice_carried_entry_names_the_earlier_cell_to_fix(tmp_path, write_problem):
    """Resumed from answers whose Q has one wrong cell: scores worked from that Q are carried."""
    Q = TRUTH["Q"].copy()
    Q[1, 2] = 2  # true 1
    resume = write_problem(f"Q: {json.dumps(Q.astype(int).tolist())}\n", "resume.yaml")
    own = TRUTH["K"].T @ Q
    result = practice(CLASSIC, "--blank", "Q,scores", "--resume", resume, lines=entries({"scores": own}))
    assert result.exit_code == 0, result.output
    verdicts = feedback(result.stdout)
    assert verdicts.count("~") == int((own != TRUTH["scores"]).sum()) > 0 and "✗" not in verdicts
    assert "~ carried: right from your own Q[2,3], which is wrong; fix that cell" in result.stdout
    assert "scores done: 14 right, 2 carried\n  Note: follows from your Q\n" in result.stdout


def test_practice_masked_cells_are_typed_as_minus_infinity(tmp_path):
    problem = {**CLASSIC_DICT, "mask": "causal"}
    truth = reference_attention(problem)
    path = tmp_path / "causal.yaml"
    path.write_text(json.dumps(problem))
    lines = entries(truth, steps=("masked",))
    assert "-inf" in lines
    result = practice(path, "--blank", "masked", lines=lines)
    assert result.exit_code == 0, result.output
    assert feedback(result.stdout) == ["✓"] * 16


@pytest.mark.parametrize("stop", ["eof", "q"])
def test_practice_end_of_input_and_q_save_what_was_entered(tmp_path, stop):
    saved = tmp_path / "partial.yaml"
    lines = entries(TRUTH)[:11] + (["q"] if stop == "q" else [])
    result = practice(CLASSIC, "--save", saved, lines=lines)
    assert result.exit_code == 0, result.output
    assert ("stopped (end of input)" if stop == "eof" else "stopped at K[2,2]") in result.stdout
    marked = assert_marked_alike(result, CLASSIC, saved)
    assert "Q 8/8 · K 3/8" in marked.stdout


def test_practice_resume_continues_at_the_first_blank_cell(tmp_path):
    saved = tmp_path / "first.yaml"
    lines = entries(TRUTH)
    practice(CLASSIC, "--save", saved, lines=lines[:20])
    done = tmp_path / "done.yaml"
    result = practice(CLASSIC, "--resume", saved, "--save", done, lines=lines[20:])
    assert result.exit_code == 0, result.output
    assert "V[2,3] = " in result.stdout.split("\n── ")[1] and "Every cell done." in result.stdout
    assert all_right(assert_marked_alike(result, CLASSIC, done).stdout)


def test_practice_input_that_is_no_number_is_asked_again():
    result = practice(CLASSIC, "--blank", "Q", lines=["two", "1/0", "q"])
    assert result.exit_code == 0, result.output
    assert 'expected a number, found the text "two"' in result.stdout
    assert "division by zero" in result.stdout and feedback(result.stdout) == []


def test_practice_fractions_are_saved_quoted_and_marked_exact(tmp_path):
    saved = tmp_path / "fractions.yaml"
    result = practice(CLASSIC, "--blank", "A", "--save", saved, lines=["9/13", "1/3", "q"])
    assert result.exit_code == 0, result.output
    assert feedback(result.stdout) == ["✗", "✗"]  # A[1,1] is no fraction of small terms
    assert '"1/3"' in saved.read_text()
    assert_marked_alike(result, CLASSIC, saved)


# --- the grid -----------------------------------------------------------------------------------
def test_practice_at_60_columns_keeps_the_current_cell_in_view(tmp_path, monkeypatch):
    """Ten tokens do not fit 60 columns: the grid is elided as run elides it, and the cell
    asked for is shown however far in the middle it is."""
    X = [[(i + j) % 3 for j in range(10)] for i in range(3)]
    path = tmp_path / "ten.yaml"
    path.write_text(json.dumps({**CLASSIC_DICT, "X": X}))
    truth = reference_attention({**CLASSIC_DICT, "X": X})
    monkeypatch.setenv("COLUMNS", "60")
    lines = entries(truth, steps=("Q",))[:11]  # up to Q[2,6]: the middle column
    result = practice(path, "--blank", "Q", lines=[*lines[:10], "b", "q"])
    assert result.exit_code == 0, result.output
    grids = result.stdout.split("── Q = W_q · X")[1:3]  # the third is the summary's
    assert len(grids) == 2 and all(max(map(len, grid.split("\n  Q ")[0].splitlines())) <= 60 for grid in grids)
    last = grids[1].split("\n  Q ")[0]
    assert "⋯" in last and "q5" in last and re.search(r"\[\S+ ✓\]", last)  # Q[2,5], back at it


# --- usage and input errors ----------------------------------------------------------------------
def test_practice_will_not_save_over_a_file_without_force(tmp_path):
    saved = tmp_path / "mine.yaml"
    saved.write_text("keep me\n")
    result = practice(CLASSIC, "--save", saved, lines=["2"])
    assert result.exit_code == 3 and result.stderr.startswith(f"Error: {saved}") and "--force" in result.stderr
    assert saved.read_text() == "keep me\n" and "Q[1,1]" not in result.stdout


def test_practice_bad_resume_file_is_one_error_line(write_problem):
    resume = write_problem("Q: [[2, 1, 2, 1], [1, 3, x, 3]]\n", "bad.yaml")
    result = practice(CLASSIC, "--resume", resume)
    assert result.exit_code == 3
    assert re.fullmatch(rf"Error: {re.escape(str(resume))}:1:\d+: Q\[2,3\]: .*\n", result.stderr)


@pytest.mark.parametrize(
    ("args", "words"),
    [(["--from", "scors"], "no step 'scors'"), (["--blank", "X"], "is given"),
     (["--from", "A", "--blank", "Z"], "not both"), (["--tolerance", "inf"], "not a finite number")],  # fmt: skip
)
def test_practice_usage_errors_exit_2(args, words):
    result = practice(CLASSIC, *args)
    assert result.exit_code == 2 and words in result.stderr


def test_practice_from_a_step_works_every_step_after_it():
    result = practice(CLASSIC, "--from", "sums", lines=["q"])
    assert "28 cells in 3 steps" in result.stdout  # sums 4, A 16, Z 8


# --- on a real terminal ----------------------------------------------------------------------------
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _screen_rows(raw: str) -> dict[str, str]:
    """The two rows of Q on the last screen drawn, by the row of W_q beside them."""
    screen = ANSI.sub("", raw.replace("\r", "")).split("Practice:")[-1]
    return {weights: line for line in screen.splitlines() for weights in ("1  0  1", "0  1  1") if weights in line}


def test_practice_on_a_terminal_moves_the_highlighted_cell_and_saves_on_ctrl_c(tmp_path):
    import os
    import sys

    import pexpect
    saved = tmp_path / "tty.yaml"
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "40"}
    env.pop("NO_COLOR", None)
    args = ["-m", "handcalc", "practice", str(CLASSIC), "--blank", "Q", "--save", str(saved)]
    child = pexpect.spawn(sys.executable, args, env=env, dimensions=(40, 100), encoding="utf-8", timeout=60)
    child.expect_exact("Q[1,1] = ")
    first = child.before
    rows = _screen_rows(first)
    assert "[?]" in rows["1  0  1"] and "[?]" not in rows["0  1  1"]
    assert re.search(r"\x1b\[[0-9;]*7m\[\?\]", first)  # highlighted (reverse video) as well as bracketed
    child.sendline("2")
    child.expect_exact("Q[2,1] = ")
    rows = _screen_rows(child.before)
    assert "[?]" in rows["0  1  1"] and "2 ✓" in rows["1  0  1"] and "[" not in rows["1  0  1"].split("│")[1]
    assert "✓ right" in ANSI.sub("", child.before)
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "Q: [[2, null, null, null]" in saved.read_text()
    assert "Q 1/8" in check_text(CLASSIC, saved).stdout


def test_practice_with_nothing_entered_marks_and_saves_nothing(tmp_path):
    saved = tmp_path / "none.yaml"
    result = practice(CLASSIC, "--save", saved, lines=["q"])
    assert result.exit_code == 0 and "nothing entered, nothing to mark or save" in result.stdout
    assert not saved.exists()


def test_practice_rows_layout_walks_along_each_row(tmp_path):
    from ruamel.yaml import YAML

    problem = YAML(typ="safe").load((ROOT / "samples" / "rows_layout.yaml").read_text(encoding="utf-8"))
    truth = reference_attention(problem)
    lines = entries(truth, steps=("scores", "sums"), layout="rows")
    saved = tmp_path / "rows.yaml"
    result = practice(ROOT / "samples" / "rows_layout.yaml", "--blank", "scores,sums", "--save", saved, lines=lines)
    assert result.exit_code == 0, result.output
    assert feedback(result.stdout) == ["✓"] * 20
    prompts = re.findall(r"^(scores\[\d,\d\]) = ", result.stdout, flags=re.M)
    assert prompts[:5] == ["scores[1,1]", "scores[1,2]", "scores[1,3]", "scores[1,4]", "scores[2,1]"]
    assert all_right(assert_marked_alike(result, ROOT / "samples" / "rows_layout.yaml", saved).stdout)


def test_practice_from_a_step_of_every_head():
    result = practice(ROOT / "samples" / "two_heads.yaml", "--from", "Z", lines=["q"])
    assert result.exit_code == 0, result.output
    steps = re.search(r"(\d+) cells in (\d+) steps", result.stdout).groups()
    assert steps[1] == "4"  # h1.Z, h2.Z, concat, output
    assert "── Z = V · A" in result.stdout and "h1.Z[1,1] = " in result.stdout


def test_the_practice_core_imports_neither_rich_nor_typer():
    import subprocess
    import sys

    code = "import sys, handcalc.practice; print(sorted({'rich', 'typer'} & {m.split('.')[0] for m in sys.modules}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_practice_the_classic_example_by_its_name(tmp_path):
    """The command of the issue: the classic exercise from the scores on, saved."""
    saved = tmp_path / "my_answers.yaml"
    lines = entries(TRUTH, steps=("scores",))
    result = practice("--example", "classic", "--from", "scores", "--save", saved, lines=lines)
    assert result.exit_code == 0, result.output
    assert feedback(result.stdout) == ["✓"] * 16 and "stopped (end of input)" in result.stdout
    assert_marked_alike(result, CLASSIC, saved)
