"""Reading a YAML file, fast and bounded, keeping where every value was written.

A file is read as at most 1 MiB of UTF-8 text (devices, FIFOs and directories are refused
before a byte is read), parsed by libyaml (ruamel.yaml.clib's C parser; ruamel.yaml's own
pure-Python parser where it is not installed), and composed here from the parser's events.
Only what handcalc's files need is accepted, each refusal placed at ``file:line:column``:

* anchors and aliases (``&a``, ``*a``: a 400-byte file of nested aliases is gigabytes),
  merge keys (``<<``), tags (``!!int``, ``!foo``), any ``%YAML`` version but 1.2, and a
  second document;
* lists and mappings nested more than ``MAX_DEPTH`` deep, and lists of more than
  ``MAX_ITEMS`` items (the largest matrix is 256×256), refused as soon as they are read;
* integers of more than ``MAX_DIGITS`` digits and numbers outside double precision.

The rows of a large matrix are most of a large file. A row written on one line in flow style,
``[1, 0, -1]``, is read by a regular expression instead of scalar by scalar: libyaml parses the
file with each such row replaced by a quoted blank of the same length, and a row is taken only
where libyaml finds its blank as a node. Anything else, or any error, and the file is parsed
again as written, so what is read and every message are the same either way.

Plain scalars are resolved as YAML 1.2 (``1e3`` is a number, ``yes`` is text); dates are
recognised only so that a message can call them dates.
"""

from __future__ import annotations

import math
import os
import re
import stat
from contextlib import contextmanager
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

from handcalc.errors import HandcalcError, InputFileError, SchemaError, YAMLSyntaxError
from handcalc.numbers import MAX_DIGITS, MAX_ORDER, decimal_order, order_error, quoted

MAX_BYTES = 1 << 20  # 1 MiB: a 256×256 problem of small integers is about 850 KB
MAX_DEPTH = 5  # heads (a list) of heads (mappings) of matrices (lists) of rows (lists), in the problem
MAX_ITEMS = 256  # rows, columns, tokens and heads: at most 256 each
MAX_KEYS = 4096  # keys of a mapping, mappings in a list: steps of many heads, students of a class

# YAML's printable characters (YAML 1.2 §5.1); anything else is refused where it stands
NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
NULLS = {"", "~", "null", "Null", "NULL"}
BOOLEANS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
INTEGER = re.compile(r"[-+]?[0-9][0-9_]*|0o[0-7_]+|0x[0-9a-fA-F_]+|0b[01_]+")
FLOAT = re.compile(r"[-+]?(?:\.[0-9_]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?")
SPECIAL_FLOAT = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")
# a flow row on one line of plain numbers (each begins with a digit, a sign or a point), and
# its items; line breaks other than \n would move libyaml's marks away from ours
ROW = re.compile(r"\[ *[-+.]?[0-9.][-+.0-9_eE]*(?: *, *[-+.]?[0-9.][-+.0-9_eE]*)* *\]")
ROW_ITEM = re.compile(r"[^ ,\[\]]+")
OTHER_BREAKS = re.compile("[\r\x85\u2028\u2029]")
ROWS_FROM = 16_384  # characters: below, reading a file scalar by scalar is as fast
SHORT_NUMBER = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,15})?")
DATE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}.*)?")


# --- the text of a file -------------------------------------------------------------------
def read_text(path: Path, kind: str = "problem file") -> str:
    """The UTF-8 text of the file at ``path``: a regular file of at most 1 MiB, refused
    in one line otherwise. A FIFO or a device is refused from its mode, without a read
    that could block or never end."""
    file = str(path)
    try:
        _refuse_special(os.stat(path).st_mode, kind, file)
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        try:
            info = os.fstat(descriptor)  # the file opened, which may not be the one looked at
            _refuse_special(info.st_mode, kind, file)
            data = _read_at_most(descriptor, MAX_BYTES + 1)
        finally:
            os.close(descriptor)
    except FileNotFoundError:
        raise InputFileError("no such file").located(file) from None
    except PermissionError:
        raise InputFileError("cannot be read: permission denied").located(file) from None
    except OSError as error:
        raise InputFileError(f"cannot be read: {error.strerror or error}").located(file) from None
    if len(data) > MAX_BYTES:
        size = f"{info.st_size:,} bytes" if info.st_size > MAX_BYTES else f"more than {MAX_BYTES:,} bytes"
        raise InputFileError(f"is {size}; a {kind} may be at most 1 MiB").located(file)
    return _decode(data, file)


def _refuse_special(mode: int, kind: str, file: str) -> None:
    if stat.S_ISDIR(mode):
        raise InputFileError(f"is a directory, not a {kind}").located(file)
    if not stat.S_ISREG(mode):
        what = "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
        raise InputFileError(f"is {what}, not a {kind}; give a regular file").located(file)


def _read_at_most(descriptor: int, limit: int) -> bytes:
    chunks, size = [], 0
    while size < limit:
        chunk = os.read(descriptor, limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _decode(data: bytes, file: str) -> str:
    """UTF-8 text (a byte-order mark is dropped) with only YAML's printable characters."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line_start = data.rfind(b"\n", 0, error.start) + 1
        line = data.count(b"\n", 0, error.start) + 1
        column = len(data[line_start : error.start].decode("utf-8", errors="replace")) + 1
        raise InputFileError(
            f"is not UTF-8 text (byte {error.start + 1}, 0x{data[error.start]:02X}, cannot be read)"
        ).located(file, line, column) from None
    bad = NOT_PRINTABLE.search(text)
    if bad:
        at = bad.start()
        line, column = text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1
        if bad.group() == "\0":
            raise InputFileError("is a binary file (a NUL byte here), not YAML text").located(file, line, column)
        raise YAMLSyntaxError(
            f"malformed YAML: the character U+{ord(bad.group()):04X} is not allowed in YAML text"
        ).located(file, line, column)
    return text


# --- the document, composed from the parser's events ----------------------------------------
class Scalar:
    """A scalar as written: its text, whether it was quoted, and its 1-based place.

    A class with slots, not a frozen dataclass: a class's answers files are 100,000 of
    them, made 4× faster so. Treat it as immutable."""

    __slots__ = ("text", "quoted", "line", "column")

    def __init__(self, text: str, quoted: bool, line: int, column: int) -> None:
        self.text = text
        self.quoted = quoted
        self.line = line
        self.column = column

    def _fields(self) -> tuple[str, bool, int, int]:
        return self.text, self.quoted, self.line, self.column

    def __eq__(self, other: object) -> bool:
        return self._fields() == other._fields() if isinstance(other, Scalar) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return f"Scalar(text={self.text!r}, quoted={self.quoted!r}, line={self.line!r}, column={self.column!r})"


class Mapping(dict):
    """A mapping that knows where each key and each value was written (1-based)."""

    def __init__(self, items, key_places, value_places) -> None:
        super().__init__(items)
        self.key_places, self.value_places = key_places, value_places


class Sequence(list):
    """A list that knows where each item was written."""

    def __init__(self, items, marks) -> None:
        super().__init__(items)
        self.marks = marks  # the parser's: 0-based

    def place(self, index: int) -> tuple[int, int]:
        """The 1-based line and column of item ``index``."""
        return _place(self.marks[index])


class _Row(Sequence):
    """A row read by ``ROW``: where each item was written is found only when asked."""

    def __init__(self, items, mark, text: str) -> None:
        list.__init__(self, items)
        self.mark, self.text = mark, text

    @cached_property
    def marks(self) -> list:
        return [_Mark(self.mark.line, self.mark.column + found.start()) for found in ROW_ITEM.finditer(self.text)]


class _Mark:
    """A 0-based place, as the parser gives one."""

    __slots__ = ("line", "column")

    def __init__(self, line: int, column: int) -> None:
        self.line, self.column = line, column


class _NotRows(Exception):
    """The rows of a file cannot be read by ``ROW``: it is read scalar by scalar."""


def _place(mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


def compose(text: str, file: str, keys: str = "names", scalar: Callable | None = None, pairs: bool = False) -> Any:
    """The one document of ``text``: Mappings, Sequences and scalars, or None when it is
    empty. ``keys`` says in a message what a key should be ("names such as X").

    By default a scalar is resolved as YAML 1.2 (``resolve``) and a mapping is a Mapping
    whose keys are unique; ``scalar(text, quoted, line, column)`` makes scalars instead,
    and with ``pairs`` a mapping is a list of its (key, value) pairs, as written."""
    from ruamel.yaml.error import YAMLError

    with no_collection():
        if len(text) >= ROWS_FROM and not OTHER_BREAKS.search(text):
            try:
                return _Composer(file, scalar, keys, pairs).run_with_rows(text)
            except (HandcalcError, YAMLError, RecursionError, _NotRows):
                pass  # read again as written: the same document, or the error at its place
        try:
            return _Composer(file, scalar, keys, pairs).run(_parser(text), text)
        except (YAMLError, RecursionError) as error:
            raise yaml_error(error, text, file) from None


@contextmanager
def no_collection():
    """No garbage collection inside: reading a large file makes a quarter of a million
    objects, none of them in a cycle, and every collection would walk them all."""
    import gc

    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _parser(text: str):
    """The event source: the C parser's ``get_event``, else the pure-Python parser's."""
    try:
        from _ruamel_yaml import CParser
    except ImportError:  # no compiler on this platform: the same events, slower
        from ruamel.yaml import YAML

        return iter(YAML(typ="safe", pure=True).parse(text)).__next__
    return CParser(text).get_event


class _Composer:
    def __init__(self, file: str, scalar: Callable | None, keys: str, pairs: bool) -> None:
        self.file, self.scalar, self.keys, self.pairs = file, scalar, keys, pairs
        self.seen: dict[str, Any] = {}  # plain scalars resolved so far

    def refuse(self, error: HandcalcError, mark) -> HandcalcError:
        return error.located(self.file, *_place(mark))

    def run_with_rows(self, text: str) -> Any:
        """The document of ``text``, its one-line flow rows of numbers read by ``ROW``."""
        pieces, rows, start, line, line_start = [], {}, 0, 0, 0
        for match in ROW.finditer(text):
            at = match.start()
            line += text.count("\n", start, at)
            line_start = text.rfind("\n", 0, at) + 1
            rows[line, at - line_start] = match.group()
            pieces += [text[start:at], '"', " " * (match.end() - at - 2), '"']
            start = match.end()
        pieces.append(text[start:])
        document = self.run(_parser("".join(pieces)), text, rows)
        if rows:  # a row inside a comment or a scalar: not a node
            raise _NotRows
        return document

    def row(self, text: str, mark) -> Sequence:
        """A row read by ``ROW``, resolved as its plain scalars would be."""
        items = text[1:-1].replace(" ", "").split(",")  # ROW allows only spaces between items
        if len(items) > MAX_ITEMS:
            raise _NotRows
        if self.scalar is not None:
            line, column = mark.line + 1, mark.column + 1
            places = [column + found.start() for found in ROW_ITEM.finditer(text)]
            return _Row([self.scalar(item, False, line, at) for item, at in zip(items, places)], mark, text)
        values = list(map(self.seen.get, items))
        if None in values:  # an item not read before (a number is never None)
            values = [self.resolved(item, mark) if value is None else value for item, value in zip(items, values)]
        return _Row(values, mark, text)

    def run(self, next_event, document: str, rows: dict | None = None) -> Any:
        from ruamel.yaml.events import (
            AliasEvent,
            DocumentStartEvent,
            MappingEndEvent,
            MappingStartEvent,
            ScalarEvent,
            SequenceEndEvent,
            SequenceStartEvent,
            StreamEndEvent,
        )

        make, seen_get, missing = self.scalar, self.seen.get, object()
        # each open collection: [is a mapping, its items, their marks, its own mark]; the
        # document itself is a list that holds one node
        stack: list[list] = [[False, [], [], None]]
        is_mapping, items, marks, _ = stack[-1]
        add_item, add_mark = items.append, marks.append  # the innermost collection's, bound once
        documents = 0
        while True:
            event = next_event()
            kind = event.__class__
            if kind is ScalarEvent:  # the hot path: a 256×256 matrix is 65,536 of them
                mark = event.start_mark
                if event.anchor is not None or event.ctag is not None:
                    self.refuse_feature(event, mark)
                if rows and event.style == '"' and (row := rows.pop((mark.line, mark.column), None)):
                    if len(stack) > MAX_DEPTH or (is_mapping and len(items) % 2 == 0):
                        raise _NotRows  # refused as a list, where it is read as written
                    add_item(self.row(row, mark))
                    add_mark(mark)
                    continue
                text, plain = event.value, not event.style
                if make is not None:
                    value = make(text, not plain, mark.line + 1, mark.column + 1)
                elif not plain:
                    value = text
                else:
                    value = seen_get(text, missing)  # a matrix repeats a few numbers many times
                    if value is missing:
                        value = self.resolved(text, mark)
                add_item(value)
                add_mark(mark)
            elif kind is SequenceStartEvent or kind is MappingStartEvent:
                mark = event.start_mark
                if event.anchor is not None or event.ctag is not None:
                    self.refuse_feature(event, mark)
                if len(stack) > MAX_DEPTH:
                    raise self.refuse(YAMLSyntaxError(
                        f"lists and mappings nested more than {MAX_DEPTH} deep; a matrix is a list of rows"), mark)
                if is_mapping and len(items) % 2 == 0:
                    what = "a mapping" if kind is MappingStartEvent else "a list"
                    raise self.refuse(SchemaError(f"keys are {self.keys}, not {what}"), mark)
                self.check_length(is_mapping, items, marks)
                stack.append([kind is MappingStartEvent, [], [], mark])
                is_mapping, items, marks, _ = stack[-1]
                add_item, add_mark = items.append, marks.append
            elif kind is SequenceEndEvent or kind is MappingEndEvent:
                self.check_length(is_mapping, items, marks)  # counted here: the hot path stays short
                done_mapping, done, done_marks, mark = stack.pop()
                is_mapping, items, marks, _ = stack[-1]
                add_item, add_mark = items.append, marks.append
                add_item(self.mapping(done, done_marks) if done_mapping else Sequence(done, done_marks))
                add_mark(mark)
            elif kind is AliasEvent:
                self.refuse_feature(event, event.start_mark)
            elif kind is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise self.refuse(YAMLSyntaxError("malformed YAML: a second document; a file holds one"),
                                      event.start_mark)
                if event.version not in (None, (1, 2)):
                    raise _version_error(event.version, document, self.file)
            elif kind is StreamEndEvent:
                return items[0] if items else None

    def check_length(self, is_mapping: bool, items: list, marks: list) -> None:
        """At most MAX_KEYS keys in a mapping, MAX_KEYS items in a list and, of them, at most
        MAX_ITEMS that are not mappings (a row, a column): refused at the first too many."""
        if len(items) <= MAX_ITEMS:
            return
        if len(items) > (2 if is_mapping else 1) * MAX_KEYS:
            raise self.refuse(_too_many(True), marks[(2 if is_mapping else 1) * MAX_KEYS])
        if not is_mapping:
            others = [mark for item, mark in zip(items, marks, strict=True) if not isinstance(item, Mapping)]
            if len(others) > MAX_ITEMS:
                raise self.refuse(_too_many(False), others[MAX_ITEMS])

    def refuse_feature(self, event, mark) -> None:
        if getattr(event, "tag", None) is not None and getattr(event, "anchor", None) is None:
            raise self.refuse(YAMLSyntaxError(
                f"YAML tags ({_tag(event.tag)}) are not allowed; write the value without one"), mark)
        raise self.refuse(YAMLSyntaxError(
            "YAML anchors and aliases (& and *) are not allowed; write the matrix out in full"), mark)

    def mapping(self, items: list, marks: list) -> Mapping | list[tuple]:
        keys, values = items[::2], items[1::2]
        for key, mark in zip(keys, marks[::2]):
            if (key.text if isinstance(key, Scalar) else key) == "<<":
                raise self.refuse(YAMLSyntaxError(
                    "YAML merge keys (<<) are not allowed; write the keys out in full"), mark)
        if self.pairs:
            return list(zip(keys, values))
        key_places, value_places = {}, {}
        for key, value, key_mark, value_mark in zip(keys, values, marks[::2], marks[1::2], strict=True):
            key_at, value_at = _place(key_mark), _place(value_mark)
            if key in key_places:
                raise SchemaError(f"duplicate key {shown_key(key)}; each key may appear only once").located(
                    self.file, *key_at)
            key_places[key] = key_at
            # an empty value (null) has no place of its own: its key's is given instead
            value_places[key] = key_at if value is None else value_at
        return Mapping(zip(keys, values), key_places, value_places)

    def resolved(self, text: str, mark) -> Any:
        """A plain scalar resolved (once for each text), or refused where it stands."""
        try:
            value = self.seen[text] = resolve(text)
        except SchemaError as error:
            raise self.refuse(error, mark) from None
        return value


def _too_many(mapping: bool) -> SchemaError:
    if mapping:
        return SchemaError(f"more than {MAX_KEYS} keys, or mappings in one list")
    return SchemaError(f"a list of more than {MAX_ITEMS} items; handcalc takes at most {MAX_ITEMS} rows, "
                       "columns, tokens and heads")


def _tag(tag: str) -> str:
    return "!!" + tag.rsplit(":", 1)[-1] if tag.startswith("tag:yaml.org,2002:") else tag[:40]


def _version_error(version, text: str, file: str) -> HandcalcError:
    at = text.find("%YAML")
    line = text.count("\n", 0, at) + 1 if at >= 0 else 1
    written = ".".join(str(part) for part in version)
    return YAMLSyntaxError(f"%YAML {written}: handcalc reads YAML 1.2; remove the %YAML line").located(file, line, 1)


def resolve(text: str) -> Any:
    """A plain scalar as YAML 1.2 reads it: None, a boolean, an int, a float, a date or
    text. Integers are bounded in digits and floats in range, before any conversion."""
    if SHORT_NUMBER.fullmatch(text):  # most of a matrix: in range by its length alone
        return float(text) if "." in text else int(text)
    if text in NULLS:
        return None
    if text in BOOLEANS:
        return BOOLEANS[text]
    if INTEGER.fullmatch(text):
        digits = text.lstrip("+-").replace("_", "")
        if len(digits) > MAX_DIGITS:
            raise SchemaError(f"a number of {len(digits)} digits is too large to be a finite number")
        if digits[:2] in ("0o", "0x", "0b"):
            return int(digits[2:] or "0", {"0o": 8, "0x": 16, "0b": 2}[digits[:2]]) * (-1 if text[0] == "-" else 1)
        return int(text.replace("_", ""))
    if FLOAT.fullmatch(text) and any(char.isdigit() for char in text):
        return _float(text)
    if SPECIAL_FLOAT.fullmatch(text):
        return float(text.lower().replace(".", ""))
    if DATE.fullmatch(text):
        return _date(text)
    return text


def _float(text: str) -> float:
    """A plain decimal as a float, its exponent bounded before it is converted: one too
    large becomes infinity (refused where a number is needed), one too small is refused."""
    mantissa, _, exponent = text.replace("_", "").lower().partition("e")
    whole, _, fraction = mantissa.lstrip("+-").partition(".")
    order = decimal_order(whole, fraction, exponent)
    if order is not None and order > MAX_ORDER:
        return -math.inf if text.startswith("-") else math.inf
    error = order_error(text, order)
    if error is not None:
        raise SchemaError(str(error))
    return float(text.replace("_", ""))


def _date(text: str) -> Any:
    try:
        return (date if len(text) <= 10 else datetime).fromisoformat(text)
    except ValueError:
        return text


def shown_key(key: Any) -> str:
    """A key as a message shows it: as written when it is a plain name, else quoted."""
    text = str(key.text if isinstance(key, Scalar) else key)
    return text if text.isprintable() and 0 < len(text) <= 40 and " " not in text else quoted(text)


# --- ruamel's errors, in one line ---------------------------------------------------------------
def yaml_error(error: Exception, text: str, file: str) -> HandcalcError:
    """The parser's error as one line, placed where the YAML went wrong."""
    from ruamel.yaml.error import MarkedYAMLError

    if isinstance(error, RecursionError):
        return YAMLSyntaxError("malformed YAML: nested too deeply").located(file)
    if not isinstance(error, MarkedYAMLError):
        return YAMLSyntaxError(f"malformed YAML: {_first_line(str(error))}").located(file)
    mark = error.problem_mark or error.context_mark
    where = (mark.line + 1, mark.column + 1) if mark else ()
    problem = (error.problem or error.context or "").replace("did not find expected ", "expected ")
    if problem == "found character that cannot start any token" and mark is not None:
        character = _character_at(text, mark.line, mark.column)
        problem = f"found character {character!r} that cannot start any token"
    return YAMLSyntaxError(f"malformed YAML: {_first_line(problem)}").located(file, *where)


def _character_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n", line + 1)
    return lines[line][column : column + 1] if line < len(lines) else ""


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "malformed YAML"
    return line if len(line) <= 120 else line[:119] + "…"
