"""Each hostile input of issue 12, as a regression test: one ``Error: FILE:LINE:COL: …`` line
and exit 3 (never a hang, a traceback or a multi-line message), for a problem file (``run``),
an answers file (``check``) and a vector file (``softmax --file``) alike.

Nothing here reads the clock: a case that used to hang (a FIFO, /dev/zero, ``1e-100000000``,
thousands of nested brackets) is bounded by construction, and if it regressed the test would
hang rather than pass. The timing of each case is printed by ``benchmarks/hostile.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


# --- safe output -----------------------------------------------------------------------------------
HOSTILE_TITLE = 'title: "\\e]0;HACKED\\a\\e[2Jcleared\\nsecond line"\n'
HOSTILE_TOKENS = 'tokens: ["a\\nb", "c\\rd", "e\\tf", "' + "w" * 300 + '"]\n'


@pytest.mark.parametrize("fmt", ["text", "rich", "markdown", "latex", "html"])
def test_control_characters_in_titles_and_labels_are_shown_escaped(tmp_path, fmt):
    path = tmp_path / "problem.yaml"
    path.write_text(HOSTILE_TITLE + HOSTILE_TOKENS + GOOD)
    result = invoke("run", path, "--format", fmt, "--only", "X")
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\r" not in result.stdout
    assert "HACKED" in result.stdout and "cleared" in result.stdout  # shown, written out
    assert "second line" not in result.stdout.split("cleared")[0].splitlines()[-1:]  # on the title's own line
    assert "w" * 300 not in result.stdout  # a label is cut short, with …
    assert "w" * 20 in result.stdout or fmt == "latex"  # LaTeX draws a matrix without labels


def test_a_newline_in_a_label_cannot_break_a_table(tmp_path):
    path = tmp_path / "problem.yaml"
    path.write_text(HOSTILE_TOKENS + GOOD)
    result = invoke("run", path, "--format", "markdown", "--only", "X")
    table = [line for line in result.stdout.splitlines() if line.startswith("|")]
    assert len(table) == 2 + 3  # the header, the rule, and X's three rows: no line split in two
    assert len({line.count("|") - line.count("\\|") for line in table}) == 1


def test_json_keeps_titles_and_labels_as_written(tmp_path):
    """JSON escapes control characters itself: its strings are the input's, not shortened."""
    path = tmp_path / "problem.yaml"
    path.write_text(HOSTILE_TITLE + HOSTILE_TOKENS + GOOD)
    document = json.loads(invoke("run", path, "--format", "json").stdout)
    assert document["title"] == "\x1b]0;HACKED\x07\x1b[2Jcleared\nsecond line"
    assert document["tokens"][0] == "a\nb" and document["tokens"][3] == "w" * 300


@pytest.mark.parametrize(
    "args",
    [["run", CLASSIC, "--format", "text"], ["run", CLASSIC, "--format", "rich", "--explain"],
     ["softmax", "1", "2", "-1"], ["check", CLASSIC, ROOT / "samples" / "answers" / "self_attention_mistakes.yaml"]],
    ids=["run", "run-rich-explain", "softmax", "check"],
)  # fmt: skip
@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_stdout_that_is_not_utf8_gets_plain_symbols(args, encoding):
    """A real process: its stdout is a pipe in ``encoding``, as PYTHONIOENCODING makes it."""
    env = {**os.environ, "PYTHONIOENCODING": encoding, "COLUMNS": "100"}
    code = "import sys; from handcalc.cli import main; sys.argv[0] = 'handcalc'; main()"
    child = subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env, capture_output=True, check=False)
    assert child.returncode in (0, 1), child.stderr.decode(errors="replace")[-2000:]
    assert child.stderr == b""
    text = child.stdout.decode(encoding)
    assert "Traceback" not in text and len(text.splitlines()) > 5
    assert "\\u2212" not in text and "\\u221e" not in text  # −∞ written as -inf, not as escapes
    assert text.isascii() or encoding != "ascii"


@pytest.mark.parametrize("columns", ["1", "5", "20"])
@pytest.mark.parametrize("fmt", ["text", "rich", "markdown"])
def test_any_terminal_width(columns, fmt):
    result = runner.invoke(app, ["run", str(CLASSIC), "--format", fmt, "--explain", "--show-work"],
                           env={"COLUMNS": columns})  # fmt: skip
    assert result.exit_code == 0, result.exception
    assert "A = exp / sums" in result.stdout.replace("\n", " ") or "exp" in result.stdout


@pytest.mark.parametrize("base", ["2.5", "'5/2'", "3", "1e300"])
def test_explain_with_any_base(tmp_path, base):
    path = tmp_path / "problem.yaml"
    path.write_text(GOOD + f"base: {base}\n")
    result = invoke("run", path, "--explain", "--format", "text")
    assert result.exit_code in (0, 3) and "Traceback" not in result.stderr, result.exception
    if result.exit_code == 0:
        assert "ln" in result.stdout or "base" in result.stdout


def test_exact_fractions_too_long_switch_to_decimals_and_say_where(tmp_path):
    """1,200-digit fractions: the products would have thousands of digits; the steps that
    would are decimals, and a note under the first of them says so."""
    path = tmp_path / "problem.yaml"
    path.write_text("X: [['" + "1" * 1200 + "/" + "7" * 1199 + "', 1], [1, '1/" + "3" * 1100 + "']]\n"
                    "W_q: [[1, 2], [3, 4]]\nW_k: [[1, 0], [0, 1]]\nW_v: [[1, 1], [0, 1]]\n")  # fmt: skip
    result = invoke("run", path, "--exact", "--format", "json")
    assert result.exit_code == 0, result.stderr
    steps = {step["name"]: step["value"] for step in json.loads(result.stdout)["steps"]}
    assert isinstance(steps["X"][0][0], str) and len(steps["X"][0][0]) > 2000  # the input, exact as written
    assert not any(isinstance(cell, str) for row in steps["Q"] for cell in row)  # decimals: Q would pass 24 digits
    text = invoke("run", path, "--exact", "--format", "text", "--only", "Q").stdout
    assert "The fractions of Q would have more than 24 digits, so from here on the values are decimals" in " ".join(
        text.split())


def test_exact_fractions_that_stay_short_stay_exact(tmp_path):
    path = tmp_path / "problem.yaml"
    path.write_text("X: [['1/3', 1], [1, '2/7']]\nW_q: [[1, 2], [3, 4]]\nW_k: [[1, 0], [0, 1]]\nW_v: [[1, 1], [0, 1]]\n")
    steps = {s["name"]: s["value"] for s in json.loads(invoke("run", path, "--exact", "--format", "json").stdout)["steps"]}
    # Q = W_q · X by hand: [[1/3 + 2, 1 + 4/7], [1 + 4, 3 + 8/7]]
    assert steps["Q"] == [["7/3", "11/7"], [5, "29/7"]]


def test_a_check_batch_marks_the_good_files_and_refuses_each_bad_one_in_a_line(tmp_path):
    """A device, a FIFO and a tiny exponent among a class's files: each is one Error line,
    the batch neither hangs nor stops, and exits 3."""
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text("Q: [[1e-100000000, 1, 2, 1], [1, 3, 1, 3]]\n")
    right = ROOT / "samples" / "answers" / "self_attention_right.yaml"
    result = invoke("check", CLASSIC, right, "/dev/zero", fifo, tiny, "--format", "json")
    assert result.exit_code == 3
    errors = result.stderr.splitlines()
    assert [line.split(":")[1].strip() for line in errors] == ["/dev/zero", str(fifo), str(tiny)]
    assert all(line.startswith("Error: ") for line in errors)
    assert json.loads(result.stdout)  # the right file is marked all the same


@pytest.mark.parametrize("base", ["1e-100000000", "1e999999999"])
def test_a_class_set_base_with_an_extreme_exponent_is_refused_at_once(tmp_path, base):
    result = invoke("worksheet", "--variants", "2", "--base", base, "-o", tmp_path / "set.pdf")
    assert result.exit_code == 2 and "--base" in result.stderr, result.stderr
    assert not (tmp_path / "set.pdf").exists()


@pytest.mark.parametrize("exact", [[], ["--exact"]], ids=["decimals", "exact"])
def test_an_exact_step_beyond_double_precision_is_an_overflow_error(tmp_path, exact):
    """scale and temperature of 1e-300 divide the scores by 1e-600: too long to stay exact and
    too large for a float, it is the one-line overflow error (found by the fuzz suite)."""
    path = tmp_path / "problem.yaml"
    path.write_text(GOOD + "temperature: 1e-300\nscale: 1e-300\n")
    assert_refused(invoke("run", path, *exact), f"{path}: ", "scaled overflows double precision")


def test_an_unreadable_folder_of_answers_is_exit_3(tmp_path, monkeypatch):
    """A folder the user may not list (made so by refusing its listing: the tests may run
    as root): one Error line naming it, exit 3."""
    folder = tmp_path / "class"
    folder.mkdir()
    real_iterdir = Path.iterdir

    def refuse(self):
        if self == folder:
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", refuse)
    assert_refused(invoke("check", CLASSIC, folder), f"{folder}: ", "cannot be read: Permission denied")


def test_a_worksheet_shows_titles_and_labels_escaped(tmp_path):
    path, sheet = tmp_path / "problem.yaml", tmp_path / "sheet.md"
    path.write_text(HOSTILE_TITLE + HOSTILE_TOKENS + GOOD)
    result = invoke("worksheet", path, "-o", sheet)
    assert result.exit_code == 0, result.stderr
    text = sheet.read_text(encoding="utf-8")
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    assert "cleared\\\\nsecond line" in text or "cleared\\nsecond line" in text  # the title on one line
    assert "w" * 300 not in text
