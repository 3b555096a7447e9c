"""The one family of errors handcalc raises, each with its exit code.

An error knows *where* it is: a file, a 1-based line and column, or, when it is raised
before any file is involved (building a ``Problem`` directly), the ``path`` of the value
in the problem (``("W_q",)``, ``("X", 1, 2)``) that the loader turns into a line and column.
"""

from __future__ import annotations


class HandcalcError(Exception):
    """Something handcalc was given cannot be used."""

    exit_code = 3

    def __init__(
        self,
        message: str,
        *,
        path: tuple[str | int, ...] = (),
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.file = file
        self.line = line
        self.column = column

    def located(self, file: str | None, line: int | None = None, column: int | None = None):
        """The same error, placed in a file (and at a line and column of it)."""
        self.file, self.line, self.column = file, line, column
        return self

    def __str__(self) -> str:
        where = [str(part) for part in (self.file, self.line, self.column) if part is not None]
        return ":".join([*where, f" {self.message}"]).lstrip() if where else self.message


class InputFileError(HandcalcError):
    """The input file is missing, unreadable, too large or not text."""


class YAMLSyntaxError(HandcalcError):
    """The input is not well-formed YAML, or uses a YAML feature handcalc refuses."""


class SchemaError(HandcalcError):
    """A key or a value of the problem file is not what the schema expects."""


class ShapeError(HandcalcError):
    """Two matrices' shapes do not fit the equation that combines them."""


class MaskError(HandcalcError):
    """The mask is malformed, or blocks every key of some query."""


class NumericError(HandcalcError):
    """A step's values are too large to be represented in double precision."""


class OutputError(HandcalcError):
    """The output file cannot be written."""


class OutputExistsError(OutputError):
    """The output file exists already and overwriting it was not asked for."""


class CellError(HandcalcError):
    """A ``--cell`` that names no worked cell of the problem (a usage error)."""

    exit_code = 2
