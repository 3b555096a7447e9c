"""A picture of A: who attends to whom, seen at a glance."""

from __future__ import annotations

from handcalc.render import RenderOptions
from handcalc.render.grid import Grid
from handcalc.trace import Step, Trace


def picture(step: Step, trace: Trace, options: RenderOptions) -> Grid | None:
    """The heat-map drawn under ``step`` (only attention weights have one); None: none."""
    return None
