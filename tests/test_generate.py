"""``handcalc new``: fresh exercises with nice numbers (issue 6, items 4 and 9).

The generator's promises, over many seeds: every number of X and the weights is a whole
number within the range; √d_k is whole; with base 3 every scaled score is a whole number
within ±4, so that exp and A are exact fractions; the same seed gives the same file, byte
for byte; the file loads back to the same problem.
"""

from __future__ import annotations

import math
import shlex
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from conftest import cli_runner
from hypothesis import given, settings
from hypothesis import strategies as st

from handcalc import compute, load_problem, parse_problem
from handcalc.cli import app
from handcalc.errors import HandcalcError, SchemaError
from handcalc.generate import generate, new_command, to_yaml
from handcalc.steps import short

runner = cli_runner()

seeds = st.integers(0, 2**32)
ranges = st.sampled_from([(-1, 2), (-1, 1), (0, 1), (-2, 2), (0, 2), (-3, 3)])
bases = st.sampled_from(["e", 3])


@st.composite
def options(draw, base=bases):
    """Keyword arguments of ``generate``, small enough to run a few hundred of."""
    return {
        "tokens": draw(st.integers(1, 8)),
        "d_model": draw(st.integers(1, 8)),
        "d_k": draw(st.sampled_from([1, 4, 9, 16])),
        "d_v": draw(st.one_of(st.none(), st.integers(1, 5))),
        "heads": draw(st.integers(1, 3)),
        "layout": draw(st.sampled_from(["columns", "rows"])),
        "mask": draw(st.sampled_from(["none", "causal"])),
        "base": draw(base),
        "value_range": draw(ranges),
    }


def inputs(problem) -> dict[str, np.ndarray]:
    """Every given matrix of a problem, by name (``h2.W_q`` for a head's)."""
    found = {"X": problem.X}
    if problem.W_o is not None:
        found["W_o"] = problem.W_o
    for index, head in enumerate(problem.heads, 1):
        for name in ("W_q", "W_k", "W_v"):
            found[f"h{index}.{name}"] = getattr(head, name)
    return found


def same_problem(a, b) -> None:
    for name, matrix in inputs(a).items():
        other = inputs(b)[name]
        assert matrix.shape == other.shape and (matrix == other).all(), name
    assert (a.title, a.layout, a.mask, a.base, a.multi_head) == (b.title, b.layout, b.mask, b.base, b.multi_head)


def columns(problem, matrix: np.ndarray) -> np.ndarray:
    """A matrix in the columns orientation, as whole numbers."""
    return problem.columns(matrix).astype(int)


# --- the numbers ------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(seeds, options())
def test_every_number_is_a_whole_number_within_the_range(seed, kwargs):
    problem = generate(seed=seed, **kwargs)
    lo, hi = kwargs["value_range"]
    for name, matrix in inputs(problem).items():
        for cell in matrix.flat:
            assert isinstance(cell, Fraction) and cell.denominator == 1, name
            assert lo <= cell <= hi, (name, cell)


@settings(max_examples=300, deadline=None)
@given(seeds, options())
def test_the_shapes_are_the_ones_asked_for_and_sqrt_d_k_is_whole(seed, kwargs):
    problem = generate(seed=seed, **kwargs)
    d_v = kwargs["d_v"] or kwargs["d_k"]
    assert problem.n == kwargs["tokens"]
    assert problem.layout == kwargs["layout"] and problem.mask == kwargs["mask"]
    assert columns(problem, problem.X).shape == (kwargs["d_model"], kwargs["tokens"])
    assert len(problem.heads) == kwargs["heads"] and problem.multi_head == (kwargs["heads"] > 1)
    for index, head in enumerate(problem.heads, 1):
        d_k = problem.d_k(index)
        assert d_k == kwargs["d_k"] and math.isqrt(d_k) ** 2 == d_k
        assert columns(problem, head.W_q).shape == columns(problem, head.W_k).shape == (d_k, kwargs["d_model"])
        assert columns(problem, head.W_v).shape == (d_v, kwargs["d_model"])
    if kwargs["heads"] > 1:
        assert columns(problem, problem.W_o).shape == (kwargs["d_model"], kwargs["heads"] * d_v)
    else:
        assert problem.W_o is None


@settings(max_examples=300, deadline=None)
@given(seeds, options(base=st.just(3)))
def test_with_base_3_every_scaled_score_is_whole_and_within_4_and_the_weights_exact(seed, kwargs):
    problem = generate(seed=seed, **kwargs)
    trace = compute(problem, exact=True)
    exact = [step for step in trace if short(step.name) in ("scaled", "exp", "A")]
    assert len(exact) == 3 * kwargs["heads"]
    for step in exact:
        assert step.value.dtype == object, step.name
        assert all(isinstance(cell, Fraction) for cell in step.value.flat), step.name
        if short(step.name) == "scaled":
            assert all(cell.denominator == 1 and abs(cell) <= 4 for cell in step.value.flat), step.name
        if short(step.name) == "exp":  # 3 to a whole power, or 0 for a masked cell
            assert all(cell == 0 or cell in {Fraction(3) ** k for k in range(-4, 5)} for cell in step.value.flat)
        if short(step.name) == "A":
            per_query = step.value.sum(axis=0 if problem.layout == "columns" else 1)
            assert all(total == 1 for total in per_query), step.name


@settings(max_examples=100, deadline=None)
@given(seeds, options())
def test_no_head_is_degenerate_in_small_problems(seed, kwargs):
    """X has no token of zeros; Q, K and V are never all zeros (for the sizes and ranges a
    class uses: with d_model 2 and numbers up to 3, base 3 may find no key within ±4)."""
    kwargs |= {"tokens": min(kwargs["tokens"], 6), "d_model": max(kwargs["d_model"], 2)}
    if kwargs["value_range"] == (-3, 3):
        kwargs["value_range"] = (-2, 2)
    problem = generate(seed=seed, **kwargs)
    X = columns(problem, problem.X)
    assert X.any(axis=0).all()
    for head in problem.heads:
        for weights in (head.W_q, head.W_k, head.W_v):
            assert (columns(problem, weights) @ X).any()


def test_the_sizes_a_class_uses_have_no_row_of_zero_weights_and_varied_scores():
    for seed in range(100):
        problem = generate(seed=seed, tokens=4, d_model=6, d_k=4, base=3)
        X = columns(problem, problem.X)
        assert X.any(axis=0).all() and X.any(axis=1).all()
        for name in ("W_q", "W_k", "W_v"):
            assert columns(problem, getattr(problem, name)).any(axis=1).all(), (seed, name)
        scaled = compute(problem, exact=True)["scaled"].value
        assert len(set(scaled.flat)) > 1, seed


# --- the same seed, the same file ---------------------------------------------------------------
@settings(max_examples=100, deadline=None)
@given(seeds, options())
def test_the_same_seed_gives_the_same_file_byte_for_byte(seed, kwargs):
    first = to_yaml(generate(seed=seed, **kwargs), seed, new_command(seed=seed, **kwargs))
    again = to_yaml(generate(seed=seed, **kwargs), seed, new_command(seed=seed, **kwargs))
    assert first == again


@settings(max_examples=100, deadline=None)
@given(seeds, seeds, bases)
def test_different_seeds_give_different_problems(seed, other, base):
    if seed == other:
        return
    one, two = generate(seed=seed, base=base), generate(seed=other, base=base)
    assert any((a != b).any() for a, b in zip(inputs(one).values(), inputs(two).values()))


def test_a_known_seed_stays_the_same(tmp_path):
    """The generator is deterministic across runs (random.Random(seed), nothing global); the
    runs start outside the checkout, so that they import the same handcalc as this test."""
    code = "from handcalc.generate import generate, to_yaml; print(to_yaml(generate(seed=7, base=3), 7, ''))"
    runs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path).stdout
        for _ in range(2)
    }
    assert runs == {to_yaml(generate(seed=7, base=3), 7, "") + "\n"}


def test_the_global_random_state_is_neither_used_nor_changed():
    import random

    random.seed(1)
    np.random.seed(1)
    before = random.random(), np.random.random()
    random.seed(1)
    np.random.seed(1)
    generate(seed=3, base=3, heads=2)
    assert (random.random(), np.random.random()) == before


# --- the file ---------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(seeds, options())
def test_the_file_loads_back_to_the_same_problem(seed, kwargs):
    problem = generate(seed=seed, **kwargs)
    same_problem(problem, parse_problem(to_yaml(problem, seed, new_command(seed=seed, **kwargs))))


def test_the_file_records_the_seed_and_the_command_and_reads_like_the_samples():
    text = to_yaml(generate(seed=7, d_model=6, base=3), 7, new_command(seed=7, d_model=6, base=3))
    lines = text.splitlines()
    assert lines[0].startswith("# ") and "handcalc new" in text
    assert "#   handcalc new --tokens 4 --d-model 6 --d-k 4 --base 3 --seed 7" in lines
    assert "# seed: 7" in lines
    assert "title: Generated exercise (seed 7)" in lines
    assert "seed:" not in [line.split(" ")[0] for line in lines if not line.startswith("#")]
    assert "base: 3" in lines
    # X: one row a line, the rows under one another, the numbers right-aligned
    start = next(i for i, line in enumerate(lines) if line.startswith("X:"))
    block = lines[start : start + 6]
    assert block[0].startswith("X:   [[") and block[-1].endswith("]]")
    assert all(line.startswith("      [") for line in block[1:])
    assert len({len(line.rstrip(",]")) for line in block}) == 1
    assert lines[start + 6].startswith("W_q: [[")


def test_multi_head_files_list_the_heads_and_w_o():
    problem = generate(seed=11, heads=2, d_model=6, base=3, mask="causal")
    text = to_yaml(problem, 11, new_command(seed=11, heads=2, d_model=6, base=3, mask="causal"))
    assert "heads:\n  - W_q: [[" in text and "\n    W_k: [[" in text and "\nW_o:  [[" not in text
    assert text.count("  - W_q:") == 2 and "\nW_o: [[" in text and "mask: causal" in text
    assert "--heads 2 --mask causal --base 3 --seed 11" in text
    same_problem(problem, parse_problem(text))
    trace = compute(problem, exact=True)
    assert trace.heads == ("h1", "h2") and "h2.masked" in trace and "output" in trace


def test_the_rows_layout_writes_the_transposed_matrices():
    columns_ = generate(seed=5, d_model=6, base=3)
    rows_ = generate(seed=5, d_model=6, base=3, layout="rows")
    assert rows_.layout == "rows"
    assert (rows_.X == columns_.X.T).all() and (rows_.W_q == columns_.W_q.T).all()
    assert rows_.X.shape == (4, 6)
    text = to_yaml(rows_, 5, "")
    assert "layout: rows" in text
    back = parse_problem(text)
    np.testing.assert_array_equal(compute(back)["A"].value, compute(columns_)["A"].value.T)


def test_to_yaml_writes_any_problem_back_as_it_was(tmp_path):
    from conftest import SAMPLES

    for sample in SAMPLES:
        problem = load_problem(sample)
        path = tmp_path / sample.name
        path.write_text(to_yaml(problem, 0, ""), encoding="utf-8")
        same_problem(problem, load_problem(path))


# --- bad values -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"d_k": 6}, "perfect square"),
        ({"d_k": 2}, "perfect square"),
        ({"d_k": 25}, "perfect square \\(1, 4, 9 or 16\\)"),
        ({"d_k": 0}, "d_k"),
        ({"tokens": 0}, "tokens"),
        ({"tokens": 65}, "tokens"),
        ({"d_model": 0}, "d_model"),
        ({"heads": 0}, "heads"),
        ({"d_v": 0}, "d_v"),
        ({"value_range": (2, 1)}, "LO < HI"),
        ({"value_range": (1, 1)}, "LO < HI"),
        ({"value_range": (-20, 2)}, "within"),
        ({"value_range": (1,)}, "two whole numbers"),
        ({"value_range": (0.5, 2)}, "two whole numbers"),
        ({"base": 3, "value_range": (1, 3)}, "include 0"),
        ({"base": "x"}, "base"),
        ({"base": 1}, "base"),
        ({"layout": "diagonal"}, "layout"),
        ({"mask": "future"}, "mask"),
        ({"seed": -1}, "seed"),
        ({"seed": True}, "seed"),
    ],
)
def test_a_bad_value_is_a_schema_error_saying_what_is_wrong(kwargs, words):
    kwargs = {"seed": 1} | kwargs
    with pytest.raises(SchemaError, match=words) as raised:
        generate(**kwargs)
    assert isinstance(raised.value, HandcalcError) and raised.value.exit_code == 3


def test_every_perfect_square_up_to_16_is_a_d_k():
    for d_k in (1, 4, 9, 16):
        assert generate(seed=2, d_k=d_k, base=3).d_k() == d_k


# --- speed ------------------------------------------------------------------------------------
def test_the_core_prints_nothing_and_imports_neither_rich_nor_typer():
    code = (
        "import sys; from handcalc.generate import generate, to_yaml; to_yaml(generate(seed=1, base=3), 1, '');"
        "print(sorted(m for m in ('rich', 'typer') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout == "[]\n" and result.stderr == ""


# --- the command ------------------------------------------------------------------------------
NEW = ["new", "--tokens", "4", "--d-model", "6", "--d-k", "4", "--base", "3", "--seed", "7"]


def test_new_writes_the_problem_to_stdout_without_o():
    result = runner.invoke(app, NEW)
    assert result.exit_code == 0, result.output
    expected = generate(seed=7, tokens=4, d_model=6, d_k=4, base=3)
    assert result.stdout == to_yaml(expected, 7, "handcalc " + " ".join(NEW))
    same_problem(expected, parse_problem(result.stdout))


def test_new_writes_the_file_refuses_to_overwrite_it_and_overwrites_it_with_force(tmp_path):
    path = tmp_path / "problem.yaml"
    result = runner.invoke(app, [*NEW, "-o", str(path)])
    assert result.exit_code == 0 and result.stdout == ""
    written = path.read_text(encoding="utf-8")
    same_problem(load_problem(path), generate(seed=7, tokens=4, d_model=6, d_k=4, base=3))

    result = runner.invoke(app, ["new", "--seed", "8", "-o", str(path)])
    assert result.exit_code == 3
    assert result.stderr.startswith("Error: ") and "--force" in result.stderr and result.stderr.count("\n") == 1
    assert path.read_text(encoding="utf-8") == written

    result = runner.invoke(app, ["new", "--seed", "8", "-o", str(path), "--force"])
    assert result.exit_code == 0
    assert "# seed: 8" in path.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["problem.yaml"]  # no temporary file left


def test_the_recorded_command_makes_the_same_file_again(tmp_path):
    args = ["new", "--heads", "2", "--mask", "causal", "--layout", "rows", "--range", "-2,2", "--d-v", "2",
            "--base", "3", "--seed", "42"]  # fmt: skip
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    command = next(line for line in first.stdout.splitlines() if line.startswith("#   handcalc new"))
    again = runner.invoke(app, shlex.split(command.removeprefix("#   "))[1:])
    assert again.stdout == first.stdout


def test_new_without_a_seed_draws_one_and_records_it():
    result = runner.invoke(app, ["new", "--base", "3"])
    assert result.exit_code == 0
    seed = int(next(line for line in result.stdout.splitlines() if line.startswith("# seed: ")).split()[-1])
    assert result.stdout == to_yaml(generate(seed=seed, base=3), seed, new_command(seed=seed, base=3))


@pytest.mark.parametrize(
    "args, words",
    [
        (["--d-k", "6"], "perfect square"),
        (["--tokens", "0"], "tokens"),
        (["--tokens", "65"], "tokens"),
        (["--range", "3,1"], "LO < HI"),
        (["--range", "a,b"], "--range"),
        (["--range", "1,2,3"], "--range"),
        (["--base", "3", "--range", "1,3"], "include 0"),
        (["--base", "pi"], "base"),
        (["--seed", "-1"], "seed"),
    ],
)
def test_new_turns_a_bad_value_into_one_error_line_and_exit_3(args, words):
    result = runner.invoke(app, ["new", *args])
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ") and words in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize("args", [["--mask", "future"], ["--layout", "diagonal"], ["--tokens", "four"]])
def test_new_leaves_what_click_checks_to_click(args):
    result = runner.invoke(app, ["new", *args])
    assert result.exit_code == 2
