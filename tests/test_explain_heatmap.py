"""--explain (a sentence or two under each step) and the picture of A (a heat-map of glyphs)."""

import re
from fractions import Fraction

import numpy as np
import pytest
from conftest import ROOT, cli_runner

from handcalc import Problem, compute
from handcalc.cli import app
from handcalc.explain import SENTENCES, explanation
from handcalc.load import load
from handcalc.render import RenderOptions, renderer
from handcalc.render.grid import HEAT, Cell
from handcalc.render.heatmap import EIGHTHS, bar, picture, shade
from handcalc.render.terminal import STYLES
from handcalc.softmax import compute as softmax
from handcalc.steps import AXIS_WORD, short
from handcalc.trace import ELEMENTWISE, Step, Trace

SAMPLE = ROOT / "samples"
OTHER = {"column": "row", "row": "column"}
TINY = {"X": [[1, 0], [0, 1]], "W_q": [[1, 0]], "W_k": [[0, 1]], "W_v": [[1, 1]]}


def sample(name: str, layout: str | None = None) -> Trace:
    problem = load(SAMPLE / f"{name}.yaml")
    return compute(problem.with_layout(layout) if layout else problem)


TRACES = {
    "single, columns": lambda: sample("self_attention"),
    "single, rows": lambda: sample("rows_layout"),
    "single, rows (from columns)": lambda: sample("self_attention", "rows"),
    "masked, base 3": lambda: sample("causal"),
    "masked, rows": lambda: sample("causal", "rows"),
    "mask matrix": lambda: compute(Problem(**TINY, mask=[[1, 1], [1, 0]])),
    "cross": lambda: sample("cross_attention"),
    "cross, rows": lambda: sample("cross_attention", "rows"),
    "two heads": lambda: sample("two_heads"),
    "three heads, rows": lambda: sample("three_heads", "rows"),
    "cross multi-head": lambda: sample("cross_multihead"),
    "causal multi-head": lambda: sample("causal_multihead", "rows"),
    "temperature 2": lambda: sample("tokens"),
    "temperature 1/2, scale none": lambda: compute(Problem(**TINY, temperature="1/2", scale="none")),
    "scale none": lambda: compute(Problem(**TINY, scale="none")),
    "scale 4, base 2": lambda: compute(Problem(**TINY, scale=4, base=2)),
    "softmax vector": lambda: softmax([1, 0, -1, 3]),
    "softmax vector, columns, base 3": lambda: softmax([1, 0, -1, 3], axis="columns", base=3),
    "softmax matrix, T = 2": lambda: softmax([[1, 2], [0, 5], [3, 3]], temperature=2),
    "softmax matrix, rows, T = 1/4": lambda: softmax([[1, 2], [0, 5]], axis="rows", temperature="1/4"),
}


@pytest.fixture(scope="module")
def traces() -> dict[str, Trace]:
    return {name: make() for name, make in TRACES.items()}


def sentences(text: str) -> int:
    """How many sentences: full stops (not the points of 2.718) that end one."""
    return len(re.findall(r"[.!?](?:\s|$)", text))


def word(text: str, axis: str) -> bool:
    return re.search(rf"\b{axis}s?\b", text) is not None


# --- --explain ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", TRACES)
def test_every_step_has_one_or_two_sentences_with_the_layouts_axis_word(traces, name):
    trace = traces[name]
    axis = AXIS_WORD[trace.layout]
    for step in trace:
        text = explanation(step, trace)
        assert text, step.name
        assert 1 <= sentences(text) <= 2, (step.name, text)
        assert len(text) <= 320, (step.name, text)
        assert word(text, axis), (step.name, text)
        assert not word(text, OTHER[axis]), (step.name, text)
        assert "{" not in text and "  " not in text and text[0].isupper(), (step.name, text)


def test_the_sentences_say_why(traces):
    single = traces["single, columns"]
    assert "variance d_k" in explanation(single["scaled"], single)
    assert "saturate" in explanation(single["scaled"], single)
    assert "adds up to 1" in explanation(single["A"], single)
    assert "weighted average of the value vectors" in explanation(single["Z"], single)
    rows = traces["single, rows"]
    assert explanation(rows["Z"], rows).startswith("Each row of Z is one query's weighted average")
    assert "the rows of V" in explanation(rows["Z"], rows)


def test_a_masked_cell_means_no_weight_and_a_causal_mask_is_named(traces):
    causal, matrix = traces["masked, base 3"], traces["mask matrix"]
    for trace in (causal, traces["masked, rows"]):
        text = explanation(trace["masked"], trace)
        assert "−∞" in text and "no weight" in text and "causal" in text
    assert "causal" not in explanation(matrix["masked"], matrix)
    assert "(a blocked −∞ becomes 0)" in explanation(causal["exp"], causal)
    assert "blocked" not in explanation(traces["single, columns"]["exp"], traces["single, columns"])


def test_base_temperature_and_scale_are_read_from_the_step(traces):
    base3 = traces["masked, base 3"]
    assert "hand approximation of e" in explanation(base3["exp"], base3) and "ln 3 ≈ 1.099" in explanation(
        base3["exp"], base3
    )
    base2 = traces["scale 4, base 2"]
    assert "ln 2 ≈ 0.693" in explanation(base2["exp"], base2) and "hand" not in explanation(base2["exp"], base2)
    assert "divided by s = 4, given in the problem" in explanation(base2["scaled"], base2)
    e = traces["single, columns"]
    assert "e ≈ 2.718 times" in explanation(e["exp"], e)
    assert "T = 2 makes each column's weights more even" in explanation(
        traces["temperature 2"]["scaled"], traces["temperature 2"]
    )
    cold = traces["temperature 1/2, scale none"]
    assert "sharper" in explanation(cold["scaled"], cold) and "not divided by √d_k" in explanation(cold["scaled"], cold)
    calculator = traces["softmax matrix, rows, T = 1/4"]
    assert "T = 0.250 makes each row's weights sharper" in explanation(calculator["scaled"], calculator)


def test_cross_attention_says_where_keys_and_values_come_from(traces):
    trace = traces["cross"]
    assert "X_kv" in explanation(trace["K"], trace) and "X_kv" in explanation(trace["V"], trace)
    assert "X_kv" in explanation(trace["W_k"], trace) and "X_kv" not in explanation(trace["W_q"], trace)
    assert "queries come from X" in explanation(trace["X"], trace)


def test_multi_head_steps_are_explained_by_their_short_name(traces):
    trace = traces["two heads"]
    assert explanation(trace["h2.A"], trace) == explanation(trace["h1.A"], trace)
    assert "top to bottom" in explanation(trace["concat"], trace)
    assert "concat" in explanation(trace["output"], trace) and "concat" in explanation(trace["W_o"], trace)
    assert "side by side" in explanation(traces["three heads, rows"]["concat"], traces["three heads, rows"])


def test_every_sentence_of_the_table_is_used(traces):
    """One table, no dead entries: each sentence (or part of one) shows under some step."""
    texts = " ".join(explanation(step, trace) for trace in traces.values() for step in trace)
    for key, template in SENTENCES.items():
        fixed = max(re.split(r"\{\w+\}", template), key=len)  # the longest part without a blank
        assert fixed.strip() in texts, key


def test_a_step_with_nothing_to_say_has_no_explanation(traces):
    trace = traces["single, columns"]
    odd = Step("weird", "weird, given", np.zeros((1, 1)), ("",), ("",))
    assert explanation(odd, trace) is None


def test_explain_puts_the_sentence_under_each_heading():
    result = cli_runner().invoke(
        app, ["run", str(SAMPLE / "causal.yaml"), "--format", "text", "--explain"], env={"COLUMNS": "100"}
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    trace = sample("causal")
    for step in trace:
        first = explanation(step, trace).split()[:6]
        heading = next(i for i, line in enumerate(out.splitlines()) if line.startswith(f"── {step.formula}"))
        assert " ".join(first) in " ".join(out.splitlines()[heading + 1 : heading + 4]), step.name
    plain = cli_runner().invoke(app, ["run", str(SAMPLE / "causal.yaml"), "--format", "text"]).stdout
    assert "variance d_k" in out and "variance d_k" not in plain


@pytest.mark.parametrize("columns", [100, 60])
def test_explanations_wrap_to_the_width_in_text_and_rich(columns):
    for fmt in ("text", "rich"):
        result = cli_runner().invoke(
            app, ["run", "--example", "cross_multihead", "--explain", "--format", fmt], env={"COLUMNS": str(columns)}
        )
        assert result.exit_code == 0, result.output
        assert max(len(line) for line in result.stdout.splitlines()) <= columns
        assert "the queries of X look at these" in " ".join(line.strip() for line in result.stdout.splitlines())


# --- the picture of A -----------------------------------------------------------------------
OPTIONS = RenderOptions()


def eighths(text: str) -> int:
    """The length of a bar, in eighths of a block."""
    return sum(8 if char == "█" else EIGHTHS.index(char) for char in text if char in EIGHTHS[1:])


def weight_cells(grid) -> list[Cell]:
    return [cell for row in grid[1:] for cell in row[1:] if cell.style in HEAT]


def test_bars_grow_with_the_weight_and_never_hide_a_weight_above_zero():
    weights = np.concatenate([[0, 1e-300, 1e-9, 0.01], np.linspace(0, 1, 997), [1 - 1e-12, 1]])
    weights.sort()
    for size in (1, 2, 3, 4):
        lengths = [eighths(bar(w, size)) for w in weights]
        assert lengths == sorted(lengths)
        assert all(len(bar(w, size)) == size for w in weights)
        assert bar(0, size).strip() == "" and bar(1, size) == "█" * size
        assert eighths(bar(1e-300, size)) == 1 and bar(0.5, size).count("█") == size // 2
    levels = [HEAT.index(shade(w)) for w in weights]
    assert levels == sorted(levels) and levels[-1] == 3 and shade(0.25) == HEAT[0] and shade(0.26) == HEAT[1]


@pytest.mark.parametrize("name", ["single, columns", "masked, rows", "cross", "temperature 2", "softmax matrix, T = 2"])
def test_the_pictures_bars_are_monotone_in_the_weights_shown(traces, name):
    trace = traces[name]
    grid = picture(trace["A"], trace, OPTIONS)
    cells = weight_cells(grid)
    pairs = sorted((float(cell.text.split()[0]), eighths(cell.text), HEAT.index(cell.style)) for cell in cells)
    unmasked = np.count_nonzero(np.isfinite(trace["masked"].value)) if "masked" in trace else trace["A"].value.size
    assert len(cells) == unmasked
    assert [length for _, length, _ in pairs] == sorted(length for _, length, _ in pairs)
    assert [level for *_, level in pairs] == sorted(level for *_, level in pairs)


def test_the_picture_is_labelled_with_the_tokens_in_both_layouts():
    for layout in ("columns", "rows"):
        trace = sample("tokens", layout)
        grid = picture(trace["A"], trace, OPTIONS)
        assert [cell.text.strip() for cell in grid[0][1:]] == ["I", "love", "cats", "!"]
        assert [row[0].text for row in grid[1:]] == ["I", "love", "cats", "!"]
        shown = [[cell.text.split()[0] for cell in row[1:]] for row in grid[1:]]
        assert shown == [[f"{w:.3f}" for w in row] for row in trace["A"].value]


def test_masked_cells_are_blank_and_a_tiny_weight_is_not():
    """Query 2 gives key 2 a weight of e^−39 ≈ 1e-17: it shows as 0.000 with the thinnest bar,
    while the cells that the causal mask blocks are empty."""
    trace = compute(Problem(X=[[40, 1, 0], [0, 0, 1]], W_q=[[1, 0]], W_k=[[1, 0]], W_v=[[1, 1]], mask="causal"))
    A, blocked = trace["A"].value, np.isneginf(trace["masked"].value)
    assert 0 < A[1, 1] < 1e-15 and blocked.sum() == 3
    grid = picture(trace["A"], trace, OPTIONS)
    cells = {(i, j): grid[1 + i][1 + j].text for i in range(3) for j in range(3)}
    assert all(cells[i, j] == "" for i, j in zip(*np.nonzero(blocked)))
    assert cells[1, 1].split() == ["0.000", "▏"]
    assert all(eighths(cells[i, j]) >= 1 for i, j in zip(*np.nonzero(~blocked)))
    last = renderer("text")(trace, OPTIONS).rstrip("\n").split("\n\n")[-1]  # the picture is the last block
    assert "−∞" not in last and "·" not in last


def test_causal_triangle_is_seen_in_the_text_output():
    result = cli_runner().invoke(app, ["run", "--example", "causal", "--only", "A", "--format", "text"])
    picture_lines = result.stdout.rstrip("\n").split("\n\n")[-1].splitlines()
    assert [len(re.findall(r"\d [█▉▊▋▌▍▎▏]", line)) for line in picture_lines[1:]] == [4, 3, 2, 1]


def test_only_attention_weights_have_a_picture(traces):
    for name in ("two heads", "softmax vector", "softmax vector, columns, base 3"):
        trace = traces[name]
        drawn = [step.name for step in trace if picture(step, trace, OPTIONS) is not None]
        assert [short(name) for name in drawn] == ["A"] * len(trace.heads or [None])


def test_exact_fractions_are_drawn_as_fractions():
    value = np.array([[Fraction(3, 13), Fraction(1, 3)], [Fraction(10, 13), Fraction(2, 3)]], dtype=object)
    step = Step("A", "A = exp / sums", value, ("k1", "k2"), ("q1", "q2"), ELEMENTWISE)
    trace = Trace("t", "columns", None, (step,))
    grid = picture(step, trace, OPTIONS)
    assert [cell.text for cell in grid[1][1:]] == [" 3/13 ▉   ", "  1/3 █▍  "]


@pytest.fixture
def sixteen(write_problem):
    """16 tokens named, a causal mask, d_model 6: small integers from a fixed seed."""
    rng = np.random.default_rng(1)
    ints = lambda *shape: rng.integers(-2, 3, size=shape).tolist()
    tokens = [
        "the",
        "quick",
        "brown",
        "fox",
        "jumps",
        "over",
        "a",
        "lazy",
        "dog",
        "and",
        "then",
        "runs",
        "far",
        "away",
        "from",
        "home",
    ]
    return write_problem(
        {"tokens": tokens, "mask": "causal", "X": ints(6, 16), "W_q": ints(3, 6), "W_k": ints(3, 6), "W_v": ints(2, 6)}
    )


@pytest.mark.parametrize("columns", [60, 100])
@pytest.mark.parametrize("layout", ["columns", "rows"])
def test_a_16_token_picture_fits_the_width_and_piped_output_has_no_colour(sixteen, columns, layout):
    for fmt in ("text", "rich"):
        args = ["run", str(sixteen), "--only", "A", "--layout", layout, "--format", fmt]
        result = cli_runner().invoke(app, args, env={"COLUMNS": str(columns)})
        assert result.exit_code == 0, result.output
        out = result.stdout
        assert "\x1b[" not in out
        assert max(len(line) for line in out.splitlines()) <= columns
        picture_lines = out.rstrip("\n").split("\n\n")[-1].splitlines()
        assert re.search(r"\d [█▉▊▋▌▍▎▏]", "".join(picture_lines)) and "⋯" in picture_lines[0]
        assert picture_lines[0].split()[1] == "the" and picture_lines[0].split()[-1] == "home"


def test_full_draws_every_token(sixteen):
    trace = compute(load(sixteen))
    grid = picture(trace["A"], trace, RenderOptions(full=True, width=60))
    assert len(grid) == 17 and len(grid[0]) == 17 and "⋯" not in "".join(cell.text for row in grid for cell in row)


def test_the_terminal_colours_each_shade_and_text_draws_the_same_glyphs():
    import io

    from rich.console import Console

    assert all(STYLES[level] for level in HEAT) and len({STYLES[level] for level in HEAT}) == len(HEAT)
    trace, options = sample("causal"), RenderOptions(only=("A",))
    stream = io.StringIO()
    Console(file=stream, force_terminal=True, color_system="standard", width=100).print(
        renderer("rich")(trace, options)
    )
    coloured = stream.getvalue()
    last = coloured.rstrip("\n").split("\n\n")[-1].splitlines()
    assert all("\x1b[" in line for line in last[1:])  # every row of the picture is coloured
    plain = [re.sub(r"\x1b\[[0-9;]*m", "", line).rstrip() for line in last]
    assert plain == renderer("text")(trace, options).rstrip("\n").split("\n\n")[-1].splitlines()
