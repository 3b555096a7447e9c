"""tests/reference.py's multi-head reference agrees with the PyTorch numbers in
fixtures/torch_mha.json (nn.MultiheadAttention, or per-head SDPA where MHA cannot)."""

import numpy as np
import pytest
from conftest import MHA_CASES as CASES
from reference import reference_multihead

HEAD_STEPS = ("Q", "K", "V", "scores", "scaled", "masked", "exp", "sums", "A", "Z")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_reference_multihead_matches_torch(case):
    got = reference_multihead(case["problem"])
    assert set(case["expected"]) <= set(got)
    for name, expected in case["expected"].items():
        np.testing.assert_allclose(got[name], np.array(expected), rtol=0, atol=1e-12,
                                   err_msg=f"{case['name']}: {name}")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_reference_multihead_step_names_and_shapes(case):
    """h1.Q … h1.Z, h2.Q …, concat, then output exactly when W_o is given; concat is
    (Σ d_v, n) in columns and (n, Σ d_v) in rows."""
    problem = case["problem"]
    got = reference_multihead(problem)
    masked = problem.get("mask", "none") != "none"
    names = [f"h{h}.{step}" for h in range(1, len(problem["heads"]) + 1)
             for step in HEAD_STEPS if masked or step != "masked"]
    assert list(got) == names + ["concat"] + (["output"] if "W_o" in problem else [])

    columns = problem["layout"] == "columns"
    d_v = sum(len(head["W_v"]) if columns else len(head["W_v"][0]) for head in problem["heads"])
    n = len(problem["X"][0]) if columns else len(problem["X"])
    assert got["concat"].shape == ((d_v, n) if columns else (n, d_v))
