"""Typst source to PDF: one compilation here, or several in worker processes at once.

Typst keeps what it laid out in memory until its process ends, so a document of many parts
(a class set, a sheet too large to lay out at once) is compiled part by part, each in a
fresh worker process (this file run as a script: it imports Typst and little else, and
ends when its part is done), as many at a time as the machine has cores
(at most :data:`MAX_WORKERS`). A job is ``(kind, text, identities)``: ``"pdf"``, the PDF of
``text``; ``"forms"``, that PDF and each of its sheets as a fillable form (``identities``
are their hidden fields, see :func:`handcalc.render.pdf_form.fillable_forms`).

Kept free of handcalc's renderers, so that a worker starts in a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from handcalc.errors import HandcalcError

MAX_WORKERS = 3  # worker processes at a time at most, whatever the cores: each takes up to ~100 MB


class TypstCompileError(HandcalcError):
    """Typst could not compile a worksheet (a bug in handcalc; please report it)."""


def compile_source(text: str) -> bytes:
    """The PDF of the Typst source ``text``; a Typst error is one ``TypstCompileError``."""
    import typst  # heavy: only when a PDF is made

    try:
        # untagged: poppler misreads the tagged PDF's /MarkInfo and complains on every page
        return typst.compile(text.encode("utf-8"), format="pdf", ignore_system_fonts=True, pdf_tags=False)
    except typst.TypstError as error:
        raise _compile_error(error) from None


def compile_with_boxes(text: str) -> tuple[bytes, list[int], list[dict]]:
    """The compiled PDF of the Typst source ``text`` (made with ``boxes``), the first page of
    each sheet (0-based) and where each answer box lies: ``{"name", "corner", "page", "x",
    "y"}``, the box's field name (:func:`handcalc.marking.pdf_forms.field_name`), its
    top-left (corner 0) or bottom-right (corner 1) corner, its 1-based page, and x, y in
    points from the page's top-left corner."""
    import json
    import tempfile
    from pathlib import Path

    import typst

    with tempfile.TemporaryDirectory() as folder:  # a file, so that one compilation serves the query too
        main = Path(folder) / "sheets.typ"
        main.write_text(text, encoding="utf-8")
        try:
            compiler = typst.Compiler(str(main), ignore_system_fonts=True)
            data = compiler.compile(format="pdf", pdf_tags=False)  # as compile_source: untagged
            starts = json.loads(compiler.query("<hcsheet>", field="value"))
            boxes = json.loads(compiler.query("<hcbox>", field="value"))
        except typst.TypstError as error:
            raise _compile_error(error) from None
    return data, [page - 1 for page in starts], boxes


PREFIX = "Typst could not compile the worksheet: "


def _compile_error(error) -> TypstCompileError:
    message = " ".join(str(getattr(error, "message", "") or error).split()) or "unknown error"
    message = message if len(message) <= 160 else message[:159] + "…"
    return TypstCompileError(f"{PREFIX}{message}")


def run(job: tuple):
    """One job, here: the PDF, or (the PDF, each sheet's form)."""
    kind, text, identities = job
    if kind == "pdf":
        return compile_source(text)
    from handcalc.render.pdf_form import fillable_forms

    data, starts, boxes = compile_with_boxes(text)
    return data, fillable_forms(data, starts, boxes, identities)


def workers() -> int:
    """How many worker processes at a time: the cores this process may run on, at most MAX_WORKERS."""
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def run_all(jobs: Iterable[Callable[[Sequence], tuple]]) -> Iterator:
    """Each job's result, in order, each in a worker process, :func:`workers` at a time.

    ``make(results)``, for each ``make`` of ``jobs``, is the job, made once the results
    before it that it needs are in (``results[j]`` waits for job j), so that a part may be
    told where the part before it ended. Every job is handed out as soon as it is made (the
    next ones are made while the workers compile); then the results come, in order, each as
    soon as it is in."""
    from concurrent.futures import ThreadPoolExecutor

    futures: list = []

    class Results:  # results[j]: job j's result, once it is in
        def __getitem__(self, j: int):
            return futures[j].result()

    with ThreadPoolExecutor(max_workers=workers()) as pool:  # a thread waits on each worker process
        try:
            for make in jobs:
                futures.append(pool.submit(_in_worker, make, Results()))
            for future in futures:
                yield future.result()
        finally:  # an error, or the results no longer wanted: no more jobs started
            for future in futures:
                future.cancel()


def _in_worker(make: Callable[[Sequence], tuple], results: Sequence):
    """``run(make(results))`` in a fresh worker process, which frees all of Typst's memory as
    it ends. The process is started first, so that it starts while the job waits for the
    results it needs (a chunk for the pages before it)."""
    import os
    import pickle
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).resolve()
    root = str(here.parents[2])  # the folder handcalc is imported from
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    # this file as a script (-P: its folder, where typst.py is, not on the path): handcalc.render is not imported
    pipe = subprocess.PIPE
    process = subprocess.Popen([sys.executable, "-P", str(here)], stdin=pipe, stdout=pipe, stderr=pipe, env=env)
    try:
        job = make(results)
    except BaseException:
        process.kill()
        process.communicate()
        raise
    out, err = process.communicate(pickle.dumps(job))
    if process.returncode != 0:  # Typst's one-line error, or what stopped the process
        last = (err.decode("utf-8", "replace").strip().splitlines() or [""])[-1]
        if last.startswith(PREFIX):
            raise TypstCompileError(last)
        raise TypstCompileError(f"{PREFIX}its process stopped (status {process.returncode}{': ' if last else ''}{last[:120]})")
    return pickle.loads(out)


def _serve() -> None:
    """A worker: one pickled job from stdin, its pickled result to stdout; an error is its
    one-line message on stderr and exit status 1."""
    import pickle
    import sys

    import typst  # noqa: F401 (loaded while the job is being made)

    job = pickle.loads(sys.stdin.buffer.read())
    try:
        result = run(job)
    except TypstCompileError as error:
        sys.stderr.write(f"{error}\n")
        sys.exit(1)
    sys.stdout.buffer.write(pickle.dumps(result))


if __name__ == "__main__":
    _serve()
