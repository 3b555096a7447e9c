"""How long ``handcalc run -f xlsx`` takes, and how large the workbook is (issue 14, item 2).

Three problems: the classic sample, a 4-head 16-token problem (d_model 8, d_k = d_v = 2 per
head, with W_o) and a 64-token problem (d_model 16, d_k 8), made by ``handcalc new``. For
each: the median wall time of fresh ``handcalc run -f xlsx -o …`` subprocesses (start-up
included), against the same run with ``--format text``, the file's size, and the number of
formulas in it. A benchmark, not a test: it prints figures and exits 0.

    python benchmarks/xlsx.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HANDCALC = [sys.executable, "-m", "handcalc"]


def timed(command: list[str], runs: int) -> float:
    subprocess.run(command, check=True, capture_output=True)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        problems = {"classic (4 tokens)": ROOT / "samples" / "self_attention.yaml"}
        for label, options in (("4 heads, 16 tokens", ["--heads", "4", "--tokens", "16", "--d-model", "8", "--d-k", "4"]),
                               ("64 tokens", ["--tokens", "64", "--d-model", "16", "--d-k", "9"])):  # fmt: skip
            path = tmp / f"{len(problems)}.yaml"
            subprocess.run([*HANDCALC, "new", "--seed", "1", *options, "-o", str(path)], check=True)
            problems[label] = path
        print(f"{'problem':<22} {'xlsx':>8} {'text':>8} {'size':>10} {'formulas':>9}")
        for label, path in problems.items():
            out = tmp / "out.xlsx"
            xlsx = timed([*HANDCALC, "run", str(path), "-f", "xlsx", "-o", str(out), "--force"], runs)
            text = timed([*HANDCALC, "run", str(path), "-f", "text"], runs)
            with zipfile.ZipFile(out) as book:
                formulas = book.read("xl/worksheets/sheet1.xml").count(b"<f>")
            print(f"{label:<22} {xlsx:7.2f}s {text:7.2f}s {out.stat().st_size / 1024:8.1f} KiB {formulas:>9}")


if __name__ == "__main__":
    main()
