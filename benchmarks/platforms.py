"""How long the platforms take: a Moodle quiz of 30 generated variants, and marking one
Gradescope submission (in process, and as run_autograder runs it: a fresh process).

Prints figures; asserts nothing.  python benchmarks/platforms.py
"""

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "self_attention.yaml"
ANSWERS = ROOT / "samples" / "answers" / "self_attention_mistakes.yaml"


def timed(run, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    from handcalc.platforms.gradescope import grade

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        quiz = scratch / "quiz.xml"
        moodle = [sys.executable, "-m", "handcalc", "moodle", "--variants", "30", "--seed", "2026", "--level", "2", "-o", str(quiz), "--force"]
        times = timed(lambda: subprocess.run(moodle, check=True), 3)
        print(f"moodle --variants 30 --level 2: {statistics.median(times):.2f} s (median of 3), {quiz.stat().st_size / 1e6:.2f} MB of XML")

        archive = scratch / "autograder.zip"
        subprocess.run([sys.executable, "-m", "handcalc", "gradescope", str(SAMPLE), "--level", "2", "-o", str(archive)], check=True)
        root = scratch / "autograder"
        with zipfile.ZipFile(archive) as unpacked:
            unpacked.extractall(root / "source")
        (root / "submission").mkdir()
        shutil.copy(ANSWERS, root / "submission" / "answers.yaml")
        grade(root)  # warm the imports
        times = timed(lambda: grade(root), 20)
        print(f"grade() of one submission (9 steps, with diagnoses): {1000 * statistics.median(times):.1f} ms (median of 20)")
        autograde = [sys.executable, "-m", "handcalc", "autograde", "--root", str(root)]
        times = timed(lambda: subprocess.run(autograde, check=True, capture_output=True), 5)
        print(f"handcalc autograde (a fresh process, as run_autograder runs it): {statistics.median(times):.2f} s (median of 5)")
        print(json.loads((root / "results" / "results.json").read_text())["output"].splitlines()[0])


if __name__ == "__main__":
    main()
