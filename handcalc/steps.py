"""The public vocabulary: the step names, in order, and the formula of each, in both layouts.

Terminal headings, ``--format json``, answer files and worksheets all use these names.
The products are written once, in the columns layout. The rows layout holds the transpose
of every matrix, and (L · R)ᵀ = Rᵀ · Lᵀ, so its products are the same with the operands
swapped: ``Q = W_q · X`` becomes ``Q = X · W_q`` and ``scores = Kᵀ · Q`` becomes ``Q · Kᵀ``.
"""

from __future__ import annotations

from dataclasses import dataclass

LAYOUTS = ("columns", "rows")

INPUTS = ("X", "X_kv", "W_q", "W_k", "W_v", "W_o")
COMPUTED = ("Q", "K", "V", "scores", "scaled", "masked", "exp", "sums", "A", "Z", "output")


@dataclass(frozen=True)
class Ref:
    """An operand of a product: a step's name, transposed or not."""

    name: str
    T: bool = False

    def __str__(self) -> str:
        return f"{self.name}ᵀ" if self.T else self.name


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
        return f"{self.name} = {left} · {right}"


def products(cross: bool = False) -> dict[str, Product]:
    """Every product of single-head attention; with ``cross``, K and V come from X_kv."""
    source = Ref("X_kv" if cross else "X")
    return {
        p.name: p
        for p in (
            Product("Q", Ref("W_q"), Ref("X"), "W_q"),
            Product("K", Ref("W_k"), source, "W_k"),
            Product("V", Ref("W_v"), source, "W_v"),
            Product("scores", Ref("K", T=True), Ref("Q"), "W_k"),
            Product("Z", Ref("V"), Ref("A"), "W_v"),
            Product("output", Ref("W_o"), Ref("Z"), "W_o"),
        )
    }


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


def exp_formula(base: str, source: str, shifted: bool, layout: str) -> str:
    power = f"({source} − {AXIS_WORD[layout]} max)" if shifted else source
    return f"exp = {base}^{power}"


def sums_formula(layout: str) -> str:
    return f"sums = Σ exp over each {AXIS_WORD[layout]}"


A_FORMULA = "A = exp / sums"
