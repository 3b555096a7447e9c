"""Each hostile input of issue 12, as a regression test: one ``Error: FILE:LINE:COL: …`` line
and exit 3 (never a hang, a traceback or a multi-line message), for a problem file (``run``),
an answers file (``check``) and a vector file (``softmax --file``) alike.

Nothing here reads the clock: a case that used to hang (a FIFO, /dev/zero, ``1e-100000000``,
thousands of nested brackets) is bounded by construction, and if it regressed the test would
hang rather than pass. The timing of each case is printed by ``benchmarks/hostile.py``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest
from conftest import ROOT, cli_runner

from handcalc.cli import app

runner = cli_runner()
CLASSIC = ROOT / "samples" / "self_attention.yaml"
GOOD = "X: [[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]]\nW_q: [[1, 0, 1], [0, 1, 1]]\nW_k: [[0, 1, 1], [1, 0, 0]]\n"
GOOD += "W_v: [[1, 1, 0], [0, 0, 1]]\n"  # lines 1-4; a line added after it is line 5


def invoke(*args) -> object:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = runner.invoke(app, [str(arg) for arg in args])
    assert [str(warning.message) for warning in caught] == []
    return result


def assert_refused(result, where: str, message: str) -> None:
    """Exit 3, nothing on stdout, one ``Error: WHERE…MESSAGE`` line on stderr."""
    assert result.exit_code == 3, (result.exit_code, result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n"), repr(result.stderr)
    assert result.stderr.startswith(f"Error: {where}"), (where, result.stderr)
    assert message in result.stderr, result.stderr


# The three readers of a YAML file, each given the same file.
READERS = {
    "run": lambda path: invoke("run", path, "--format", "json"),
    "check": lambda path: invoke("check", CLASSIC, path),
    "softmax": lambda path: invoke("softmax", "--file", path),
}


@pytest.fixture(params=sorted(READERS))
def reader(request):
    return READERS[request.param]


# --- files that are not files ------------------------------------------------------------------
def test_a_device_is_refused_without_reading_it(reader):
    assert_refused(reader(Path("/dev/zero")), "/dev/zero: ", "is a device")


def test_a_fifo_is_refused_without_blocking(reader, tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)  # no writer: opening it for reading would block forever
    assert_refused(reader(fifo), f"{fifo}: ", "is a FIFO")


@pytest.mark.parametrize("command", ["run", "softmax"])  # check reads a folder of answers files
def test_a_directory_is_refused(command, tmp_path):
    assert_refused(READERS[command](tmp_path), f"{tmp_path}: ", "is a directory")


def test_an_unreadable_file_is_exit_3(reader, tmp_path, monkeypatch):
    """A file the user may not read (made so by refusing its opening: the tests may run as
    root, who reads any file) is bad input, exit 3, like a missing one."""
    path = tmp_path / "secret.yaml"
    path.write_text(GOOD)
    real_open = os.open

    def refuse(name, *args, **kwargs):
        if os.fspath(name) == os.fspath(path):
            raise PermissionError(13, "Permission denied", os.fspath(name))
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    assert_refused(reader(path), f"{path}: ", "cannot be read: permission denied")


def test_a_growing_file_is_read_only_to_its_limit(reader, tmp_path):
    """More than 1 MiB is refused whatever the file's size said when it was looked at."""
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# " + b"x" * (1 << 20) + b"\n")
    assert_refused(reader(path), f"{path}: ", "may be at most 1 MiB")


# --- YAML that handcalc does not read ------------------------------------------------------------
# (a line added after a problem, line 5, and written as the top line of an answers file;
# the part of it that is refused, whose column is the error's; the message)
FEATURES = [
    pytest.param("title: !!int 1.5", "!!int", "YAML tags (!!int) are not allowed", id="int-tag"),
    pytest.param("title: !!bool 1", "!!bool", "YAML tags (!!bool) are not allowed", id="bool-tag"),
    pytest.param("title: !!set {a}", "!!set", "YAML tags (!!set) are not allowed", id="set-tag"),
    pytest.param("title: !!omap [a: 1]", "!!omap", "YAML tags (!!omap) are not allowed", id="omap-tag"),
    pytest.param("W_o: !foo [[1, 0]]", "!foo", "YAML tags (!foo) are not allowed", id="local-tag"),
    pytest.param("title: ! x", "!", "YAML tags (!) are not allowed", id="non-specific-tag"),
    pytest.param("title: &a x", "&a", "YAML anchors and aliases", id="anchor"),
    pytest.param("? {a: 1}\n: 2", "{", "keys are", id="mapping-as-key"),
    pytest.param("? [a]\n: 2", "[", "keys are", id="list-as-key"),
]


@pytest.mark.parametrize(("line", "refused", "message"), FEATURES)
def test_yaml_features_are_refused_where_they_are_written(tmp_path, line, refused, message):
    problem = tmp_path / "problem.yaml"
    problem.write_text(GOOD + line + "\n")
    assert_refused(invoke("run", problem), f"{problem}:5:{line.index(refused) + 1}: ", message)
    answers = tmp_path / "answers.yaml"
    line = line.replace("title", "Q").replace("W_o", "K")
    answers.write_text(line + "\n")
    assert_refused(invoke("check", CLASSIC, answers), f"{answers}:1:{line.index(refused) + 1}: ", message)


def test_a_tag_in_a_vector_file(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("[1, !!str 2]\n")
    assert_refused(invoke("softmax", "--file", path), f"{path}:1:5: ", "YAML tags (!!str)")


@pytest.mark.parametrize("depth", [6, 1000, 10_000])
def test_deep_nesting_is_refused_at_the_sixth_bracket(reader, tmp_path, depth):
    path = tmp_path / "deep.yaml"
    path.write_text("[" * depth + "]" * depth + "\n")
    assert_refused(reader(path), f"{path}:1:6: ", "nested more than 5 deep")


def test_deep_nesting_of_block_mappings(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("".join(f"{' ' * i}a{i}:\n" for i in range(8)) + " " * 8 + "1\n")
    assert_refused(invoke("run", path), f"{path}:6:6: ", "nested more than 5 deep")


def test_a_list_longer_than_a_matrix_is_refused_as_it_is_read(reader, tmp_path):
    path = tmp_path / "long.yaml"
    path.write_text("[[" + "1, " * 300 + "1]]\n")
    assert_refused(reader(path), f"{path}:1:{3 + 256 * 3}: ", "a list of more than 256 items")


def test_yaml_1_1_is_refused_in_one_line(reader, tmp_path):
    path = tmp_path / "old.yaml"
    path.write_text("%YAML 1.1\n---\n" + GOOD)
    assert_refused(reader(path), f"{path}:1:1: ", "%YAML 1.1: handcalc reads YAML 1.2")


def test_yaml_1_2_directive_is_fine(tmp_path):
    path = tmp_path / "new.yaml"
    path.write_text("%YAML 1.2\n---\n" + GOOD)
    assert invoke("run", path, "--format", "json").exit_code == 0


def test_a_nul_byte_is_placed(reader, tmp_path):
    path = tmp_path / "nul.yaml"
    path.write_bytes(b"[1,\n 2\x00]\n")
    assert_refused(reader(path), f"{path}:2:3: ", "is a binary file")


def test_a_lone_surrogate_escape_is_refused(reader, tmp_path):
    path = tmp_path / "surrogate.yaml"
    path.write_text('["\\ud83d"]\n')
    assert_refused(reader(path), f"{path}:1:", "malformed YAML")


# --- numbers that would take minutes to build -----------------------------------------------
@pytest.mark.parametrize(
    ("cell", "message"),
    [
        pytest.param('"1e-100000000"', "is too small to be a number handcalc reads", id="quoted-tiny"),
        pytest.param("1e-100000000", "is too small to be a number handcalc reads", id="plain-tiny"),
        pytest.param('"1e999999999"', "is too large to be a finite number", id="quoted-huge"),
        pytest.param("1e999999999", "expected a finite number", id="plain-huge"),
        pytest.param('"1e-99999999999999999999"', "is too small", id="exponent-of-many-digits"),
    ],
)
def test_extreme_exponents_are_refused_at_once(tmp_path, cell, message):
    problem = tmp_path / "problem.yaml"
    problem.write_text(GOOD.replace("[[1, 0, 1, 0]", f"[[{cell}, 0, 1, 0]"))
    assert_refused(invoke("run", problem), f"{problem}:1:6: ", message)
    vector = tmp_path / "x.yaml"
    vector.write_text(f"[1, {cell}]\n")
    assert_refused(invoke("softmax", "--file", vector), f"{vector}:1:5: ", message)


@pytest.mark.parametrize("cell", ["1e-100000000", '"1e-100000000"', "1e999999999"])
def test_extreme_exponents_in_an_answers_file(tmp_path, cell):
    answers = tmp_path / "answers.yaml"
    answers.write_text(f"Q: [[{cell}, 1, 2, 1], [1, 3, 1, 3]]\n")
    assert_refused(invoke("check", CLASSIC, answers), f"{answers}:1:6: ", "Q[1,1]")


@pytest.mark.parametrize(
    "args",
    [["1", "1e-100000000"], ["1", "--base", "1e999999999"], ["1", "--temperature", "1e-100000000"]],
    ids=["number", "base", "temperature"],
)
def test_extreme_exponents_as_softmax_arguments(args):
    result = invoke("softmax", *args)
    assert result.exit_code == 3 and result.stderr.count("\n") == 1, result.stderr
    assert "is too small" in result.stderr or "is too large" in result.stderr, result.stderr
