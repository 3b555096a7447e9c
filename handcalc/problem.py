"""The validated problem: the matrices and options of one attention exercise.

Only :mod:`handcalc.load` builds a ``Problem`` from a file; tests and library users build
it directly. Either way ``__post_init__`` checks everything the computation relies on, and
raises a ``HandcalcError`` whose ``path`` names the offending value.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import numpy as np

from handcalc.errors import MaskError, SchemaError, ShapeError
from handcalc.numbers import NUMBER_TEXT, NotANumber, as_floats, describe, format_shape, parse_number, quoted
from handcalc.steps import (
    AXIS_WORD,
    HEAD_WEIGHTS,
    LAYOUTS,
    Product,
    Ref,
    head_of,
    head_prefix,
    output_product,
    products,
    short,
)

MAX_DIM = 256
MAX_ROUND = 15
MATRIX_KEYS = ("X", "W_q", "W_k", "W_v", "X_kv", "W_o")


def as_matrix(name: str, rows: Any, path: tuple[str | int, ...] | None = None) -> np.ndarray:
    """A rectangular, non-empty, read-only matrix of exact Fractions; errors name it
    ``name`` and carry ``path`` (by default ``(name,)``) to the offending cell."""
    path = (name,) if path is None else path
    if isinstance(rows, np.ndarray):
        if rows.ndim == 2 and rows.size and not rows.flags.writeable and max(rows.shape) <= MAX_DIM \
                and set(map(type, rows.flat)) == {Fraction}:
            return rows  # made by as_matrix already (a head's weights, a transposed problem)
        rows = rows.tolist()
    if not isinstance(rows, (list, tuple)) or not rows:
        raise SchemaError(f"{name} must be a non-empty matrix: a list of rows", path=path)
    width = None
    for i, row in enumerate(rows):
        if not isinstance(row, (list, tuple)) or not row:
            raise SchemaError(f"{name} row {i + 1} must be a non-empty list of numbers", path=(*path, i))
        if width is None:
            width = len(row)
        if len(row) != width:
            raise SchemaError(
                f"{name} is ragged: row {i + 1} has {len(row)} numbers, row 1 has {width}",
                path=(*path, i),
            )
    if max(len(rows), width) > MAX_DIM:
        raise SchemaError(
            f"{name} is {len(rows)}×{width}; handcalc takes at most {MAX_DIM} rows and columns",
            path=path,
        )
    matrix = _numbers([cell for row in rows for cell in row])
    if matrix is None:  # some cell is not a number: find the first, to say where it is
        matrix = np.empty((len(rows), width), dtype=object)
        for i, row in enumerate(rows):
            for j, cell in enumerate(row):
                try:
                    matrix[i, j] = parse_number(cell)
                except NotANumber as error:
                    raise SchemaError(f"{name}[{i + 1},{j + 1}]: {error}", path=(*path, i, j)) from None
    matrix = matrix.reshape(len(rows), width)
    matrix.setflags(write=False)
    return matrix


def _numbers(cells: list) -> np.ndarray | None:
    """``cells`` as a flat array of exact Fractions, each distinct value parsed once (a
    matrix repeats a few numbers many times); None when some cell is not a number. (Of
    the kinds let through, only 1 and 1.0 are equal keys, and they are the same number;
    a boolean, equal to 1 or 0, is not let through.)"""
    if not set(map(type, cells)) <= {int, float, str}:
        return None
    try:
        parsed = {value: parse_number(value) for value in set(cells)}
    except NotANumber:
        return None
    return np.fromiter(map(parsed.__getitem__, cells), dtype=object, count=len(cells))


def _positive(name: str, value: Any) -> Fraction:
    try:
        number = parse_number(value)
    except NotANumber as error:
        raise SchemaError(f"{name}: {error}", path=(name,)) from None
    if number <= 0:
        raise SchemaError(f"{name} must be a positive number, not {value}", path=(name,))
    return number


def as_base(base: Any) -> str | Fraction:
    """``"e"``, or a number greater than 1 (3 is the hand approximation of e)."""
    if base == "e":
        return "e"
    if isinstance(base, str) and not _looks_numeric(base):
        raise SchemaError(f"base must be e or a number greater than 1, not {quoted(base)}", path=("base",))
    try:
        number = parse_number(base)
    except NotANumber as error:
        raise SchemaError(f"base: {error}", path=("base",)) from None
    if number <= 1:
        raise SchemaError(f"base must be e or a number greater than 1, not {base}", path=("base",))
    return number


def as_temperature(T: Any) -> Fraction:
    """The temperature: a positive number (1 leaves the scores as they are)."""
    return _positive("temperature", T)


@dataclass(frozen=True, eq=False)
class Head:
    """One head's projections, in the problem's layout."""

    W_q: np.ndarray
    W_k: np.ndarray
    W_v: np.ndarray

    @classmethod
    def read(cls, index: int, head: Any) -> Head:
        """Head ``index`` (0-based) from a mapping with W_q, W_k and W_v, or a Head."""
        if isinstance(head, Head):
            head = {name: getattr(head, name) for name in HEAD_WEIGHTS}
        if not isinstance(head, dict) or set(head) != set(HEAD_WEIGHTS):
            raise SchemaError(f"heads[{index + 1}] must be a mapping of W_q, W_k and W_v", path=("heads", index))
        return cls(*(as_matrix(f"heads[{index + 1}].{w}", head[w], ("heads", index, w)) for w in HEAD_WEIGHTS))

    def transposed(self) -> Head:
        return Head(self.W_q.T, self.W_k.T, self.W_v.T)


@dataclass(frozen=True, eq=False)
class Problem:
    """One attention exercise. Matrices are given in the orientation of ``layout``."""

    X: Any
    W_q: Any = None
    W_k: Any = None
    W_v: Any = None
    title: str = "Self-attention by hand"
    layout: str = "columns"
    tokens: tuple[str, ...] | None = None
    X_kv: Any = None
    mask: Any = "none"  # "none" | "causal" | a 0/1 matrix shaped like scores (1 = may attend)
    scale: Any = "sqrt_dk"  # "sqrt_dk" | "none" | a positive number
    temperature: Any = 1
    base: Any = "e"  # "e" | a number > 1
    W_o: Any = None
    heads: Any = None  # multi-head: a list of {W_q, W_k, W_v}, instead of the top-level ones
    round: Any = None  # carried rounding: every step rounded to this many decimals
    shapes: dict[str, tuple[int, int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise SchemaError(f"layout must be columns or rows, not {quoted(str(self.layout))}", path=("layout",))
        self._check_heads()
        for name in MATRIX_KEYS:
            if getattr(self, name) is not None or name == "X":
                self._set(name, as_matrix(name, getattr(self, name)))
        self._set("heads", tuple(Head.read(i, head) for i, head in enumerate(self._head_list())))
        self._set("shapes", self._check_shapes())
        self._check_tokens()
        self._set("mask", self._check_mask())
        self._check_options()

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)

    def _check_heads(self) -> None:
        """Either one head (W_q, W_k, W_v) or ``heads``, never both and never neither."""
        given = [name for name in HEAD_WEIGHTS if getattr(self, name) is not None]
        if self.heads is None:
            for name in HEAD_WEIGHTS:
                if name not in given:
                    raise SchemaError(f"missing {name}: a problem needs X, W_q, W_k and W_v (or heads)", path=(name,))
        elif given:
            raise SchemaError(
                f"heads and {given[0]} are both given: keep heads for multi-head attention, "
                "or W_q, W_k and W_v for a single head",
                path=("heads",),
            )
        elif not isinstance(self.heads, (list, tuple)) or not self.heads:
            raise SchemaError("heads must be a list of one or more {W_q, W_k, W_v}", path=("heads",))
        elif len(self.heads) > MAX_DIM:
            raise SchemaError(f"{len(self.heads)} heads; handcalc takes at most {MAX_DIM}", path=("heads",))

    def _head_list(self) -> Any:
        return self.heads if self.multi_head else [{name: getattr(self, name) for name in HEAD_WEIGHTS}]

    @property
    def multi_head(self) -> bool:
        """Whether the heads were given as ``heads`` (named h1, h2, …), not as W_q, W_k, W_v."""
        return self.W_q is None

    def prefix(self, index: int) -> str:
        """The step-name prefix of head ``index`` (1-based): "" for a single head."""
        return head_prefix(index) if self.multi_head else ""

    # --- sizes -------------------------------------------------------------------------
    @property
    def cross(self) -> bool:
        """Cross-attention: keys and values come from X_kv, queries from X."""
        return self.X_kv is not None

    def _tokens_of(self, matrix: np.ndarray) -> int:
        return matrix.shape[1] if self.layout == "columns" else matrix.shape[0]

    @property
    def n(self) -> int:
        """The number of query tokens (the tokens of X)."""
        return self._tokens_of(self.X)

    @property
    def m(self) -> int:
        """The number of key and value tokens (of X_kv in cross-attention, else of X)."""
        return self._tokens_of(self.X_kv if self.cross else self.X)

    def d_k(self, head: int = 1) -> int:
        """The width of head ``head``'s queries and keys: the rows (columns layout) of its W_q."""
        W_q = self.heads[head - 1].W_q
        return W_q.shape[0] if self.layout == "columns" else W_q.shape[1]

    @property
    def scores_shape(self) -> tuple[int, int]:
        """(keys, queries) in the columns layout, (queries, keys) in the rows layout."""
        return (self.m, self.n) if self.layout == "columns" else (self.n, self.m)

    # --- checks ------------------------------------------------------------------------
    def _check_shapes(self) -> dict[str, tuple[int, int]]:
        """Every product's inner sizes agree; returns each step's shape in this layout."""
        shapes = {name: getattr(self, name).shape for name in MATRIX_KEYS if getattr(self, name) is not None}
        for index, head in enumerate(self.heads, 1):
            prefix = self.prefix(index)
            shapes |= {prefix + name: getattr(head, name).shape for name in HEAD_WEIGHTS}
            for product in products(self.cross, prefix).values():
                self._check_product(product, shapes)
                if product.name == prefix + "scores":
                    shapes[prefix + "A"] = shapes[product.name]
        if self.multi_head:
            Z = [shapes[f"{head_prefix(h)}Z"] for h in range(1, len(self.heads) + 1)]
            stacked = sum(rows for rows, _ in Z) if self.layout == "columns" else sum(cols for _, cols in Z)
            shapes["concat"] = (stacked, self.n) if self.layout == "columns" else (self.n, stacked)
        if self.W_o is not None:
            self._check_product(output_product("concat" if self.multi_head else "Z"), shapes)
        return shapes

    def _check_product(self, product: Product, shapes: dict[str, tuple[int, int]]) -> None:
        """``left · right`` needs left's columns to match right's rows; records the result."""
        left, right = product.operands(self.layout)
        (rows, inner), (inner_right, cols) = _shape(shapes, left), _shape(shapes, right)
        if inner != inner_right:
            head = head_of(product.name)
            where = f"heads[{head[1:]}].{short(product.weight)}: " if head else ""
            hint = " (W_q and W_k must give queries and keys the same d_k)" if short(product.name) == "scores" else ""
            raise ShapeError(
                f"{where}{left} · {right} needs {left}'s {inner} columns to match {right}'s {inner_right} rows{hint}",
                path=_path(product.weight),
            )
        shapes[product.name] = (rows, cols)

    def _check_tokens(self) -> None:
        if self.tokens is None:
            return
        self._set("tokens", tuple(str(token) for token in self.tokens))
        if len(self.tokens) != self.n:
            raise SchemaError(
                f"tokens has {len(self.tokens)} labels but X has {self.n} tokens "
                f"({'columns' if self.layout == 'columns' else 'rows'})",
                path=("tokens",),
            )

    def _check_mask(self) -> Any:
        if isinstance(self.mask, str):
            if self.mask not in ("none", "causal"):
                raise MaskError(f"mask must be none, causal or a 0/1 matrix, not {quoted(self.mask)}", path=("mask",))
            return self.mask
        mask = as_matrix("mask", self.mask)
        if mask.shape != self.scores_shape:
            raise MaskError(
                f"mask is {format_shape(mask.shape)} but must be shaped like scores, "
                f"{format_shape(self.scores_shape)} ({_scores_axes(self.layout)})",
                path=("mask",),
            )
        bad = [(i, j) for (i, j), cell in np.ndenumerate(mask) if cell not in (0, 1)]
        if bad:
            i, j = bad[0]
            raise MaskError(f"mask[{i + 1},{j + 1}] is {mask[i, j]}; a mask holds only 0 and 1", path=("mask", i, j))
        blocked = np.flatnonzero(~self._allowed(mask).any(axis=0))
        if blocked.size:
            q = int(blocked[0]) + 1
            raise MaskError(
                f"mask blocks every key for query {q} ({AXIS_WORD[self.layout]} {q}); "
                "each query must be allowed at least one key",
                path=("mask",),
            )
        return mask

    def _check_options(self) -> None:
        if self.round is not None and (isinstance(self.round, bool) or not isinstance(self.round, int)
                                       or not 0 <= self.round <= MAX_ROUND):
            found = self.round if type(self.round) is int else describe(self.round)
            raise SchemaError(f"round must be a whole number of decimals from 0 to {MAX_ROUND}, not {found}",
                              path=("round",))
        if self.scale not in ("sqrt_dk", "none"):
            if isinstance(self.scale, str) and not _looks_numeric(self.scale):
                raise SchemaError(f"scale must be sqrt_dk, none or a positive number, not {quoted(self.scale)}", path=("scale",))
            self._set("scale", _positive("scale", self.scale))
        self._set("temperature", as_temperature(self.temperature))
        self._set("base", as_base(self.base))

    # --- views -------------------------------------------------------------------------
    def _allowed(self, mask: np.ndarray) -> np.ndarray:
        """The mask as booleans in the columns orientation: (m keys, n queries)."""
        allowed = as_floats(mask) == 1
        return allowed if self.layout == "columns" else allowed.T

    def allowed(self) -> np.ndarray | None:
        """(m, n) booleans, True where key i may be attended by query j; None: no mask.

        A causal mask lets query j see keys 1..j (top-left aligned, as PyTorch does)."""
        if isinstance(self.mask, str):
            return np.tril(np.ones((self.n, self.m), dtype=bool)).T if self.mask == "causal" else None
        return self._allowed(self.mask)

    def columns(self, matrix: np.ndarray, exact: bool = False) -> np.ndarray:
        """An input matrix in the columns orientation (tokens as columns): as floats, or
        with ``exact`` as the Fractions it was written as."""
        matrix = matrix if exact else as_floats(matrix)
        return matrix if self.layout == "columns" else matrix.T

    def with_layout(self, layout: str) -> Problem:
        """The same exercise written in the other layout: every matrix transposed."""
        if layout == self.layout:
            return self
        flip = {name: getattr(self, name).T for name in MATRIX_KEYS if getattr(self, name) is not None}
        if not isinstance(self.mask, str):
            flip["mask"] = self.mask.T
        if self.multi_head:
            flip["heads"] = tuple(head.transposed() for head in self.heads)
        return self.replaced(layout=layout, **flip)

    def replaced(self, **changes: Any) -> Problem:
        """The same problem with ``changes`` (a single head stays given as W_q, W_k, W_v)."""
        if not self.multi_head:
            changes.setdefault("heads", None)
        return replace(self, **changes)


def _path(name: str) -> tuple[str | int, ...]:
    """Where an input lives in the file: ``h2.W_k`` is ``("heads", 1, "W_k")``."""
    head = head_of(name)
    return ("heads", int(head[1:]) - 1, short(name)) if head else (name,)


def _shape(shapes: dict[str, tuple[int, int]], ref: Ref) -> tuple[int, int]:
    rows, cols = shapes[ref.name]
    return (cols, rows) if ref.T else (rows, cols)


def _scores_axes(layout: str) -> str:
    return "keys × queries" if layout == "columns" else "queries × keys"


def _looks_numeric(text: str) -> bool:
    """Written as a number (``2``, ``"1/3"``, ``1e999``), whether or not it is a usable one."""
    return NUMBER_TEXT.fullmatch(text.strip()) is not None
