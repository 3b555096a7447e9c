"""From a YAML file to a validated ``Problem``, or one ``HandcalcError`` saying where and why.

The file is read as YAML 1.2 by ruamel.yaml's round-trip loader, which keeps every value's
line and column; pydantic (strict) checks the top-level schema; ``Problem`` checks the
rest. Any error is placed at ``file:line:column`` of the value it is about.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from handcalc.errors import HandcalcError, InputFileError, SchemaError, YAMLSyntaxError
from handcalc.problem import Problem

MAX_BYTES = 1 << 20  # 1 MiB: a problem file is a few hundred bytes

KNOWN_KEYS = (
    "title", "layout", "tokens", "X", "W_q", "W_k", "W_v",
    "X_kv", "mask", "scale", "temperature", "base", "W_o", "round", "heads",
)  # fmt: skip
NOT_YET = {
    "heads": "multi-head problems (heads) are not supported by this version of handcalc",
    "round": "carried rounding (round) is not supported by this version of handcalc",
}
Matrix = list[list[Any]]  # cells are checked one by one by Problem


def _fold(key: str) -> str:
    """Keys match case-insensitively and without underscores: ``Wq``, ``W_Q`` → ``W_q``."""
    return key.lower().replace("_", "")


CANONICAL = {_fold(key): key for key in KNOWN_KEYS}


class ProblemFile(BaseModel):
    """The top level of a problem file (DESIGN §2)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    title: str = "Self-attention by hand"
    layout: Literal["columns", "rows"] = "columns"
    tokens: list[Any] | None = None
    X: Matrix
    W_q: Matrix
    W_k: Matrix
    W_v: Matrix
    X_kv: Matrix | None = None
    mask: Any = "none"
    scale: Any = "sqrt_dk"
    temperature: Any = 1
    base: Any = "e"
    W_o: Matrix | None = None

    @field_validator("tokens")
    @classmethod
    def _labels(cls, tokens: list[Any] | None) -> list[str] | None:
        for i, token in enumerate(tokens or ()):
            if isinstance(token, bool) or not isinstance(token, (str, int, float)):
                raise ValueError(f"tokens[{i + 1}] must be a word or a number, not {token!r}")
        return None if tokens is None else [str(token) for token in tokens]


def load(path: str | Path) -> Problem:
    """The problem in the YAML file at ``path``."""
    return parse(_read(Path(path)), file=str(path))


def parse(text: str, file: str = "<problem>") -> Problem:
    """The problem written in the YAML ``text``; ``file`` is named in error messages."""
    root = _yaml(text, file)
    fields, original = _fields(root, file)
    try:
        model = ProblemFile.model_validate(fields)
        return Problem(**model.model_dump())
    except ValidationError as error:
        detail = error.errors()[0]
        raise SchemaError(_message(detail), path=tuple(detail["loc"])).located(
            file, *_position(root, original, tuple(detail["loc"]))
        ) from None
    except HandcalcError as error:
        raise error.located(file, *_position(root, original, error.path)) from None


# --- reading ------------------------------------------------------------------------------
def _read(path: Path) -> str:
    file = str(path)
    try:
        if path.is_dir():
            raise InputFileError("is a directory, not a problem file").located(file)
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputFileError(f"is {size:,} bytes; a problem file may be at most 1 MiB").located(file)
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError("no such file").located(file) from None
    except PermissionError:
        raise InputFileError("cannot be read: permission denied").located(file) from None
    except OSError as error:
        raise InputFileError(f"cannot be read: {error.strerror or error}").located(file) from None
    if b"\0" in data:
        raise InputFileError("is a binary file, not YAML text").located(file)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputFileError(f"is not UTF-8 text (byte {error.start + 1} cannot be read)").located(file) from None


def _yaml(text: str, file: str) -> Any:
    """The YAML document, after refusing anchors and aliases before anything is built.

    An alias is a reference: a 400-byte file of nested aliases expands into gigabytes."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.events import AliasEvent

    yaml = YAML(typ="rt")
    try:
        for event in yaml.parse(text):
            if isinstance(event, AliasEvent) or getattr(event, "anchor", None):
                mark = event.start_mark
                raise YAMLSyntaxError(
                    "YAML anchors and aliases (& and *) are not allowed; write the matrix out in full"
                ).located(file, mark.line + 1, mark.column + 1)
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = _first_line(error.problem or error.context or "malformed YAML")
        where = (mark.line + 1, mark.column + 1) if mark else ()
        raise YAMLSyntaxError(f"malformed YAML: {message}").located(file, *where) from None
    except (YAMLError, ValueError, TypeError, OverflowError) as error:
        raise YAMLSyntaxError(f"malformed YAML: {_first_line(str(error))}").located(file) from None
    except RecursionError:
        raise YAMLSyntaxError("malformed YAML: nested too deeply").located(file) from None


def _fields(root: Any, file: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The top-level mapping with canonical keys, and each canonical key's written form."""
    if not isinstance(root, dict):
        found = "an empty file" if root is None else f"a {type(root).__name__.removeprefix('Commented').lower()}"
        raise SchemaError(
            f"expected a mapping of matrices (X, W_q, W_k, W_v), found {found}"
        ).located(file, 1, 1)
    fields: dict[str, Any] = {}
    original: dict[str, Any] = {}
    for key, value in root.items():
        line, column = root.lc.key(key)
        where = (file, line + 1, column + 1)
        if not isinstance(key, str):
            raise SchemaError(f"keys are names such as X or W_q, not {key!r}").located(*where)
        canonical = CANONICAL.get(_fold(key))
        if canonical is None:
            raise SchemaError(_unknown(key)).located(*where)
        if canonical in NOT_YET:
            raise SchemaError(NOT_YET[canonical]).located(*where)
        if canonical in fields:
            raise SchemaError(
                f"{key} repeats {original[canonical]} (keys ignore case and underscores); keep one"
            ).located(*where)
        fields[canonical], original[canonical] = value, key
    return fields, original


def _unknown(key: str) -> str:
    close = difflib.get_close_matches(_fold(key), list(CANONICAL), n=1, cutoff=0.6)
    hint = f"; did you mean {CANONICAL[close[0]]}?" if close else f"; known keys: {', '.join(KNOWN_KEYS[:13])}"
    return f"unknown key {key}{hint}"


# --- errors -------------------------------------------------------------------------------
def _message(detail: dict[str, Any]) -> str:
    loc = tuple(detail["loc"])
    where = _where(loc)
    kind = detail["type"]
    if kind == "missing":
        return f"missing {loc[0]}: a problem needs X, W_q, W_k and W_v"
    if kind == "list_type":
        what = "a matrix (a list of rows)" if len(loc) == 1 else "a row (a list of numbers)"
        return f"{where} must be {what}, not {_shown(detail['input'])}"
    if kind == "string_type":
        return f"{where} must be text, not {_shown(detail['input'])}"
    if kind == "literal_error":
        return f"{where} must be {detail['ctx']['expected']}, not {_shown(detail['input'])}"
    return f"{where}: {detail['msg'].removeprefix('Value error, ')}"


def _where(loc: tuple[Any, ...]) -> str:
    name, *index = loc
    if len(index) == 1 and name != "tokens":
        return f"{name} row {index[0] + 1}"
    return f"{name}[{','.join(str(i + 1) for i in index)}]" if index else str(name)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    return repr(value) if isinstance(value, str) else str(value)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "malformed YAML"


def _position(root: Any, original: dict[str, Any], path: tuple[Any, ...]) -> tuple[int, int]:
    """The 1-based line and column of the value at ``path`` (as deep as the file has it)."""
    line, column = 0, 0
    node = root
    for part in path:
        key = original.get(part, part) if node is root else part
        if isinstance(part, str) and isinstance(node, dict) and key in node:
            line, column = node.lc.value(key)
        elif isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            line, column = node.lc.item(part)
        else:
            break
        node = node[key]
    return line + 1, column + 1
