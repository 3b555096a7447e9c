"""Make every output example in README.md and docs/*.md again from the command that prints it.

An example is a fenced block under a marker that records its command:

    <!-- output of: handcalc run samples/self_attention.yaml --format text (COLUMNS=100) -->
    <!-- transcript of: handcalc practice --example self_attention --blank sums (COLUMNS=100; typed: 1 h 2) -->

- the command is run in a fresh scratch folder in which ``samples`` and ``docs`` are the repository's, with
  the terminal as wide as COLUMNS says; its standard output replaces the block;
- ``A && B`` runs A first (to write a file that B reads) and shows what B prints; ``A ; B``
  shows what A prints, then what B prints; ``A 2>&1`` shows A's errors too (bad input in
  docs/examples/, exit code 3);
- ``… | FILTER`` keeps part of the output: ``head N``, ``tail N``, ``elide N M`` (the first N
  and last M lines with a ``…`` line between), ``from RE`` and ``to RE`` (from the first line
  matching RE; up to and with it), ``grep -o RE`` (each match on a line of its own), ``line N``;
- a transcript types each word after ``typed:`` as one line of input and shows what the
  command prints, the typed entries echoed after their prompts as on a terminal.

Whole generated pages are listed in PAGES (docs/gradescope-results.md). A file written by
``handcalc new`` names the schema where handcalc is installed; that path is shown as ``…``.

    python docs/regenerate.py           # rewrite every example that has drifted
    python docs/regenerate.py --check   # list them, change nothing; exit 1 if any
"""

import importlib.util
import os
import re
import shlex
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
MARKER = re.compile(
    r"^<!-- (?P<kind>output|transcript) of: (?P<spec>.+?) -->\n"
    r"(?P<fence>```[\w-]*)\n(?P<shown>(?:(?!```).*\n)*?)```$",  # never past a fence
    re.MULTILINE,
)
SETTINGS = re.compile(r"^(?P<commands>.+?) \((?P<settings>[^()]*)\)$")
SETTING = re.compile(r"(\w+)\s*[=:]\s*(.*)")  # COLUMNS=100 · typed: 1 h 2
SCHEMA = re.compile(r"\$schema=file://\S*/handcalc/schemas/")


@dataclass(frozen=True)
class Example:
    path: Path  # the page, README.md or docs/*.md
    kind: str  # output | transcript
    spec: str  # the marker's text after "of: "
    shown: str  # the block as the page has it
    start: int  # where the block's text begins and ends in the page
    end: int

    @property
    def line(self) -> int:
        return self.path.read_text(encoding="utf-8").count("\n", 0, self.start)

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}: {self.kind} of: {self.spec}"


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def examples(path: Path) -> Iterator[Example]:
    text = path.read_text(encoding="utf-8")
    for match in MARKER.finditer(text):
        yield Example(path, match["kind"], match["spec"], match["shown"], match.start("shown"), match.end("shown"))


def all_examples() -> list[Example]:
    return [example for path in pages() for example in examples(path)]


def parse(spec: str) -> tuple[list[list[str]], list[list[str]], dict[str, str]]:
    """'A && B ; C | f x (COLUMNS=100; typed: 1 2)' → the commands (in groups, each group's
    last shown), the filters, the settings."""
    match = SETTINGS.match(spec)
    commands, settings = (match["commands"], match["settings"]) if match else (spec, "")
    chain, *filters = commands.split(" | ")
    values = dict(SETTING.fullmatch(item.strip()).groups() for item in settings.split(";") if item.strip())
    groups = [[shlex.split(command) for command in group.split(" && ")] for group in chain.split(" ; ")]
    for argv in (argv for group in groups for argv in group):
        if argv[:1] != ["handcalc"]:
            raise ValueError(f"not a handcalc command: {' '.join(argv)}")
    return [[argv[1:] for argv in group] for group in groups], [shlex.split(f) for f in filters], values


def run(argv: list[str], columns: str, typed: str | None = None) -> str:
    """What ``handcalc ARGV`` prints on stdout (and stderr, after ``2>&1``), run in this process
    (the cwd is the caller's)."""
    from typer.testing import CliRunner

    from handcalc.cli import app

    errors_too = argv[-1:] == ["2>&1"]
    argv = argv[:-1] if errors_too else argv
    result = CliRunner().invoke(app, argv, input=typed, env={"COLUMNS": columns}, catch_exceptions=False)
    expected = (3,) if errors_too else (0, 1)  # 1: check found wrong answers, as the examples show
    if result.exit_code not in expected:
        raise RuntimeError(f"handcalc {shlex.join(argv)} exited {result.exit_code}: {result.stderr.strip()}")
    return result.stdout + (result.stderr if errors_too else "")


def grep(lines: list[str], option: str, pattern: str) -> list[str]:
    if option != "-o":
        raise ValueError(f"grep {option}: only grep -o is a filter here")
    return [match.group(0) for line in lines for match in re.finditer(pattern, line)]


def first(lines: list[str], pattern: str) -> int:
    return next(i for i, line in enumerate(lines) if re.search(pattern, line))


FILTERS: dict[str, Callable[..., list[str]]] = {
    "head": lambda lines, n: lines[: int(n)],
    "tail": lambda lines, n: lines[-int(n) :],
    "elide": lambda lines, n, m: [*lines[: int(n)], "  …", *lines[-int(m) :]],
    "from": lambda lines, pattern: lines[first(lines, pattern) :],
    "to": lambda lines, pattern: lines[: first(lines, pattern) + 1],
    "grep": grep,
    "line": lambda lines, n: [lines[int(n) - 1]],
}


def output(example: Example) -> str:
    """The block's text as the command prints it today."""
    groups, filters, settings = parse(example.spec)
    columns, typed = settings.get("COLUMNS", "100"), settings.get("typed")
    entries = "".join(f"{word}\n" for word in typed.split()) if typed is not None else None
    printed = ""
    with tempfile.TemporaryDirectory() as scratch:
        for folder in ("samples", "docs"):  # what the commands read, by the paths the docs show
            (Path(scratch) / folder).symlink_to(ROOT / folder)
        before = os.getcwd()
        os.chdir(scratch)
        try:
            for group in groups:
                for argv in group[:-1]:
                    run(argv, columns)
                printed += run(group[-1], columns, entries)
        finally:
            os.chdir(before)
    lines = SCHEMA.sub("$schema=file:///…/handcalc/schemas/", printed).rstrip("\n").split("\n")
    for name, *args in filters:
        lines = FILTERS[name](lines, *args)
    return "\n".join(lines) + "\n"


def _platforms():
    spec = importlib.util.spec_from_file_location("platforms_docs", DOCS / "platforms.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def gradescope_results() -> str:
    """docs/gradescope-results.md: what the autograder writes for the sample's mistakes."""
    platforms = _platforms()
    with tempfile.TemporaryDirectory() as scratch:
        return platforms.results_markdown(platforms.autograder_results(Path(scratch)))


PAGES: dict[str, Callable[[], str]] = {"docs/gradescope-results.md": gradescope_results}


def regenerate(check: bool) -> list[str]:
    """Rewrite (or, with check, only list) every example and page that has drifted."""
    drifted = []
    for path in pages():
        text = path.read_text(encoding="utf-8")
        for example in reversed(list(examples(path))):  # from the end, so that offsets hold
            made = output(example)
            if made != example.shown:
                drifted.append(str(example))
                text = text[: example.start] + made + text[example.end :]
        if not check and text != path.read_text(encoding="utf-8"):
            path.write_text(text, encoding="utf-8")
    for name, make in PAGES.items():
        made = make()
        if made != (ROOT / name).read_text(encoding="utf-8"):
            drifted.append(name)
            if not check:
                (ROOT / name).write_text(made, encoding="utf-8")
    return drifted


if __name__ == "__main__":
    check = sys.argv[1:] == ["--check"]
    drifted = regenerate(check)
    for where in drifted:
        print(("drifted: " if check else "rewritten: ") + where)
    sys.exit(1 if check and drifted else 0)
