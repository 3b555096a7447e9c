"""``handcalc schema``: draft-07 JSON Schemas of problem and answers files, for editors
(issue 14, item 3). Every sample and every file handcalc writes validates; a misspelt key
does not; the files ``new`` writes name the bundled schema on their first line."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from conftest import ROOT, SAMPLES, cli_runner
from jsonschema import Draft7Validator
from ruamel.yaml import YAML

from handcalc import parse_problem
from handcalc.cli import app
from handcalc.errors import HandcalcError
from handcalc.schema import KINDS, schema_line, schema_path, with_schema_line

runner = cli_runner()
ANSWERS = sorted((ROOT / "samples" / "answers").glob("*.yaml"))
SCHEMA_LINE = "# yaml-language-server: $schema="


def yaml_data(text: str):
    """The document as plain data, as an editor's YAML plugin sees it (YAML 1.2)."""
    return YAML(typ="safe", pure=True).load(text)


def validator(kind: str) -> Draft7Validator:
    result = runner.invoke(app, ["schema", kind])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    Draft7Validator.check_schema(schema)  # a well-formed draft-07 schema
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    return Draft7Validator(schema)


def errors(kind: str, data) -> list[str]:
    return [error.message for error in validator(kind).iter_errors(data)]


@pytest.mark.parametrize("kind", KINDS)
def test_the_bundled_schema_file_is_what_the_command_prints(kind):
    # the file the schema line points at must not drift from the schema handcalc knows
    printed = runner.invoke(app, ["schema", kind]).stdout
    assert json.loads(schema_path(kind).read_text(encoding="utf-8")) == json.loads(printed)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_every_sample_problem_validates(sample):
    assert errors("problem", yaml_data(sample.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize("sample", ANSWERS, ids=lambda p: p.name)
def test_every_sample_answers_file_validates(sample):
    assert errors("answers", yaml_data(sample.read_text(encoding="utf-8"))) == []


NEW_OPTIONS = [
    [],
    ["--base", "3", "--d-model", "6"],
    ["--heads", "2", "--mask", "causal", "--base", "3"],
    ["--layout", "rows", "--tokens", "3", "--d-k", "1"],
]


@pytest.mark.parametrize("options", NEW_OPTIONS, ids=" ".join)
def test_files_new_writes_validate_and_name_the_bundled_schema(options, tmp_path):
    out = tmp_path / "problem.yaml"
    result = runner.invoke(app, ["new", "--seed", "5", *options, "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first.startswith(SCHEMA_LINE)
    target = Path(unquote(urlparse(first.removeprefix(SCHEMA_LINE)).path))
    assert target == schema_path("problem") and target.is_file()
    assert errors("problem", yaml_data(text)) == []
    parse_problem(text)  # and handcalc reads it, the schema line being a comment


def test_a_class_folder_validates_its_problems_and_answers_templates(tmp_path):
    (tmp_path / "class.csv").write_text("id,name\ns01,Ada Lovelace\ns02,Alan Turing\n", encoding="utf-8")
    out = tmp_path / "class"
    result = runner.invoke(app, ["worksheet", "--roster", str(tmp_path / "class.csv"), "--seed", "7",
                                 "--tokens", "3", "--mask", "causal", "--level", "1", "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    files = {kind: sorted((out / folder).glob("*.yaml")) for kind, folder in (("problem", "problems"), ("answers", "answers"))}
    assert all(len(paths) == 2 for paths in files.values())
    for kind, paths in files.items():
        for path in paths:
            assert errors(kind, yaml_data(path.read_text(encoding="utf-8"))) == [], path


def test_an_answers_file_with_the_schema_line_validates_and_keeps_its_data():
    text = "Q: [[2, 1.5], [\"1/3\", null]]\nA: [[0.25, \"?\"], [-inf, \"_\"]]\nh2.sums: [1, 2.5]\n"
    stamped = with_schema_line(text, "answers")
    assert stamped.splitlines()[0] == schema_line("answers")
    assert yaml_data(stamped) == yaml_data(text)
    assert errors("answers", yaml_data(stamped)) == []


def _sample_data():
    return yaml_data((ROOT / "samples" / "self_attention.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(W_qq=d.pop("W_q")),  # a misspelt key
        lambda d: d.update(tokes=["a", "b", "c", "d"]),
        lambda d: d.update(heads=[{"W_q": d["W_q"], "W_k": d["W_k"], "W_v": d["W_v"]}]),  # heads and W_q both
        lambda d: d.update(mask="casual"),
        lambda d: d.update(layout="colums"),
        lambda d: d.update(base=1),
        lambda d: d.update(round=2.5),
        lambda d: d.update(X=[[1, "x"]]),
        lambda d: d.pop("W_v"),
    ],
    ids=["W_qq", "tokes", "heads+W_q", "mask", "layout", "base 1", "round 2.5", "cell", "no W_v"],
)
def test_a_wrong_problem_does_not_validate_and_handcalc_refuses_it_too(change):
    data = _sample_data()
    change(data)
    assert errors("problem", data)
    with pytest.raises(HandcalcError):
        parse_problem(json.dumps(data))


def test_the_schema_accepts_what_handcalc_accepts_in_each_option():
    data = _sample_data() | {"mask": [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]],
                             "scale": "2", "temperature": 0.5, "base": "7/3", "round": 3,
                             "layout": "columns", "tokens": ["a", 1, "c", "d"], "X": [["1/2", 0, -1.5, 1e3]] * 3}
    parse_problem(json.dumps(data))
    assert errors("problem", data) == []


@pytest.mark.parametrize(
    "data",
    [{"scroes": [[1]]}, {"Q": [[1, "x"]]}, {"h2.sum": [1]}, {"Q": [1, 2]}, {"sums": [[1, 2]]}, {}],
    ids=["scroes", "bad cell", "h2.sum", "vector for a matrix", "matrix for sums", "empty"],
)
def test_a_wrong_answers_file_does_not_validate(data):
    assert errors("answers", data)


def test_the_schema_command_refuses_an_unknown_kind():
    result = runner.invoke(app, ["schema", "problems"])
    assert result.exit_code == 2
