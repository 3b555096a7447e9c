"""Plain symbols for an output that cannot show handcalc's own (``PYTHONIOENCODING=ascii``, a
latin-1 terminal): −∞ is written ``-inf``, · is ``*``, ⋯ is ``...``; anything else it cannot
encode, its ``\\u`` escape.

One rule for both places that need it: the streams write with it (as their error handler),
and the text formats draw with it, so that a table's columns are measured on the text as it
prints (``-inf`` is four characters where ``−∞`` is two).
"""

from __future__ import annotations

ERRORS = "handcalc-plain"  # the name of the error handler the streams and the drawing use
PLAIN = {"−": "-", "∞": "inf", "·": "*", "×": "x", "√": "sqrt", "ᵀ": "^T", "Σ": "sum", "⋯": "...", "…": "...",
         "⋮": ":", "⋱": "\\", "—": "-", "–": "-", "≈": "~", "±": "+/-", "≤": "<=", "✓": "ok", "✗": "X", "→": "->",
         "│": "|", "─": "-", "┼": "+", "═": "=", "█": "#", **dict.fromkeys("▏▎▍▌▋▊▉", "+")}  # fmt: skip


def _plain(error: UnicodeError) -> tuple[str, int]:
    text = error.object[error.start : error.end]
    return "".join(PLAIN.get(char) or char.encode("ascii", "backslashreplace").decode() for char in text), error.end


def register() -> None:
    """Make :data:`ERRORS` an error handler of ``str.encode`` and of the streams."""
    import codecs

    try:
        codecs.lookup_error(ERRORS)
    except LookupError:
        codecs.register_error(ERRORS, _plain)


def encoding_of(stream) -> str | None:
    """The encoding of ``stream`` where it is not UTF-8; None where it is (everything prints)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    return None if encoding.lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig") else encoding


def printed(text: str, encoding: str | None) -> str:
    """``text`` as it prints on an output in ``encoding`` (None: UTF-8, where it prints as it is)."""
    if encoding is None or text.isascii():
        return text
    register()
    return text.encode(encoding, ERRORS).decode(encoding)
