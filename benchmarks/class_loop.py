"""Time of the class loop for a class of N students (default 200), the median of a few runs
of each whole command:

1. ``handcalc worksheet --roster`` (sheets.pdf, key.pdf, problem files, answers templates),
   and the same with ``--fillable`` (a PDF form per student too);
2. ``handcalc check class.yaml SUBMISSIONS --report grades.csv`` of N submissions, half
   answers templates filled in, half PDF forms filled in (with pypdf, as a reader would).

Each submission holds every blank step, right to 3 decimals with a slip in one cell.

    python benchmarks/class_loop.py [--students N] [--runs R]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
from pathlib import Path


def timed(args: list[str], runs: int) -> tuple[float, float]:
    """The median time of the command, and its peak memory (MiB) over the runs: the resident
    memory of its whole process tree (the processes that compile its PDFs included), sampled
    every 10 ms as benchmarks/worksheet_bounds.py does."""
    from worksheet_bounds import measure

    times, peak = [], 0.0
    for _ in range(runs):
        seconds, mib, status, error = measure(args)
        times.append(seconds)
        peak = max(peak, mib)
        if status not in (0, 1):
            sys.exit(error)
    return statistics.median(times), peak


def submissions(folder: Path, out: Path, students: list[dict]) -> None:
    """Every other student hands in their template filled in, the others their filled form."""
    from pypdf import PdfReader, PdfWriter
    from ruamel.yaml import YAML

    from handcalc import compute, load_problem

    rng = random.Random(11)
    for k, student in enumerate(students):
        trace = compute(load_problem(folder / student["problem"]))
        template = YAML(typ="safe").load((folder / "answers" / f"{student['id']}.yaml").read_text())
        steps = {name: [[round(float(x), 3) for x in row] for row in trace[name].value.reshape(len(trace[name].value), -1)]
                 if trace[name].value.ndim == 2 else [round(float(x), 3) for x in trace[name].value]
                 for name in template if name not in ("id", "variant")}  # fmt: skip
        name = rng.choice(list(steps))
        row = steps[name][0] if isinstance(steps[name][0], list) else steps[name]
        row[0] = round(row[0] + 1, 3) if row[0] != float("-inf") else row[0]  # one slip
        if k % 2 == 0:
            lines = [f"id: {json.dumps(student['id'])}", f"variant: {json.dumps(student['variant'])}"]
            lines += [f"{step}: {json.dumps(value).replace('-Infinity', '-.inf')}" for step, value in steps.items()]
            (out / f"{student['id']}.yaml").write_text("\n".join(lines) + "\n")
        else:
            values = {}
            for step, value in steps.items():
                rows = value if isinstance(value[0], list) else [value]
                for i, cells in enumerate(rows):
                    for j, x in enumerate(cells):
                        values[f"{step}[{i + 1},{j + 1}]" if isinstance(value[0], list) else f"{step}[{j + 1}]"] = f"{x}"
            writer = PdfWriter(clone_from=PdfReader(folder / "fillable" / f"{student['id']}.pdf"))
            for page in writer.pages:
                writer.update_page_form_field_values(page, values, auto_regenerate=False)
            with (out / f"{student['id']}.pdf").open("wb") as stream:
                writer.write(stream)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    from ruamel.yaml import YAML

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        roster = tmp / "class.csv"
        roster.write_text("id,name\n" + "".join(f"s{k:03d},Student {k}\n" for k in range(1, options.students + 1)))
        common = ["worksheet", "--roster", str(roster), "--seed", "2026", "--force"]
        plain, plain_mb = timed([*common, "-o", str(tmp / "plain")], options.runs)
        fillable, fillable_mb = timed([*common, "--fillable", "-o", str(tmp / "week")], options.runs)
        folder = tmp / "week"
        pages = len(__import__("pypdf").PdfReader(folder / "sheets.pdf").pages)
        print(f"worksheet --roster, {options.students} students: {plain:6.2f} s, {plain_mb:.0f} MiB peak "
              f"(sheets.pdf {pages} pages, {(folder / 'sheets.pdf').stat().st_size / 1e6:.1f} MB; key.pdf; templates)")  # fmt: skip
        forms = sum(p.stat().st_size for p in (folder / "fillable").iterdir())
        print(f"  the same with --fillable:      {fillable:6.2f} s, {fillable_mb:.0f} MiB peak ({options.students} forms, {forms / 1e6:.1f} MB in all)")
        students = YAML(typ="safe").load((folder / "class.yaml").read_text())["students"]
        handed = tmp / "handed"
        handed.mkdir()
        submissions(folder, handed, students)
        marked, marked_mb = timed(["check", str(folder / "class.yaml"), str(handed), "--report", str(tmp / "grades.csv"), "--force"], options.runs)
        rows = (tmp / "grades.csv").read_text().count("\n") - 1
        print(f"check of {options.students} submissions ({options.students - options.students // 2} YAML, "
              f"{options.students // 2} PDF forms): {marked:6.2f} s, {options.students / marked:.0f} per second, "
              f"{marked_mb:.0f} MiB peak ({rows} rows)")  # fmt: skip


if __name__ == "__main__":
    main()
