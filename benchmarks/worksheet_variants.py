"""Time of a class set: ``handcalc worksheet --variants 30`` (the sheets) and the same with
``--key`` (target: under 3 s each), the median of a few runs of the whole command.

    python benchmarks/worksheet_variants.py [--variants N] [--runs R]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(args: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "handcalc", *args, "--force"], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        common = ["worksheet", "--variants", str(options.variants), "--seed", "2026"]
        for label, extra in (("sheets", []), ("key", ["--key"]), ("key, --show-work", ["--key", "--show-work"])):
            out = Path(folder) / "class.pdf"
            seconds = timed([*common, *extra, "-o", str(out)], options.runs)
            pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", out.read_bytes()))
            print(f"{options.variants} variants, {label:<17} {seconds:6.2f} s  ({pages} pages, {out.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
