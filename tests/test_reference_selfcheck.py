"""tests/reference.py agrees with the PyTorch numbers in fixtures/torch_attention.json."""


import numpy as np
import pytest
from conftest import TORCH_CASES as CASES
from reference import reference_attention


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_reference_matches_torch(case):
    got = reference_attention(case["problem"])
    assert set(case["expected"]) <= set(got)
    for name, expected in case["expected"].items():
        np.testing.assert_allclose(got[name], np.array(expected), rtol=0, atol=1e-12,
                                   err_msg=f"{case['name']}: {name}")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_reference_softmax_steps_are_consistent(case):
    """A = exp / sums, per query; `masked` is there exactly when a mask is given."""
    problem = case["problem"]
    got = reference_attention(problem)
    columns = problem.get("layout", "columns") == "columns"
    per_query = got["sums"][np.newaxis, :] if columns else got["sums"][:, np.newaxis]
    np.testing.assert_allclose(got["exp"] / per_query, got["A"], rtol=1e-12, atol=1e-15)
    assert ("masked" in got) == (problem.get("mask", "none") != "none")
    assert ("output" in got) == ("W_o" in problem)
    assert got["scores"].shape == got["A"].shape


def test_columns_and_rows_layouts_are_transposes():
    """The same numbers in both layouts give transposed steps."""
    by_name = {c["name"]: c["problem"] for c in CASES}
    cols = reference_attention(by_name["output_projection_columns"])
    rows = reference_attention(by_name["output_projection_rows"])
    for name in ("Q", "K", "V", "scores", "scaled", "exp", "A", "Z", "output"):
        np.testing.assert_allclose(cols[name], rows[name].T, rtol=0, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(cols["sums"], rows["sums"], rtol=0, atol=1e-12)
