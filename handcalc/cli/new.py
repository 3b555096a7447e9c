"""``handcalc new``: a new exercise with nice numbers."""

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from handcalc.cli import app
from handcalc.cli.common import Layout, errors, write
from handcalc.cli.worksheet import Mask


@app.command()
def new(
    tokens: Annotated[int, typer.Option(metavar="N", help="Tokens: the columns of X (its rows with --layout rows), 1 to 64.")] = 4,
    d_model: Annotated[int, typer.Option("--d-model", metavar="N", help="Numbers per token: the rows of X.")] = 4,
    d_k: Annotated[int, typer.Option("--d-k", metavar="N", help="Size of queries and keys: 1, 4, 9 or 16, so that √d_k is whole.")] = 4,
    d_v: Annotated[Optional[int], typer.Option("--d-v", metavar="N", help="Size of values (default: d_k).", show_default=False)] = None,
    heads: Annotated[int, typer.Option(metavar="N", help="Heads; more than one adds an output projection W_o.")] = 1,
    layout: Annotated[Layout, typer.Option(help="Tokens as columns (by hand) or as rows (paper, PyTorch).")] = Layout.columns,


    mask: Annotated[Mask, typer.Option(help="none, or causal: each token sees itself and the tokens before it.")] = Mask.none,
    base: Annotated[str, typer.Option(metavar="B", help="e, or 3: every scaled score a whole number within ±4 and every weight an exact fraction.")] = "e",
    value_range: Annotated[str, typer.Option("--range", metavar="LO,HI", help="The whole numbers X and the weights are drawn from, e.g. -2,2.")] = "-1,2",
    seed: Annotated[Optional[int], typer.Option(metavar="S", help="The same seed makes the same problem (default: a new seed, written in the file).", show_default=False)] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", metavar="FILE", help="Write the problem to this file instead of the terminal.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --output if it exists.")] = False,
) -> None:
    """Make a new exercise with nice numbers, as a problem file."""
    from handcalc.generate import fresh_seed, generate, new_command, to_yaml

    with errors():
        if seed is None:
            seed = fresh_seed()
        options = {"tokens": tokens, "d_model": d_model, "d_k": d_k, "d_v": d_v, "heads": heads,
                   "layout": layout.value, "mask": mask.value, "base": base, "value_range": _value_range(value_range)}  # fmt: skip
        text = to_yaml(generate(seed=seed, **options), seed, new_command(seed=seed, **options))
        if output is None:
            sys.stdout.write(text)
        else:
            write(output, text, force, protect=None)


def _value_range(text: str) -> tuple[int, int]:
    """``--range LO,HI`` as two whole numbers (the generator checks LO < HI)."""
    from handcalc.errors import SchemaError

    parts = [part.strip() for part in text.split(",")]
    try:
        lo, hi = (int(part) for part in parts)
    except ValueError:
        raise SchemaError(f"--range must be two whole numbers LO,HI such as -1,2, not {text!r}") from None
    return lo, hi
