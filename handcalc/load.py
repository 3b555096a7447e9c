"""From a YAML file to a validated ``Problem``, or one ``HandcalcError`` saying where and why.

The file is read as YAML 1.2 by ruamel.yaml's round-trip loader, which keeps every value's
line and column; a strict pydantic-core schema checks the top level; ``Problem`` checks the
rest. Any error is placed at ``file:line:column`` of the value it is about.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from handcalc.errors import HandcalcError, InputFileError, SchemaError, YAMLSyntaxError
from handcalc.numbers import MAX_DIGITS, describe, quoted
from handcalc.problem import Problem
from handcalc.steps import HEAD_WEIGHTS

MAX_BYTES = 1 << 20  # 1 MiB: a problem file is a few hundred bytes

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
def read_text(path: Path) -> str:
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
        line_start = data.rfind(b"\n", 0, error.start) + 1
        line = data.count(b"\n", 0, error.start) + 1
        column = len(data[line_start : error.start].decode("utf-8-sig", errors="replace")) + 1
        raise InputFileError(
            f"is not UTF-8 text (byte {error.start + 1}, 0x{data[error.start]:02X}, cannot be read)"
        ).located(file, line, column) from None


def read_yaml(text: str, file: str) -> Any:
    """The YAML document, after refusing anchors, aliases and merge keys before anything is
    built: an alias is a reference, and a 400-byte file of nested aliases expands into
    gigabytes."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        _check_events(YAML(typ="rt").parse(text), file)
        return YAML(typ="rt").load(text)
    except (YAMLError, ValueError, TypeError, OverflowError, RecursionError) as error:
        raise yaml_error(error, text, file) from None


def _check_events(events, file: str) -> None:
    """Refuse what handcalc does not read: anchors and aliases, merge keys (``<<``), and
    integers of more digits than Python converts."""
    from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, MappingStartEvent, ScalarEvent

    open_collections: list[list[Any]] = []  # [is a mapping, nodes seen so far] of each open one
    for event in events:
        where = (file, event.start_mark.line + 1, event.start_mark.column + 1)
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None):
            raise YAMLSyntaxError(
                "YAML anchors and aliases (& and *) are not allowed; write the matrix out in full"
            ).located(*where)
        if isinstance(event, CollectionEndEvent):
            open_collections.pop()
            continue
        if not isinstance(event, (ScalarEvent, CollectionStartEvent)):
            continue
        is_key = bool(open_collections) and open_collections[-1][0] and open_collections[-1][1] % 2 == 0
        if open_collections:
            open_collections[-1][1] += 1
        if isinstance(event, CollectionStartEvent):
            open_collections.append([isinstance(event, MappingStartEvent), 0])
        elif is_key and event.value == "<<" and event.style is None:
            raise YAMLSyntaxError("YAML merge keys (<<) are not allowed; write the keys out in full").located(*where)
        elif event.style is None and _digit_count(event.value) > MAX_DIGITS:
            raise SchemaError(
                f"a number of {_digit_count(event.value)} digits is too large to be a finite number"
            ).located(*where)


def yaml_error(error: Exception, text: str, file: str) -> HandcalcError:
    """ruamel.yaml's error as one line, placed where the YAML went wrong."""
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError
    from ruamel.yaml.reader import ReaderError

    if isinstance(error, RecursionError):
        return YAMLSyntaxError("malformed YAML: nested too deeply").located(file)
    if isinstance(error, ReaderError):  # a control character: placed by its index in the text
        at = min(max(int(error.position), 0), len(text))
        line, column = text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1
        character = error.character if isinstance(error.character, int) else 0
        return YAMLSyntaxError(
            f"malformed YAML: the character U+{character:04X} is not allowed in YAML text"
        ).located(file, line, column)
    if not isinstance(error, MarkedYAMLError):
        return YAMLSyntaxError(f"malformed YAML: {_first_line(str(error))}").located(file)
    mark = error.problem_mark or error.context_mark
    where = (mark.line + 1, mark.column + 1) if mark else ()
    if isinstance(error, DuplicateKeyError):
        found = re.match(r'found duplicate key "(.*?)"(?: with value "|$)', error.problem or "", re.DOTALL)
        key = _key(found.group(1)) if found else "a key"
        return SchemaError(f"duplicate key {key}; each key may appear only once").located(file, *where)
    return YAMLSyntaxError(f"malformed YAML: {_first_line(error.problem or error.context or '')}").located(file, *where)


def _digit_count(scalar: str) -> int:
    """The digits of a plain scalar that YAML reads as an integer (0 for any other scalar)."""
    digits = scalar.lstrip("+-").replace("_", "")
    return len(digits) if digits.isdigit() else 0


def _key(key: Any) -> str:
    """A key as a message shows it: as written when it is a plain name, else quoted."""
    text = str(key)
    return text if text.isprintable() and 0 < len(text) <= 40 and " " not in text else quoted(text)


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
        line, column = mapping.lc.key(key)
        where = (file, line + 1, column + 1)
        if not isinstance(key, str):
            raise SchemaError(f"keys are names such as X or W_q, not {_shown(key)}").located(*where)
        canonical = known.get(_fold(key))
        if canonical is None:
            raise SchemaError(_unknown(key, known, inside)).located(*where)
        if canonical in fields:
            raise SchemaError(
                f"{_key(key)} repeats {written[canonical]} (keys ignore case and underscores); keep one"
            ).located(*where)
        fields[canonical], written[canonical] = value, key
    return fields


def _unknown(key: str, known: dict[str, str], inside: str) -> str:
    close = difflib.get_close_matches(_fold(key), list(known), n=1, cutoff=0.6)
    names = list(known.values())
    hint = f"; did you mean {known[close[0]]}?" if close else f"; known keys: {', '.join(names)}"
    return f"unknown key {_key(key)}{f' in {inside}' if inside else ''}{hint}"


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
    if isinstance(value, (dict, Mapping)):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    text = value if isinstance(value, str) else str(value)
    return quoted(text) if isinstance(value, str) or len(text) > 40 else text


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "malformed YAML"
    return line if len(line) <= 120 else line[:119] + "…"


def _position(root: Any, path: tuple[Any, ...]) -> tuple[int, int]:
    """The 1-based line and column of the value at ``path`` (as deep as the file has it);
    keys match as they fold, so ``("heads", 1, "W_k")`` finds a head's ``wk``."""
    line, column = 0, 0
    node = root
    for part in path:
        if isinstance(part, str) and isinstance(node, dict):
            key = next((key for key in node if isinstance(key, str) and _fold(key) == _fold(part)), None)
            if key is None:
                break
            # an empty value (null) has no place of its own: ruamel gives the next token's
            line, column = node.lc.key(key) if node[key] is None else node.lc.value(key)
        elif isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            key = part
            line, column = node.lc.item(part)
        else:
            break
        node = node[key]
    return line + 1, column + 1


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
