"""``handcalc schema``: the JSON Schema of a problem or an answers file, for editors."""

from enum import Enum
from typing import Annotated

import typer

from handcalc.cli import app


class Kind(str, Enum):
    problem = "problem"
    answers = "answers"


@app.command()
def schema(
    kind: Annotated[Kind, typer.Argument(metavar="KIND", help="problem or answers.")],
) -> None:
    """Print the JSON Schema (draft-07) of a problem or an answers file, for editors' YAML plugins."""
    from handcalc.schema import schema_json

    typer.echo(schema_json(kind.value), nl=False)
