"""Properties that hold for every problem: weights are distributions, tokens are exchangeable."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from handcalc import Problem, compute

small = st.integers(-3, 3)


def matrices(rows: int, cols: int):
    return st.lists(st.lists(small, min_size=cols, max_size=cols), min_size=rows, max_size=rows)


@st.composite
def problems(draw, mask=st.sampled_from(["none", "causal"])):
    """A columns-layout problem with small integer matrices."""
    n, d_model, d_k, d_v = (draw(st.integers(1, size)) for size in (6, 4, 4, 3))
    return Problem(
        X=draw(matrices(d_model, n)), W_q=draw(matrices(d_k, d_model)), W_k=draw(matrices(d_k, d_model)),
        W_v=draw(matrices(d_v, d_model)), mask=draw(mask), temperature=draw(st.sampled_from([1, 2, "1/2"])),
        base=draw(st.sampled_from(["e", 3, 2])),
    )


@settings(max_examples=150, deadline=None)
@given(problems(), st.sampled_from(["columns", "rows"]))
def test_every_query_s_weights_sum_to_one(problem, layout):
    A = compute(problem.with_layout(layout))["A"].value
    per_query = A.sum(axis=0 if layout == "columns" else 1)
    np.testing.assert_allclose(per_query, 1.0, rtol=1e-12)
    assert (A >= 0).all()


@settings(max_examples=150, deadline=None)
@given(problems(mask=st.just("none")), st.data())
def test_permuting_tokens_permutes_the_output(problem, data):
    """Attention without a mask is permutation-equivariant: shuffle X's columns, and Z's
    columns and A's rows and columns shuffle the same way."""
    perm = data.draw(st.permutations(range(problem.n)))
    shuffled = Problem(X=problem.X[:, perm], W_q=problem.W_q, W_k=problem.W_k, W_v=problem.W_v,
                       temperature=problem.temperature, base=problem.base)
    before, after = compute(problem), compute(shuffled)
    np.testing.assert_allclose(after["Z"].value, before["Z"].value[:, perm], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(after["A"].value, before["A"].value[np.ix_(perm, perm)], rtol=1e-12, atol=1e-12)
