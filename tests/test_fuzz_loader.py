"""Fuzzing ``handcalc run FILE --format json`` with random and mutated problem files.

Whatever the file holds, only two outcomes are allowed: exit 0 with valid JSON on stdout
(no NaN, no Infinity) and nothing on stderr, or exit 3 with exactly one ``Error: ...`` line
on stderr (naming the file) and nothing on stdout. Never another exit code, never a traceback,
never a warning.

The inputs are random text, random bytes, the bundled samples mutated (characters and lines
deleted, duplicated, swapped; YAML punctuation inserted; numbers and keys replaced by odd
tokens), and random problems built from matrices of nearly-fitting shapes. Hypothesis is
derandomized and has no example database, so CI sees the same examples on every run.
"""

from __future__ import annotations

import json
import re
import traceback
import warnings
from pathlib import Path

import pytest
from conftest import cli_runner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handcalc.cli import app

SAMPLES_DIR = Path(__file__).parent.parent / "samples"
SAMPLES = {path.stem: path.read_text(encoding="utf-8") for path in SAMPLES_DIR.glob("*.yaml")}

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


runner = cli_runner()

# Tokens that replace a number: not numbers, not finite, not plain, or not even scalars.
ODD_VALUES = [
    ".nan", "-.nan", ".inf", "-.inf", "1e999", "-1e400", "1" + "0" * 400, "9" * 5000, "true", "false", "yes", "no",
    "on", "2026-01-01", "2026-01-01T10:00:00", "~", "null", "", '"1/0"', '"1/x"', "'1/3'", '"-2/4"', '"nan"', '"inf"',
    "0x1F", "0o17", "0b101", "1_000", ".5", "-.5", "+1", "1e-400", "1e300", "-1e300", "1e-300", "0", "-0", "-0.0",
    "[]", "{}", "[1]", "[[1]]", "{a: 1}", "1, 2", "&a 1", "*a", "!!str 1", "!!float 1", "!!binary aGk=", "!tag 1",
    "<<", "'", '"', "|", ">", "? 1", "- 1", "#", "%", "@", "`", "\t", "\x00", "\ufeff", "é", "∞", "−1",
]  # fmt: skip
ODD_KEYS = [
    "X", "W_q", "W_k", "W_v", "X_kv", "W_o", "wq", "W_Q", "w_k", "Wqq", "x", "xkv", "temprature", "temperature",
    "scale", "base", "mask", "layout", "tokens", "title", "heads", "round", "<<", '"a\\nb"', "1", "null", "? [1]",
    "'W_q'", "",
]  # fmt: skip
PUNCTUATION = list("[]{}:,&*!|>-#\"'?%@`\\") + ["\n", " ", "\t", ": ", "- ", "\n  ", "---\n", "...\n", "\r"]
NUMBER = re.compile(r"(?<![\w.\"'/])-?\d+(?:\.\d+)?(?![\w.\"'/])")
KEY = re.compile(r"^([A-Za-z_]+):", re.MULTILINE)


# --- the one property -------------------------------------------------------------------
@pytest.fixture(scope="module")
def problem_file(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz") / "problem.yaml"


def assert_clean_outcome(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    with warnings.catch_warnings(record=True) as caught:  # a warning is printed on stderr too
        warnings.simplefilter("always")
        result = runner.invoke(app, ["run", str(path), "--format", "json"])
    shown = f"input: {data[:2000]!r}\nexit: {result.exit_code}\nstderr: {result.stderr[:2000]!r}"
    if result.exc_info is not None and not isinstance(result.exception, SystemExit):
        shown += "\n" + "".join(traceback.format_exception(*result.exc_info))
    assert "Traceback" not in result.stdout + result.stderr, shown
    assert [str(warning.message) for warning in caught] == [], shown
    assert result.exit_code in (0, 3), shown
    if result.exit_code == 0:
        assert result.stderr == "", shown
        document = json.loads(result.stdout, parse_constant=_refuse)  # strict JSON: no NaN or Infinity
        assert {"title", "layout", "tokens", "steps"} <= set(document), shown
        assert [step["name"] for step in document["steps"]][-1] in ("Z", "output"), shown
    else:
        assert isinstance(result.exception, SystemExit), shown
        assert result.stdout == "", shown
        assert result.stderr.startswith(f"Error: {path}"), shown  # every error names the file
        assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1, shown
        assert len(result.stderr) < 600, shown


def _refuse(constant: str):
    raise AssertionError(f"the JSON holds {constant}, which is not JSON")


# --- random text and bytes ------------------------------------------------------------
yaml_alphabet = st.sampled_from(list("XWqkvo_:[]{},-#&*!|>'\"? \n\t0123456789.e/+~") + ["W_q", "W_k", "W_v", "X"])


@settings(FUZZ, max_examples=150)
@given(text=st.text(max_size=200))
def test_random_text(problem_file, text):
    assert_clean_outcome(problem_file, text.encode("utf-8", "surrogatepass"))


@settings(FUZZ, max_examples=150)
@given(text=st.lists(yaml_alphabet, max_size=120).map("".join))
def test_random_yaml_like_text(problem_file, text):
    assert_clean_outcome(problem_file, text.encode("utf-8"))


@settings(FUZZ, max_examples=100)
@given(data=st.binary(max_size=300))
def test_random_bytes(problem_file, data):
    assert_clean_outcome(problem_file, data)


# --- mutated samples ----------------------------------------------------------------------
def _index(draw, text: str, extra: int = 0) -> int:
    return draw(st.integers(0, max(len(text) - 1 + extra, 0)))


def delete_char(draw, text):
    i = _index(draw, text)
    return text[:i] + text[i + 1 :]


def duplicate_char(draw, text):
    i = _index(draw, text)
    return text[: i + 1] + text[i:]


def swap_chars(draw, text):
    if len(text) < 2:
        return text
    i, j = sorted((_index(draw, text), _index(draw, text)))
    return text[:i] + text[j] + text[i + 1 : j] + text[i] + text[j + 1 :] if i < j else text


def insert_punctuation(draw, text):
    i = _index(draw, text, extra=1)
    return text[:i] + draw(st.sampled_from(PUNCTUATION)) + text[i:]


def _lines(draw, text):
    lines = text.splitlines(keepends=True) or [""]
    return lines, draw(st.integers(0, len(lines) - 1))


def delete_line(draw, text):
    lines, i = _lines(draw, text)
    return "".join(lines[:i] + lines[i + 1 :])


def duplicate_line(draw, text):
    lines, i = _lines(draw, text)
    return "".join(lines[: i + 1] + lines[i:])


def swap_lines(draw, text):
    lines, i = _lines(draw, text)
    j = draw(st.integers(0, len(lines) - 1))
    lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines)


def indent_line(draw, text):
    lines, i = _lines(draw, text)
    lines[i] = draw(st.sampled_from([" ", "  ", "\t", "- "])) + lines[i]
    return "".join(lines)


def replace_number(draw, text):
    numbers = list(NUMBER.finditer(text))
    if not numbers:
        return text
    match = draw(st.sampled_from(numbers))
    return text[: match.start()] + draw(st.sampled_from(ODD_VALUES)) + text[match.end() :]


def replace_key(draw, text):
    keys = list(KEY.finditer(text))
    if not keys:
        return text
    match = draw(st.sampled_from(keys))
    return text[: match.start(1)] + draw(st.sampled_from(ODD_KEYS)) + text[match.end(1) :]


def add_line(draw, text):
    key = draw(st.sampled_from(ODD_KEYS))
    value = draw(st.sampled_from(ODD_VALUES + ["causal", "none", "rows", "columns", "sqrt_dk", "e", "3", "[[1, 0]]"]))
    lines, i = _lines(draw, text)
    return "".join(lines[:i] + [f"{key}: {value}\n"] + lines[i:])


MUTATIONS = [
    delete_char, duplicate_char, swap_chars, insert_punctuation, delete_line, duplicate_line, swap_lines,
    indent_line, replace_number, replace_number, replace_key, add_line,
]  # fmt: skip


@st.composite
def mutated_samples(draw):
    text = SAMPLES[draw(st.sampled_from(sorted(SAMPLES)))]
    for _ in range(draw(st.integers(1, 5))):
        text = draw(st.sampled_from(MUTATIONS))(draw, text)
    return text


def test_the_samples_are_there():
    assert len(SAMPLES) >= 5


@settings(FUZZ, max_examples=500)
@given(text=mutated_samples())
def test_mutated_samples(problem_file, text):
    assert_clean_outcome(problem_file, text.encode("utf-8", "surrogatepass"))


# --- random problems of nearly-fitting shapes -----------------------------------------------
SMALL = st.integers(-3, 3).map(str)
CELLS = {
    "plain": st.one_of(SMALL, st.sampled_from(['"1/3"', '"-2/5"', "0.5", "-.25", "1e2", "2.5e-1", "100", "-100"])),
    # products and exponentials that overflow or underflow double precision
    "huge": st.one_of(SMALL, st.sampled_from(["1e300", "-1e300", "1e200", "-1e154", "1e154", "710", "-745", "1e-300"])),
    "odd": st.one_of(SMALL, SMALL, st.sampled_from(ODD_VALUES)),
}


def near(draw, size: int) -> int:
    """Mostly ``size``, sometimes one more or one less (a shape mismatch)."""
    return max(1, size + draw(st.sampled_from([0] * 8 + [-1, 1])))


def matrix(draw, rows: int, cols: int, cells: st.SearchStrategy[str]) -> str:
    cell = draw(st.sampled_from([cells, SMALL]))  # some matrices of a problem are plain
    body = [[draw(cell) for _ in range(cols)] for _ in range(rows)]
    return "[" + ", ".join("[" + ", ".join(row) + "]" for row in body) + "]"


@st.composite
def random_problems(draw):
    layout = draw(st.sampled_from(["columns", "rows", None]))
    d_model, n, m, d_k, d_v, d_o = (draw(st.integers(1, 4)) for _ in range(6))
    cross = draw(st.booleans())
    flavour = draw(st.sampled_from(["plain", "plain", "huge", "odd"]))

    def shaped(rows, cols):  # written in the file's layout: the rows layout holds the transpose
        rows, cols = near(draw, rows), near(draw, cols)
        return matrix(draw, *((rows, cols) if layout != "rows" else (cols, rows)), CELLS[flavour])

    m = m if cross else n
    fields = {
        "X": shaped(d_model, n),
        "W_q": shaped(d_k, d_model),
        "W_k": shaped(d_k, d_model),
        "W_v": shaped(d_v, d_model),
    }
    if layout:
        fields["layout"] = layout
    if cross:
        fields["X_kv"] = shaped(d_model, m)
    if draw(st.booleans()):
        fields["W_o"] = shaped(d_o, d_v)
    mask = draw(st.sampled_from(["none", "causal", "matrix", None]))
    if mask == "matrix":
        allowed = st.sampled_from(["1"] * 3 + ["0"] * 2 + (["2", "true", "-1"] if flavour == "odd" else []))
        fields["mask"] = "[" + ", ".join(
            "[" + ", ".join(draw(allowed) for _ in range(near(draw, n if layout == "rows" else m))) + "]"
            for _ in range(near(draw, m if layout == "rows" else n))
        ) + "]"
    elif mask:
        fields["mask"] = mask
    for key, choices in {
        "scale": ["sqrt_dk", "none", "2", "0.5", "'1/3'", "0", "-1", "1e-300"],
        "temperature": ["1", "2", "0.1", "'1/2'", "0", "-2", "1e-300"],
        "base": ["e", "3", "2", "1.5", "1", "0.5", "10"],
        "tokens": ["[" + ", ".join(f"t{i}" for i in range(near(draw, n))) + "]"],
        "title": ["Fuzzed", '"A: title"', "[x]"],
    }.items():
        if draw(st.booleans()):
            fields[key] = draw(st.sampled_from(choices))
    keys = draw(st.permutations(list(fields)))
    return "".join(f"{key}: {fields[key]}\n" for key in keys)


@settings(FUZZ, max_examples=400)
@given(text=random_problems())
def test_random_problems(problem_file, text):
    assert_clean_outcome(problem_file, text.encode("utf-8"))
