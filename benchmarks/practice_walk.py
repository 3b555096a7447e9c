"""How long a student waits after each entry of ``handcalc practice`` (target: well under a
tenth of a second, so that the walk feels immediate).

Walks every cell of a problem with the right answers through the session core (each entry
marked by ``check.mark`` over all the entries so far) and, for each entry, times the marking
and the drawing of the next screen as plain text; prints the median and the slowest entry.
A problem of the classic size and a larger one (8 tokens, 2 heads, causal mask).

    python benchmarks/practice_walk.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def walk(trace, digits) -> tuple[list[float], list[float]]:
    """Seconds to mark each entry, and to draw the screen after it."""
    from handcalc.numbers import format_number
    from handcalc.practice import advance, start
    from handcalc.render import RenderOptions
    from handcalc.render.practice import screen
    from handcalc.render.text import draw

    options = RenderOptions(3, None, False, 100)
    session = start(trace, [step.name for step in trace if step.kind != "input"], digits=digits)
    marking, drawing = [], []
    while not session.done:
        name, index = session.current
        begin = time.perf_counter()
        session, _ = advance(session, format_number(trace[name].value[index], 6).replace("−∞", "-inf"))
        marking.append(time.perf_counter() - begin)
        if not session.done:
            begin = time.perf_counter()
            draw(screen(session, options), options)
            drawing.append(time.perf_counter() - begin)
    return marking, drawing


def main() -> None:
    from handcalc import compute, load_problem
    from handcalc.generate import generate

    problems = {
        "classic (4 tokens, 1 head)": load_problem(ROOT / "samples" / "self_attention.yaml"),
        "8 tokens, 2 heads, causal": generate(seed=1, tokens=8, heads=2, mask="causal"),
    }
    for title, problem in problems.items():
        trace = compute(problem)
        marking, drawing = walk(trace, problem.round)
        print(f"{title}: {len(marking)} entries")
        print(f"  marking an entry: median {statistics.median(marking) * 1000:.1f} ms, slowest {max(marking) * 1000:.1f} ms")
        print(f"  drawing a screen: median {statistics.median(drawing) * 1000:.1f} ms, slowest {max(drawing) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
