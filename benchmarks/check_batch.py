"""Throughput of ``handcalc check`` on a class of answers files (target: 1,000 files in one
call at >= 1,000 files per second).

Writes N answers files for the classic sample — every computed step, each file with a few
random slips — into a temporary folder, then times one ``handcalc check`` call over all of
them (``--report`` to a CSV, text output discarded), a few times, and prints the median of
the wall-clock time and of the CPU time the call used (on a busy machine the wall clock
also counts the time spent waiting for a core).

    python benchmarks/check_batch.py [--files N] [--runs R]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = ROOT / "samples" / "self_attention.yaml"


def true_steps() -> dict:
    """Every computed step of the classic sample, rounded to 3 decimals as a student writes."""
    from handcalc import compute, load_problem

    trace = compute(load_problem(PROBLEM))
    return {s.name: [round(float(x), 3) for x in s.value] if s.value.ndim == 1 else
            [[round(float(x), 3) for x in row] for row in s.value] for s in trace if s.kind != "input"}  # fmt: skip


def write_answers(folder: Path, count: int) -> list[Path]:
    steps, rng, paths = true_steps(), random.Random(2026), []
    for k in range(count):
        lines = []
        for name, value in steps.items():
            rows = [list(value)] if not isinstance(value[0], list) else [list(row) for row in value]
            if rng.random() < 0.3:  # a slip in one cell
                row = rng.choice(rows)
                row[rng.randrange(len(row))] += 1
            lines.append(f"{name}: {rows[0] if not isinstance(value[0], list) else rows}")
        path = folder / f"student{k:04d}.yaml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_answers(Path(tmp), args.files)
        command = [sys.executable, "-m", "handcalc", "check", str(PROBLEM), *map(str, paths),
                   "--format", "text", "--report", str(Path(tmp) / "grades.csv"), "--force"]  # fmt: skip
        times, cpu = [], []
        for _ in range(args.runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, check=False)
            times.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    wall, used = statistics.median(times), statistics.median(cpu)
    rate, cpu_rate = args.files / wall, args.files / used
    verdict = "PASS" if rate >= 1000 else "MISS"
    print(f"check {args.files} files in one call: {wall:.2f} s wall ({rate:.0f} files/s), "
          f"{used:.2f} s CPU ({cpu_rate:.0f} files per CPU-second), median of {args.runs} "
          f"(target >= 1000 files/s)  {verdict}")


if __name__ == "__main__":
    main()
