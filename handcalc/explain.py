"""Plain sentences on what each step means and why (``--explain``)."""

from __future__ import annotations

from handcalc.trace import Step, Trace


def explanation(step: Step, trace: Trace) -> str | None:
    """One or two short, correct sentences about ``step``; None where there is nothing to say."""
    return None
