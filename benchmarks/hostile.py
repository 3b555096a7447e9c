"""The largest valid input and the hostile ones of issue 12: wall time and peak memory of each.

Targets (issue 12): a 256×256 ``run`` (any format, ``--exact`` included) less than 0.3 s
beyond a classic run (``--exact`` < 2 s); a 270×270 problem refused in < 0.3 s; any input of
at most 1 MiB, any command: < 2 s and < 300 MiB, or a one-line refusal.

The 256×256 problem is the documented maximum: X, W_q, W_k and W_v all 256×256 of small
integers (850 KB). Every figure is the median of fresh subprocesses run interleaved with the
classic run (after a warm-up); peak memory is the child's max RSS. A benchmark, not a test:
it prints PASS/MISS and always exits 0.

    python benchmarks/hostile.py [--runs N]
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import CLASSIC, ENV, peak_mib, row, start  # noqa: E402


def matrix(rng: random.Random, rows: int, cols: int) -> str:
    return "[" + ", ".join("[" + ", ".join(str(rng.randint(-1, 2)) for _ in range(cols)) + "]" for _ in range(rows)) + "]"


def answers_256(problem: str) -> str:
    """Q, K and V of the 256×256 problem, as a student would write them (about 1 MiB)."""
    import numpy as np

    m = {line.split(":")[0]: np.array(json.loads(line.split(": ", 1)[1])) for line in problem.splitlines()}
    steps = {"Q": m["W_q"] @ m["X"], "K": m["W_k"] @ m["X"], "V": m["W_v"] @ m["X"]}
    text = "".join(f"{name}: {json.dumps(value.tolist())}\n" for name, value in steps.items())
    return text if len(text) <= 1 << 20 else text[: text.rindex("\nV: ") + 1]


def write_files(folder: Path) -> dict[str, Path]:
    """The problems, answers and vectors measured, written into ``folder``."""
    rng = random.Random(256)
    texts = {
        "256.yaml": "".join(f"{key}: {matrix(rng, 256, 256)}\n" for key in ("X", "W_q", "W_k", "W_v")),
        "64.yaml": "".join(f"{key}: {matrix(rng, 64, 64)}\n" for key in ("X", "W_q", "W_k", "W_v")),
        "270.yaml": "".join(f"{key}: {matrix(rng, 270, 270)}\n" for key in ("X", "W_q", "W_k", "W_v")),
        "tiny-exponent.yaml": 'X: [["1e-100000000", 0], [0, 1]]\nW_q: [[1, 0]]\nW_k: [[1, 0]]\nW_v: [[1, 0]]\n',
        "tiny-exponent-answers.yaml": "Q: [[1e-100000000, 1, 2, 1], [1, 3, 1, 3]]\n",
        "nested-1000.yaml": "X: " + "[" * 1000 + "]" * 1000 + "\n",
        "nested-10000.yaml": "X: " + "[" * 10_000 + "]" * 10_000 + "\n",
        "long-fractions.yaml": "X: [['" + "1" * 1200 + "/" + "7" * 1199 + "', 1], [1, '1/" + "3" * 1100 + "']]\n"
        "W_q: [[1, 2], [3, 4]]\nW_k: [[1, 0], [0, 1]]\nW_v: [[1, 1], [0, 1]]\n",
        "huge-rounded.yaml": "X: [[1e300, 0], [0, 1]]\nW_q: [[1, 0], [0, 1]]\nW_k: [[1, 0], [0, 1]]\n"
        "W_v: [[1, 0], [0, 1]]\nround: 1\n",
        "labels.yaml": "tokens: [" + ", ".join(f'"{"w" * 3900}{i}"' for i in range(256)) + "]\n"
        "X: [" + ", ".join(["[" + ", ".join(["1"] * 256) + "]"] * 2) + "]\nW_q: [[1, 0]]\nW_k: [[0, 1]]\nW_v: [[1, 1]]\n",
        "tags.yaml": "X: !!set {a}\nW_q: !!omap [a: 1]\n",
        "vector.yaml": "[1, 1e-100000000]\n",
    }  # fmt: skip
    texts["256-answers.yaml"] = answers_256(texts["256.yaml"])
    paths = {}
    for name, text in texts.items():
        paths[name] = folder / name
        paths[name].write_text(text, encoding="utf-8")
    return paths


def timed(command: list[str]) -> tuple[float, int]:
    """Wall seconds and exit code of one run, output discarded."""
    start = time.perf_counter()
    code = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV).returncode
    return time.perf_counter() - start, code


def median_beside(command: list[str], baseline: list[str], runs: int) -> tuple[float, float, int]:
    """Median seconds of ``command`` and of ``baseline``, run interleaved after a warm-up."""
    timed(command), timed(baseline)
    ours, theirs, code = [], [], 0
    for _ in range(runs):
        seconds, code = timed(command)
        ours.append(seconds)
        theirs.append(timed(baseline)[0])
    return statistics.median(ours), statistics.median(theirs), code


def main() -> None:
    runs, handcalc, how, classic = start(__doc__.split("\n")[0], 5)
    with tempfile.TemporaryDirectory() as tmp:
        f = write_files(Path(tmp))
        largest = [  # (what, arguments, target beyond the classic run in seconds)
            ("256x256 run --format text", ["run", f["256.yaml"], "--format", "text"], 0.3),
            ("256x256 run --format json", ["run", f["256.yaml"], "--format", "json"], 0.3),
            ("256x256 run --format rich --full", ["run", f["256.yaml"], "--format", "rich", "--full"], 0.3),
            ("256x256 run --exact", ["run", f["256.yaml"], "--exact", "--format", "text"], 2.0),
            ("270x270 refused", ["run", f["270.yaml"]], 0.3),
        ]
        hostile = [
            ('"1e-100000000" in a problem', ["run", f["tiny-exponent.yaml"]]),
            ("1e-100000000 in an answers file", ["check", CLASSIC, f["tiny-exponent-answers.yaml"]]),
            ("softmax 1 1e-100000000", ["softmax", "1", "1e-100000000"]),
            ("softmax --base 1e999999999", ["softmax", "1", "--base", "1e999999999"]),
            ("softmax --file [1, 1e-100000000]", ["softmax", "--file", f["vector.yaml"]]),
            ("run /dev/zero", ["run", "/dev/zero"]),
            ("1,000 nested [", ["run", f["nested-1000.yaml"]]),
            ("10,000 nested [", ["run", f["nested-10000.yaml"]]),
            ("1,200-digit fractions --exact", ["run", f["long-fractions.yaml"], "--exact", "--format", "text"]),
            ("1e300 with round: 1 --exact", ["run", f["huge-rounded.yaml"], "--exact"]),
            ("1 MiB of labels --full", ["run", f["labels.yaml"], "--full", "--format", "text"]),
            ("YAML tags", ["run", f["tags.yaml"]]),
            ("256x256 check, Q K V answered", ["check", f["256.yaml"], f["256-answers.yaml"]]),
            ("256x256 run -f xlsx (refused)", ["run", f["256.yaml"], "-f", "xlsx", "-o", Path(tmp) / "256.xlsx"]),
            ("64x64 run -f xlsx (90,000 cells)", ["run", f["64.yaml"], "-f", "xlsx", "-o", Path(tmp) / "64.xlsx", "--force"]),
        ]
        results = []
        for what, args, target in largest:
            command = [*handcalc, *map(str, args)]
            ours, base, code = median_beside(command, classic, runs)
            results.append(("L", what, ours - base, target, code, peak_mib(command, refused=True)))
        for what, args in hostile:
            command = [*handcalc, *map(str, args)]
            ours, _, code = median_beside(command, classic, runs)
            results.append(("H", what, ours, 2.0, code, peak_mib(command, refused=True)))
    print(f"handcalc via {how}; python {sys.version.split()[0]}; median of {runs} runs interleaved with a classic run\n")
    print(f"{'measure':<38} {'value':>18}  {'target':<10} result")
    for kind, what, seconds, target, code, mib in results:
        label = "beyond classic" if kind == "L" else "wall"
        print(row(f"{what} (exit {code})", f"{seconds * 1000:.0f} ms {label}", f"< {target * 1000:.0f} ms",
                  seconds < target))  # fmt: skip
        print(row("  peak RSS", f"{mib:.1f} MiB", "< 300 MiB", mib < 300))


if __name__ == "__main__":
    main()
