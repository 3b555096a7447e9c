"""Drawing the largest valid problem: each format's render of a 256×256 problem, with and
without ``--full`` (issue 12: every format < 0.3 s beyond a classic run).

Two figures a format: the render alone, in this process (the problem loaded and computed
once; the terminal's output printed as ``handcalc run`` prints it, to /dev/null, piped and
on a colour terminal), median of ``--runs``; and the whole command beyond a classic run,
median of fresh subprocesses interleaved with the classic run (as ``hostile.py`` does). A
benchmark, not a test: it prints PASS/MISS and always exits 0.

    python benchmarks/render_large.py [--runs N]
"""

from __future__ import annotations

import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import row, start  # noqa: E402
from hostile import median_beside, write_files  # noqa: E402

FORMATS = ("text", "rich", "json", "markdown", "latex", "html")


def render_seconds(path: Path, fmt: str, full: bool, runs: int, colour: bool = False) -> float:
    """Median seconds of rendering (and, for rich, printing) ``path``'s trace in ``fmt``."""
    from rich.console import Console

    from handcalc import compute
    from handcalc.load import load
    from handcalc.render import RenderOptions, renderer

    trace, options = compute(load(path)), RenderOptions(full=full, width=100)
    seconds = []
    for _ in range(runs + 1):  # the first, which imports the renderer, is not counted
        start = time.perf_counter()
        drawn = renderer(fmt)(trace, options)
        if not isinstance(drawn, str):
            Console(file=io.StringIO(), highlight=False, soft_wrap=True, force_terminal=colour, width=100).print(drawn)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds[1:])


def main() -> None:
    runs, handcalc, how, classic = start(__doc__.split("\n")[0], 5)
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        path = write_files(Path(tmp))["256.yaml"]
        for fmt in FORMATS:
            for full in (False, True):
                what = f"{fmt}{' --full' if full else ''}"
                drawn = render_seconds(path, fmt, full, runs)
                lines.append(row(f"{what}: render", f"{drawn * 1000:.0f} ms"))
                if fmt == "rich":
                    coloured = render_seconds(path, fmt, full, runs, colour=True)
                    lines.append(row(f"{what}: render in colour", f"{coloured * 1000:.0f} ms"))
                args = ["run", str(path), "--format", fmt, *(["--full"] if full else [])]
                ours, base, _ = median_beside([*handcalc, *args], classic, runs)
                lines.append(row(f"{what}: run beyond classic", f"{(ours - base) * 1000:.0f} ms", "< 300 ms",
                                 ours - base < 0.3))  # fmt: skip
    print(f"handcalc via {how}; python {sys.version.split()[0]}; a 256x256 problem; medians of {runs} runs\n")
    print(f"{'measure':<38} {'value':>18}  {'target':<10} result")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
