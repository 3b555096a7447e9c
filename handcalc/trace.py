"""A Trace: the ordered, immutable steps of one computation. Numbers only, never markup."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from handcalc.steps import Ref, head_of

# How a step was made, which decides how it is drawn by hand.
INPUT, PRODUCT, ELEMENTWISE, SUMS, CONCAT = "input", "product", "elementwise", "sums", "concat"


@dataclass(frozen=True, eq=False)
class Step:
    """One named table of the computation, in the layout's own orientation.

    ``rows`` and ``cols`` label the axes (``q1…``, ``k1…``, token names; "" for a feature
    axis). ``sums`` is a vector: one sum per query. ``constants`` are the named numbers the
    formula uses (``√d_k``), ``notes`` plain sentences about how the step was computed,
    ``axes`` what the rows and columns stand for where both are tokens (keys, queries).
    """

    name: str
    formula: str
    value: np.ndarray
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    kind: str = INPUT
    operands: tuple[Ref, ...] = ()
    constants: tuple[tuple[str, float], ...] = ()
    notes: tuple[str, ...] = ()
    axes: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        self.value.setflags(write=False)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape


@dataclass(frozen=True)
class Trace:
    """Every step of one problem, in the order they are written by hand."""

    title: str
    layout: str
    tokens: tuple[str, ...] | None
    steps: tuple[Step, ...]

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __getitem__(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return any(step.name == name for step in self.steps)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(step.name for step in self.steps)

    @property
    def heads(self) -> tuple[str, ...]:
        """The heads, ``h1``, ``h2`` …, in order; none for single-head attention."""
        return tuple(dict.fromkeys(head for name in self.names if (head := head_of(name))))

    # In a notebook: the by-hand tables of the HTML and Markdown exports.
    def _repr_html_(self) -> str:
        from handcalc.render.notebook import trace_html

        return trace_html(self)

    def _repr_markdown_(self) -> str:
        from handcalc.render.notebook import trace_markdown

        return trace_markdown(self)
