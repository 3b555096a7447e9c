"""The public vocabulary: the step names, in order, and the formula of each, in both layouts.

Terminal headings, ``--format json``, answer files and worksheets all use these names.
The products are written once, in the columns layout. The rows layout holds the transpose
of every matrix, and (L · R)ᵀ = Rᵀ · Lᵀ, so its products are the same with the operands
swapped: ``Q = W_q · X`` becomes ``Q = X · W_q`` and ``scores = Kᵀ · Q`` becomes ``Q · Kᵀ``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

LAYOUTS = ("columns", "rows")

INPUTS = ("X", "X_kv", "W_q", "W_k", "W_v", "W_o")
COMPUTED = ("Q", "K", "V", "scores", "scaled", "masked", "exp", "sums", "A", "Z", "concat", "output")


HEAD_WEIGHTS = ("W_q", "W_k", "W_v")


def head_prefix(index: int) -> str:
    """The prefix of head ``index``'s step names (1-based): ``h2.`` for ``h2.Q``."""
    return f"h{index}."


def short(name: str) -> str:
    """A step's name without its head: ``h2.Q`` → ``Q``."""
    return name.rpartition(".")[2]


def head_of(name: str) -> str | None:
    """The head a step belongs to: ``h2.Q`` → ``h2``; None outside any head."""
    return name.partition(".")[0] if "." in name else None


@dataclass(frozen=True)
class Ref:
    """An operand of a product: a step's name, transposed or not. It prints as the
    textbook writes it, without the head: ``Kᵀ``."""

    name: str
    T: bool = False

    def __str__(self) -> str:
        return f"{short(self.name)}ᵀ" if self.T else short(self.name)


@dataclass(frozen=True)
class Product:
    """``name = left · right`` in the columns layout; ``weight`` is the input to blame
    when the shapes do not agree."""

    name: str
    left: Ref
    right: Ref
    weight: str

    def operands(self, layout: str) -> tuple[Ref, Ref]:
        return (self.left, self.right) if layout == "columns" else (self.right, self.left)

    def formula(self, layout: str) -> str:
        left, right = self.operands(layout)
        return f"{short(self.name)} = {left} · {right}"


def products(cross: bool = False, prefix: str = "") -> dict[str, Product]:
    """The products of one head, by short name; with ``cross``, K and V come from X_kv.

    ``prefix`` names the head's own steps and weights (``h1.Q``, ``h1.W_q``)."""
    X, source = Ref("X"), Ref("X_kv" if cross else "X")
    W_q, W_k, W_v, Q, K, V, A = (Ref(prefix + name) for name in ("W_q", "W_k", "W_v", "Q", "K", "V", "A"))
    table = (
        ("Q", W_q, X, W_q), ("K", W_k, source, W_k), ("V", W_v, source, W_v),
        ("scores", Ref(K.name, T=True), Q, W_k), ("Z", V, A, W_v),
    )  # fmt: skip
    return {name: Product(prefix + name, left, right, blame.name) for name, left, right, blame in table}


def output_product(source: str) -> Product:
    """``output = W_o · Z`` for one head, ``W_o · concat`` for several."""
    return Product("output", Ref("W_o"), Ref(source), "W_o")


def concat_formula(layout: str, heads: int) -> str:
    zs = ", ".join(f"{head_prefix(h)}Z" for h in range(1, heads + 1))
    return f"concat = {zs}, " + ("stacked top to bottom" if layout == "columns" else "side by side")


# The steps whose rows are keys and whose columns are queries (in the columns layout).
KEYS_BY_QUERIES = {name: ("keys", "queries") for name in ("scores", "scaled", "masked", "exp", "A")}

# The softmax axis, in words: the columns layout normalises each column (one per query).
AXIS_WORD = {"columns": "column", "rows": "row"}


def scaled_formula(scale: str, temperature_is_one: bool) -> str:
    """``scaled = scores / (√d_k · T)`` and its simpler forms."""
    divisor = {"sqrt_dk": "√d_k", "none": "", "number": "s"}[scale]
    if not temperature_is_one:
        divisor = f"({divisor} · T)" if divisor else "T"
    return f"scaled = scores / {divisor}" if divisor else "scaled = scores"


def masked_formula() -> str:
    return "masked = scaled, with −∞ where the mask blocks"


def base_text(base) -> str:
    """The base as a power's base is written: e, 3, (7/3)."""
    from handcalc.numbers import format_number

    if base == "e":
        return "e"
    text = format_number(base)
    return f"({text})" if "/" in text else text


def exp_base(step) -> object:
    """The base of an ``exp`` step: "e", or the number it holds among its constants."""
    return dict(step.constants).get("base", "e")


def exp_formula(base: str, source: str, shifted: bool, layout: str) -> str:
    power = f"({source} − {AXIS_WORD[layout]} max)" if shifted else source
    return f"exp = {base}^{power}"


def sums_formula(layout: str) -> str:
    return f"sums = Σ exp over each {AXIS_WORD[layout]}"


A_FORMULA = "A = exp / sums"


def temperature_formula(source: str) -> str:
    """``scaled = x / T``: the softmax calculator's temperature step."""
    return f"scaled = {source} / T"


def named_steps(words: Iterable[str], names: Sequence[str]) -> tuple[str, ...]:
    """The steps of ``names`` (trace order) that ``words`` name, case-insensitively: a full
    name (``h2.A``), a short one (``A``: every head's) or a head (``h2``: all of its steps).
    A word that names none raises :class:`UnknownStep`, with the closest name if one is close."""
    chosen: set[str] = set()
    for word in words:
        key = word.strip().casefold()
        matches = {name for name in names if key in (name.casefold(), short(name).casefold(), (head_of(name) or "").casefold())}
        if not matches:
            raise UnknownStep(word.strip(), _closest(key, names))
        chosen |= matches
    return tuple(name for name in names if name in chosen)


class UnknownStep(LookupError):
    """A word that names no step; ``suggestion`` is the closest name, or None."""

    def __init__(self, word: str, suggestion: str | None):
        super().__init__(word)
        self.word, self.suggestion = word, suggestion

    def hint(self) -> str:
        return f" (did you mean {self.suggestion!r}?)" if self.suggestion else ""


def _closest(key: str, names: Sequence[str]) -> str | None:
    import difflib

    spellings = {spelling.casefold(): spelling for name in names for spelling in (name, short(name), head_of(name)) if spelling}
    close = difflib.get_close_matches(key, list(spellings), n=1, cutoff=0.6)
    return spellings[close[0]] if close else None
