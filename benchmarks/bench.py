"""Benchmark handcalc's start-up time, a 64-token run, and peak memory (issue 2, item 12).

What is measured, and why against these baselines:

* ``handcalc run samples/self_attention.yaml --format text`` against
  ``python -c "import typer, pydantic, rich.table, numpy, ruamel.yaml"``: a run on a tiny
  problem is almost all start-up, and start-up cannot beat importing the dependencies it
  needs.  The ratio shows what handcalc itself adds on top (target <= 1.25x).
* ``handcalc --help`` against ``python -c "import typer"``: help needs only the CLI, so it
  should cost little more than importing typer; a miss means a heavy module (numpy,
  ruamel.yaml, pydantic) is imported at module level (DESIGN section 5).
* a generated 64-token problem (d_model 16, d_k 8, small integers), plain and with
  ``--full`` and ``--format json``: large problems must stay usable (target < 1 s);
  and a 4-head, 16-token problem (d_model 8, d_k = d_v = 2 per head, with W_o).
* peak memory (max RSS of the child) of the classic run and of the 64-token run (< 100 MiB).

Every figure is the median wall time (``time.perf_counter``) of fresh subprocesses; the
command and its baseline run interleaved (A, B, A, B, ...) so that drift in machine load
hits both alike, after one untimed warm-up run each.  It is a benchmark, not a test: it
prints PASS/MISS but always exits 0.

    python benchmarks/bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLASSIC = ROOT / "samples" / "self_attention.yaml"
DEPS_IMPORT = [sys.executable, "-c", "import typer, pydantic, rich.table, numpy, ruamel.yaml"]
TYPER_IMPORT = [sys.executable, "-c", "import typer"]
ENV = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}


def handcalc_command() -> tuple[list[str], str]:
    """The console script next to this Python (what users run), else ``python -m handcalc``."""
    script = Path(sys.executable).parent / ("handcalc.exe" if os.name == "nt" else "handcalc")
    if script.exists():
        return [str(script)], f"console script {script}"
    return [sys.executable, "-m", "handcalc"], f"{sys.executable} -m handcalc"


def start(description: str, runs: int) -> tuple[int, list[str], str, list[str]]:
    """What every timed benchmark begins with: the runs asked for (``--runs``, default
    ``runs``), the handcalc command and how it is run, and the classic run measured beside."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=runs, help=f"timed runs per figure (default {runs})")
    handcalc, how = handcalc_command()
    return max(parser.parse_args().runs, 1), handcalc, how, [*handcalc, "run", str(CLASSIC), "--format", "text"]


def write_problem(path: Path, tokens: int, d_model: int, d_k: int, heads: int = 0) -> None:
    """Write a columns-layout problem with integers in -1..2: X is d_model x tokens, each
    W_* is d_k x d_model; with ``heads``, that many heads and a W_o of d_model x heads·d_k."""
    rng = random.Random(tokens * 100 + heads)
    matrix = lambda rows, cols: [[rng.randint(-1, 2) for _ in range(cols)] for _ in range(rows)]  # noqa: E731
    lines = [f"title: {tokens} tokens, {heads or 1} head(s)", f"X: {matrix(d_model, tokens)}"]
    weights = lambda indent: [f"{indent}{name}: {matrix(d_k, d_model)}" for name in ("W_q", "W_k", "W_v")]  # noqa: E731
    if heads:
        lines.append("heads:")
        for _ in range(heads):
            first, *rest = weights("    ")
            lines += ["  - " + first.strip(), *rest]
        lines.append(f"W_o: {matrix(d_model, heads * d_k)}")
    else:
        lines += weights("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def wall_time(command: list[str]) -> float:
    """Seconds one run of ``command`` takes, output discarded; a failing command is an error."""
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, env=ENV, check=True)
    return time.perf_counter() - start


def medians(commands: list[list[str]], runs: int) -> list[float]:
    """Median wall time of each command, run interleaved ``runs`` times after one warm-up each."""
    for command in commands:
        wall_time(command)
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for command, samples in zip(commands, times):
            samples.append(wall_time(command))
    return [statistics.median(samples) for samples in times]


def peak_mib(command: list[str], refused: bool = False) -> float:
    """Max RSS of ``command``, read with RUSAGE_CHILDREN in a fresh Python that runs only it;
    a failing command is an error unless it is expected to be ``refused``."""
    probe = (
        "import resource, subprocess, sys\n"
        f"subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check={not refused})\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", probe, *command], env=ENV, capture_output=True, text=True, check=True)
    return int(out.stdout) / (2**20 if sys.platform == "darwin" else 2**10)  # bytes on macOS, KiB on Linux


def row(what: str, value: str, target: str = "", ok: bool | None = None) -> str:
    """One table line; a line without a target gets no verdict."""
    verdict = "" if ok is None else ("PASS" if ok else "MISS")
    return f"{what:<38} {value:>18}  {target:<10} {verdict}".rstrip()


def main() -> None:
    runs, handcalc, how, classic = start(__doc__.split("\n")[0], 15)
    with tempfile.TemporaryDirectory() as tmp:
        big, heads = Path(tmp) / "tokens64.yaml", Path(tmp) / "heads4.yaml"
        write_problem(big, tokens=64, d_model=16, d_k=8)
        write_problem(heads, tokens=16, d_model=8, d_k=2, heads=4)
        run64 = [*handcalc, "run", str(big), "--format", "text"]
        (t_heads,) = medians([[*handcalc, "run", str(heads), "--format", "text"]], runs)
        run_t, deps_t = medians([classic, DEPS_IMPORT], runs)
        help_t, typer_t = medians([[*handcalc, "--help"], TYPER_IMPORT], runs)
        t64, t64_full, t64_json = medians([run64, [*run64, "--full"], [*handcalc, "run", str(big), "--format", "json"]], runs)
        mem_classic, mem_64 = peak_mib(classic), peak_mib(run64)

    ms = lambda s: f"{s * 1000:.0f} ms"  # noqa: E731
    print(f"handcalc via {how}; python {sys.version.split()[0]}; median of {runs} interleaved runs\n")
    print(f"{'measure':<38} {'value':>18}  {'target':<10} result")
    print(row("run classic / import deps", f"{ms(run_t)} / {ms(deps_t)}"))
    print(row("  ratio", f"{run_t / deps_t:.2f}x", "<= 1.25x", run_t / deps_t <= 1.25))
    print(row("--help / import typer", f"{ms(help_t)} / {ms(typer_t)}"))
    print(row("  ratio", f"{help_t / typer_t:.2f}x", "<= 1.10x", help_t / typer_t <= 1.10))
    print(row("run 64 tokens --format text", ms(t64), "< 1000 ms", t64 < 1))
    print(row("run 64 tokens --format text --full", ms(t64_full), "< 1000 ms", t64_full < 1))
    print(row("run 64 tokens --format json", ms(t64_json), "< 1000 ms", t64_json < 1))
    print(row("run 4 heads, 16 tokens --format text", ms(t_heads), "< 1000 ms", t_heads < 1))
    print(row("peak RSS, run classic", f"{mem_classic:.1f} MiB", "< 100 MiB", mem_classic < 100))
    print(row("peak RSS, run 64 tokens", f"{mem_64:.1f} MiB", "< 100 MiB", mem_64 < 100))


if __name__ == "__main__":
    main()
