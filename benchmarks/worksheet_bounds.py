"""Worksheets at their limits: time and peak memory of the whole command (every process it
starts included), printed, asserted nowhere.

    python benchmarks/worksheet_bounds.py [--quick]

- start-up: ``handcalc --help``, for reading the figures below "beyond start-up";
- class sets of 30 and 200 generated variants (sheets, and keys);
- sheets and keys of 8 to 64 tokens, the key of 64 tokens with --show-work;
- a 256-token problem (the largest the loader accepts): refused in one line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def tree_rss(root: int) -> int:
    """The resident memory (kB) of ``root`` and every process under it, now (one read of
    /proc/PID/stat per process: its parent and its resident pages)."""
    parent, rss = {}, {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue  # it ended meanwhile
            parent[int(entry)], rss[int(entry)] = int(fields[1]), int(fields[21]) * PAGE_KB
    tree = {root}
    for _ in range(6):  # handcalc and its worker processes: a few levels
        tree |= {pid for pid, up in parent.items() if up in tree}
    return sum(rss.get(pid, 0) for pid in tree)


def measure(args: list[str]) -> tuple[float, float, int, str]:
    """Seconds, peak MiB of the process tree (sampled every 10 ms), exit status, stderr."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "handcalc", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(process.pid))
        time.sleep(0.01)
    seconds = time.perf_counter() - start
    return seconds, peak / 1024, process.returncode, process.stderr.read().decode().strip()


def problem(tokens: int, folder: Path) -> Path:
    rng = np.random.default_rng(tokens)
    m = lambda rows, cols: rng.integers(-1, 2, size=(rows, cols)).tolist()  # noqa: E731
    path = folder / f"p{tokens}.json"
    path.write_text(json.dumps({"X": m(4, tokens), "W_q": m(4, 4), "W_k": m(4, 4), "W_v": m(4, 4)}))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 200-variant class sets")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        out = str(folder / "out.pdf")
        seconds, mib, _, _ = measure(["--help"])
        print(f"{'start-up (handcalc --help)':<42} {seconds:6.2f} s {mib:7.0f} MiB")
        runs = [(f"class set, {n} variants{', keys' if key else ''}", ["worksheet", "--variants", str(n), "--seed", "2026", *key])
                for n in ((30,) if options.quick else (30, 200)) for key in ([], ["--key"])]  # fmt: skip
        for tokens in (8, 16, 32, 64):
            path = str(problem(tokens, folder))
            runs.append((f"{tokens} tokens, sheet", ["worksheet", path]))
            runs.append((f"{tokens} tokens, key", ["worksheet", path, "--key"]))
        runs.append(("64 tokens, key --show-work", ["worksheet", str(problem(64, folder)), "--key", "--show-work"]))
        runs.append(("256 tokens (refused)", ["worksheet", str(problem(256, folder))]))
        for label, args in runs:
            seconds, mib, status, error = measure([*args, "-o", out, "--force"])
            pages = ""
            if status == 0:
                info = subprocess.run(["pdfinfo", out], capture_output=True, text=True).stdout
                pages = next((line.split()[-1] + " pages" for line in info.splitlines() if line.startswith("Pages:")), "")
            note = pages if status == 0 else f"exit {status}: {error.splitlines()[0][:70] if error else ''}"
            print(f"{label:<42} {seconds:6.2f} s {mib:7.0f} MiB  {note}")


if __name__ == "__main__":
    main()
