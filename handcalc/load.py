"""From a YAML file to a validated ``Problem``, or one ``HandcalcError`` saying where and why.

The file is read by :mod:`handcalc.yamlfile` (bounded, YAML 1.2, every value's line and
column kept); a strict pydantic-core schema checks the top level; ``Problem`` checks the
rest. Any error is placed at ``file:line:column`` of the value it is about.
"""

from __future__ import annotations

import difflib
from functools import cache
from pathlib import Path
from typing import Any

from handcalc.errors import HandcalcError, SchemaError
from handcalc.numbers import describe, quoted
from handcalc.problem import Problem
from handcalc.steps import HEAD_WEIGHTS
from handcalc.yamlfile import Mapping, Sequence, compose, no_collection, read_text, shown_key

KNOWN_KEYS = (
    "title", "layout", "tokens", "X", "W_q", "W_k", "W_v",
    "X_kv", "mask", "scale", "temperature", "base", "W_o", "round", "heads",
)  # fmt: skip


def _fold(key: str) -> str:
    """Keys match case-insensitively and without underscores: ``Wq``, ``W_Q`` → ``W_q``."""
    return key.lower().replace("_", "")


CANONICAL = {_fold(key): key for key in KNOWN_KEYS}


def _labels(tokens: list[Any]) -> list[str]:
    for i, token in enumerate(tokens):
        if isinstance(token, bool) or not isinstance(token, (str, int, float)):
            raise ValueError(f"tokens[{i + 1}] must be a word or a number, not {_shown(token)}")
    return [str(token) for token in tokens]


@cache
def _schema():
    """The top level of a problem file (DESIGN §2), as a strict pydantic-core schema.

    Only the shape of each value is checked here (a matrix is a list of lists); Problem
    checks the cells, the shapes and the options. pydantic-core alone is used: the model
    layer of pydantic would cost more start-up time than all of handcalc."""
    from pydantic_core import SchemaValidator
    from pydantic_core import core_schema as cs

    matrix = cs.list_schema(cs.list_schema(cs.any_schema()))
    kinds = {
        "title": cs.str_schema(), "layout": cs.literal_schema(["columns", "rows"]),
        "tokens": cs.no_info_after_validator_function(_labels, cs.list_schema(cs.any_schema())),
        "X_kv": matrix, "W_o": matrix, "mask": cs.any_schema(), "scale": cs.any_schema(),
        "temperature": cs.any_schema(), "base": cs.any_schema(), "round": cs.any_schema(),
    }  # fmt: skip
    head = {key: cs.typed_dict_field(matrix) for key in HEAD_WEIGHTS}
    kinds |= {key: matrix for key in HEAD_WEIGHTS}
    kinds["heads"] = cs.list_schema(cs.typed_dict_schema(head, strict=True, extra_behavior="forbid"), min_length=1)
    fields = {"X": cs.typed_dict_field(matrix)}
    fields |= {key: cs.typed_dict_field(schema, required=False) for key, schema in kinds.items()}
    return SchemaValidator(cs.typed_dict_schema(fields, strict=True, extra_behavior="forbid"))


def load(path: str | Path) -> Problem:
    """The problem in the YAML file at ``path``."""
    with no_collection():
        return parse(read_text(Path(path)), file=str(path))


def parse(text: str, file: str = "<problem>") -> Problem:
    """The problem written in the YAML ``text``; ``file`` is named in error messages."""
    root = read_yaml(text, file)
    fields = _fields(root, file)
    from pydantic_core import ValidationError

    try:
        return Problem(**_schema().validate_python(fields))
    except ValidationError as error:
        detail = error.errors()[0]
        raise SchemaError(_message(detail), path=tuple(detail["loc"])).located(
            file, *_position(root, tuple(detail["loc"]))
        ) from None
    except HandcalcError as error:
        raise error.located(file, *_position(root, error.path)) from None


# --- reading ------------------------------------------------------------------------------
def read_yaml(text: str, file: str) -> Any:
    """The YAML document of a problem file, its mappings and lists knowing where each
    item was written (see :mod:`handcalc.yamlfile` for what is refused)."""
    return compose(text, file, keys="names such as X or W_q")


def _fields(root: Any, file: str) -> dict[str, Any]:
    """The top-level mapping, and each head's, with their keys in canonical form."""
    if not isinstance(root, dict):
        found = "an empty file" if root is None else describe(root)
        raise SchemaError(f"expected a mapping of matrices (X, W_q, W_k, W_v), found {found}").located(file, 1, 1)
    fields = _canonical(root, CANONICAL, file)
    if isinstance(fields.get("heads"), list):
        heads = {_fold(key): key for key in HEAD_WEIGHTS}
        fields["heads"] = [
            _canonical(head, heads, file, f"heads[{i}]") if isinstance(head, dict) else head
            for i, head in enumerate(fields["heads"], 1)
        ]
    return fields


def _canonical(mapping: Any, known: dict[str, str], file: str, inside: str = "") -> dict[str, Any]:
    """``mapping`` with each key replaced by the known key it folds to; an unknown key, a
    key that is not a name, or two keys that fold alike are errors at that key."""
    fields: dict[str, Any] = {}
    written: dict[str, Any] = {}
    for key, value in mapping.items():
        where = (file, *mapping.key_places[key])
        if not isinstance(key, str):
            raise SchemaError(f"keys are names such as X or W_q, not {_shown(key)}").located(*where)
        canonical = known.get(_fold(key))
        if canonical is None:
            raise SchemaError(_unknown(key, known, inside)).located(*where)
        if canonical in fields:
            raise SchemaError(
                f"{shown_key(key)} repeats {written[canonical]} (keys ignore case and underscores); keep one"
            ).located(*where)
        fields[canonical], written[canonical] = value, key
    return fields


def _unknown(key: str, known: dict[str, str], inside: str) -> str:
    close = difflib.get_close_matches(_fold(key), list(known), n=1, cutoff=0.6)
    names = list(known.values())
    hint = f"; did you mean {known[close[0]]}?" if close else f"; known keys: {', '.join(names)}"
    return f"unknown key {shown_key(key)}{f' in {inside}' if inside else ''}{hint}"


# --- errors -------------------------------------------------------------------------------
def _message(detail: dict[str, Any]) -> str:
    """A pydantic-core error as handcalc words it, naming the value by its place."""
    loc, kind, found = tuple(detail["loc"]), detail["type"], _shown(detail["input"])
    where = _where(loc)
    if kind == "missing" and len(loc) == 1:
        return f"missing {loc[0]}: a problem needs X, W_q, W_k and W_v (or heads)"
    if kind == "missing":
        return f"missing {loc[-1]} in {_where(loc[:-1])}: each head needs W_q, W_k and W_v"
    if kind == "list_type":
        what = {("tokens",): "a list of labels, one per token", ("heads",): "a list of heads, each {W_q, W_k, W_v}"}
        row = "a row (a list of numbers)" if isinstance(loc[-1], int) else "a matrix (a list of rows)"
        return f"{where} must be {what.get(loc, row)}, not {found}"
    if kind == "dict_type":
        return f"{where} must be a mapping of W_q, W_k and W_v, not {found}"
    if kind == "too_short":
        return f"{where} must list at least one head"
    if kind == "string_type":
        return f"{where} must be text, not {found}"
    if kind == "literal_error":
        return f"{where} must be {detail['ctx']['expected'].replace(chr(39), '')}, not {found}"
    message = detail["msg"].removeprefix("Value error, ")
    return message if message.startswith(f"{where}[") else f"{where}: {message}"


def _where(loc: tuple[Any, ...]) -> str:
    """A place in the file in words: ``X row 2``, ``X[2,3]``, ``heads[2].W_k``, ``tokens[3]``."""
    text, names = str(loc[0]), [loc[0]]
    rest = list(loc[1:])
    while rest:
        if isinstance(rest[0], str):
            text += f".{rest[0]}"
            names.append(rest.pop(0))
            continue
        run = []
        while rest and isinstance(rest[0], int):
            run.append(rest.pop(0))
        is_row = len(run) == 1 and names[-1] not in ("heads", "tokens") and not rest
        text += f" row {run[0] + 1}" if is_row else f"[{','.join(str(i + 1) for i in run)}]"
    return text


def _shown(value: Any) -> str:
    if value is None:
        return "null (nothing)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    text = value if isinstance(value, str) else str(value)
    return quoted(text) if isinstance(value, str) or len(text) > 40 else text


def _position(root: Any, path: tuple[Any, ...]) -> tuple[int, int]:
    """The 1-based line and column of the value at ``path`` (as deep as the file has it);
    keys match as they fold, so ``("heads", 1, "W_k")`` finds a head's ``wk``."""
    line, column = 1, 1
    node = root
    for part in path:
        if isinstance(part, str) and isinstance(node, Mapping):
            key = next((key for key in node if isinstance(key, str) and _fold(key) == _fold(part)), None)
            if key is None:
                break
            line, column = node.value_places[key]
        elif isinstance(part, int) and isinstance(node, Sequence) and 0 <= part < len(node):
            key = part
            line, column = node.place(part)
        else:
            break
        node = node[key]
    return line, column


# --- a vector or a matrix, for handcalc softmax ---------------------------------------------
def load_values(path: str | Path):
    """The numbers in the YAML file at ``path`` as exact Fractions: a list of numbers is a
    vector (n,), a list of rows a matrix (m, n). Errors are placed at file:line:column."""
    from handcalc.softmax import as_values

    file = str(path)
    root = read_yaml(read_text(Path(path)), file)
    if not isinstance(root, list):
        found = "an empty file" if root is None else describe(root)
        raise SchemaError(f"expected a list of numbers or a list of rows, found {found}").located(file, 1, 1)
    try:
        return as_values(root)
    except HandcalcError as error:  # path ("x", j) or ("x", i, j): the file holds x itself
        raise error.located(file, *_position(root, error.path[1:])) from None
