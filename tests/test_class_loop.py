"""The class loop: a roster in, a folder of sheets, problems and answers templates out, the
answers (files and filled PDF forms) back, one grades file out.

Right answers come from tests/reference.py (an independent computation) applied to each
student's problem file; the templates are filled and the forms made by this file's own code,
never by handcalc's writers."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import cli_runner
from reference import reference_attention
from ruamel.yaml import YAML

from handcalc.cli import app
from handcalc.exercises.roster import Student, parse_roster, student_seed

runner = cli_runner()
ROSTER = "id,name,email\ns01,Ada Lovelace,ada@example.org\ns02,Alan Turing,alan@example.org\ns03,Grace Hopper,grace@example.org\n"


def invoke(*args):
    return runner.invoke(app, [*map(str, args)])


def make_class(tmp_path: Path, roster: str = ROSTER, *extra, name="week3") -> Path:
    (tmp_path / "class.csv").write_text(roster, encoding="utf-8")
    out = tmp_path / name
    done = invoke("worksheet", "--roster", tmp_path / "class.csv", "--seed", "2026", "--tokens", "3", "--level", "1", *extra, "-o", out)
    assert done.exit_code == 0, done.output + done.stderr
    return out


@pytest.fixture(scope="module")
def week3(tmp_path_factory) -> Path:
    """The class folder of ROSTER, made once for the tests that only read it."""
    return make_class(tmp_path_factory.mktemp("class"))


def yaml_load(path: Path):
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def truth(folder: Path, student: str) -> dict:
    """The reference steps of a student's problem file, computed independently."""
    return reference_attention(yaml_load(folder / "problems" / f"{student}.yaml"))


def filled(template: Path, values: dict, out: Path, decimals: int = 3) -> Path:
    """A template filled in as a student does: each "?" replaced by their number (a step not
    in ``values`` stays as it is)."""
    data = yaml_load(template)
    lines = [f"id: {json.dumps(data['id'])}", f"variant: {json.dumps(data['variant'])}"]
    for name, cells in data.items():
        if name in ("id", "variant"):
            continue
        if name in values:
            cells = np.round(values[name], decimals).tolist()
        lines.append(f"{name}: {json.dumps(cells)}")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def grades(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


# --- the roster -------------------------------------------------------------------------------
def test_a_roster_with_or_without_a_bom_reads_the_same():
    plain = parse_roster(ROSTER)
    assert parse_roster("\ufeff" + ROSTER) == plain
    assert [(s.id, s.name) for s in plain] == [("s01", "Ada Lovelace"), ("s02", "Alan Turing"), ("s03", "Grace Hopper")]
    quoted = parse_roster('ID,Name\n"s9","Hopper, Grace"\n\n')
    assert quoted == [Student("s9", "Hopper, Grace", 2)]


@pytest.mark.parametrize(
    ("roster", "where", "words"),
    [
        ("id,name\ns1,A\ns2,B\ns1,C\n", ":4:1:", "duplicate id 's1', first on line 2"),
        ("name,id\nA,s1\nB,S1\n", ":3:3:", "differing only in case"),
        ("id,name\ns1,A\n,B\n", ":3:1:", "the id is empty"),
        ("id,name\ns1,A\n../x,B\n", ":3:1:", "not usable as a file name"),
        ("name,email\nA,a\n", ":1:1:", "has no 'id' column"),
        ("id,name,seed\ns1,A,x7\n", ":2:6:", "the seed 'x7' is not a whole number"),
        ("id,name\n", ":1:1:", "no students"),
    ],
)  # fmt: skip
def test_a_bad_roster_is_one_error_naming_the_line(tmp_path, roster, where, words):
    (tmp_path / "class.csv").write_text(roster, encoding="utf-8")
    done = invoke("worksheet", "--roster", tmp_path / "class.csv", "--seed", "1", "-o", tmp_path / "out")
    assert done.exit_code == 3
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {tmp_path / 'class.csv'}{where}") and words in lines[0]
    assert not (tmp_path / "out").exists()  # nothing made before the roster is read


def test_each_students_exercise_depends_on_the_seed_and_their_id_only(tmp_path):
    seeds = {s.id: student_seed(2026, s) for s in parse_roster(ROSTER)}
    assert len(set(seeds.values())) == 3
    assert student_seed(2027, Student("s01", "", 2)) != seeds["s01"]
    first = make_class(tmp_path, name="a")
    # a student added in the middle, another's row moved: no one else's exercise changes
    bigger = "id,name\ns03,Grace Hopper\ns01,Ada Lovelace\nnew,Someone New\ns02,Alan Turing\n"
    second = make_class(tmp_path, bigger, name="b")
    for student in ("s01", "s02", "s03"):
        assert (first / "problems" / f"{student}.yaml").read_text() == (second / "problems" / f"{student}.yaml").read_text()
    assert (first / "problems" / "s01.yaml").read_text() != (first / "problems" / "s02.yaml").read_text()


def test_a_seed_column_gives_a_student_that_exercise(tmp_path):
    out = make_class(tmp_path, "id,name,seed\ns01,Ada,77\ns02,Alan,\n")
    made = tmp_path / "new77.yaml"
    assert invoke("new", "--tokens", "3", "--seed", "77", "-o", made).exit_code == 0
    ours, theirs = yaml_load(out / "problems" / "s01.yaml"), yaml_load(made)
    assert all(ours[k] == theirs[k] for k in ("X", "W_q", "W_k", "W_v"))
    manifest = yaml_load(out / "class.yaml")
    assert manifest["students"][0]["seed"] == 77 and manifest["students"][1]["seed"] != 77


# --- the class folder -------------------------------------------------------------------------
def test_the_class_folder(tmp_path):
    out = make_class(tmp_path)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "answers/s01.yaml", "answers/s02.yaml", "answers/s03.yaml", "class.yaml", "key.pdf",
        "problems/s01.yaml", "problems/s02.yaml", "problems/s03.yaml", "sheets.pdf",
    ]  # fmt: skip
    manifest = yaml_load(out / "class.yaml")
    assert manifest["seed"] == 2026 and manifest["blanks"] == ["A", "Z"] and manifest["precision"] == 3
    assert [(s["id"], s["name"]) for s in manifest["students"]] == [(s.id, s.name) for s in parse_roster(ROSTER)]
    codes = [s["variant"] for s in manifest["students"]]
    assert len(set(codes)) == 3 and all(len(code) == 5 for code in codes)
    for entry in manifest["students"]:  # each problem file is an ordinary problem
        assert invoke("run", out / entry["problem"], "-f", "json").exit_code == 0
    template = (out / "answers" / "s02.yaml").read_text()
    assert template.splitlines()[1] == "# Answers of Alan Turing (s02), exercise " + codes[1] + "."
    assert "Replace each" in template
    data = yaml_load(out / "answers" / "s02.yaml")
    steps = truth(out, "s02")
    assert data["id"] == "s02" and data["variant"] == codes[1]
    assert sorted(k for k in data if k not in ("id", "variant")) == ["A", "Z"]
    assert np.array(data["A"]).shape == steps["A"].shape and {c for row in data["A"] for c in row} == {"?"}
    # a folder with files in it is kept unless --force
    again = invoke("worksheet", "--roster", tmp_path / "class.csv", "--seed", "1", "-o", out)
    assert again.exit_code == 3 and "add --force" in again.stderr
    assert invoke("worksheet", "--roster", tmp_path / "class.csv", "--seed", "1", "-o", out, "--force").exit_code == 0


def test_templates_name_the_answers_schema_and_validate(tmp_path, week3):
    from jsonschema import Draft7Validator

    from handcalc.schema import schema, schema_line

    out = week3
    template = (out / "answers" / "s01.yaml").read_text()
    assert template.splitlines()[0] == schema_line("answers")
    assert list(Draft7Validator(schema("answers")).iter_errors(yaml_load(out / "answers" / "s01.yaml"))) == []


def test_the_sheets_name_each_student_and_never_the_seed(tmp_path, week3):
    from test_worksheet import pdf_text

    out = week3
    manifest = yaml_load(out / "class.yaml")
    sheets, keys = pdf_text(out / "sheets.pdf"), pdf_text(out / "key.pdf")
    for text in (sheets, keys):
        for entry in manifest["students"]:
            assert entry["name"] in text and entry["variant"] in text
            assert str(entry["seed"]) not in text
        assert "2026" not in text and "seed" not in text.lower()


def test_a_class_gets_one_problem_file_when_given_one(tmp_path, write_problem):
    from conftest import ROOT

    (tmp_path / "class.csv").write_text(ROSTER, encoding="utf-8")
    sample = ROOT / "samples" / "self_attention.yaml"
    done = invoke("worksheet", sample, "--roster", tmp_path / "class.csv", "--level", "1", "--show-work", "-o", tmp_path / "c")
    assert done.exit_code == 0, done.stderr
    from test_worksheet import pdf_text

    assert "Work: A[1,1]" in pdf_text(tmp_path / "c" / "key.pdf") and "Work:" not in pdf_text(tmp_path / "c" / "sheets.pdf")
    manifest = yaml_load(tmp_path / "c" / "class.yaml")
    assert "seed" not in manifest and len({s["variant"] for s in manifest["students"]}) == 1
    assert (tmp_path / "c" / "problems" / "s03.yaml").read_text() == sample.read_text()


def test_variants_without_a_seed_draw_one(tmp_path):
    done = invoke("worksheet", "--variants", "2", "--tokens", "2", "--level", "1", "-o", tmp_path / "v.pdf")
    assert done.exit_code == 0, done.stderr
    assert (tmp_path / "v.pdf").read_bytes().startswith(b"%PDF")


# --- marking a class --------------------------------------------------------------------------
def test_a_class_marked_to_one_grades_file(tmp_path, week3):
    out = week3
    subs = tmp_path / "subs"
    subs.mkdir()
    right = truth(out, "s01")
    filled(out / "answers" / "s01.yaml", {"A": right["A"], "Z": right["Z"]}, subs / "ada-final.yaml", 4)
    half = truth(out, "s02")  # A right, Z left blank
    filled(out / "answers" / "s02.yaml", {"A": half["A"]}, subs / "turing.yaml", 2)
    nobody = filled(out / "answers" / "s01.yaml", {}, subs / "stray.yaml")
    nobody.write_text(nobody.read_text().replace('id: "s01"', 'id: "s99"'))
    (subs / "notes.txt").write_text("not a submission")  # a folder is read for .yaml/.yml/.pdf only
    report = tmp_path / "grades.csv"
    done = invoke("check", out / "class.yaml", subs, "--report", report)
    assert done.exit_code == 1, done.stderr  # a student's answers are not all right
    shown = done.stdout.splitlines()  # a line per student, what went wrong under it
    assert shown[0].split() == ["id", "name", "score", "file"]
    assert shown[1].split() == ["s01", "Ada", "Lovelace", "100%", str(subs / "ada-final.yaml")]
    assert shown[shown.index(next(line for line in shown if line.startswith("s03"))) + 1].strip() == "no submission"
    n_a, n_z = right["A"].size, right["Z"].size
    assert grades(report) == [
        ["id", "name", "file", "score", "A", "Z", "first mistake"],
        ["s01", "Ada Lovelace", str(subs / "ada-final.yaml"), "100.0", f"{n_a}/{n_a}", f"{n_z}/{n_z}", ""],
        ["s02", "Alan Turing", str(subs / "turing.yaml"), f"{round(100 * n_a / (n_a + n_z), 1)}", f"{n_a}/{n_a}", f"0/{n_z}", "Z[1,1]: blank"],
        ["s03", "Grace Hopper", "", "", "", "", "no submission"],
        ["", "", str(subs / "stray.yaml"), "", "", "", "pairs with no student: its id 's99' is no id of the roster"],
    ]  # fmt: skip


def test_pairing_by_file_name_and_two_submissions_for_one_student(tmp_path, week3):
    out = week3
    subs = tmp_path / "subs"
    subs.mkdir()
    ada = truth(out, "s01")
    (subs / "s01.yaml").write_text(f"A: {json.dumps(np.round(ada['A'], 3).tolist())}\n")  # no id: paired by name
    filled(out / "answers" / "s02.yaml", {}, subs / "a.yaml")
    filled(out / "answers" / "s02.yaml", {}, subs / "b.yaml")
    (subs / "s03.yaml").write_text("A: [[1, 2\n")  # unreadable: a row saying why, the batch goes on
    done = invoke("check", out, subs, tmp_path / "lost.yaml", "-f", "json")
    assert done.exit_code == 3 and done.stderr.count("Error: ") == 2 and "s03.yaml" in done.stderr
    assert f"Error: {tmp_path / 'lost.yaml'}: no such file" in done.stderr
    students = json.loads(done.stdout)["students"]
    assert [(s["id"], s["file"]) for s in students] == [
        ("s01", str(subs / "s01.yaml")), ("s02", f"{subs / 'a.yaml'}, {subs / 'b.yaml'}"), ("s03", str(subs / "s03.yaml")),
        ("s02", str(subs / "a.yaml")), ("s02", str(subs / "b.yaml")), ("", str(tmp_path / "lost.yaml")),
    ]  # fmt: skip
    assert students[0]["steps"] == {"A": {"right": ada["A"].size, "total": ada["A"].size}, "Z": {"right": 0, "total": ada["Z"].size}}
    share = round(100 * ada["A"].size / (ada["A"].size + ada["Z"].size), 1)
    assert students[0]["score"] == share and students[0]["first_mistake"] == "Z: not answered"
    assert students[1]["score"] is None and students[1]["first_mistake"].startswith("2 submissions")
    assert students[2]["score"] is None and "s03.yaml" in students[2]["first_mistake"]
    assert students[3]["first_mistake"] == "one of 2 submissions; nothing written" and students[3]["score"] == 0


# --- filled PDF forms -------------------------------------------------------------------------
def pdf_form(path: Path, fields: dict[str, str]) -> Path:
    """A one-page PDF with a text field per entry, filled, made with pypdf directly."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, NumberObject, TextStringObject

    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    widgets = ArrayObject()
    for k, (name, value) in enumerate(fields.items()):
        widget = DictionaryObject({
            NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/FT"): NameObject("/Tx"), NameObject("/T"): TextStringObject(name),
            NameObject("/V"): TextStringObject(value), NameObject("/F"): NumberObject(4),
            NameObject("/Rect"): ArrayObject([FloatObject(40), FloatObject(800 - 20 * k), FloatObject(120), FloatObject(815 - 20 * k)]),
        })  # fmt: skip
        widgets.append(writer._add_object(widget))
    page[NameObject("/Annots")] = widgets
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject({NameObject("/Fields"): ArrayObject(list(widgets))})
    with path.open("wb") as stream:
        writer.write(stream)
    return path


def test_a_filled_form_is_marked_blank_and_text_cells_included(tmp_path, week3):
    out = week3
    steps = truth(out, "s02")
    manifest = yaml_load(out / "class.yaml")
    fields = {"id": "s02", "variant": manifest["students"][1]["variant"]}
    rows, cols = steps["A"].shape
    for i in range(rows):
        for j in range(cols):
            fields[f"A[{i + 1},{j + 1}]"] = f"{steps['A'][i, j]:.3f}"
    fields["A[1,2]"] = "about a half"  # not a number: a wrong cell that shows what was written
    fields["A[2,2]"] = ""  # blank
    subs = tmp_path / "subs"
    subs.mkdir()
    pdf_form(subs / "scan.pdf", fields)
    report = tmp_path / "g.csv"
    done = invoke("check", out / "class.yaml", subs, "--report", report)
    assert done.exit_code == 1, done.stderr
    row = grades(report)[2]
    n_a, n_z = steps["A"].size, steps["Z"].size
    assert row[:2] == ["s02", "Alan Turing"] and row[4:6] == [f"{n_a - 2}/{n_a}", f"0/{n_z}"]
    assert row[3] == f"{round(100 * (n_a - 2) / (n_a + n_z), 1)}"
    assert row[6] == f"A[1,2]: wrote about a half, expected {steps['A'][0, 1]:.6g}"
    # the same form checked against its problem file alone: the steps it has fields for
    alone = invoke("check", out / "problems" / "s02.yaml", subs / "scan.pdf", "-f", "json")
    assert alone.exit_code == 1, alone.stderr
    marked = json.loads(alone.stdout)["files"][0]["steps"]
    assert [step["name"] for step in marked] == ["A"] and marked[0]["wrong"] == 1 and marked[0]["blank"] == 1
    assert [cell["given"] for cell in marked[0]["cells"] if cell["verdict"] == "wrong"] == ["about a half"]


def test_a_damaged_pdf_is_a_row_not_a_crash(tmp_path, week3):
    out = week3
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "s01.pdf").write_bytes(b"%PDF-1.7\n garbage")
    done = invoke("check", out / "class.yaml", subs)
    assert done.exit_code == 3 and done.stderr.count("\n") == 1 and "s01.pdf" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


# --- the round trip ---------------------------------------------------------------------------
# Mia's exercise is chosen (seed 16) so that her mistake leaves no cell right by chance
FIVE = "id,name,seed\nr1,Rita Right,\nr2,Ron Rounding,\nr3,Mia Mistake,16\nr4,Bo Blank,\nr5,Max Missing,\n"


def fill_form(form: Path, values: dict[str, str], out: Path) -> Path:
    """A fillable sheet filled in as a reader does: each field's value set and saved."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(form))
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    with out.open("wb") as stream:
        writer.write(stream)
    return out


def form_values(steps: dict, decimals: int) -> dict[str, str]:
    """A student's numbers by field name: ``A[2,3]`` is row 2, column 3 of A."""
    return {f"{name}[{i + 1},{j + 1}]": f"{steps[name][i, j]:.{decimals}f}" for name in ("A", "Z")
            for i, j in np.ndindex(steps[name].shape)}  # fmt: skip


@pytest.mark.parametrize("fillable", [False, True])
def test_round_trip_of_a_class_of_five(tmp_path, fillable):
    out = make_class(tmp_path, FIVE, *(["--fillable"] if fillable else []))
    subs = tmp_path / "handed-in"
    subs.mkdir()
    steps = {student: truth(out, student) for student in ("r1", "r2", "r3", "r4")}
    mistake = dict(steps["r3"], Z=steps["r3"]["V"] @ steps["r3"]["A"].T)  # Z = V·Aᵀ: the weights transposed
    written_z = np.round(mistake["Z"], 3)
    assert (np.abs(written_z - steps["r3"]["Z"]) > 0.02).all()  # no cell of the mistake is right by chance
    filled(out / "answers" / "r1.yaml", steps["r1"], subs / "r1.yaml", 4)
    filled(out / "answers" / "r3.yaml", mistake, subs / "mia.yaml", 3)
    if fillable:
        fill_form(out / "fillable" / "r2.pdf", form_values(steps["r2"], 2), subs / "r2.pdf")
        fill_form(out / "fillable" / "r4.pdf", {}, subs / "scan-bo.pdf")  # paired by the id inside
    else:
        filled(out / "answers" / "r2.yaml", steps["r2"], subs / "r2.yaml", 2)
        filled(out / "answers" / "r4.yaml", {}, subs / "r4.yaml")
    report = tmp_path / "grades.csv"
    done = invoke("check", out / "class.yaml", subs, "--report", report)
    assert done.exit_code == 1, done.stderr
    size = {name: steps["r1"][name].size for name in ("A", "Z")}
    n_a, n_z = size["A"], size["Z"]
    blank_file = subs / ("scan-bo.pdf" if fillable else "r4.yaml")
    assert grades(report) == [
        ["id", "name", "file", "score", "A", "Z", "first mistake"],
        ["r1", "Rita Right", str(subs / "r1.yaml"), "100.0", f"{n_a}/{n_a}", f"{n_z}/{n_z}", ""],
        ["r2", "Ron Rounding", str(subs / ("r2.pdf" if fillable else "r2.yaml")), "100.0", f"{n_a}/{n_a}", f"{n_z}/{n_z}", ""],
        ["r3", "Mia Mistake", str(subs / "mia.yaml"), f"{round(100 * n_a / (n_a + n_z), 1)}", f"{n_a}/{n_a}", f"0/{n_z}",
         f"Z[1,1]: wrote {written_z[0, 0]:g}, expected {steps['r3']['Z'][0, 0]:.6g} "
         "(Z is V·Aᵀ instead of V·A: each column of Z is V times a column of A)"],  # the mistake, diagnosed
        ["r4", "Bo Blank", str(blank_file), "0.0", f"0/{n_a}", f"0/{n_z}", "nothing written"],
        ["r5", "Max Missing", "", "", "", "", "no submission"],
    ]  # fmt: skip
    if fillable:
        from test_worksheet import pdf_text

        manifest = yaml_load(out / "class.yaml")
        for entry in manifest["students"]:
            text = pdf_text(out / "fillable" / f"{entry['id']}.pdf")
            assert entry["name"] in text and entry["variant"] in text
            assert "2026" not in text and "seed" not in text.lower()
            assert entry["seed"] < 1000 or str(entry["seed"]) not in text  # (a short seed may be any number)
            others = [other["name"] for other in manifest["students"] if other is not entry]
            assert not any(name in text for name in others)  # each form is one student's sheet only
        assert_fields_over_boxes(out / "fillable" / "r1.pdf", n_a + n_z)


def assert_fields_over_boxes(form: Path, cells: int) -> None:
    """One text field per blank cell, each a box's size, none over another, all on the page."""
    from pypdf import PdfReader

    reader = PdfReader(form)
    rects = []
    for k, page in enumerate(reader.pages):
        for annotation in page.get("/Annots") or []:
            widget = annotation.get_object()
            x0, y0, x1, y1 = map(float, widget["/Rect"])
            if widget["/T"] in ("id", "variant"):
                assert widget["/Ff"] & 1 and widget["/F"] & 2  # read-only and hidden
                continue
            assert 0 <= x0 < x1 <= float(page.mediabox.right) and 0 <= y0 < y1 <= float(page.mediabox.top)
            assert 15 < x1 - x0 < 60 and 12 < y1 - y0 < 40  # about 0.9–1.5 cm by 0.75–0.85 cm
            rects.append((k, x0, y0, x1, y1))
    assert len(rects) == cells
    for i, (k, x0, y0, x1, y1) in enumerate(rects):
        for k2, a0, b0, a1, b1 in rects[i + 1 :]:
            assert k != k2 or x1 <= a0 + 0.5 or a1 <= x0 + 0.5 or y1 <= b0 + 0.5 or b1 <= y0 + 0.5


def test_a_class_compiled_in_parts_is_one_document_in_roster_order(tmp_path, monkeypatch):
    from test_worksheet import page_count, pdf_text

    import handcalc.render.typst as typst_module

    monkeypatch.setattr(typst_module, "PER_PART", 1)  # three students: a part each, forms too
    monkeypatch.setattr(typst_module, "FORMS_PER_PART", 1)
    out = make_class(tmp_path, ROSTER, "--fillable")
    names = [s.name for s in parse_roster(ROSTER)]
    for document in ("sheets.pdf", "key.pdf"):
        text = pdf_text(out / document)
        assert [text.index(name) for name in names] == sorted(text.index(name) for name in names)
    forms = [out / "fillable" / f"{s.id}.pdf" for s in parse_roster(ROSTER)]
    assert page_count((out / "sheets.pdf").read_bytes()) == sum(page_count(form.read_bytes()) for form in forms)
    for name, form in zip(names, forms):
        assert name in pdf_text(form) and not any(other in pdf_text(form) for other in names if other != name)


def test_every_field_of_a_multi_head_rows_layout_form_is_a_cell(tmp_path):
    """Two causal heads in the rows layout, every step blank: a form filled with the true
    values (by field name: h2:A[1,2], sums[3] …) is all right; the masked −∞ have no field."""
    from reference import reference_multihead

    (tmp_path / "class.csv").write_text("id,name\nm1,Multi Head\n", encoding="utf-8")
    out = tmp_path / "mh"
    done = invoke("worksheet", "--roster", tmp_path / "class.csv", "--seed", "5", "--tokens", "3", "--d-k", "1",
                  "--heads", "2", "--mask", "causal", "--layout", "rows", "--fillable", "-o", out)  # fmt: skip
    assert done.exit_code == 0, done.stderr
    steps = reference_multihead(yaml_load(out / "problems" / "m1.yaml"))
    values, cells = {}, 0
    for name, value in steps.items():
        short = name.split(".")[-1]
        if short in ("X",) or name not in yaml_load(out / "class.yaml")["blanks"]:
            continue
        for index in np.ndindex(value.shape):
            if value[index] == -np.inf:
                continue  # printed on the sheet
            cells += 1
            where = ",".join(str(i + 1) for i in index)
            values[f"{name.replace('.', ':')}[{where}]"] = f"{value[index]:.4f}"
    from pypdf import PdfReader

    assert {n for n in PdfReader(out / "fillable" / "m1.pdf").get_fields()} == set(values) | {"id", "variant"}
    fill_form(out / "fillable" / "m1.pdf", values, tmp_path / "m1.pdf")
    report = tmp_path / "g.csv"
    checked = invoke("check", out / "class.yaml", tmp_path / "m1.pdf", "--report", report)
    assert checked.exit_code == 0, checked.stdout + checked.stderr
    assert grades(report)[1][3] == "100.0" and cells > 40


def test_a_variant_code_is_the_same_wherever_handcalc_is_installed():
    """The problem file's first line names the installed schema's path; the code ignores it."""
    from handcalc.exercises.roster import variant_code

    body = "X: [[1, 0], [0, 1]]\nW_q: [[1, 0]]\nW_k: [[0, 1]]\nW_v: [[1, 1]]\n"
    here = "# yaml-language-server: $schema=file:///home/a/venv/handcalc/schemas/problem.schema.json\n" + body
    there = "# yaml-language-server: $schema=file:///opt/b/handcalc/schemas/problem.schema.json\n" + body
    assert variant_code(here) == variant_code(there) != variant_code(body.replace("[1, 1]", "[1, 2]"))
