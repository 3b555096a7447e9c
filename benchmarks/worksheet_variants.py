"""Time of a class set: ``handcalc worksheet --variants 30`` (the sheets) and the same with
``--key`` (target: under 1 s beyond start-up), the median of a few runs of the whole
command; and the processor time of all its processes (the command and its workers), which
is what a busy machine makes the time grow with.

    python benchmarks/worksheet_variants.py [--variants N] [--runs R]
"""

from __future__ import annotations

import argparse
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(args: list[str], runs: int) -> tuple[float, float]:
    """The median seconds and processor seconds (every process of the command) of ``runs`` runs."""
    times, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "handcalc", *args], check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(times), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    start_up, _ = timed(["--help"], options.runs)
    print(f"start-up (handcalc --help)       {start_up:6.2f} s")
    with tempfile.TemporaryDirectory() as folder:
        common = ["worksheet", "--variants", str(options.variants), "--seed", "2026"]
        for label, extra in (("sheets", []), ("key", ["--key"]), ("key, --show-work", ["--key", "--show-work"])):
            out = Path(folder) / "class.pdf"
            seconds, cpu = timed([*common, *extra, "-o", str(out), "--force"], options.runs)
            pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", out.read_bytes()))
            print(f"{options.variants} variants, {label:<17} {seconds:6.2f} s  ({seconds - start_up:.2f} s beyond start-up, "
                  f"{cpu:.2f} s of processor; {pages} pages, {out.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
