"""The rows of a large file, read by a regular expression, are read exactly as libyaml reads them.

A file of at least ``ROWS_FROM`` characters has its one-line flow rows of numbers read by
``yamlfile.ROW`` instead of scalar by scalar. Here both ways read the same documents, with
``ROWS_FROM`` moved so that each way can be forced: the sample problems and answers files
changed by the fuzz suite's mutations and by mutations aimed at rows (a row in a comment,
in a quoted or plain scalar, as a key, tagged, anchored, too long, holding a number out of
range). Both must give the same values at the same places, or the same one-line error.
"""

from __future__ import annotations

import random

import pytest
from test_fuzz_documents import ANSWERS, SAMPLES, mutated

from handcalc import yamlfile
from handcalc.errors import HandcalcError

ROW_MUTATIONS = [
    lambda row: f"# {row}", lambda row: f'"see {row}"', lambda row: f"see {row}", lambda row: f"{row}: 1",
    lambda row: f"!!seq {row}", lambda row: f"&a {row}", lambda row: row.replace(", ", ",\t"),
    lambda row: row.replace(", ", ",\n  "), lambda row: row[:-1] + ", " + ", ".join(["1"] * 300) + "]",
    lambda row: row.replace("1", "1e-100000000", 1), lambda row: row.replace("0", "1.2.3", 1),
    lambda row: row.replace("[", "[-, ", 1), lambda row: "-" + row, lambda row: row + " x",
    lambda row: row.replace(", ", " , ", 1), lambda row: row.replace("]", ",]", 1), lambda row: f"[{row}]",
    lambda row: f"|\n  {row}", lambda row: f"'{row}'", lambda row: row.replace("1", "+.5e3", 1),
]  # fmt: skip


def read(text: str, fast: bool, monkeypatch, answers: bool) -> tuple:
    """What ``compose`` makes of ``text``, forced to read rows by ``ROW`` or not: the
    document and its places, or the error's one line; and whether rows were read so."""
    monkeypatch.setattr(yamlfile, "ROWS_FROM", 0 if fast else 1 << 30)
    options = {"scalar": yamlfile.Scalar, "pairs": True} if answers else {}
    try:
        document = yamlfile.compose(text, "f.yaml", **options)
    except HandcalcError as error:
        return ("error", str(error)), False
    found = []
    return ("read", flattened(document, found)), bool(found)


def flattened(node, found: list) -> object:
    """A node as plain values, every list item and mapping key with its 1-based place."""
    if isinstance(node, yamlfile.Mapping):
        return [("key", flattened(key, found), node.key_places[key], node.value_places[key], flattened(value, found))
                for key, value in node.items()]  # fmt: skip
    if isinstance(node, yamlfile.Sequence):
        if isinstance(node, yamlfile._Row):
            found.append(node)
        return [(flattened(item, found), node.place(i)) for i, item in enumerate(node)]
    if isinstance(node, (list, tuple)):  # answers: a mapping as its pairs
        return [flattened(item, found) for item in node]
    if isinstance(node, yamlfile.Scalar):
        return ("scalar", *node._fields())
    return (type(node).__name__, node if not isinstance(node, float) or node == node else "nan")


def row_mutated(rng: random.Random, text: str) -> str:
    """``text`` with one of its one-line rows changed by a mutation aimed at rows."""
    rows = list(yamlfile.ROW.finditer(text))
    if not rows:
        return text
    row = rng.choice(rows)
    return text[: row.start()] + rng.choice(ROW_MUTATIONS)(row.group()) + text[row.end() :]


def documents(seed: int, count: int) -> list[tuple[str, bool]]:
    rng = random.Random(seed)
    sources = [(text, False) for text in SAMPLES.values()] + [(text, True) for text in ANSWERS]
    cases = []
    for _ in range(count):
        text, answers = rng.choice(sources)
        for _ in range(rng.randint(0, 3)):
            text = row_mutated(rng, text) if rng.random() < 0.6 else mutated(rng, text)
        cases.append((text, answers))
    return cases


@pytest.mark.parametrize("seed", range(3))
def test_rows_are_read_as_libyaml_reads_them(monkeypatch, seed):
    by_rows = 0
    for text, answers in documents(seed, 400):
        fast, used = read(text, True, monkeypatch, answers)
        slow, _ = read(text, False, monkeypatch, answers)
        assert fast == slow, text
        by_rows += used
    assert by_rows > 100  # the rows were read by ROW in many documents, not all read again


def test_the_largest_problem_is_read_by_rows(monkeypatch):
    rng = random.Random(256)
    matrix = "[" + ", ".join("[" + ", ".join(str(rng.randint(-1, 2)) for _ in range(256)) + "]" for _ in range(256)) + "]"
    text = "".join(f"{key}: {matrix}\n" for key in ("X", "W_q", "W_k", "W_v"))
    assert len(text) >= yamlfile.ROWS_FROM
    fast, used = read(text, True, monkeypatch, False)
    assert used and fast == read(text, False, monkeypatch, False)[0]
    # a row's item is placed where it is written: the 8th number of X's 6th row
    document = yamlfile.compose(text, "f.yaml")
    line, column = document["X"][5].place(7)
    row_text = text.split("\n")[line - 1][column - 1 :]
    assert row_text.split(",")[0] == str(document["X"][5][7])


def test_a_row_out_of_range_is_refused_where_it_is_written(monkeypatch):
    text = "X: [[1, 0], [0, 1]]\nW_q: [[1, 0], [0, 1e999999999]]\nW_k: [[1, 0]]\nW_v: [[1, 0]]\n"
    fast, used = read(text, True, monkeypatch, False)
    assert fast == ("read", fast[1]) and used  # 1e999999999 is read as infinity, as libyaml's scalar
    assert fast == read(text, False, monkeypatch, False)[0]
    text = text.replace("1e999999999", "1e-100000000")
    error, _ = read(text, True, monkeypatch, False)
    assert error[0] == "error" and error[1].startswith("f.yaml:2:")
    assert error == read(text, False, monkeypatch, False)[0]


def test_other_line_breaks_read_as_written(monkeypatch):
    """libyaml also breaks lines at \\r, NEL and the Unicode separators: such a file is read
    scalar by scalar, so that no row is placed on the wrong line."""
    text = "X: [[1, 0], [0, 1]]\r\nW_q: [[1, 0]]\r\nW_k: [[1, 0]]\nW_v: [[1, 0]]\n"
    fast, used = read(text, True, monkeypatch, False)
    assert not used and fast == read(text, False, monkeypatch, False)[0]
