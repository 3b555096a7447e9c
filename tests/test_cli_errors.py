"""Every exit code of ``handcalc run`` and every bad-input message of issue 2, item 7.

A bad input exits 3 with exactly one ``Error: FILE[:LINE:COL]: ...`` line on stderr (the
line and column wherever the input has them), nothing on stdout and never a traceback.
Positions below are counted by hand: lines and columns are 1-based.
"""

from __future__ import annotations

import json
import warnings

import pytest
from conftest import cli_runner

from handcalc.cli import app
from handcalc.errors import HandcalcError, SchemaError

runner = cli_runner()

# The classic exercise, one key per line, so that a key's line is its place in this order:
# X is line 1, W_q line 2, W_k line 3, W_v line 4, and any extra key line 5, 6, …
# A value starts after "KEY: ": column 4 for X, column 6 for W_q/W_k/W_v/W_o. Inside X, row 2
# opens at column 19 and row 3 at 33 (its cells at 34, 37, 40, 43); inside W_q/W_k/W_v, row 2
# opens at column 18 (its cells at 19, 22, 25).
BASE = {
    "X": "[[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]]",  # 3×4: d_model 3, four tokens
    "W_q": "[[1, 0, 1], [0, 1, 1]]",  # 2×3: d_k 2
    "W_k": "[[0, 1, 1], [1, 0, 0]]",
    "W_v": "[[1, 1, 0], [0, 0, 1]]",
}


def doc(drop: tuple[str, ...] = (), **fields: str) -> str:
    """BASE with some values replaced (in place) or added (after W_v, in order)."""
    values = {**BASE, **fields}
    return "".join(f"{key}: {value}\n" for key, value in values.items() if key not in drop)


def rows(**fields: str) -> str:
    """A rows-layout problem: layout is line 1, X line 2, W_q 3, W_k 4, W_v 5, extra keys 6, 7, …"""
    values = {
        "layout": "rows",
        "X": "[[1, 0, 1], [0, 2, 1], [1, 0, 1], [0, 2, 1]]",  # 4×3: four tokens, d_model 3
        "W_q": "[[1, 0], [0, 1], [1, 1]]",
        "W_k": "[[0, 1], [1, 0], [1, 0]]",
        "W_v": "[[1, 0], [1, 0], [0, 1]]",
        **fields,
    }
    return "".join(f"{key}: {value}\n" for key, value in values.items())


# The same problem written by hand over several lines, for positions inside a matrix.
def tall(W_k_row_2: str = "[1, 0, 0]") -> str:
    return (
        "X:   [[1, 0, 1, 0],\n"  # line 1
        "      [0, 2, 0, 2],\n"  # line 2
        "      [1, 1, 1, 1]]\n"  # line 3
        "W_q: [[1, 0, 1],\n"  # line 4
        "      [0, 1, 1]]\n"  # line 5
        "W_k: [[0, 1, 1],\n"  # line 6
        f"      {W_k_row_2}]\n"  # line 7: the row opens at column 7, its cells at 8, 11, 14
        "W_v: [[1, 1, 0],\n"  # line 8
        "      [0, 0, 1]]\n"  # line 9
    )


SIX_BY_TWO = "[[1, 0], [0, 1], [1, 1], [1, 0], [0, 1], [1, 1]]"
HUGE_INT = "1" + "0" * 400

# (problem text, expected substring of the message, line, column)
CASES = [
    # --- malformed YAML --------------------------------------------------------------
    pytest.param("X: [[1, 0], [0, 1]\nW_q: [[1]]\n", "malformed YAML: expected ',' or ']'", 2, 1,
                 id="yaml-unclosed-flow"),
    pytest.param("X:\n  - [1, 0]\n - [0, 1]\n", "malformed YAML", 3, 2, id="yaml-bad-indent"),
    pytest.param("X: [[1, 0]]\n\tW_q: [[1]]\n", "malformed YAML: found character '\\t'", 2, 1, id="yaml-tab"),
    pytest.param('title: "unterminated\n', "malformed YAML: found unexpected end of stream", 2, 1,
                 id="yaml-unterminated-string"),
    pytest.param("X: [1, 2]]\n", "malformed YAML", 1, 10, id="yaml-stray-bracket"),
    pytest.param("--- 1\n--- 2\n", "malformed YAML", 2, 1, id="yaml-two-documents"),
    pytest.param(doc(title="ab\x12c"), "malformed YAML: the character U+0012 is not allowed in YAML text", 5, 10,
                 id="control-character"),
    pytest.param(doc(title='"\u2014\u2014\x7f"'), "the character U+007F is not allowed", 5, 11,
                 id="control-character-after-wide-ones"),
    # --- not a mapping ----------------------------------------------------------------
    pytest.param("[1, 2, 3]\n", "expected a mapping of matrices (X, W_q, W_k, W_v), found a list", 1, 1, id="list"),
    pytest.param("- [1, 0]\n- [0, 1]\n", "found a list", 1, 1, id="block-list"),
    pytest.param("42\n", "found a number", 1, 1, id="scalar-number"),
    pytest.param("hello\n", 'found the text "hello"', 1, 1, id="scalar-text"),
    pytest.param("", "found an empty file", 1, 1, id="empty-file"),
    pytest.param("# only a comment\n", "found an empty file", 1, 1, id="comment-only"),
    # --- a missing matrix -------------------------------------------------------------
    pytest.param(doc(drop=("W_v",)), "missing W_v: a problem needs X, W_q, W_k and W_v", 1, 1, id="missing-W_v"),
    pytest.param(doc(drop=("X",)), "missing X", 1, 1, id="missing-X"),
    # --- a ragged or empty matrix ---------------------------------------------------------
    pytest.param(doc(X="[[1, 0, 1, 0], [0, 2, 0], [1, 1, 1, 1]]"),
                 "X is ragged: row 2 has 3 numbers, row 1 has 4", 1, 19, id="ragged"),
    pytest.param(doc(X="[]"), "X must be a non-empty matrix", 1, 4, id="empty-matrix"),
    pytest.param(doc(W_q="[[1, 0, 1], []]"), "W_q row 2 must be a non-empty list of numbers", 2, 18, id="empty-row"),
    pytest.param(doc(W_q="[1, 0, 1]"), "W_q row 1 must be a row (a list of numbers), not 1", 2, 7,
                 id="vector-not-matrix"),
    pytest.param(doc(W_v="7"), "W_v must be a matrix (a list of rows), not 7", 4, 6, id="scalar-not-matrix"),
    pytest.param(doc(W_v=""), "W_v must be a matrix (a list of rows), not null", 4, 1, id="null-matrix"),
    pytest.param(doc(W_v="") + "W_o: [[1, 0]]\n", "W_v must be a matrix", 4, 1, id="null-matrix-before-a-key"),
    # --- cells that are not finite numbers ------------------------------------------------
    pytest.param(tall("[1, 0, true]"), "W_k[2,3]: expected a number, found a boolean (true)", 7, 14, id="boolean-tall"),
    pytest.param(doc(W_k="[[0, 1, 1], [1, 0, false]]"), "W_k[2,3]: expected a number, found a boolean (false)",
                 3, 25, id="boolean"),
    pytest.param(tall("[1, abc, 0]"), 'W_k[2,2]: expected a number, found the text "abc"', 7, 11, id="text-cell"),
    pytest.param(doc(W_q="[[1, 0, 1], [0, ~, 1]]"), "W_q[2,2]: expected a number, found nothing (null)",
                 2, 22, id="null-cell"),
    pytest.param(doc(W_q="[[1, 0, 1], [0, [1], 1]]"), "W_q[2,2]: expected a number, found a list", 2, 22,
                 id="list-cell"),
    pytest.param(doc(W_q="[[1, 0, 1], [0, {a: 1}, 1]]"), "W_q[2,2]: expected a number, found a mapping", 2, 22,
                 id="mapping-cell"),
    pytest.param(doc(X="[[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 2026-01-01, 1]]"),
                 "X[3,3]: expected a number, found a date (2026-01-01)", 1, 40, id="date-cell"),
    pytest.param(doc(X="[[.nan, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]]"), "X[1,1]: expected a number, found nan", 1, 6,
                 id="nan-cell"),
    pytest.param(doc(X="[[1, 0, 1, 0], [0, -.inf, 0, 2], [1, 1, 1, 1]]"), "X[2,2]: expected a finite number",
                 1, 23, id="inf-cell"),
    pytest.param(doc(X="[[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1e400]]"), "X[3,4]: expected a finite number",
                 1, 43, id="float-overflow"),
    pytest.param(doc(X=f"[[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, {HUGE_INT}]]"), "X[3,4]:", 1, 43, id="huge-integer"),
    pytest.param(doc(X='[[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, "1e400"]]'), "X[3,4]:", 1, 43, id="huge-string"),
    pytest.param(doc(X=f"[[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, {'9' * 5000}]]"),
                 "a number of 5000 digits is too large to be a finite number", 1, 43, id="integer-too-long-to-read"),
    pytest.param(doc(X=f"[[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, '{'9' * 5000}']]"), "has more than 4000 digits",
                 1, 43, id="number-text-too-long-to-read"),
    pytest.param(doc(X='[[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, "nan"]]'), "X[3,4]: expected a finite number", 1, 43,
                 id="nan-string"),
    # --- bad fractions ---------------------------------------------------------------------
    pytest.param(doc(W_q='[["1/0", 0, 1], [0, 1, 1]]'), 'W_q[1,1]: bad fraction "1/0": division by zero', 2, 8,
                 id="fraction-by-zero"),
    pytest.param(doc(W_q='[[1, 0, 1], [0, "1/x", 1]]'),
                 'W_q[2,2]: expected a number, found the text "1/x" (a fraction is written like "1/3")', 2, 22,
                 id="fraction-not-a-number"),
    # --- shapes: every mismatch names its equation ---------------------------------------
    pytest.param(doc(X=SIX_BY_TWO, W_q="[[1, 0, 0, 0, 0], [0, 1, 0, 0, 0]]"),
                 "W_q · X needs W_q's 5 columns to match X's 6 rows", 2, 6, id="shape-Q-columns"),
    pytest.param(doc(X="[[1, 0, 1, 0, 1, 1], [0, 1, 1, 1, 0, 1]]", W_q="[[1, 0], [0, 1], [1, 1], [1, 0], [0, 1]]",
                     layout="rows"),
                 "X · W_q needs X's 6 columns to match W_q's 5 rows", 2, 6, id="shape-Q-rows"),
    pytest.param(doc(W_k="[[0, 1, 1, 0], [1, 0, 0, 1]]"), "W_k · X needs W_k's 4 columns to match X's 3 rows", 3, 6,
                 id="shape-K-columns"),
    pytest.param(doc(W_k="[[0, 1, 1], [1, 0, 0], [1, 1, 1]]"),
                 "Kᵀ · Q needs Kᵀ's 3 columns to match Q's 2 rows "
                 "(W_q and W_k must give queries and keys the same d_k)",
                 3, 6, id="shape-d_k-columns"),
    pytest.param("layout: rows\nX: [[1, 0, 1], [0, 2, 1]]\nW_q: [[1, 0], [0, 1], [1, 1]]\n"
                 "W_k: [[1, 0, 1], [0, 1, 0], [1, 1, 0]]\nW_v: [[1, 0], [0, 1], [1, 1]]\n",
                 "Q · Kᵀ needs Q's 2 columns to match Kᵀ's 3 rows (W_q and W_k must give", 4, 6, id="shape-d_k-rows"),
    pytest.param(doc(W_v="[[1, 1], [0, 0]]"), "W_v · X needs W_v's 2 columns to match X's 3 rows", 4, 6, id="shape-V"),
    pytest.param(doc(W_o="[[1, 0, 1], [0, 1, 1]]"), "W_o · Z needs W_o's 3 columns to match Z's 2 rows", 5, 6,
                 id="shape-W_o-columns"),
    pytest.param("layout: rows\nX: [[1, 0, 1], [0, 2, 1]]\nW_q: [[1, 0], [0, 1], [1, 1]]\n"
                 "W_k: [[0, 1], [1, 0], [1, 0]]\nW_v: [[1, 0], [1, 0], [0, 1]]\n"
                 "W_o: [[1, 1, 0], [0, 1, 1], [1, 1, 1]]\n",
                 "Z · W_o needs Z's 2 columns to match W_o's 3 rows", 6, 6, id="shape-W_o-rows"),
    pytest.param(doc(X_kv="[[1, 0, 2], [0, 1, 1]]"), "W_k · X_kv needs W_k's 3 columns to match X_kv's 2 rows", 3, 6,
                 id="shape-X_kv"),
    # --- keys ---------------------------------------------------------------------------
    pytest.param(doc(temprature="2"), "unknown key temprature; did you mean temperature?", 5, 1,
                 id="unknown-temprature"),
    pytest.param(doc(Wqq="[[1]]"), "unknown key Wqq; did you mean W_q?", 5, 1, id="unknown-Wqq"),
    pytest.param(doc(**{'"W\\nq"': "1"}), 'unknown key "W\\nq"', 5, 1, id="unknown-key-with-a-newline"),
    pytest.param(doc(**{'"' + "k" * 500 + '"': "1"}), 'unknown key "kkkk', 5, 1, id="unknown-long-key"),
    pytest.param(doc(colour="red"), "unknown key colour; known keys: title, layout, tokens, X", 5, 1,
                 id="unknown-far-from-all"),
    pytest.param(doc(drop=("X",)) + "1: [[1]]\n", "keys are names such as X or W_q, not 1", 4, 1, id="number-key"),
    pytest.param(doc() + "? {a: 1}\n: 2\n", "keys are names such as X or W_q, not a mapping", 5, 3, id="mapping-key"),
    pytest.param(doc() + "? [a, b]\n: 2\n", "keys are names such as X or W_q, not a list", 5, 3, id="list-key"),
    pytest.param(doc() + "W_q: [[1, 0, 1], [0, 1, 1]]\n", "duplicate key W_q; each key may appear only once", 5, 1,
                 id="duplicate-key"),
    pytest.param(doc(X="[[" + ", ".join(["1"] * 256) + "]]") + "X: [[1]]\n", "duplicate key X", 5, 1,
                 id="duplicate-key-long-value"),
    pytest.param(doc() + "wq: [[1, 0, 1], [0, 1, 1]]\n",
                 "wq repeats W_q (keys ignore case and underscores); keep one", 5, 1, id="duplicate-after-folding"),
    pytest.param(doc(W_Q="[[1]]"), "W_Q repeats W_q", 5, 1, id="duplicate-case"),
    # --- options --------------------------------------------------------------------------
    pytest.param(doc(scale="0"), "scale must be a positive number, not 0", 5, 8, id="scale-zero"),
    pytest.param(doc(scale="-2"), "scale must be a positive number, not -2", 5, 8, id="scale-negative"),
    pytest.param(doc(scale="big"), "scale must be sqrt_dk, none or a positive number, not \"big\"", 5, 8,
                 id="scale-word"),
    pytest.param(doc(scale="true"), "scale", 5, 8, id="scale-boolean"),
    pytest.param(doc(temperature="0"), "temperature must be a positive number, not 0", 5, 14, id="temperature-zero"),
    pytest.param(doc(temperature="-0.5"), "temperature must be a positive number", 5, 14, id="temperature-negative"),
    pytest.param(doc(temperature="hot"), "temperature: expected a number", 5, 14, id="temperature-word"),
    pytest.param(doc(base="1"), "base must be e or a number greater than 1, not 1", 5, 7, id="base-one"),
    pytest.param(doc(base="0.5"), "base must be e or a number greater than 1", 5, 7, id="base-half"),
    pytest.param(doc(base="-3"), "base must be", 5, 7, id="base-negative"),
    pytest.param(doc(base="0"), "base must be", 5, 7, id="base-zero"),
    pytest.param(doc(base="ten"), "base must be e or a number greater than 1, not \"ten\"", 5, 7, id="base-word"),
    pytest.param(doc(layout="diagonal"), 'layout must be columns or rows, not "diagonal"', 5, 9, id="layout-unknown"),
    pytest.param(doc(layout="3"), "layout must be", 5, 9, id="layout-number"),
    pytest.param(doc(title="[1, 2]"), "title must be text, not a list", 5, 8, id="title-list"),
    # --- masks --------------------------------------------------------------------------
    pytest.param(doc(mask="upper"), "mask must be none, causal or a 0/1 matrix, not \"upper\"", 5, 7, id="mask-unknown"),
    pytest.param(doc(mask="[[1, 1, 1, 1], [0, 1, 1, 1], [0, 0, 1, 1]]"),
                 "mask is 3×4 but must be shaped like scores, 4×4 (keys × queries)", 5, 7, id="mask-wrong-shape"),
    pytest.param(doc(mask="[[1, 1, 1, 1], [0, 2, 1, 1], [0, 0, 1, 1], [0, 0, 0, 1]]"),
                 "mask[2,2] is 2; a mask holds only 0 and 1", 5, 26, id="mask-not-0-1"),
    pytest.param(doc(mask="[[1, 1, 1, 1], [0, 1, 1, 1], [0, 0, 1, 1], [0, 0, 0, yes]]"),
                 'mask[4,4]: expected a number, found the text "yes"', 5, 60, id="mask-yes-is-not-true"),
    pytest.param(doc(mask="[[1, 1, 0, 1], [0, 1, 0, 1], [0, 0, 0, 1], [0, 0, 0, 1]]"),
                 "mask blocks every key for query 3 (column 3); each query must be allowed at least one key", 5, 7,
                 id="mask-blocks-a-query"),
    pytest.param(rows(mask="[[1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1]]"),
                 "mask blocks every key for query 3 (row 3)", 6, 7, id="mask-blocks-a-query-rows"),
    # --- tokens ---------------------------------------------------------------------------
    pytest.param(doc(tokens="[I, love, cats]"), "tokens has 3 labels but X has 4 tokens (columns)", 5, 9,
                 id="tokens-too-few"),
    pytest.param(rows(tokens="[a, b]"), "tokens has 2 labels but X has 4 tokens (rows)", 6, 9, id="tokens-rows"),
    pytest.param(doc(tokens="[I, [love], cats, x]"), "tokens[2] must be a word or a number, not a list", 5, 9,
                 id="tokens-list"),
    pytest.param(doc(tokens="I love cats"), 'tokens must be a list of labels, one per token, not "I love cats"', 5, 9,
                 id="tokens-not-a-list"),
    # --- anchors and aliases ----------------------------------------------------------------
    pytest.param("X: &x [[1, 0], [0, 1]]\nW_q: *x\nW_k: *x\nW_v: *x\n",
                 "YAML anchors and aliases (& and *) are not allowed; write the matrix out in full", 1, 4, id="anchor"),
    pytest.param(doc(W_v="*undefined"), "YAML anchors and aliases", 4, 6, id="alias-alone"),
    pytest.param(doc(W_v="[[1, 1, 0], &r [0, 0, 1]]"), "YAML anchors and aliases", 4, 18, id="anchor-on-row"),
    pytest.param(doc(drop=("X",)) + "X: &a [[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]]\n",
                 "YAML anchors and aliases", 4, 4, id="anchor-last"),
    pytest.param(doc() + "<<: {title: merged}\n", "YAML merge keys (<<) are not allowed", 5, 1, id="merge-key"),
    pytest.param(doc(W_q="[[1, 0, 1], [0, 1, {<<: {a: 1}}]]"), "YAML merge keys (<<) are not allowed", 2, 26,
                 id="merge-key-nested"),
    # --- size limits and features not built yet ---------------------------------------------
    pytest.param(doc(X="[[" + ", ".join(["1"] * 257) + "]]"),  # refused at the 257th number, column 6 + 256·3
                 "a list of more than 256 items; handcalc takes at most 256 rows", 1, 6 + 256 * 3,
                 id="dimension-over-256"),
    pytest.param(doc(heads="[{W_q: [[1]], W_k: [[1]], W_v: [[1]]}]"),
                 "heads and W_q are both given: keep heads for multi-head attention, or W_q, W_k and W_v for a "
                 "single head", 5, 8, id="heads-and-W_q"),
    pytest.param(doc(round="-1"), "round must be a whole number of decimals from 0 to 15, not -1", 5, 8,
                 id="round-negative"),
    pytest.param(doc(round="2.5"), "round must be a whole number of decimals from 0 to 15, not a number", 5, 8,
                 id="round-decimal"),
    pytest.param(doc(round="true"), "round must be a whole number of decimals from 0 to 15, not a boolean", 5, 8,
                 id="round-boolean"),
]


def run(*args: str, env: dict[str, str] | None = None):
    """``handcalc run ARGS``; a Python warning would be printed on stderr, so there is none."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = runner.invoke(app, ["run", *map(str, args)], env=env)
    assert [str(warning.message) for warning in caught] == []
    return result


def assert_one_error_line(result, expected: str, where: str):
    """Exit 3, stdout empty, stderr exactly ``Error: WHERE: ...expected...``, no traceback."""
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exit_code == 3, (result.exit_code, result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    stderr = result.stderr
    assert stderr.endswith("\n") and stderr.count("\n") == 1, repr(stderr)
    assert stderr.startswith(f"Error: {where}"), (where, stderr)
    assert expected in stderr, stderr
    assert len(stderr) < 400, stderr  # one clear line, not a dump of the input


@pytest.mark.parametrize(("text", "expected", "line", "column"), CASES)
def test_bad_problem_file(tmp_path, text, expected, line, column):
    path = tmp_path / "problem.yaml"
    path.write_text(text, encoding="utf-8")
    assert_one_error_line(run(path, "--format", "json"), expected, f"{path}:{line}:{column}: ")


# --- files that cannot be read: the file is named, there is no line or column ------------------
def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    assert_one_error_line(run(path), "no such file", f"{path}: ")


def test_directory(tmp_path):
    assert_one_error_line(run(tmp_path), "is a directory, not a problem file", f"{tmp_path}: ")


def test_binary_file(tmp_path):
    path = tmp_path / "problem.yaml"
    path.write_bytes(doc().encode() + b"\x00\x01\x02")  # the NUL starts line 5
    assert_one_error_line(run(path), "is a binary file (a NUL byte here), not YAML text", f"{path}:5:1: ")


def test_not_utf8(tmp_path):
    path = tmp_path / "problem.yaml"
    path.write_bytes(doc().encode() + b"title: Caf\xe9 \xe2\x80\x94 caf\xe9\n")  # Latin-1 after a UTF-8 dash
    # doc() is 130 bytes; the first bad byte is the 11th of line 5, its 11th character
    assert_one_error_line(run(path), "is not UTF-8 text (byte 141, 0xE9, cannot be read)", f"{path}:5:11: ")


def test_not_utf8_after_multibyte_characters(tmp_path):
    path = tmp_path / "problem.yaml"
    path.write_bytes(b"title: \xe2\x80\x94\xe2\x80\x94 \xff\n" + doc().encode())  # two dashes, a space, then 0xFF
    assert_one_error_line(run(path), "0xFF", f"{path}:1:11: ")


def test_utf8_with_bom_is_fine(tmp_path):
    path = tmp_path / "problem.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + doc().encode())
    assert run(path, "--format", "json").exit_code == 0


def test_file_over_one_mebibyte(tmp_path):
    path = tmp_path / "problem.yaml"
    path.write_text(doc() + "#" * (1 << 20) + "\n", encoding="utf-8")
    assert_one_error_line(run(path), "bytes; a problem file may be at most 1 MiB", f"{path}: ")


def test_file_of_exactly_one_mebibyte_is_read(tmp_path):
    path = tmp_path / "problem.yaml"
    text = doc()
    path.write_text(text + "#" * ((1 << 20) - len(text) - 1) + "\n", encoding="utf-8")
    assert path.stat().st_size == 1 << 20
    assert run(path, "--format", "json").exit_code == 0


def billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_fails_fast_and_small(tmp_path):
    path = tmp_path / "problem.yaml"
    path.write_text(billion_laughs(), encoding="utf-8")
    assert path.stat().st_size < 1000
    result = run(path)
    assert_one_error_line(result, "YAML anchors and aliases (& and *) are not allowed", f"{path}:1:")


def test_billion_laughs_inside_a_matrix(tmp_path):
    path = tmp_path / "problem.yaml"
    laughs = billion_laughs().replace("a0: ", "title: ", 1)
    path.write_text(laughs + doc(), encoding="utf-8")
    assert_one_error_line(run(path), "YAML anchors and aliases", f"{path}:1:8: ")


# --- numbers too large for double precision: exit 3, the file named, no warning ---------------
@pytest.mark.parametrize(
    ("fields", "step"),
    [
        # every row of W_q and W_k takes x1's third feature: q1 and k1 are about 1e300, k1 · q1 about 1e600
        ({"X": "[[1, 0, 1, 0], [0, 2, 0, 2], [1e300, 1, 1, 1]]"}, "scores"),
        ({"X": "[[1, 0, 1, 0], [0, 2, 0, 2], [1e300, 1, 1, 1]]", "W_q": "[[-1, 0, -1], [0, -1, -1]]"}, "scores"),
        ({"X": "[[1.5e308, 0, 1, 0], [0, 2, 0, 2], [1.5e308, 1, 1, 1]]"}, "Q"),
        ({"scale": "1e-300", "temperature": "1e-300"}, "scaled"),
    ],
    ids=["scores", "scores-negative", "Q", "scaled"],
)
def test_overflow(tmp_path, fields, step):
    """A −∞ from an overflow is not a masked cell: it is an error like +∞."""
    path = tmp_path / "problem.yaml"
    path.write_text(doc(**fields), encoding="utf-8")
    assert_one_error_line(run(path, "--format", "json"),
                          f"{step} overflows double precision: the inputs are too large", f"{path}: ")


def test_large_but_finite_scores_are_fine(tmp_path):
    """exp overflows here, so each column's maximum is subtracted first: exit 0, no warning."""
    path = tmp_path / "problem.yaml"
    path.write_text(doc(X="[[1e150, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]]", mask="causal"), encoding="utf-8")
    result = run(path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    json.loads(result.stdout, parse_constant=lambda constant: pytest.fail(f"{constant} in the JSON"))


# --- HANDCALC_DEBUG ----------------------------------------------------------------------
def test_debug_raises_the_error(tmp_path):
    path = tmp_path / "problem.yaml"
    path.write_text(doc(temprature="2"), encoding="utf-8")
    result = run(path, env={"HANDCALC_DEBUG": "1"})
    assert isinstance(result.exception, SchemaError)
    assert isinstance(result.exception, HandcalcError)
    assert result.exception.exit_code == 3
    assert "did you mean temperature?" in str(result.exception)
    assert result.exit_code == 1  # CliRunner's code for an exception that escaped: the traceback shows


def test_debug_unset_or_zero_does_not_raise(tmp_path):
    path = tmp_path / "problem.yaml"
    path.write_text(doc(temprature="2"), encoding="utf-8")
    assert run(path, env={"HANDCALC_DEBUG": "0"}).exit_code == 3
    assert run(path, env={"HANDCALC_DEBUG": None}).exit_code == 3


# --- exit 0 -----------------------------------------------------------------------------
def test_success_json(tmp_path):
    path = tmp_path / "problem.yaml"
    path.write_text(doc(), encoding="utf-8")
    result = run(path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert [step["name"] for step in data["steps"]][-2:] == ["A", "Z"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(doc().replace("W_q", "WQ").replace("W_k", "w_K") + "Temperature: 2\n", id="folded-keys"),
        pytest.param(doc(title='"a: b # c"'), id="title-with-punctuation"),
        pytest.param("%YAML 1.2\n---\n" + doc() + "...\n", id="directive-and-markers"),
        pytest.param("# a comment\n" + doc().replace("\n", "  # trailing\n"), id="comments"),
        pytest.param("X:\n  - [1, 0, 1, 0]\n  - [0, 2, 0, 2]\n  - [1, 1, 1, 1]\n" + doc(drop=("X",)), id="block-style"),
        pytest.param(doc(W_q='[["1/2", -.5, 1e0], [0, +1, "-3/4"]]'), id="fractions-and-decimals"),
        pytest.param(doc(mask="causal", scale="none", base="3", temperature="'1/2'"), id="options"),
        pytest.param(doc(X_kv="[[1, 0], [0, 1], [1, 1]]", mask="[[1, 0, 1, 1], [0, 1, 1, 1]]"), id="cross-with-mask"),
    ],
)
def test_odd_but_valid_files(tmp_path, text):
    path = tmp_path / "problem.yaml"
    path.write_text(text, encoding="utf-8")
    result = run(path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["steps"]


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--format", "text"],
        ["--format", "rich"],
        ["--example", "causal"],
        ["--example", "rows_layout", "--layout", "columns", "--precision", "0", "--only", "A,Z"],
        ["--precision", "15", "--full"],
    ],
    ids=lambda args: " ".join(args) or "no-args",
)
def test_success_exit_0(args):
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.strip()


@pytest.mark.parametrize("args", [["--version"], ["examples"], ["--help"], ["run", "--help"]])
def test_other_commands_exit_0(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip()


# --- exit 2: usage errors Click catches --------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (["--bogus"], "--bogus"),
        (["--precision", "-1"], "--precision"),
        (["--precision", "16"], "--precision"),
        (["--precision", "two"], "--precision"),
        (["--only", "NOPE"], "NOPE"),
        (["--only", ","], "--only"),
        (["--example", "nope"], "nope"),
        (["--format", "xml"], "--format"),
        (["--layout", "diagonal"], "--layout"),
        (["SAMPLE", "--example", "causal"], "--example"),
        (["SAMPLE", "extra-argument"], "extra-argument"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_usage_errors_exit_2(tmp_path, args, mentions):
    path = tmp_path / "problem.yaml"
    path.write_text(doc(), encoding="utf-8")
    result = run(*[str(path) if arg == "SAMPLE" else arg for arg in args])
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    assert mentions in result.stderr
    assert_one_usage_line(result.stderr, "handcalc run -h")


def assert_one_usage_line(stderr: str, help_command: str) -> None:
    """One ``Error:`` line that names the help to read: no usage block above it."""
    assert stderr.count("\n") == 1 and stderr.startswith("Error: "), stderr
    assert f"(see '{help_command}')" in stderr, stderr


def test_unknown_command_exits_2():
    result = runner.invoke(app, ["sing"])
    assert result.exit_code == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert_one_usage_line(result.stderr, "handcalc -h")
    assert "'sing'" in result.stderr


# --- --output ---------------------------------------------------------------------------
@pytest.fixture
def problem(tmp_path):
    path = tmp_path / "problem.yaml"
    path.write_text(doc(), encoding="utf-8")
    return path


def test_output_writes_the_text_format(problem, tmp_path):
    out = tmp_path / "out.txt"
    result = run(problem, "--output", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    written = out.read_text(encoding="utf-8")
    assert "\x1b[" not in written  # plain text, no colour codes
    assert "Q = W_q · X" in written
    assert written == run(problem, "--format", "text").stdout


def test_output_json(problem, tmp_path):
    out = tmp_path / "out.json"
    assert run(problem, "-o", out, "-f", "json").exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["layout"] == "columns"


def test_output_refuses_to_overwrite(problem, tmp_path):
    out = tmp_path / "out.txt"
    out.write_text("keep me\n", encoding="utf-8")
    result = run(problem, "--output", out)
    assert_one_error_line(result, "exists already; add --force to overwrite it", f"{out}: ")
    assert out.read_text(encoding="utf-8") == "keep me\n"


def test_output_force_overwrites(problem, tmp_path):
    out = tmp_path / "out.txt"
    out.write_text("old\n", encoding="utf-8")
    result = run(problem, "--output", out, "--force")
    assert result.exit_code == 0, result.stderr
    assert "Q = W_q · X" in out.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["plain", "force"])
def test_output_never_over_the_problem_file(problem, force):
    before = problem.read_bytes()
    result = run(problem, "--output", problem, *force)
    assert_one_error_line(result, "is an input of this command", f"{problem}: ")
    assert problem.read_bytes() == before


def test_output_never_over_the_problem_file_by_another_name(problem, tmp_path):
    before = problem.read_bytes()
    link = tmp_path / "link.yaml"
    link.symlink_to(problem)
    result = run(problem, "--output", link, "--force")
    assert result.exit_code == 3
    assert "is an input of this command" in result.stderr
    assert problem.read_bytes() == before


def test_output_to_a_directory(problem, tmp_path):
    assert_one_error_line(run(problem, "--output", tmp_path, "--force"), "is a directory", f"{tmp_path}: ")


def test_output_in_a_missing_directory(problem, tmp_path):
    out = tmp_path / "no" / "such" / "out.txt"
    assert_one_error_line(run(problem, "--output", out), "cannot be written", f"{out}: ")


def test_no_output_file_on_bad_input(tmp_path):
    path = tmp_path / "problem.yaml"
    path.write_text(doc(base="1"), encoding="utf-8")
    out = tmp_path / "out.txt"
    assert run(path, "--output", out).exit_code == 3
    assert not out.exists()
