"""A terminal that is not UTF-8 (``PYTHONIOENCODING=ascii``): the symbols are written plain
(``−∞`` as ``-inf``, ``✓`` as ``ok``, ``Σ`` as ``sum``) and the tables stay aligned, since
their columns are measured on the text as it prints. Each table here is read back column by
column from a real process's output."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from conftest import ROOT

from handcalc.plain import printed

CAUSAL = ROOT / "samples" / "causal.yaml"
CLASSIC = ROOT / "samples" / "self_attention.yaml"
MISTAKES = ROOT / "samples" / "answers" / "self_attention_mistakes.yaml"


def handcalc(*args, encoding: str = "ascii", columns: int = 100) -> str:
    env = {**os.environ, "PYTHONIOENCODING": encoding, "COLUMNS": str(columns)}
    env.pop("FORCE_COLOR", None)
    code = "import sys; from handcalc.cli import main; sys.argv[0] = 'handcalc'; main()"
    child = subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env, capture_output=True, check=False)
    assert child.returncode in (0, 1) and child.stderr == b"", child.stderr.decode(errors="replace")[-2000:]
    return child.stdout.decode(encoding)


RULES = set("-+─┼")  # the characters of a horizontal rule, plain and not


def table(text: str, heading: str, after_rule: bool = False) -> list[str]:
    """The lines of the table under the heading that starts with ``heading`` (the part under
    its horizontal rule, with ``after_rule``), the rule over the sums left out."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip("-─ ").startswith(heading))
    first = next(i for i in range(start + 1, len(lines)) if not lines[i].strip()) + 1  # under the constants
    rows = lines[first : next((i for i in range(first, len(lines)) if not lines[i].strip()), len(lines))]
    if after_rule:
        rows = rows[next(i for i, row in enumerate(rows) if not set(row.strip()) - RULES) + 1 :]
    return [row for row in rows if set(row.strip()) - RULES and not row.strip().startswith(("Note:", "Work:"))]


def bar(line: str) -> int:
    """Where the vertical rule of a product's table is."""
    return max(line.find("|"), line.find("│"))


def right_edges(lines: list[str], after: int = 0) -> list[int]:
    """The columns where the header's right-aligned labels end (past the ``after``-th character)."""
    return [m.end() - 1 for m in re.finditer(r"\S+", lines[0]) if m.start() > after]


def assert_aligned(lines: list[str], after: int = 0) -> None:
    """Every row has a cell ending exactly where each column's label ends: the right edges
    of a right-aligned table's columns are shared by all its rows."""
    edges = right_edges(lines, after)
    assert len(edges) >= 4, lines
    for row in lines[1:]:
        for edge in edges:
            ends_here = edge < len(row) and row[edge] != " " and (edge + 1 == len(row) or row[edge + 1] == " ")
            assert ends_here, f"column ending at {edge} is broken in:\n" + "\n".join(lines)


@pytest.mark.parametrize("fmt", ["text", "rich"])
def test_masked_cells_and_sums_keep_their_columns_in_ascii(fmt):
    out = handcalc("run", CAUSAL, "--format", fmt)
    assert out.isascii() and "-inf" in out
    masked = table(out, "masked =")
    assert sum(row.count("-inf") for row in masked) == 6  # the causal mask of 4 tokens
    assert_aligned(masked, after=len("  masked"))
    sums = table(out, "sums =")
    assert sums[-1].split()[0] == "sum"
    assert_aligned(sums, after=len("  exp"))
    z = table(out, "Z =", after_rule=True)
    assert_aligned(z, after=bar(z[0]))


def test_marks_keep_their_columns_in_ascii():
    out = handcalc("check", CLASSIC, MISTAKES, "--format", "text")
    assert out.isascii() and " ok" in out and " X " in out
    for step in ("Q =", "K =", "scores ="):
        lines = table(out, step, after_rule=True)
        assert_aligned(lines, after=bar(lines[0]))


def test_a_latin1_terminal_keeps_what_it_can_show_and_stays_aligned():
    out = handcalc("run", CAUSAL, "--format", "text", encoding="latin-1")
    assert "×" in out and "-inf" in out  # × is latin-1; −∞ is not
    masked = table(out, "masked =")
    assert_aligned(masked, after=len("  masked"))


def test_a_utf8_terminal_is_unchanged():
    out = handcalc("run", CAUSAL, "--format", "text", encoding="utf-8")
    masked = table(out, "masked =")
    assert "−∞" in out and "-inf" not in out
    assert_aligned(masked, after=len("  masked"))


def test_the_plain_symbols_are_those_the_streams_write():
    assert printed("−∞ · Σ ⋯ ✓", "ascii") == "-inf * sum ... ok"
    assert printed("−∞ ×", "latin-1") == "-inf ×"
    assert printed("−∞", None) == "−∞"
