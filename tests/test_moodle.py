"""handcalc moodle: Moodle XML that the quiz import reads, Cloze fields checked against a small
parser of the documented grammar, values against the independent reference, and a round trip
of answers graded the way Moodle grades a NUMERICAL sub-question."""

import html
import json
import re
import xml.etree.ElementTree as ET
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from conftest import ROOT, SAMPLES, cli_runner
from reference import reference_attention, reference_multihead

from handcalc.cli import app

SAMPLE = ROOT / "samples" / "self_attention.yaml"
PROBLEM = {
    "X": [[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]],
    "W_q": [[1, 0, 1], [0, 1, 1]],
    "W_k": [[0, 1, 1], [1, 0, 0]],
    "W_v": [[1, 1, 0], [0, 0, 1]],
}

# --- the documented Cloze grammar (Moodle docs, "Embedded Answers (Cloze) question type") ---
# {GRADE:TYPE:alternative~alternative~…}; an alternative is [=|%n%]answer[#feedback]; inside
# a sub-question } # ~ / " \ are written with a backslash before them.
FIELD_START = re.compile(r"\{(\d*):(NUMERICAL|NM|SHORTANSWER|SA|MW|MULTICHOICE|MC)[A-Z_]*:")
NUMBER = r"-?(?:[0-9]+[.,]?[0-9]*|[.,][0-9]+)(?:[eE][-+]?[0-9]+)?"
NUMERICAL_ANSWER = re.compile(rf"({NUMBER})(?::({NUMBER}))?")


def split_unescaped(text, separator):
    """``text`` split at each ``separator`` that has no backslash before it."""
    parts, current, i = [], "", 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            current += text[i : i + 2]
            i += 2
            continue
        if text[i] == separator:
            parts.append(current)
            current = ""
        else:
            current += text[i]
        i += 1
    return [*parts, current]


def unescape(text):
    return re.sub(r"\\(.)", r"\1", text)


def parse_fields(question_html):
    """Every sub-question of a Cloze text as (grade, type, [(fraction, value, tolerance,
    feedback)]); fails on anything not well formed, and on a brace outside a sub-question."""
    fields, i, outside = [], 0, []
    while (start := question_html.find("{", i)) != -1:
        outside.append(question_html[i:start])
        match = FIELD_START.match(question_html, start)
        assert match, f"a brace that opens no sub-question: {question_html[start:start + 40]!r}"
        j = match.end()
        while question_html[j] != "}":  # the closing brace is the first one not escaped
            j += 2 if question_html[j] == "\\" else 1
        body = question_html[match.end() : j]
        alternatives = []
        for alternative in split_unescaped(body, "~"):
            head, *feedback = split_unescaped(alternative, "#")
            assert len(feedback) <= 1, alternative
            fraction = re.match(r"=|%(-?\d+)%", head)
            assert fraction, f"an alternative without its credit: {alternative!r}"
            credit = 1.0 if fraction.group(0) == "=" else int(fraction.group(1)) / 100
            number = NUMERICAL_ANSWER.fullmatch(head[fraction.end() :])
            assert number, f"not a number with a tolerance: {head!r}"
            alternatives.append((credit, float(number.group(1)), float(number.group(2) or 0), unescape(feedback[0]) if feedback else ""))
        fields.append((int(match.group(1) or 1), match.group(2), alternatives))
        i = j + 1
    outside.append(question_html[i:])
    assert "}" not in "".join(outside), "a closing brace outside every sub-question"
    return fields


def grade(field, response):
    """What Moodle gives a NUMERICAL sub-question: the first answer within its tolerance."""
    for credit, value, tolerance, feedback in field[2]:
        if abs(response - value) <= tolerance + 1e-12:
            return credit, feedback
    return 0.0, None


def rounded(x, places):
    """Half away from zero, on the decimal the float prints as."""
    return float(Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def build(tmp_path, *args, problem=None):
    path = tmp_path / "problem.yaml"
    path.write_text(json.dumps(problem or PROBLEM))
    out = tmp_path / "quiz.xml"
    result = cli_runner().invoke(app, ["moodle", *( [str(path)] if problem is not False else []), *args, "-o", str(out)])
    assert result.exit_code == 0, result.output + str(result.stderr_bytes)
    return ET.parse(out).getroot()


def questions(root):
    return [q for q in root.findall("question") if q.get("type") == "cloze"]


def test_moodle_quiz_is_a_category_then_one_cloze_question(tmp_path):
    root = build(tmp_path, "--blank", "A,Z")
    assert root.tag == "quiz"
    first, *rest = root.findall("question")
    assert first.get("type") == "category" and first.find("category/text").text.startswith("$course$/top/")
    assert [q.get("type") for q in rest] == ["cloze"]
    (question,) = rest
    assert question.find("name/text").text
    assert question.find("questiontext").get("format") == "html"
    assert question.find("generalfeedback/text").text


def test_moodle_fields_are_well_formed_and_hold_the_reference_values(tmp_path):
    question = questions(build(tmp_path, "--blank", "A,Z"))[0]
    fields = parse_fields(question.find("questiontext/text").text)
    reference = reference_attention(PROBLEM)
    expected = [*np.asarray(reference["A"]).ravel(), *np.asarray(reference["Z"]).ravel()]  # row by row
    assert len(fields) == len(expected) == 16 + 8
    for (grade_, kind, alternatives), truth in zip(fields, expected, strict=True):
        assert grade_ == 1 and kind == "NUMERICAL"
        credit, value, tolerance, feedback = alternatives[0]
        assert credit == 1.0 and value == pytest.approx(rounded(truth, 3), abs=1e-12) and tolerance == 0.0005
        assert all(c == 0.0 for c, *_ in alternatives[1:]), "only the right value earns credit"
        values = [v for _, v, _, _ in alternatives]
        assert all(abs(a - b) > 2 * tolerance for k, a in enumerate(values) for b in values[:k]), "overlapping answers"


def test_moodle_round_trip_right_answers_get_full_credit_and_transposed_scores_are_diagnosed(tmp_path):
    question = questions(build(tmp_path, "--blank", "scores"))[0]
    fields = parse_fields(question.find("questiontext/text").text)
    scores = np.asarray(reference_attention(PROBLEM)["scores"])  # keys × queries
    assert len(fields) == scores.size
    right = [grade(field, truth) for field, truth in zip(fields, scores.ravel(), strict=True)]
    assert all(credit == 1.0 and feedback == "Right." for credit, feedback in right)
    for field, truth, transposed in zip(fields, scores.ravel(), scores.T.ravel(), strict=True):
        credit, feedback = grade(field, transposed)
        if abs(truth - transposed) < 1e-9:
            assert credit == 1.0  # the diagonal, and cells the transpose leaves alone
        else:
            assert credit == 0.0 and feedback.startswith("Scores are transposed"), feedback


def test_moodle_a_rounded_student_is_right_and_an_unlisted_wrong_value_gets_nothing(tmp_path):
    question = questions(build(tmp_path, "--blank", "A", "--precision", "2"))[0]
    fields = parse_fields(question.find("questiontext/text").text)
    A = np.asarray(reference_attention(PROBLEM)["A"]).ravel()
    for field, truth in zip(fields, A, strict=True):
        assert field[2][0][2] == 0.005  # half a unit of 2 decimals
        assert grade(field, rounded(truth, 2))[0] == 1.0
        assert grade(field, truth + 0.5) == (0.0, None)


def test_moodle_tolerance_option_sets_every_field(tmp_path):
    question = questions(build(tmp_path, "--blank", "Z", "--tolerance", "0.01"))[0]
    assert {alt[2] for field in parse_fields(question.find("questiontext/text").text) for alt in field[2]} == {0.01}


def test_moodle_masked_cells_are_printed_not_asked(tmp_path):
    problem = dict(PROBLEM, mask="causal")
    question = questions(build(tmp_path, "--blank", "masked,A", problem=problem))[0]
    text = question.find("questiontext/text").text
    fields = parse_fields(text)
    reference = reference_attention(problem)
    blocked = np.isneginf(np.asarray(reference["masked"]))
    assert len(fields) == (blocked.size - blocked.sum()) + blocked.size  # masked: all but −∞; A: every cell (0 too)
    assert text.count("−∞") >= blocked.sum()
    asked = np.asarray(reference["masked"]).ravel()[~blocked.ravel()]
    assert [f[2][0][1] for f in fields[: len(asked)]] == [pytest.approx(rounded(a, 3)) for a in asked]
    A = np.asarray(reference["A"]).ravel()
    assert [f[2][0][1] for f in fields[len(asked) :]] == [pytest.approx(rounded(a, 3)) for a in A]


def test_moodle_escapes_cloze_syntax_in_titles_and_tokens(tmp_path):
    tokens = ["{1:NM:=5}", "a#b~c", "}", '"/\\']
    problem = dict(PROBLEM, title="Braces {#1} and ~ tildes", tokens=tokens)
    question = questions(build(tmp_path, "--blank", "A", problem=problem))[0]
    text = question.find("questiontext/text").text
    assert len(parse_fields(text)) == 16  # the tokens open no sub-question
    shown = html.unescape(re.sub(r"<[^>]+>", " ", FIELD_START.split(text)[0]))
    for token in tokens:
        assert token in shown
    assert "Braces {#1} and ~ tildes" in html.unescape(question.find("name/text").text)


def test_moodle_feedback_escapes_the_special_characters():
    from handcalc.platforms.moodle import field

    text = field(1.0, [('a } b # c ~ d / e " f \\ g', 2.0)], 3, 0.0005)
    (_, _, alternatives), = parse_fields(text)
    assert alternatives[1][3] == 'A } b # c ~ d / e " f \\ g.'


def test_moodle_variants_are_named_by_their_code_in_one_category(tmp_path):
    root = build(tmp_path, "--variants", "3", "--seed", "2026", "--level", "2", problem=False)
    names = [q.find("name/text").text for q in questions(root)]
    assert len(names) == 3 and [name.rsplit(" · ", 1)[1] for name in names] == ["V01", "V02", "V03"]
    assert len([q for q in root.findall("question") if q.get("type") == "category"]) == 1
    texts = [q.find("questiontext/text").text for q in questions(root)]
    assert len(set(texts)) == 3  # three different exercises
    shown = [*names, *texts, *(q.find("generalfeedback/text").text for q in questions(root))]
    assert not any(re.search(r"seed|2026|2027|2028", text) for text in shown), "a student could make the answers again"
    assert "2026" in root.find("question/category/text").text  # the teacher's category says where they came from
    for text in texts:
        assert parse_fields(text)


def test_moodle_general_feedback_is_the_worked_key(tmp_path):
    question = questions(build(tmp_path, "--blank", "Z"))[0]
    key = html.unescape(question.find("generalfeedback/text").text)
    Z = np.asarray(reference_attention(PROBLEM)["Z"])
    shown = [float(n) for n in re.findall(r">(-?[0-9.]+)</td>", key)]
    for value in Z.ravel():
        assert rounded(value, 3) in shown
    assert "Work:" in key and "{" not in key


def test_moodle_refuses_to_overwrite_and_reports_bad_input(tmp_path):
    out = tmp_path / "quiz.xml"
    out.write_text("mine")
    result = cli_runner().invoke(app, ["moodle", str(SAMPLE), "-o", str(out)])
    assert result.exit_code == 3 and "--force" in result.stderr and out.read_text() == "mine"
    bad = tmp_path / "bad.yaml"
    bad.write_text("X: [[1, 2]\n")
    result = cli_runner().invoke(app, ["moodle", str(bad), "-o", str(tmp_path / "q.xml")])
    assert result.exit_code == 3 and result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1
    result = cli_runner().invoke(app, ["moodle", str(SAMPLE), "--blank", "nope", "-o", str(tmp_path / "q.xml")])
    assert result.exit_code == 2


ORDER = ("Q", "K", "V", "scores", "scaled", "masked", "exp", "sums", "A", "Z")  # DESIGN §1, as worked by hand


@pytest.mark.parametrize("sample", SAMPLES, ids=[path.stem for path in SAMPLES])
def test_moodle_every_sample_is_a_well_formed_question_with_a_field_per_cell_to_write(tmp_path, sample):
    """Every sample (heads, masks, cross-attention, rows layout): a field per computed cell
    but the mask's −∞, row by row and step by step, each holding the reference value."""
    from ruamel.yaml import YAML

    out = tmp_path / "quiz.xml"
    assert cli_runner().invoke(app, ["moodle", str(sample), "-o", str(out)]).exit_code == 0
    fields = parse_fields(questions(ET.parse(out).getroot())[0].find("questiontext/text").text)
    problem = json.loads(json.dumps(YAML(typ="safe").load(sample.read_text(encoding="utf-8"))))
    assert "round" not in problem  # the reference does not carry rounding
    if "heads" in problem:
        steps = reference_multihead(problem)
        heads = [f"h{h}." for h in range(1, len(problem["heads"]) + 1)]
        names = [head + name for head in heads for name in ORDER] + ["concat", "output"]
    else:
        steps, names = reference_attention(problem), [*ORDER, "output"]
    cells = [x for name in names if name in steps for x in steps[name].ravel() if x != -np.inf]
    assert [field[2][0][1] for field in fields] == [pytest.approx(rounded(x, 3), abs=1e-9) for x in cells]
