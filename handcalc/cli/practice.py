"""``handcalc practice``: work an exercise by hand, cell by cell, each entry marked at once.

On a terminal the step is redrawn after every entry (Rich, the current cell in brackets);
otherwise one entry is read per line and the words are plain text.
"""

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from handcalc.cli import app
from handcalc.cli.common import Full, Tolerance, compute_trace, errors, precision_of, printed_in, problem_path, width, write
from handcalc.errors import HandcalcError, OutputError, OutputExistsError

INTERRUPTED = 130  # the exit code of a program stopped by Ctrl-C (128 + SIGINT)


@app.command()
def practice(
    file: Annotated[Optional[Path], typer.Argument(metavar="PROBLEM", help="The problem YAML file (default: a bundled example).")] = None,
    example: Annotated[Optional[str], typer.Option(metavar="NAME", help="Practise a bundled example instead (see: handcalc examples).")] = None,
    start_at: Annotated[Optional[str], typer.Option("--from", metavar="STEP", help="Start at this step, e.g. scores: it and every step after it.")] = None,
    blank: Annotated[Optional[str], typer.Option(metavar="STEPS", help="Only these steps, e.g. A,Z (default: every step after the inputs).")] = None,
    precision: Annotated[Optional[int], typer.Option(min=0, max=15, metavar="N", help="Decimals shown (default 3, or the round: of the problem).", show_default=False)] = None,
    tolerance: Tolerance = None,
    save: Annotated[Optional[Path], typer.Option(metavar="FILE", help="Write the entries as an answers file for handcalc check (also on q, Ctrl-C or end of input).")] = None,
    resume: Annotated[Optional[Path], typer.Option(metavar="FILE", help="Continue from this answers file, at its first blank cell.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Let --save overwrite an existing file.")] = False,
    full: Full = False,
) -> None:
    """Work the exercise by hand, cell by cell: each entry is marked at once, with hints on demand."""
    from handcalc.load import load
    from handcalc.practice import advance, start
    from handcalc.render import RenderOptions

    with errors():
        source = problem_path(file, example)
        problem = load(source)
        trace = compute_trace(problem, source)
        steps = _steps(trace, start_at, blank)
        resumed = _resumed(resume, trace)
        if save is not None:
            _can_save(save, force, source)  # before the walk, so that no work is lost at the end
        session = start(trace, steps, resumed, tolerance, problem.round)
    options = RenderOptions(precision_of(precision, problem), None, full, width(), encoding=printed_in())
    talk = _Terminal(options) if sys.stdin.isatty() and sys.stdout.isatty() else _Plain(options)
    talk.begin(session)
    code = 0
    try:
        while not session.done:
            session, events = advance(session, talk.ask(session))
            talk.tell(session, events)
    except KeyboardInterrupt:
        code = INTERRUPTED
        talk.say("  stopped (Ctrl-C)")
    except EOFError:
        talk.say("  stopped (end of input)")
    _finish(session, talk, save, source, code)


def _finish(session, talk, save: Optional[Path], source: Path, code: int) -> None:
    """The entries saved, then the summary as ``check`` prints it."""
    from handcalc.practice import answers_text, final_marks

    if not session.entries:
        talk.say("  nothing entered, nothing to mark" + (" or save" if save is not None else ""))
        raise typer.Exit(code)
    failed = None
    if save is not None:
        try:
            write(save, answers_text(session, source.name), True, protect=source)  # checked before the walk
            talk.say(f"  saved to {save}")
        except HandcalcError as error:
            failed = error
    talk.summary(final_marks(session, str(save) if save is not None else "practice"), session.trace)
    if failed is not None:
        typer.echo(f"Error: {failed}", err=True)
        raise typer.Exit(failed.exit_code)
    raise typer.Exit(code)


def _steps(trace, start_at: Optional[str], blank: Optional[str]) -> tuple[str, ...]:
    """The steps to work: every computed step, those of --blank, or those from --from on."""
    from handcalc.steps import COMPUTED, short
    from handcalc.trace import INPUT
    from handcalc.worksheet import BlankError, blank_steps

    if start_at is not None and blank is not None:
        raise typer.BadParameter("give --from or --blank, not both", param_hint="--from")
    computed = [step.name for step in trace if step.kind != INPUT]
    if blank is not None:
        try:
            return blank_steps(trace, blank)
        except BlankError as error:
            raise typer.BadParameter(str(error).removeprefix("--blank: "), param_hint="--blank") from None
    if start_at is None:
        return tuple(computed)
    name = start_at.strip()
    if name in computed and name not in COMPUTED:  # a head's own step, h2.scores: from it on
        return tuple(computed[computed.index(name):])
    if name in COMPUTED and any(short(step) == name for step in computed):  # in every head
        return tuple(step for step in computed if COMPUTED.index(short(step)) >= COMPUTED.index(name))
    raise typer.BadParameter(f"no step {name!r}; this problem's steps are: {', '.join(computed)}", param_hint="--from")


def _resumed(resume: Optional[Path], trace) -> list:
    from handcalc.answers import load_answers

    return [] if resume is None else load_answers(resume, trace)


def _can_save(save: Path, force: bool, source: Path) -> None:
    """Fail now, not after the walk, where --save could not be written."""
    if save.is_dir():
        raise OutputError("is a directory; give a file name").located(str(save))
    if save.exists() and save.resolve() == source.resolve():
        raise OutputError("is the problem file itself; choose another output file").located(str(save))
    if save.exists() and not force:
        raise OutputExistsError("exists already; add --force to overwrite it").located(str(save))


class _Plain:
    """Plain text for a pipe: each step drawn when the walk comes to it, the entry echoed
    after its prompt, and what it did under it."""

    def __init__(self, options) -> None:
        self.options = options
        self.drawn: str | None = None  # the step last drawn

    def begin(self, session) -> None:
        from handcalc.render.grid import title

        self.say(f"Practice: {title(session.trace)}")
        steps = f"{len(session.steps)} step{'s' * (len(session.steps) != 1)}"
        self.say(f"  {len(session.cells)} cells in {steps}; type a number, or ? for the letters")

    def ask(self, session) -> str:
        from handcalc.render.practice import progress, prompt, screen
        from handcalc.render.text import draw

        if session.current[0] != self.drawn:
            self.drawn = session.current[0]
            sys.stdout.write("\n" + draw(screen(session, self.options), self.options))
            self.say(f"  {progress(session)}")
        sys.stdout.write(prompt(session))
        line = sys.stdin.readline()
        if not line:
            sys.stdout.write("\n")
            raise EOFError
        line = line.rstrip("\r\n")
        self.say(line)
        return line

    def tell(self, session, events) -> None:
        from handcalc.practice import WENT_BACK
        from handcalc.render.practice import said

        for event in events:
            for text, _ in said(event, session, self.options):
                self.say(text)
            if event.kind == WENT_BACK:
                self.drawn = None

    def say(self, text: str) -> None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    def summary(self, marks, trace) -> None:
        from handcalc.render.marks import blocks
        from handcalc.render.text import draw

        sys.stdout.write("\n" + draw(blocks(marks, trace, self.options, False), self.options))


class _Terminal:
    """Rich on a terminal: the screen cleared and the step drawn again for every entry, the
    current cell in brackets (and highlighted), what the last entry did above the prompt."""

    def __init__(self, options) -> None:
        from rich.console import Console

        self.options = options
        self.console = Console(highlight=False)
        self.said: list = []

    def begin(self, session) -> None:
        pass

    def ask(self, session) -> str:
        from rich.text import Text

        from handcalc.render.grid import title
        from handcalc.render.practice import progress, prompt, screen
        from handcalc.render.terminal import STYLES, draw

        self.console.clear()
        self.console.print(Text(f"Practice: {title(session.trace)}", style="bold underline"))
        self.console.print(Text("  type a number, or ? for the letters", style="dim"))
        self.console.print(draw(screen(session, self.options), self.options))
        self.console.print(Text(f"  {progress(session)}", style="dim"))
        for text, style in self.said:
            self.console.print(Text(text, style=STYLES.get(style, "")))
        self.said = []
        return self.console.input(Text(prompt(session), style="bold"))

    def tell(self, session, events) -> None:
        from handcalc.render.practice import said

        self.said += [line for event in events for line in said(event, session, self.options)]
        if session.done:
            self.flush()

    def say(self, text: str) -> None:
        from rich.text import Text  # words, never markup: a file name may hold [brackets]

        self.flush()
        self.console.print(Text(text))

    def flush(self) -> None:
        from rich.text import Text

        from handcalc.render.terminal import STYLES

        for text, style in self.said:
            self.console.print(Text(text, style=STYLES.get(style, "")))
        self.said = []

    def summary(self, marks, trace) -> None:
        from handcalc.render.marks import blocks
        from handcalc.render.terminal import draw

        self.console.print()
        self.console.print(draw(blocks(marks, trace, self.options, False), self.options))
