"""``run -f xlsx`` and ``worksheet -f xlsx``: a live workbook in the AI-by-Hand layout
(issue 14, item 2).

The formulas are evaluated by the ``formulas`` package — an Excel calculator that owes
nothing to handcalc — and compared with ``tests/reference.py``, a plain-Python computation;
an input is changed first where the point is that every step recomputes. Where LibreOffice
is installed, it recalculates a workbook whose cached values were dropped.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, cli_runner
from reference import reference_attention, reference_multihead
from ruamel.yaml import YAML

from handcalc.cli import app
from handcalc.numbers import NEG_INF
from handcalc import compute, load_problem
from handcalc.render.xlsx import FUNCTIONS, cells, step_name

openpyxl = pytest.importorskip("openpyxl")  # installed with formulas[excel], a test dependency
runner = cli_runner()


def problem_dict(name: str) -> dict:
    return YAML(typ="safe", pure=True).load((ROOT / "samples" / f"{name}.yaml").read_text(encoding="utf-8"))


def reference(problem: dict) -> dict[str, np.ndarray]:
    return reference_multihead(problem) if "heads" in problem else reference_attention(problem)


def write_problem(tmp_path: Path, problem: dict) -> Path:
    import json

    path = tmp_path / "problem.yaml"
    path.write_text(json.dumps(problem), encoding="utf-8")
    return path


def run_xlsx(tmp_path: Path, problem: dict, *options: str) -> Path:
    out = tmp_path / "attention.xlsx"
    result = runner.invoke(app, ["run", str(write_problem(tmp_path, problem)), "-f", "xlsx", "-o", str(out), *options])
    assert result.exit_code == 0, result.output
    return out


def ranges(path: Path, sheet: int = 0) -> dict[str, tuple[str, list[list[str]]]]:
    """Each named step of a tab: (the tab's title, the cell addresses of its rows)."""
    book = openpyxl.load_workbook(path)
    ws = book.worksheets[sheet]
    out = {}
    for name, defined in ws.defined_names.items():
        cells = defined.attr_text.split("!")[1].replace("$", "")
        out[name] = (ws.title, [[cell.coordinate for cell in row] for row in ws[cells]])
    return out


def evaluated(path: Path, sheet: int = 0) -> dict[str, np.ndarray]:
    """Every named step of a tab, as the ``formulas`` package computes its formulas."""
    import formulas

    solution = formulas.ExcelModel().loads(str(path)).finish().calculate()
    by_cell = {key.upper(): value for key, value in solution.items()}
    def cell(title: str, address: str) -> float:
        value = by_cell[f"'[{path.name}]{title}'!{address}".upper()].value[0, 0]
        return -math.inf if value == NEG_INF else float(value)

    return {name: np.array([[cell(title, address) for address in row] for row in rows])
            for name, (title, rows) in ranges(path, sheet).items()}  # fmt: skip


def assert_steps_match(values: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> None:
    for name, want in expected.items():
        got = values[step_name(name)]
        np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-9, atol=1e-12, err_msg=name)


def set_inputs(path: Path, name: str, matrix: list[list[float]]) -> Path:
    """A copy of the workbook with input ``name`` changed, as a student would type it (the
    copy keeps the formulas and drops every cached value)."""
    book = openpyxl.load_workbook(path)
    ws = book.worksheets[0]
    cells = ws.defined_names[step_name(name)].attr_text.split("!")[1].replace("$", "")
    for row, values in zip(ws[cells], matrix, strict=True):
        for cell, value in zip(row, values, strict=True):
            cell.value = value
    changed = path.with_name("changed.xlsx")
    book.save(changed)
    return changed


def test_every_formula_computes_the_reference_numbers(tmp_path):
    """The rows layout, cross-attention, a 0/1 mask, a scale, a temperature, a fraction and
    W_o in one problem (the causal mask, base 3 and multi-head are the cases below)."""
    problem = {
        "layout": "rows", "tokens": ["a", "b"],
        "X": [[1, 0, 2], [0, 1, 1]], "X_kv": [[1, 1, 0], [0, 2, 1], [1, 0, 1]],
        "W_q": [[1, 0], [0, "1/2"], [1, 1]], "W_k": [[0, 1], [1, 0], [1, 1]], "W_v": [[1, 2], [0, 1], [1, 0]],
        "W_o": [[1, 0, 1], [0, 1, -1]], "mask": [[1, 0, 1], [1, 1, 0]], "scale": 3, "temperature": 2,
    }  # fmt: skip
    values = evaluated(run_xlsx(tmp_path, problem))
    assert_steps_match(values, reference(problem))


@pytest.mark.parametrize("sample", ["causal", "two_heads"])
def test_a_changed_input_recomputes_every_step(sample, tmp_path):
    problem = problem_dict(sample)
    path = run_xlsx(tmp_path, problem)
    X = [[float(x) + (i + 2 * j) % 3 - 1 for j, x in enumerate(row)] for i, row in enumerate(problem["X"])]
    changed = problem | {"X": X}
    assert reference(changed)["concat" if "heads" in problem else "Z"].tolist() != \
        reference(problem)["concat" if "heads" in problem else "Z"].tolist()  # fmt: skip
    assert_steps_match(evaluated(set_inputs(path, "X", X)), reference(changed))


def test_a_softmax_that_would_overflow_subtracts_each_column_max(tmp_path):
    problem = {"X": [[1, 0], [0, 1]], "W_q": [[400, 0], [0, 1]], "W_k": [[2, 0], [0, 1]],
               "W_v": [[1, 0], [0, 1]], "scale": "none"}  # a score of 800: e^800 overflows
    values = evaluated(run_xlsx(tmp_path, problem))
    X, W_q, W_k = (np.array(problem[name], dtype=float) for name in ("X", "W_q", "W_k"))
    scores = (W_k @ X).T @ (W_q @ X)  # (keys, queries)
    assert scores.max() == 800
    shifted = np.exp(scores - scores.max(axis=0))
    np.testing.assert_allclose(values["step_exp"], shifted, rtol=1e-12)
    np.testing.assert_allclose(values["step_A"], shifted / shifted.sum(axis=0), rtol=1e-9)


def test_the_cells_are_formulas_with_their_values_written_and_masked_cells_are_text(tmp_path):
    problem = problem_dict("causal")
    path = run_xlsx(tmp_path, problem)
    formulas_ = openpyxl.load_workbook(path).worksheets[0]
    cached = openpyxl.load_workbook(path, data_only=True).worksheets[0]
    expected = reference(problem)
    used = set()
    for name, (_, rows) in ranges(path).items():
        for row in rows:
            for address in row:
                text = formulas_[address].value
                if name in ("step_X", "step_W_q", "step_W_k", "step_W_v"):
                    assert isinstance(text, (int, float)), (name, address)  # the inputs are numbers
                elif text != NEG_INF:
                    assert isinstance(text, str) and text.startswith("="), (name, address, text)
                    used |= {f for f in ("MMULT", "EXP", "POWER", "SUM", "SQRT", "ROWS", "IF", "ISNUMBER") if f in text}
    assert used == {"MMULT", "POWER", "SUM", "IF", "ISNUMBER"}  # base 3: POWER; the mask: IF(ISNUMBER(…))
    masked = ranges(path)["step_masked"][1]
    got = np.array([[cached[a].value for a in row] for row in masked], dtype=object)
    assert ((got == NEG_INF) == np.isneginf(expected["masked"])).all()
    A = np.array([[cached[a].value for a in row] for row in ranges(path)["step_A"][1]], dtype=float)
    np.testing.assert_allclose(A, expected["A"], rtol=1e-9)  # the cached values, for viewers that do not recalculate


def test_round_wraps_every_computed_cell_in_round(tmp_path):
    problem = problem_dict("causal") | {"round": 2}
    path = run_xlsx(tmp_path, problem)
    ws = openpyxl.load_workbook(path).worksheets[0]
    A = ranges(path)["step_A"][1]
    assert all(ws[a].value.startswith("=ROUND(") and ws[a].value.endswith(",2)") for row in A for a in row)
    cached = openpyxl.load_workbook(path, data_only=True).worksheets[0]
    values = np.array([[cached[a].value for a in row] for row in A], dtype=float)
    assert np.allclose(values, np.round(values, 2)) and np.allclose(values.sum(axis=0), 1, atol=0.02)


def test_a_worksheet_leaves_the_blanks_empty_and_its_key_is_live(tmp_path):
    path_ = write_problem(tmp_path, problem := problem_dict("causal"))
    sheet, key = tmp_path / "sheet.xlsx", tmp_path / "key.xlsx"
    for out, extra in ((sheet, []), (key, ["--key"])):
        result = runner.invoke(app, ["worksheet", str(path_), "--blank", "A,Z", "-f", "xlsx", "-o", str(out), *extra])
        assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(sheet).worksheets[0]
    named = ranges(sheet)
    expected = reference(problem)
    for name in ("step_A", "step_Z"):
        cells = [ws[a].value for row in named[name][1] for a in row]
        assert cells == [NEG_INF if x == -math.inf else None for x in expected[name[5:]].flat]
    exp = np.array([[ws[a].value for a in row] for row in named["step_exp"][1]], dtype=float)
    np.testing.assert_allclose(exp, expected["exp"], rtol=1e-9)  # a given step: its numbers
    assert_steps_match(evaluated(key), expected)


def test_a_class_set_has_one_tab_per_variant(tmp_path):
    out = tmp_path / "set.xlsx"
    result = runner.invoke(app, ["worksheet", "--seed", "4", "--variants", "3", "-f", "xlsx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out).sheetnames == ["V01", "V02", "V03"]


def test_xlsx_needs_an_output_file_and_never_overwrites_without_force(tmp_path):
    problem = write_problem(tmp_path, problem_dict("causal"))
    result = runner.invoke(app, ["run", str(problem), "-f", "xlsx"])
    assert result.exit_code == 2 and "--output" in result.stderr
    out = tmp_path / "a.xlsx"
    out.write_text("mine")
    result = runner.invoke(app, ["run", str(problem), "-f", "xlsx", "-o", str(out)])
    assert result.exit_code == 3 and out.read_text() == "mine"


def sheet_xml(path: Path) -> str:
    import zipfile

    with zipfile.ZipFile(path) as book:
        return "".join(book.read(name).decode() for name in book.namelist() if name.startswith("xl/worksheets/"))


@pytest.mark.parametrize("name", ["causal_multihead", "rows_layout", "cross_multihead", "tokens"])
def test_formulas_use_only_the_functions_written_without_a_prefix(tmp_path, name):
    """The workbook is written without XlsxWriter's search for the functions Excel added
    after 2010 (which it prefixes ``_xlfn.``): so no formula may use one, here or in a key."""
    problem = problem_dict(name)
    sheet = run_xlsx(tmp_path, problem, "--round", "2")
    key = tmp_path / "key.xlsx"
    result = runner.invoke(app, ["worksheet", str(write_problem(tmp_path, problem)), "--key", "-f", "xlsx", "-o", str(key)])
    assert result.exit_code == 0, result.output
    for path in (sheet, key):
        formulas = re.findall(r"<f>([^<]*)</f>", sheet_xml(path))
        used = {function for formula in formulas for function in re.findall(r"([A-Z][A-Z0-9.]*)\(", formula)}
        assert formulas and used and used <= set(FUNCTIONS), used - set(FUNCTIONS)


@pytest.mark.parametrize("name", ["self_attention", "three_heads", "cross_attention"])
def test_the_cell_count_follows_the_workbook(tmp_path, name):
    """``cells`` (what the size limit counts) is the workbook's cells but its labels and headings."""
    problem = problem_dict(name)
    written = sheet_xml(run_xlsx(tmp_path, problem)).count("<c ")
    counted = cells(compute(load_problem(write_problem(tmp_path, problem))))
    assert counted <= written <= 2 * counted  # labels: many beside a small matrix, few beside a large one


def test_a_workbook_too_large_is_refused_in_one_line(tmp_path, monkeypatch):
    import handcalc.render.xlsx as xlsx

    problem = write_problem(tmp_path, problem_dict("self_attention"))
    monkeypatch.setattr(xlsx, "MAX_CELLS", 100)  # the classic sample is 224 cells
    out = tmp_path / "a.xlsx"
    result = runner.invoke(app, ["run", str(problem), "-f", "xlsx", "-o", str(out)])
    assert result.exit_code == 3 and not out.exists()
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"Error: {problem}: ")
    assert "224 cells" in result.stderr and "at most 100" in result.stderr


LIBREOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(LIBREOFFICE is None, reason="LibreOffice (soffice) is not installed (Debian: libreoffice-calc-nogui); the formulas package checked the formulas above")
def test_libreoffice_recalculates_the_workbook(tmp_path):
    problem = problem_dict("two_heads")
    X = [[x + 1 for x in row] for row in problem["X"]]
    changed = set_inputs(run_xlsx(tmp_path, problem), "X", X)  # no cached values left: LibreOffice must compute
    profile = tmp_path / "profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        '<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">'
        "<value>0</value></prop></item>\n</oor:items>\n"
    )  # always recalculate an Excel file on load
    out = tmp_path / "lo"
    subprocess.run(
        [LIBREOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "xlsx",
         "--outdir", str(out), str(changed)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    recalculated = out / "changed.xlsx"
    ws = openpyxl.load_workbook(recalculated, data_only=True).worksheets[0]
    for name, want in reference(problem | {"X": X}).items():
        rows = ranges(changed)[step_name(name)][1]
        got = np.array([[ws[a].value for a in row] for row in rows], dtype=object)
        got = np.where(got == NEG_INF, -np.inf, got).astype(float)
        np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-9, err_msg=name)
