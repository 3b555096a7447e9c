"""A seeded fuzz suite over problem and answers documents, every command option with it.

Each case is a bundled sample (or a sample answers file) changed by a few random mutations
drawn from the hostile inputs of issue 12: numbers with absurd exponents, tags, anchors,
merge keys, deep nesting, control characters and newlines in titles and labels, keys and
values of the wrong kind. Whatever the document, ``handcalc`` may only exit 0 (1 for check)
with nothing on stderr, or exit 3 with exactly one ``Error: FILE…`` line: never another
code, a traceback, a warning, or a second line.

The bulk runs in process (CliRunner); a sample of the worst cases runs in a child process
whose memory is capped, and its peak is measured (no clock is read anywhere). The seeds are
fixed, so CI sees the same documents on every run; ``FUZZ_CASES`` makes a longer run.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import traceback
import warnings
from pathlib import Path

import pytest
from conftest import ROOT, cli_runner

from handcalc.cli import app

runner = cli_runner()
CASES = int(os.environ.get("FUZZ_CASES", "700"))  # per test below; 4 tests: a few thousand in all
SAMPLES = {path.name: path.read_text(encoding="utf-8") for path in sorted((ROOT / "samples").glob("*.yaml"))}
CLASSIC = ROOT / "samples" / "self_attention.yaml"
ANSWERS = [(ROOT / "samples" / "answers" / name).read_text(encoding="utf-8")
           for name in ("self_attention_right.yaml", "self_attention_mistakes.yaml")]  # fmt: skip

HOSTILE_VALUES = [
    "1e-100000000", '"1e-100000000"', "1e999999999", '"1e999999999"', "-1e400", '"1/0"', '"1/3"', '"-2/4"',
    '"' + "1" * 1200 + "/" + "7" * 1200 + '"', "9" * 4001, "1" + "0" * 330, "1e300", "-1e300", "1e-300", "2.5",
    "0", "-0.0", ".nan", "-.inf", "!!int 1.5", "!!bool 1", "!!set {a}", "!!omap [a: 1]", "!foo [1]", "! 1",
    "&a 1", "*a", "[" * 40 + "]" * 40, "{a: 1}", "[]", "[[]]", "null", "~", "true", "yes", "2026-01-01",
    '"\\ud83d"', '"\\e]0;HACKED\\a\\e[2J"', '"a\\nb"', '"\\0"', "0x1F", "0o17", "1_000", ".5", "'1/3'", "\"nan\"",
]  # fmt: skip
HOSTILE_KEYS = ["<<", "? {a: 1}", "? [a]", "!!str X", "&k X", "1", "null", "W_Q", "Wq", "heads", "round", "base",
                "title", "tokens", "mask", "scale", "temperature", "layout", "X_kv", "W_o", "x"]  # fmt: skip
HOSTILE_LINES = [
    'title: "\\e]0;HACKED\\a\\e[2Jx\\ny"', "title: !!binary aGk=", "round: 1", "round: 15", "base: 2.5",
    "base: 1e300", 'base: "1e-100000000"', "temperature: 1e-300", "scale: 1e-300", "mask: causal",
    "%YAML 1.1", "%YAML 1.2", "%TAG ! tag:x,2000:", "---", "...", "<<: {title: x}", "title: &t x",
    "tokens: [\"a\\nb\", \"c|d\", \"[bold]x[/]\", \"" + "L" * 300 + "\"]", "layout: rows", "\0", "\t",
]  # fmt: skip
NUMBER = re.compile(r"(?<![\w.\"'/])-?\d+(?:\.\d+)?(?![\w.\"'/])")
KEY = re.compile(r"^([A-Za-z_]+):", re.MULTILINE)

RUN_OPTIONS = [
    ["--format", "json"], ["--format", "text"], ["--format", "text", "--exact"], ["--format", "rich"],
    ["--format", "markdown", "--explain"], ["--format", "text", "--show-work", "--explain"],
    ["--format", "latex", "--round", "1"], ["--format", "html", "--full"], ["--format", "text", "--layout", "rows"],
]  # fmt: skip
CHECK_OPTIONS = [["--format", "text"], ["--format", "json"], ["--format", "text", "--ecf"]]


# --- mutations: each takes a random generator and a text -------------------------------------
def replace_number(rng: random.Random, text: str) -> str:
    numbers = list(NUMBER.finditer(text))
    if not numbers:
        return text
    match = rng.choice(numbers)
    return text[: match.start()] + rng.choice(HOSTILE_VALUES) + text[match.end() :]


def replace_key(rng: random.Random, text: str) -> str:
    keys = list(KEY.finditer(text))
    if not keys:
        return text
    match = rng.choice(keys)
    return text[: match.start(1)] + rng.choice(HOSTILE_KEYS) + text[match.end(1) :]


def add_line(rng: random.Random, text: str) -> str:
    lines = text.splitlines(keepends=True) or [""]
    i = rng.randrange(len(lines) + 1)
    return "".join([*lines[:i], rng.choice(HOSTILE_LINES) + "\n", *lines[i:]])


def cut(rng: random.Random, text: str) -> str:
    i, j = sorted(rng.randrange(len(text) + 1) for _ in range(2))
    return text[:i] + text[j : j + rng.randrange(3)] + text[j:] if rng.random() < 0.5 else text[:i] + text[j:]


def insert_punctuation(rng: random.Random, text: str) -> str:
    i = rng.randrange(len(text) + 1)
    return text[:i] + rng.choice(list("[]{}:,&*!|>-#\"'?%@`\\") + ["\n", "\n  ", ": ", "- "]) + text[i:]


def nest(rng: random.Random, text: str) -> str:
    depth = rng.choice([3, 6, 50, 2000])
    return text.replace("[[", "[" * depth + "[", 1).replace("]]", "]" * depth + "]", 1)


# numbers and lines that are valid but odd: the documents that get through to the renderers
ODD_NUMBERS = ['"1/3"', '"-2/4"', "2.5", "1e300", "-1e300", "1e-300", "1e150", "-0.0", ".5", "1_000", "0x1F",
               '"' + "1" * 1200 + "/" + "7" * 1199 + '"', "123456789012345678901234567890", "-7"]  # fmt: skip
ODD_LINES = ['title: "\\e]0;HACKED\\a\\e[2Jx\\ny"', "round: 1", "round: 0", "base: 2.5", "base: 3",
             "temperature: 1e-300", "scale: 1e-300", "temperature: '1/7'", "mask: causal", "layout: rows"]  # fmt: skip


def odd_number(rng: random.Random, text: str) -> str:
    numbers = list(NUMBER.finditer(text))
    if not numbers:
        return text
    match = rng.choice(numbers)
    return text[: match.start()] + rng.choice(ODD_NUMBERS) + text[match.end() :]


def odd_line(rng: random.Random, text: str) -> str:
    line = rng.choice(ODD_LINES)
    return text if line.split(":")[0] + ":" in text else text + line + "\n"


HOSTILE = [replace_number, replace_number, replace_key, add_line, add_line, cut, insert_punctuation, nest]
ODD = [odd_number, odd_number, odd_line]


def mutated(rng: random.Random, text: str) -> str:
    """Half of the documents made odd but valid, half hostile (one or two changes each)."""
    mutations = ODD if rng.random() < 0.5 else HOSTILE
    for _ in range(rng.randint(1, 2)):
        text = rng.choice(mutations)(rng, text)
    return text


# --- the one property --------------------------------------------------------------------------
def assert_clean(result, path: Path, document: str, allowed: tuple[int, ...]) -> None:
    shown = f"document: {document[:1500]!r}\nexit: {result.exit_code}\nstderr: {result.stderr[:1500]!r}"
    if result.exc_info is not None and not isinstance(result.exception, SystemExit):
        shown += "\n" + "".join(traceback.format_exception(*result.exc_info))
    assert isinstance(result.exception, (SystemExit, type(None))), shown
    assert result.exit_code in (*allowed, 3), shown
    if result.exit_code == 3:
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, shown
        assert str(path) in result.stderr or "Error: " in result.stderr, shown
        assert len(result.stderr) < 600, shown
    else:
        assert result.stderr == "", shown


def invoke(args: list[str]):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = runner.invoke(app, args)
    assert [str(warning.message) for warning in caught] == [], args
    return result


@pytest.mark.parametrize("seed", [1, 2])
def test_problem_documents(tmp_path, seed):
    rng = random.Random(seed)
    path = tmp_path / "problem.yaml"
    for _ in range(CASES // 2):
        document = mutated(rng, rng.choice(list(SAMPLES.values())))
        path.write_text(document, encoding="utf-8", errors="surrogatepass")
        options = rng.choice(RUN_OPTIONS)
        result = invoke(["run", str(path), *options])
        assert_clean(result, path, document, (0,))
        if result.exit_code == 0 and options == ["--format", "json"]:
            json.loads(result.stdout, parse_constant=lambda constant: pytest.fail(f"{constant} in JSON"))


@pytest.mark.parametrize("seed", [3, 4])
def test_answers_documents(tmp_path, seed):
    rng = random.Random(seed)
    path = tmp_path / "answers.yaml"
    for _ in range(CASES // 2):
        document = mutated(rng, rng.choice(ANSWERS))
        path.write_text(document, encoding="utf-8", errors="surrogatepass")
        result = invoke(["check", str(CLASSIC), str(path), *rng.choice(CHECK_OPTIONS)])
        assert_clean(result, path, document, (0, 1))


# --- the worst of them, in a child process with capped memory ----------------------------------
WORST = {
    "tiny-exponent.yaml": 'X: [["1e-100000000", 0], [0, 1]]\nW_q: [[1, 0]]\nW_k: [[1, 0]]\nW_v: [[1, 0]]\n',
    "deep.yaml": "X: " + "[" * 10_000 + "]" * 10_000 + "\n",
    "long-fractions.yaml": "X: [['" + "1" * 1200 + "/" + "7" * 1199 + "', 1], [1, '1/" + "3" * 1100 + "']]\n"
    "W_q: [[1, 2], [3, 4]]\nW_k: [[1, 0], [0, 1]]\nW_v: [[1, 1], [0, 1]]\n",
    "huge-rounded.yaml": "X: [[1e300, 0], [0, 1]]\nW_q: [[1, 0], [0, 1]]\nW_k: [[1, 0], [0, 1]]\nW_v: [[1, 0], [0, 1]]\n"
    "round: 1\n",
    "labels.yaml": "tokens: [" + ", ".join([f'"{"w" * 3000}{i}"' for i in range(256)]) + "]\n"
    "X: [" + ", ".join(["[" + ", ".join(["1"] * 256) + "]"] * 2) + "]\n"
    "W_q: [[1, 0]]\nW_k: [[0, 1]]\nW_v: [[1, 1]]\n",
    "wide.yaml": "X: [" + ", ".join(["[" + ", ".join(["1"] * 270) + "]"] * 270) + "]\n",
}  # fmt: skip
WORST_RUNS = [
    ["run", "tiny-exponent.yaml"], ["run", "deep.yaml"], ["run", "long-fractions.yaml", "--exact", "--format", "text"],
    ["run", "huge-rounded.yaml", "--exact"], ["run", "huge-rounded.yaml", "--explain"],
    ["run", "labels.yaml", "--full", "--format", "text"], ["run", "wide.yaml"], ["run", "/dev/zero"],
    ["softmax", "1", "1e-100000000"], ["softmax", "1", "--base", "1e999999999"],
    ["check", "long-fractions.yaml", "tiny-exponent.yaml"],
]  # fmt: skip
CHILD = """
import resource, sys, json
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))  # a runaway fails here instead of swapping
from typer.testing import CliRunner
from handcalc.cli import app
runner = CliRunner()
outcomes = []
for args in json.loads(sys.argv[1]):
    result = runner.invoke(app, args)
    error = None if isinstance(result.exception, (SystemExit, type(None))) else repr(result.exception)
    outcomes.append([args, result.exit_code, result.stderr, error])
print(json.dumps({"outcomes": outcomes, "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def test_the_worst_cases_stay_under_300_mib(tmp_path):
    for name, text in WORST.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "COLUMNS": "100"}
    child = subprocess.run([sys.executable, "-c", CHILD, json.dumps(WORST_RUNS)], cwd=tmp_path, env=env,
                           capture_output=True, text=True, check=False)  # fmt: skip
    assert child.returncode == 0, child.stderr[-3000:]
    report = json.loads(child.stdout.splitlines()[-1])
    for args, code, stderr, error in report["outcomes"]:
        assert error is None, (args, error)
        assert code in (0, 1, 3), (args, code, stderr)
        if code == 3:
            assert stderr.startswith("Error: ") and stderr.count("\n") == 1, (args, stderr)
    assert report["peak_kib"] < 300 * 1024, report["peak_kib"]
