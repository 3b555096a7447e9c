"""Plain sentences on what each step means and why (``--explain``).

Every sentence is in :data:`SENTENCES`, keyed by the step's short name (``h2.A`` → ``A``)
and, where the problem changes what is true, by a variant (``scaled.T>1``). A step's
explanation is at most two of them; ``{axis}`` is the layout's word (column or row), so
that the same sentence is right in both layouts.
"""

from __future__ import annotations

import math

import numpy as np

from handcalc.numbers import format_number
from handcalc.steps import AXIS_WORD, base_text, exp_base, short
from handcalc.trace import Step, Trace

SENTENCES = {
    # the inputs
    "X": "Each {axis} of X is one token's embedding: the numbers that stand for that token.",
    "X.cross": "Each {axis} of X is one token's embedding; in cross-attention the queries come from X.",
    "X_kv": "Each {axis} of X_kv is a token of another sequence (say, an encoder's output): keys and values "
    "come from it, so the queries of X look at these tokens instead of their own.",
    "W_q": "W_q is a learned weight matrix: it turns each token (a {axis} of X) into its query, "
    "what that token is looking for.",
    "W_k": "W_k is a learned weight matrix: it turns each token (a {axis} of {source}) into its key, "
    "what that token offers to be matched against.",
    "W_v": "W_v is a learned weight matrix: it turns each token (a {axis} of {source}) into its value, "
    "what that token passes on to whoever attends to it.",
    "W_o": "W_o is a learned weight matrix: it turns each token's {axis} of {output_source} into that token's output.",
    # the projections
    "Q": "Each {axis} of Q is one token's query: a vector that says what the token is looking for.",
    "K": "Each {axis} of K is one token's key, what the token offers: a query and a key that point the same "
    "way have a large dot product.",
    "K.cross": "Each {axis} of K is the key of one token of X_kv: keys come from the other sequence, queries from X.",
    "V": "Each {axis} of V is one token's value: what the token passes on to the queries that attend to it.",
    "V.cross": "Each {axis} of V is the value of one token of X_kv: what that token passes on to the queries of X.",
    "scores": "Each cell is the dot product of one query and one key: the larger, the better they match. "
    "Each {axis} holds one query's scores against every key.",
    # scaling and the temperature
    "scaled.sqrt_dk": "Dividing by √d_k keeps the scores' spread the same whatever d_k is: for random entries "
    "of variance 1, a dot product of d_k terms has variance d_k.",
    "scaled.number": "The scores are divided by s = {s}, given in the problem in place of √d_k.",
    "scaled.none": "The scores are not divided by √d_k here (scale: none).",
    "scaled.T=1": "Scores with a wide spread saturate the softmax of each {axis}: one weight near 1, the rest near 0.",
    "scaled.T>1": "Dividing by the temperature T = {T} makes each {axis}'s weights more even "
    "(T < 1 would sharpen them); their order stays the same.",
    "scaled.T<1": "Dividing by the temperature T = {T} makes each {axis}'s weights sharper "
    "(T > 1 would even them out); their order stays the same.",
    # the mask
    "masked": "A blocked cell is set to −∞, so its exponential is 0: that query's {axis} gives that key "
    "no weight at all.",
    "masked.causal": "The mask is causal: each query's {axis} sees only its own token and the ones before it, "
    "so that no token looks ahead.",
    "masked.given": "The mask given in the problem decides, for each query's {axis}, which keys it may see.",
    # the softmax
    "exp": "Every value becomes positive{blocked}, and a value 1 higher gets {factor} times as much, "
    "so the largest values of each {axis} stand out.",
    "exp.base": "Base {base}{hand} gives the same weights as e with every value multiplied by ln {base} ≈ {ln}.",
    "exp.blocked": " (a blocked −∞ becomes 0)",  # a part of exp, after a mask
    "exp.hand": " (the classic hand approximation of e)",  # a part of exp.base, for base 3
    "sums": "Adding up each {axis} of exponentials gives one total per {one}: the number that {axis} is divided by.",
    "A": "Each {axis} divided by its own sum adds up to 1: one query's attention, shared out among the keys. "
    "So Z will be a weighted average of the values, whatever the number of tokens.",
    "A.softmax": "Each {axis} divided by its own sum gives weights that are positive and add up to 1: "
    "the softmax of that {axis}, a probability distribution that keeps the order of the values.",
    "Z": "Each {axis} of Z is one query's weighted average of the value vectors (the {axis}s of V), "
    "weighted by that query's {axis} of A.",
    "concat": "The heads' outputs are stacked {stacked}, so each token's {axis} now holds what every head found for it.",
    "output": "Each {axis} of the output is W_o applied to one token's {axis} of {output_source}: "
    "the attention layer's result for that token.",
    # the softmax calculator
    "x": "The numbers to turn into weights: each {axis} is one distribution, and the softmax is taken along it.",
}


def explanation(step: Step, trace: Trace, precision: int = 3) -> str | None:
    """One or two short, correct sentences about ``step``; None where there is nothing to say.
    Numbers in them are written with ``precision`` decimals, as in the tables."""
    keys = _keys(step, trace)
    if not keys:
        return None
    words = _words(step, trace, precision)
    return " ".join(SENTENCES[key].format(**words) for key in keys)


def _keys(step: Step, trace: Trace) -> list[str]:
    """The entries of :data:`SENTENCES` that are true of ``step``, in order (at most two)."""
    name = short(step.name)
    calculator = "X" not in trace  # the softmax calculator: x, scaled, exp, sums, A
    cross = "X_kv" in trace
    if name == "scaled":
        constants = dict(step.constants)
        T = constants.get("T", 1)
        temperature = "scaled.T=1" if T == 1 else "scaled.T>1" if T > 1 else "scaled.T<1"
        if calculator:
            return [temperature]
        scale = "sqrt_dk" if "√d_k" in constants else "number" if "s" in constants else "none"
        return [f"scaled.{scale}", temperature]
    if name == "masked":
        return ["masked", "masked.causal" if _causal(step, trace.layout) else "masked.given"]
    if name == "exp":
        return ["exp", "exp.base"] if _base(step) != "e" else ["exp"]
    if name == "A" and calculator:
        return ["A.softmax"]
    if name in ("X", "K", "V") and cross:
        return [f"{name}.cross"]
    return [name] if name in SENTENCES else []


def _words(step: Step, trace: Trace, precision: int) -> dict[str, str]:
    """The small words the sentences are filled with, for this step of this trace."""
    base = _base(step) if short(step.name) == "exp" else "e"
    constants = dict(step.constants)
    ln = math.log(float(constants["base"])) if "base" in constants else 1.0  # the base as a number: 5/2, not "(5/2)"
    return {
        "axis": AXIS_WORD[trace.layout],
        "source": "X_kv" if "X_kv" in trace else "X",
        "output_source": "concat" if "concat" in trace else "Z",
        "stacked": "top to bottom" if trace.layout == "columns" else "side by side",
        "one": "query" if "X" in trace else "distribution",
        "T": format_number(constants.get("T", 1), precision),
        "s": format_number(constants.get("s", 1), precision),
        "base": base,
        "factor": "e ≈ 2.718" if base == "e" else base,
        "ln": format_number(ln, precision),
        "hand": SENTENCES["exp.hand"] if base == "3" else "",
        "blocked": SENTENCES["exp.blocked"] if any(short(ref.name) == "masked" for ref in step.operands) else "",
    }


def _base(step: Step) -> str:
    """The base of an ``exp`` step, as its formula writes it: ``exp = 3^scaled`` → ``3``."""
    return base_text(exp_base(step))


def _causal(step: Step, layout: str) -> bool:
    """Whether a ``masked`` step blocks exactly the keys after each query (a causal mask)."""
    blocked = np.isneginf(np.asarray(step.value, dtype=float))
    if layout == "rows":  # queries × keys: back to keys × queries
        blocked = blocked.T
    m, n = blocked.shape
    return m == n and bool((blocked == np.tri(n, k=-1, dtype=bool)).all())
