"""handcalc gradescope: the autograder zip built, unpacked into a temporary AUTOGRADER_ROOT,
installed from a wheel of this checkout by its own setup.sh, and run by its own run_autograder
on real submissions; results.json checked against the specification's schema and against
marks computed here from the independent reference."""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from conftest import ROOT, cli_runner
from reference import reference_attention

from handcalc.cli import app

PROBLEM = {
    "title": "Self-attention by hand",
    "X": [[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]],
    "W_q": [[1, 0, 1], [0, 1, 1]],
    "W_k": [[0, 1, 1], [1, 0, 0]],
    "W_v": [[1, 1, 0], [0, 0, 1]],
}
REFERENCE = {name: np.asarray(value, dtype=float) for name, value in reference_attention(PROBLEM).items()}

# Gradescope's autograder specification, "Output format", as a JSON Schema.
VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
RESULTS_SCHEMA = {
    "type": "object",
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number"},
        "output": {"type": "string"},
        "output_format": FORMAT,
        "test_output_format": FORMAT,
        "test_name_format": FORMAT,
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "extra_data": {"type": "object"},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "score": {"type": "number"},
                    "max_score": {"type": "number"},
                    "status": {"enum": ["passed", "failed"]},
                    "name": {"type": "string"},
                    "name_format": FORMAT,
                    "number": {"type": "string"},
                    "output": {"type": "string"},
                    "output_format": FORMAT,
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "visibility": VISIBILITY,
                    "extra_data": {"type": "object"},
                },
                "additionalProperties": False,
            },
        },
        "leaderboard": {"type": "array"},
    },
    "additionalProperties": False,
    "anyOf": [{"required": ["score"]}, {"required": ["tests"]}],
}
METADATA = {
    "id": 123456, "created_at": "2026-12-01T14:22:32.365935-07:00", "assignment": {"id": 25828, "title": "Week 3"},
    "submission_method": "upload", "users": [{"email": "ada@example.edu", "id": 1234, "name": "Ada"}], "previous_submissions": [],
}  # fmt: skip


def matrix_yaml(name, value, text=lambda x: repr(float(x))):
    """``name: [[…], …]`` with each number written by ``text``."""
    rows = value.reshape(1, -1) if value.ndim == 1 else value
    body = ", ".join("[" + ", ".join(text(x) for x in row) + "]" for row in rows)
    return f"{name}: {body[1:-1] if value.ndim == 1 else '[' + body + ']'}\n"


def softmax_rows(exp):
    """The classic mistake, worked here: each row of exp divided by its own sum."""
    return exp / exp.sum(axis=1, keepdims=True)


# --- the real thing: setup.sh and run_autograder in a temporary AUTOGRADER_ROOT -------------
@pytest.fixture(scope="module")
def install(tmp_path_factory):
    """``install(PATH, *options) -> run``: the zip of ``gradescope PATH options --wheel W`` (W a
    wheel of this checkout) unpacked into a temporary AUTOGRADER_ROOT and installed by its own
    setup.sh; ``run(files, metadata)`` submits files, runs run_autograder, returns results.json."""
    base = tmp_path_factory.mktemp("gradescope")
    wheels = base / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(ROOT), "-w", str(wheels)],
                   check=True, capture_output=True)  # fmt: skip
    (wheel,) = wheels.glob("handcalc-*.whl")
    # A Python of its own for the autograder: no pip index (offline), the dependencies seen
    # from this environment, handcalc itself only from what setup.sh installs.
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (site,) = venv.glob("lib/python*/site-packages")
    (site / "dependencies.pth").write_text(str(Path(np.__file__).parent.parent) + "\n")
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", "PIP_NO_INDEX": "1",
           "PIP_NO_DEPS": "1", "PIP_IGNORE_INSTALLED": "1", "PYTHONDONTWRITEBYTECODE": "1"}  # fmt: skip
    env.pop("PYTHONPATH", None)

    def make(path, *options):
        root = Path(tempfile.mkdtemp(dir=base))
        archive = root / "autograder.zip"
        result = cli_runner().invoke(app, ["gradescope", str(path), *options, "--wheel", str(wheel), "-o", str(archive)])
        assert result.exit_code == 0, result.output + result.stderr
        with zipfile.ZipFile(archive) as unpacked:
            names = unpacked.namelist()
            assert "setup.sh" in names and "run_autograder" in names and wheel.name in names  # at the root
            for info in unpacked.infolist():
                unpacked.extract(info, root / "source")
                os.chmod(root / "source" / info.filename, info.external_attr >> 16 & 0o777)
        shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")  # as Gradescope's image build does
        setup = subprocess.run([str(root / "source" / "setup.sh")], cwd=root / "source", env=env, capture_output=True, text=True)
        assert setup.returncode == 0, setup.stderr
        assert (site / "handcalc" / "platforms" / "gradescope.py").is_file()  # installed from the bundled wheel

        def run(files, metadata=METADATA):
            for folder in ("submission", "results"):
                shutil.rmtree(root / folder, ignore_errors=True)
            (root / "submission").mkdir()
            for name, content in files.items():
                content(root / "submission" / name) if callable(content) else (root / "submission" / name).write_text(content)
            (root / "submission_metadata.json").write_text(json.dumps(metadata))
            done = subprocess.run([str(root / "run_autograder")], cwd=root, env={**env, "AUTOGRADER_ROOT": str(root)},
                                  capture_output=True, text=True)  # fmt: skip
            assert done.returncode == 0, done.stdout + done.stderr
            results = json.loads((root / "results" / "results.json").read_text())
            jsonschema.validate(results, RESULTS_SCHEMA)
            assert "Traceback" not in done.stdout + done.stderr
            return results

        return run

    return make


@pytest.fixture(scope="module")
def autograder(install, tmp_path_factory):
    """The autograder of ``gradescope PROBLEM --blank A,Z --ecf``, installed."""
    problem = tmp_path_factory.mktemp("problem") / "problem.yaml"
    problem.write_text(json.dumps(PROBLEM))
    return install(problem, "--blank", "A,Z", "--ecf")


def by_name(results):
    return {test["name"].partition(" = ")[0]: test for test in results["tests"]}


def test_gradescope_right_student_gets_every_point(autograder):
    answers = matrix_yaml("A", REFERENCE["A"]) + matrix_yaml("Z", REFERENCE["Z"])
    results = autograder({"answers.yaml": answers})
    tests = by_name(results)
    assert list(tests) == ["A", "Z"]
    assert (tests["A"]["score"], tests["A"]["max_score"], tests["Z"]["score"], tests["Z"]["max_score"]) == (16, 16, 8, 8)
    assert all(test["status"] == "passed" and test["output_format"] == "md" for test in tests.values())
    assert results["score"] == 24 and "24 of 24 points" in results["output"]


def test_gradescope_rounding_student_is_right(autograder):
    three = lambda x: f"{x:.3f}"  # noqa: E731
    results = autograder({"my answers.yml": matrix_yaml("A", REFERENCE["A"], three) + matrix_yaml("Z", REFERENCE["Z"], three)})
    assert results["score"] == 24 and all(test["status"] == "passed" for test in results["tests"])


def test_gradescope_classic_mistake_is_diagnosed_and_carried_with_ecf(autograder):
    wrong_A = softmax_rows(REFERENCE["exp"])
    Z_from_wrong_A = REFERENCE["V"] @ np.round(wrong_A, 3)  # worked right from the A written
    three = lambda x: f"{x:.3f}"  # noqa: E731
    results = autograder({"answers.yaml": matrix_yaml("A", wrong_A, three) + matrix_yaml("Z", Z_from_wrong_A, three)})
    tests = by_name(results)
    right_A = int(np.sum(np.abs(np.round(wrong_A, 3) - REFERENCE["A"]) <= 0.0005 + 1e-9))
    assert right_A < 16
    assert tests["A"]["score"] == right_A and tests["A"]["status"] == "failed"
    assert "**Diagnosis:** softmax along the wrong axis" in tests["A"]["output"]
    assert "✗" in tests["A"]["output"] and "|" in tests["A"]["output"]  # the marked table
    assert tests["Z"]["score"] == 8 and tests["Z"]["status"] == "passed"  # --ecf: carried cells count
    assert "~" in tests["Z"]["output"] and "Diagnosis" not in tests["Z"]["output"]
    assert results["score"] == right_A + 8


def test_gradescope_broken_file_scores_0_and_says_how_to_fix_it(autograder):
    results = autograder({"answers.yaml": "A: [[0.1, 0.2\nZ: 3\n"})
    assert results["score"] == 0 and results["tests"] == []
    assert "could not be read" in results["output"] and "answers.yaml:" in results["output"]
    assert "submit again" in results["output"] and str(Path("/")) + "autograder" not in results["output"]


# --- in-process: the same grade() on the cases that need no installation -------------------
@pytest.fixture
def unpacked(tmp_path):
    """``unpack(*options)``: the zip of ``gradescope PROBLEM options`` unpacked into a root."""

    def unpack(*options):
        problem = tmp_path / "problem.yaml"
        problem.write_text(json.dumps(PROBLEM))
        archive = tmp_path / "autograder.zip"
        result = cli_runner().invoke(app, ["gradescope", str(problem), *options, "-o", str(archive), "--force"])
        assert result.exit_code == 0, result.output
        root = tmp_path / "root"
        shutil.rmtree(root, ignore_errors=True)
        with zipfile.ZipFile(archive) as unpacked:
            unpacked.extractall(root / "source")
        (root / "submission").mkdir()
        return root

    return unpack


def grade(root):
    from handcalc.platforms.gradescope import grade

    results = grade(root)
    jsonschema.validate(results, RESULTS_SCHEMA)
    return results


def test_gradescope_tolerance_and_points_carry_through(unpacked):
    root = unpacked("--blank", "Z", "--tolerance", "0.01", "--points", "Z=5", "--visibility", "after_published")
    off = REFERENCE["Z"] + 0.008  # within 0.01, not within half a unit of 3 decimals
    (root / "submission" / "answers.yaml").write_text(matrix_yaml("Z", off, lambda x: f"{x:.3f}"))
    results = grade(root)
    (test,) = results["tests"]
    assert (test["score"], test["max_score"], test["visibility"]) == (5, 5, "after_published")
    root = unpacked("--blank", "Z", "--points", "Z=5")
    (root / "submission" / "answers.yaml").write_text(matrix_yaml("Z", off, lambda x: f"{x:.3f}"))
    assert grade(root)["tests"][0]["score"] == 0


def test_gradescope_without_ecf_carried_cells_earn_nothing(unpacked):
    root = unpacked("--blank", "A,Z")
    wrong_A = softmax_rows(REFERENCE["exp"])
    (root / "submission" / "answers.yaml").write_text(matrix_yaml("A", wrong_A) + matrix_yaml("Z", REFERENCE["V"] @ wrong_A))
    tests = by_name(grade(root))
    right_Z = int(np.sum(np.abs(REFERENCE["V"] @ wrong_A - REFERENCE["Z"]) <= 1e-9))
    assert tests["Z"]["score"] == right_Z < 8


def test_gradescope_a_step_not_answered_scores_0_and_says_so(unpacked):
    root = unpacked("--blank", "A,Z")
    (root / "submission" / "answers.yaml").write_text(matrix_yaml("A", REFERENCE["A"]))
    tests = by_name(grade(root))
    assert tests["A"]["score"] == 16 and tests["Z"]["score"] == 0 and "did not answer Z" in tests["Z"]["output"]


@pytest.mark.parametrize(
    "files, words",
    [({}, "no answers file"), ({"notes.txt": "hi"}, "no answers file (it has notes.txt)"),
     ({"a.yaml": "A: 1\n", "b.yaml": "Z: 2\n"}, "2 answers files (a.yaml, b.yaml)"),
     ({"answers.yaml": "Q: [[1, 2]]\n"}, "answers.yaml:1:1"), ({"answers.yaml": ""}, "could not be read")],
)  # fmt: skip
def test_gradescope_unreadable_submissions_score_0_with_a_reason(unpacked, files, words):
    root = unpacked("--blank", "A,Z")
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    results = grade(root)
    assert results["score"] == 0 and results["tests"] == [] and words in results["output"]


def test_without_a_wheel_the_zip_bundles_the_running_handcalc_and_it_installs(unpacked, tmp_path):
    """No package index needed: setup.sh installs the wheel made from this handcalc, and the
    installed copy marks a submission as check does."""
    from handcalc import __version__

    root = unpacked()
    source = root / "source"
    (wheel,) = source.glob("handcalc-*.whl")
    assert wheel.name == f"handcalc-{__version__}-py3-none-any.whl" and f"./{wheel.name}" in (source / "setup.sh").read_text()
    config = json.loads((source / "handcalc-autograder.json").read_text())
    assert config["ecf"] is False and config["tolerance"] is None
    with zipfile.ZipFile(wheel) as whl:  # every file listed in RECORD with its own hash
        record = dict(line.split(",", 1) for line in whl.read(f"handcalc-{__version__}.dist-info/RECORD").decode().split())
        for name in whl.namelist():
            if not name.endswith("RECORD"):
                digest = base64.urlsafe_b64encode(hashlib.sha256(whl.read(name)).digest()).rstrip(b"=").decode()
                assert record[name] == f"sha256={digest},{len(whl.read(name))}", name
        assert "handcalc/samples/self_attention.yaml" in record and "handcalc/cli/check.py" in record
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)  # fmt: skip
    answers = ROOT / "samples" / "answers" / "self_attention_right.yaml"
    done = subprocess.run([sys.executable, "-m", "handcalc", "check", str(ROOT / "samples" / "self_attention.yaml"), str(answers)],
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(target)}, capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    probe = "import handcalc, sys; print(handcalc.__file__)"
    where = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(target)},
                           capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert where.startswith(str(target))  # the wheel's copy, not this checkout's


def test_autograde_command_writes_results_even_when_the_autograder_is_broken(tmp_path):
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "handcalc-autograder.json").write_text('{"problem": "missing.yaml"}')
    result = cli_runner().invoke(app, ["autograde", "--root", str(tmp_path)])
    assert result.exit_code == 0
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    jsonschema.validate(results, RESULTS_SCHEMA)
    assert results["score"] == 0 and "tell your teacher" in results["output"]


def test_gradescope_usage_errors(tmp_path):
    problem = ROOT / "samples" / "self_attention.yaml"
    for options, hint in ((["--points", "Q=x"], "--points"), (["--blank", "A", "--points", "Z=2"], "--points"),
                          (["--blank", "nope"], "--blank"), (["--wheel", str(problem)], "--wheel"), (["--tolerance", "nan"], "--tolerance")):  # fmt: skip
        result = cli_runner().invoke(app, ["gradescope", str(problem), *options, "-o", str(tmp_path / "a.zip")])
        assert result.exit_code == 2 and hint in result.stderr, (options, result.stderr)
    assert not (tmp_path / "a.zip").exists()


# --- a class set: each student found in submission_metadata.json, marked on their own exercise
ROSTER = "id,name\nada@example.edu,Ada Lovelace\n12345,Alan Turing\n"


@pytest.fixture(scope="module")
def class_root(tmp_path_factory):
    """``submit(files, user)``: grade() on a class set's autograder (worksheet --roster, then
    gradescope class.yaml --ecf), the submitter described by ``user`` in the metadata."""
    from test_class_loop import make_class

    base = tmp_path_factory.mktemp("class")
    folder = make_class(base, ROSTER)
    archive = base / "autograder.zip"
    result = cli_runner().invoke(app, ["gradescope", str(folder / "class.yaml"), "--ecf", "-o", str(archive)])
    assert result.exit_code == 0, result.output + result.stderr
    root = base / "root"
    with zipfile.ZipFile(archive) as unpacked:
        names = unpacked.namelist()
        assert "class.yaml" in names and "problems/ada@example.edu.yaml" in names and "problems/12345.yaml" in names
        unpacked.extractall(root / "source")

    def submit(files, user):
        shutil.rmtree(root / "submission", ignore_errors=True)
        (root / "submission").mkdir()
        for name, write in files.items():
            write(root / "submission" / name)
        (root / "submission_metadata.json").write_text(json.dumps(dict(METADATA, users=[user])))
        return grade(root)

    return folder, submit


def test_gradescope_class_student_found_by_email_is_marked_on_their_own_exercise(class_root):
    from test_class_loop import filled, truth

    folder, submit = class_root
    steps = truth(folder, "ada@example.edu")
    template = folder / "answers" / "ada@example.edu.yaml"
    user = {"email": "Ada@Example.edu", "id": 777, "name": "Ada"}
    results = submit({"answers.yaml": lambda path: filled(template, {"A": steps["A"], "Z": steps["Z"]}, path)}, user)
    size = np.asarray(steps["A"]).size + np.asarray(steps["Z"]).size
    assert results["score"] == size and all(test["status"] == "passed" for test in results["tests"])
    assert results["output"].startswith("Ada Lovelace, exercise ")
    # Alan's right answers are not Ada's: marked against her exercise, and the file's code is noted
    alan = truth(folder, "12345")
    results = submit({"answers.yaml": lambda path: filled(folder / "answers" / "12345.yaml", {"A": alan["A"], "Z": alan["Z"]}, path)}, user)
    assert results["score"] < size and "handed in for exercise" in results["output"]


def test_gradescope_class_student_found_by_student_id_hands_in_a_filled_pdf_form(class_root):
    from test_class_loop import pdf_form, truth, yaml_load

    folder, submit = class_root
    steps = {name: np.asarray(value) for name, value in truth(folder, "12345").items()}
    variant = yaml_load(folder / "class.yaml")["students"][1]["variant"]
    fields = {"id": "12345", "variant": variant}
    for name in ("A", "Z"):
        for index in np.ndindex(steps[name].shape):
            fields[f"{name}[{','.join(str(i + 1) for i in index)}]"] = f"{steps[name][index]:.3f}"
    fields["Z[1,1]"] = ""  # left blank
    user = {"email": "alan@elsewhere.org", "sid": "12345", "id": 778, "name": "Alan"}
    results = submit({"sheet.pdf": lambda path: pdf_form(path, fields)}, user)
    tests = by_name(results)
    assert tests["A"]["score"] == steps["A"].size and tests["Z"]["score"] == steps["Z"].size - 1
    assert "?" in tests["Z"]["output"]


def test_gradescope_class_someone_not_on_the_roster_scores_0_with_a_reason(class_root):
    _, submit = class_root
    results = submit({"answers.yaml": lambda path: path.write_text("A: [[1]]\n")}, {"email": "eve@example.edu", "id": 9, "name": "Eve"})
    assert results["score"] == 0 and "eve@example.edu" in results["output"] and "not on this class's roster" in results["output"]


def test_gradescope_class_set_takes_its_steps_from_the_manifest(tmp_path):
    from test_class_loop import make_class

    folder = make_class(tmp_path, ROSTER)
    result = cli_runner().invoke(app, ["gradescope", str(folder / "class.yaml"), "--blank", "A", "-o", str(tmp_path / "a.zip")])
    assert result.exit_code == 2 and "class.yaml" in result.stderr


def test_gradescope_class_set_runs_for_real_on_a_filled_pdf_form(install, tmp_path):
    """A class set's autograder, installed by its setup.sh: the student is found by email in
    submission_metadata.json and their filled PDF form marked against their own exercise."""
    from test_class_loop import make_class, pdf_form, truth, yaml_load

    folder = make_class(tmp_path, ROSTER)
    run = install(folder / "class.yaml")
    steps = {name: np.asarray(value) for name, value in truth(folder, "ada@example.edu").items()}
    fields = {"id": "ada@example.edu", "variant": yaml_load(folder / "class.yaml")["students"][0]["variant"]}
    for name in ("A", "Z"):
        for index in np.ndindex(steps[name].shape):
            fields[f"{name}[{','.join(str(i + 1) for i in index)}]"] = f"{steps[name][index]:.3f}"
    fields["A[1,1]"] = "12"  # one wrong cell
    results = run({"filled.pdf": lambda path: pdf_form(path, fields)}, dict(METADATA, users=[{"email": "ada@example.edu", "id": 1, "name": "Ada"}]))
    tests = by_name(results)
    assert tests["A"]["score"] == steps["A"].size - 1 and tests["Z"]["score"] == steps["Z"].size
    assert results["output"].startswith("Ada Lovelace, exercise ")


def test_gradescope_refuses_to_overwrite_and_reports_bad_input(tmp_path):
    out = tmp_path / "autograder.zip"
    out.write_text("mine")
    result = cli_runner().invoke(app, ["gradescope", str(ROOT / "samples" / "self_attention.yaml"), "-o", str(out)])
    assert result.exit_code == 3 and "--force" in result.stderr and out.read_text() == "mine"
    bad = tmp_path / "bad.yaml"
    bad.write_text("X: [[1, 2]\n")
    result = cli_runner().invoke(app, ["gradescope", str(bad), "-o", str(tmp_path / "a.zip")])
    assert result.exit_code == 3 and result.stderr.startswith(f"Error: {bad}:") and len(result.stderr.splitlines()) == 1


def test_gradescope_class_finds_a_student_by_the_rosters_email_column(tmp_path):
    """A roster of school ids with an email column: Gradescope knows the student by email."""
    from test_class_loop import filled, make_class, truth, yaml_load

    folder = make_class(tmp_path, "id,name,email\ns01,Ada Lovelace,ada@example.edu\ns02,Alan Turing,\n")
    students = yaml_load(folder / "class.yaml")["students"]
    assert students[0]["email"] == "ada@example.edu" and "email" not in students[1]
    archive = tmp_path / "autograder.zip"
    assert cli_runner().invoke(app, ["gradescope", str(folder / "class.yaml"), "-o", str(archive)]).exit_code == 0
    root = tmp_path / "root"
    with zipfile.ZipFile(archive) as unpacked:
        unpacked.extractall(root / "source")
    steps = truth(folder, "s01")
    (root / "submission").mkdir()
    filled(folder / "answers" / "s01.yaml", {"A": steps["A"], "Z": steps["Z"]}, root / "submission" / "answers.yaml")
    user = {"email": "ADA@example.edu", "id": 31, "name": "Ada"}
    (root / "submission_metadata.json").write_text(json.dumps(dict(METADATA, users=[user])))
    results = grade(root)
    assert results["output"].startswith("Ada Lovelace, exercise ")
    assert results["score"] == np.asarray(steps["A"]).size + np.asarray(steps["Z"]).size
