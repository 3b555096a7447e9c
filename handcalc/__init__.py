"""handcalc: transformer self-attention, computed and shown the way it is done by hand.

    >>> from handcalc import Problem, compute
    >>> trace = compute(Problem(X=[[1, 0], [0, 1]], W_q=[[1, 0]], W_k=[[0, 1]], W_v=[[1, 1]]))
    >>> trace["A"].value.sum(axis=0).tolist()
    [1.0, 1.0]
"""

__version__ = "0.1.0"
__all__ = ["attention", "check", "Problem", "Trace", "Step", "compute", "load_problem", "parse_problem", "HandcalcError",
           "__version__"]  # fmt: skip


def __getattr__(name: str):
    """The public API, imported on first use so that ``handcalc --help`` stays fast."""
    if name in ("attention", "check"):  # the modules, callable: handcalc.attention(X=…), handcalc.check(trace, …)
        from importlib import import_module

        value = import_module(f"handcalc.{name}")
    elif name == "Problem":
        from handcalc.problem import Problem as value
    elif name in ("Trace", "Step"):
        from handcalc import trace

        value = getattr(trace, name)
    elif name == "compute":
        from handcalc.attention import compute as value
    elif name in ("load_problem", "parse_problem"):  # the module handcalc.load holds load and parse
        from importlib import import_module

        value = getattr(import_module("handcalc.load"), name.removesuffix("_problem"))
    elif name == "HandcalcError":
        from handcalc.errors import HandcalcError as value
    else:
        raise AttributeError(f"module 'handcalc' has no attribute {name!r}")
    return value
