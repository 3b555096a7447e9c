"""LaTeX of a 64-token problem: elided to the text width as the terminal is (scaled to it with
--full), and each by-hand array in one display with its matrix, so that no page break falls
between them. Compiled where pdflatex is installed: no overfull box."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from conftest import cli_runner

from handcalc.cli import app
from handcalc.render.latex import LATEX_WIDTH

runner = cli_runner()


@pytest.fixture(scope="module")
def problem64(tmp_path_factory):
    rng = np.random.default_rng(64)
    m = lambda rows, cols: rng.integers(-1, 2, size=(rows, cols)).tolist()  # noqa: E731
    path = tmp_path_factory.mktemp("latex") / "p64.json"
    path.write_text(json.dumps({"X": m(4, 64), "W_q": m(4, 4), "W_k": m(4, 4), "W_v": m(4, 4)}))
    return path


def latex(path, *args) -> str:
    result = runner.invoke(app, ["run", str(path), "-f", "latex", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def displays(text: str) -> list[str]:
    return re.findall(r"\\\[\n(.*?)\n\\\]", text, re.S)


@pytest.mark.parametrize("full", [False, True])
def test_each_array_shares_one_display_with_its_matrix(problem64, full):
    text = latex(problem64, *(["--full"] if full else []))
    by_hand = [d for d in displays(text) if "\\hline" in d]  # the arrays drawn by hand: rules under their operand
    assert len(by_hand) >= 5  # Q, K, V, scores, sums, Z
    assert all("\\begin{gathered}" in d and re.search(r"= (\\begin\{bmatrix\}|\\left\[)", d) for d in by_hand)
    if full:
        assert "\\resizebox{\\linewidth}" in text and "x33" in text and "graphicx" in text.split("\n\n")[0]
    else:
        assert "\\resizebox" not in text and "x33" not in text and "x64" in text and "\\cdots" in text


def test_elided_tables_fit_the_text_width_budget(problem64):
    text = latex(problem64)
    for display in displays(text):
        for row in display.split("\\\\"):
            cells = row.count("&") + 1
            assert cells <= 2 * LATEX_WIDTH // 7, row[:80]  # at most ~18 columns of numbers


@pytest.mark.parametrize("full", [False, True])
def test_pdflatex_finds_no_overfull_box(problem64, tmp_path, full):
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed (Debian: texlive-latex-base); the structure checks above still ran")
    (tmp_path / "fragment.tex").write_text(latex(problem64, "--show-work", *(["--full"] if full else [])))
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{graphicx}\n"
        "\\begin{document}\n\\input{fragment}\n\\end{document}\n"
    )
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:]
    log = (tmp_path / "doc.log").read_text(errors="replace")
    assert "Overfull \\hbox" not in log
