"""The arithmetic of a step's cells, written out as a student writes it (``--show-work``)."""

from __future__ import annotations

from handcalc.render import RenderOptions
from handcalc.trace import Step, Trace


def work_lines(step: Step, trace: Trace, options: RenderOptions) -> list[str]:
    """Lines such as ``Q[1,1] = 1·2 + 1·0 + 0·0 = 2`` for the first cells of ``step``."""
    return []
