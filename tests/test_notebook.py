"""Notebooks: a Trace, marked answers and a worksheet draw themselves (``_repr_html_``,
``_repr_markdown_``) with the export renderers' tables; ``handcalc.attention`` and
``handcalc.check`` are the library in two calls; ``docs/notebook.ipynb`` runs (issue 14, item 1).

Reference numbers are worked here with plain numpy, or counted by hand from the answers."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import ROOT, cli_runner

import handcalc
from handcalc.cli import app
from handcalc.errors import HandcalcError
from handcalc.render.notebook import SCOPE

runner = cli_runner()
CLASSIC = ROOT / "samples" / "self_attention.yaml"
X = [[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]]
W_q, W_k, W_v = [[1, 0, 1], [0, 1, 1]], [[0, 1, 1], [1, 0, 0]], [[1, 1, 0], [0, 0, 1]]


def causal_base3_A() -> np.ndarray:
    """softmax over each column (query) of Kᵀ·Q / √2, keys after the query masked, base 3."""
    X_, Q, K = np.array(X, float), np.array(W_q, float), np.array(W_k, float)
    scores = (K @ X_).T @ (Q @ X_) / np.sqrt(2)  # (keys, queries)
    weights = np.where(np.triu(np.ones((4, 4))) == 1, 3.0**scores, 0.0)  # key i visible to query j ≥ i
    return weights / weights.sum(axis=0)


def body(page: str) -> str:
    return page.split("<main>\n", 1)[1].split("\n</main>", 1)[0]


# --- the library API --------------------------------------------------------------------------
def test_attention_takes_lists_or_arrays_and_the_options_of_a_problem_file():
    trace = handcalc.attention(X=X, W_q=W_q, W_k=W_k, W_v=W_v, mask="causal", base=3)
    np.testing.assert_allclose(trace["A"].value, causal_base3_A(), rtol=1e-12)
    again = handcalc.attention(np.array(X), np.array(W_q), np.array(W_k), np.array(W_v), mask="causal", base=3)
    np.testing.assert_array_equal(again["A"].value, trace["A"].value)
    assert handcalc.attention(X=X, W_q=W_q, W_k=W_k, W_v=W_v, exact=True)["Q"].value[0, 0] == 2  # exact fractions
    with pytest.raises(HandcalcError, match="W_q"):
        handcalc.attention(X=X, W_q=[[1, 0]], W_k=W_k, W_v=W_v)


def test_check_marks_a_mapping_as_it_marks_the_same_answers_file(tmp_path):
    trace = handcalc.attention(X=X, W_q=W_q, W_k=W_k, W_v=W_v)
    Q = np.array(W_q) @ np.array(X)
    answers = {"Q": Q.tolist(), "K": [[1, 3, 1, 3], [1, 0, 1, 9]], "V": np.array([[1, 2, 1, 2], [1, 1, 1, np.nan]])}
    marks = handcalc.check(trace, answers)
    assert [(s.name, s.count("right"), s.count("wrong"), s.count("blank")) for s in marks.steps] == [
        ("Q", 8, 0, 0), ("K", 7, 1, 0), ("V", 7, 0, 1)]  # fmt: skip
    assert marks.score() == pytest.approx(22 / 24)
    path = tmp_path / "answers.yaml"
    path.write_text("Q: [[2, 1, 2, 1], [1, 3, 1, 3]]\nK: [[1, 3, 1, 3], [1, 0, 1, 9]]\nV: [[1, 2, 1, 2], [1, 1, 1, null]]\n")
    from_file = handcalc.check(trace, path)
    verdicts = lambda marks: [(s.name, [(c.index, c.verdict) for c in s.cells]) for s in marks.steps]
    assert verdicts(from_file) == verdicts(marks) and from_file.file == str(path)


def test_check_reads_fractions_blanks_and_masked_cells_and_refuses_an_unknown_step():
    trace = handcalc.attention(X=[[1, 0], [0, 1]], W_q=[[1, 0]], W_k=[[0, 1]], W_v=[[1, 1]], mask="causal")
    # scores = Kᵀ·Q = [[0, 0], [1, 0]]; key 2 is masked for query 1; the sums are 1 and 2
    marks = handcalc.check(trace, {"A": [[1, "1/2"], [0, 0.5]], "masked": [[0, 0], [-np.inf, 0]], "sums": [1, None]})
    assert {s.name: (s.count("right"), s.count("blank")) for s in marks.steps} == {
        "masked": (4, 0), "sums": (1, 1), "A": (4, 0)}  # fmt: skip
    with pytest.raises(HandcalcError, match="scroes"):
        handcalc.check(trace, {"scroes": [[1]]})


def test_handcalc_check_is_callable_however_the_module_was_imported():
    import handcalc.check as module
    from handcalc.check import Marks

    trace = handcalc.attention(X=[[1, 0], [0, 1]], W_q=[[1, 0]], W_k=[[0, 1]], W_v=[[1, 1]])
    assert module is handcalc.check and isinstance(handcalc.check(trace, {"Q": [[1, 0]]}), Marks)


# --- what a notebook shows --------------------------------------------------------------------
def test_a_trace_shows_the_tables_of_the_html_and_markdown_exports():
    trace = handcalc.attention(**{k: v for k, v in (("X", X), ("W_q", W_q), ("W_k", W_k), ("W_v", W_v))},
                               title="Self-attention by hand")  # fmt: skip
    html_page = runner.invoke(app, ["run", str(CLASSIC), "--format", "html"]).stdout
    markdown = runner.invoke(app, ["run", str(CLASSIC), "--format", "markdown"]).stdout
    shown = trace._repr_html_()
    assert shown.startswith(f'<div class="{SCOPE}">') and body(html_page) in shown
    assert trace._repr_markdown_() == markdown


def test_the_notebook_style_is_scoped_and_there_is_no_script():
    trace = handcalc.attention(X=X, W_q=W_q, W_k=W_k, W_v=W_v, mask="causal")
    marks = handcalc.check(trace, {"Q": [[2, 1, 2, 1], [1, 3, 1, 3]]})
    from handcalc.worksheet import blank_steps, build

    sheet = build(trace, blank_steps(trace, "A"))
    for shown in (trace._repr_html_(), marks._repr_html_(), sheet._repr_html_()):
        style = shown.split("<style>\n", 1)[1].split("\n</style>", 1)[0]
        selectors = [s.strip() for rule in re.findall(r"([^{}]+)\{[^{}]*\}", style) for s in rule.split(",")]
        assert selectors and all(s.startswith(f".{SCOPE}") for s in selectors), selectors
        assert "<script" not in shown and not re.search(r"\son\w+=", shown) and "@media" not in shown


def test_a_worksheet_shows_its_boxes_and_a_key_its_answers():
    from handcalc.worksheet import blank_steps, build

    trace = handcalc.attention(X=X, W_q=W_q, W_k=W_k, W_v=W_v, mask="causal", base=3)
    sheet = build(trace, blank_steps(trace, "A,Z"))
    # A: 4×4 (its masked cells are weights of 0, to write too); Z: 2×4
    assert sheet._repr_html_().count('class="answer"') == 16 + 8
    key = build(trace, blank_steps(trace, "A"), key=True)._repr_markdown_()
    assert "answer key" in key and f"{causal_base3_A()[1, 2]:.3f}" in key


# --- docs/notebook.ipynb ----------------------------------------------------------------------
def test_the_notebook_runs_and_shows_the_problem_and_the_marking():
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    notebook = nbformat.read(ROOT / "docs" / "notebook.ipynb", as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "docs")}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    shown = [output.data for output in outputs if output.output_type == "execute_result"]
    trace_html, A_text, marks_html, sheet_html = (data.get("text/html", data["text/plain"]) for data in shown)
    assert trace_html.startswith(f"<div class=\"{SCOPE}\">") and "= 3<sup>" in trace_html
    A = np.array([float(x) for x in re.findall(r"-?\d+\.\d*", A_text)]).reshape(4, 4)
    np.testing.assert_allclose(A, causal_base3_A().round(3), atol=1e-9)
    for value in causal_base3_A()[causal_base3_A() > 0]:
        assert f">{value:.3f}<" in trace_html or f">{value:.0f}<" in trace_html
    # the student's one slip in Q (row 2, column 3) carried into two cells of the scores
    assert marks_html.count('class="wrong"') == 1 and marks_html.count('class="carried"') == 2
    printed = "".join(output.text for output in outputs if output.output_type == "stream" and "carried" in output.text)
    assert printed.strip() == f"score {29 / 32:.0%}, with error carried forward {31 / 32:.0%}"
    assert sheet_html.count('class="answer"') == 16 + 8
