"""handcalc's formulas (``scores = Kᵀ · Q``, ``exp = e^(scaled − column max)``) as LaTeX
and as HTML: one reading of a formula, drawn two ways, for the markdown, latex and html formats.

A formula is read into pieces: names (``W_q``, ``scores``, ``h1.Z``, ``Kᵀ``), words
(``with``, ``over each column``), numbers, symbols, ``√x`` and ``b^x``. Step names and
single letters are mathematics; other words are text, kept with the spaces around them.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from handcalc.steps import COMPUTED, INPUTS

NAME, WORDS, NUMBER, SYMBOL, SPACE, ROOT, POWER = "name", "words", "number", "symbol", "space", "root", "power"
_TOKEN = re.compile(
    r"(?P<number>\d+(?:\.\d+)?(?:e[+-]?\d+)?)"
    r"|(?P<name>(?:h\d+\.)?[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)?ᵀ?)"
    r"|(?P<space>\s+)"
    r"|(?P<symbol>.)",
    re.DOTALL,
)
_MATH_NAMES = {*INPUTS, *COMPUTED, "d_k", "d_v"}
OPERATORS = {"=", "+", "−", "-", "·", "/", "×", "≈", "≤", "≥", "≠", "→", "<", ">"}

# Symbols in LaTeX's math mode, and (with text_latex) in its text mode.
LATEX_SYMBOLS = {
    "·": r"\cdot", "−": "-", "∞": r"\infty", "Σ": r"\Sigma", "×": r"\times", "≈": r"\approx",
    "⋯": r"\cdots", "⋮": r"\vdots", "⋱": r"\ddots", "…": r"\ldots", "√": r"\surd", "ᵀ": r"^\top",
    "≤": r"\leq", "≥": r"\geq", "≠": r"\neq", "→": r"\to", "∑": r"\sum", "%": r"\%", "#": r"\#",
    "&": r"\&", "$": r"\$", "_": r"\_", "{": r"\{", "}": r"\}", "\\": r"\backslash", "~": r"\sim",
    **{block: rf"\rule{{{eighths / 8:g}em}}{{1.5ex}}" for eighths, block in enumerate("▏▎▍▌▋▊▉█", 1)},
}  # fmt: skip
_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "#": r"\#", "$": r"\$", "%": r"\%", "&": r"\&", "_": r"\_", "{": r"\{",
    "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}",
    ">": r"\textgreater{}", "|": r"\textbar{}",
}  # fmt: skip


@dataclass(frozen=True)
class Piece:
    """A part of a formula: its kind and text, and what a root or a power holds."""

    kind: str
    text: str = ""
    inner: tuple[Piece, ...] = ()


def pieces(formula: str) -> list[Piece]:
    """``formula`` read into pieces, the words (and the spaces between them) run together."""
    tokens = [Piece(_kind(m), m.group()) for m in _TOKEN.finditer(formula)]
    return _runs(_nest(tokens))


def _kind(match: re.Match) -> str:
    kind, text = match.lastgroup, match.group()
    if kind == NAME and len(text.rstrip("ᵀ")) > 1 and text.rstrip("ᵀ") not in _MATH_NAMES and "." not in text:
        return WORDS
    return kind


def _nest(tokens: list[Piece]) -> list[Piece]:
    """``√`` and ``^`` take the operand after them: a name, a number or a (group)."""
    out: list[Piece] = []
    rest = list(tokens)
    while rest:
        token = rest.pop(0)
        if token.kind == SYMBOL and token.text in ("√", "^") and rest and rest[0].kind != SPACE:
            operand = _operand(rest)
            out.append(Piece(ROOT if token.text == "√" else POWER, inner=tuple(_nest(operand))))
        else:
            out.append(token)
    return out


def _operand(rest: list[Piece]) -> list[Piece]:
    """Take the operand off the front of ``rest``; a power's (group) loses its parentheses."""
    if rest[0].text in ("−", "-") and len(rest) > 1:  # a signed operand: 3^−∞, e^−1
        return [rest.pop(0), *_operand(rest)]
    if rest[0].text != "(":
        return [rest.pop(0)]
    depth, taken = 0, []
    while rest:
        token = rest.pop(0)
        depth += {"(": 1, ")": -1}.get(token.text, 0)
        taken.append(token)
        if depth == 0:
            break
    return taken[1:-1] if taken[-1].text == ")" else taken


def _runs(parts: list[Piece]) -> list[Piece]:
    """Words with the spaces between and around them as one piece of text."""
    out: list[Piece] = []
    for part in parts:
        if part.kind in (ROOT, POWER):
            part = Piece(part.kind, inner=tuple(_runs(list(part.inner))))
        joins = part.kind == WORDS or (part.kind == SPACE and out and out[-1].kind == WORDS)
        if out and out[-1].kind == WORDS and joins:
            out[-1] = Piece(WORDS, out[-1].text + part.text)
        elif part.kind == WORDS and out and out[-1].kind == SPACE:
            out[-1] = Piece(WORDS, " " + part.text)
        else:
            out.append(part)
    return out


# --- LaTeX ----------------------------------------------------------------------------------
def latex(formula: str) -> str:
    """``scores = Kᵀ · Q`` as ``\\text{scores} = K^\\top \\cdot Q`` (for math mode)."""
    return re.sub(r"(?<!\\) {2,}", " ", _latex(pieces(formula)))


def _latex(parts: list[Piece]) -> str:
    out = []
    for i, part in enumerate(parts):
        if part.kind == SPACE:
            out.append("" if i in (0, len(parts) - 1) else " " if _beside_operator(parts, i) else r"\ ")
        elif part.kind == WORDS:
            out.append(rf"\text{{{text_latex(part.text)}}}")
        elif part.kind == NAME:
            out.append(_latex_name(part.text))
        elif part.kind == ROOT:
            out.append(rf"\sqrt{{{_latex(list(part.inner))}}}")
        elif part.kind == POWER:
            out.append(rf"^{{{_latex(list(part.inner))}}}")
        else:
            out.append(_latex_symbol(part.text))
    return "".join(out).rstrip(" ")  # a command's separating space; never a kept "\ " (dropped at the ends)


def _beside_operator(parts: list[Piece], i: int) -> bool:
    """Math mode spaces an operator itself; any other space is kept (``1.414 (allowed``)."""
    return any(0 <= k < len(parts) and parts[k].text in OPERATORS for k in (i - 1, i + 1))


def _latex_name(text: str) -> str:
    """``W_q`` → ``W_q``, ``X_kv`` → ``X_{kv}``, ``scores`` → ``\\text{scores}``, ``h1.Z`` → ``\\text{h1.}Z``,
    ``Kᵀ`` → ``K^\\top``."""
    head, base, sub, transposed = _name_parts(text)
    body = base if len(base) == 1 else rf"\text{{{base}}}"
    body += (f"_{sub}" if len(sub) == 1 else f"_{{{sub}}}") if sub else ""
    return (rf"\text{{{head}}}" if head else "") + body + (r"^\top" if transposed else "")


def _name_parts(text: str) -> tuple[str, str, str, bool]:
    """``h1.W_qᵀ`` as its head prefix ``h1.``, base ``W``, subscript ``q`` and whether it is transposed."""
    head, dot, name = text.rpartition(".")
    base, _, sub = name.rstrip("ᵀ").partition("_")
    return head + dot, base, sub, name.endswith("ᵀ")


def _latex_symbol(char: str) -> str:
    command = LATEX_SYMBOLS.get(char, char)
    return command + " " if command[-1:].isalpha() else command


def text_latex(text: str) -> str:
    """Text for LaTeX's text mode: its special characters escaped, symbols set as math."""
    return "".join(_text_char(char) for char in text)


def _text_char(char: str) -> str:
    if char in _TEXT_ESCAPES:
        return _TEXT_ESCAPES[char]
    if char in LATEX_SYMBOLS:
        return rf"\ensuremath{{{LATEX_SYMBOLS[char]}}}"
    return char


# --- HTML -----------------------------------------------------------------------------------
def html_formula(formula: str) -> str:
    """``W_q · X`` as ``<var>W<sub>q</sub></var> · <var>X</var>``: no script, no web font."""
    return _html(pieces(formula))


def _html(parts: list[Piece]) -> str:
    out = []
    for part in parts:
        if part.kind == NAME:
            out.append(_html_name(part.text))
        elif part.kind == ROOT:
            out.append(f'√<span class="radicand">{_html(list(part.inner))}</span>')
        elif part.kind == POWER:
            out.append(f"<sup>{_html(list(part.inner))}</sup>")
        else:
            out.append(html.escape(part.text))
    return "".join(out)


def _html_name(text: str) -> str:
    head, base, sub, transposed = _name_parts(text)
    body = f"<var>{html.escape(base)}</var>" if len(base) == 1 else f'<span class="word">{html.escape(base)}</span>'
    body += f"<sub>{html.escape(sub)}</sub>" if sub else ""
    return html.escape(head) + body + ("<sup>T</sup>" if transposed else "")


# --- Typst ----------------------------------------------------------------------------------
TYPST_SYMBOLS = {
    "·": "dot", "−": "-", "∞": "infinity", "Σ": "Sigma", "×": "times", "≈": "approx", "⋯": "dots.h.c",
    "⋮": "dots.v", "⋱": "dots.down", "…": "dots", "√": "sqrt(\"\")", "ᵀ": "^T", "≤": "<=", "≥": ">=",
    "≠": "!=", "→": "->", "∑": "sum", "/": "\\/", "|": "|", "(": "(", ")": ")", ",": ",", "=": "=",
    "+": "+", "-": "-", "<": "<", ">": ">", "[": "[", "]": "]",
}  # fmt: skip


def typst_formula(formula: str) -> str:
    """``scores = Kᵀ · Q`` as Typst math (without the ``$``): ``"scores" = K^T dot Q``;
    ``scaled = scores / √d_k`` as ``"scaled" = "scores" \\/ sqrt(d_k)``."""
    return re.sub(r" {2,}", " ", _typst(pieces(formula))).strip()


def _typst(parts: list[Piece]) -> str:
    out = []
    for part in parts:
        if part.kind == SPACE:
            out.append(" ")
        elif part.kind == WORDS:
            out.append(typst_string(part.text))
        elif part.kind == NAME:
            out.append(_typst_name(part.text))
        elif part.kind == NUMBER:
            out.append(part.text)
        elif part.kind == ROOT:
            out.append(f"sqrt({_typst(list(part.inner))})")
        elif part.kind == POWER:
            out.append(f"^({_typst(list(part.inner))})")
        else:
            out.append(f" {TYPST_SYMBOLS[part.text]} " if part.text in TYPST_SYMBOLS else typst_string(part.text))
    return "".join(out)


def _typst_name(text: str) -> str:
    """``W_q`` → ``W_q``, ``X_kv`` → ``X_"kv"``, ``scores`` → ``"scores"``, ``h1.Z`` → ``"h1." Z``,
    ``Kᵀ`` → ``K^T``."""
    head, base, sub, transposed = _name_parts(text)
    body = base if len(base) == 1 and base.isascii() else typst_string(base)
    body += (f"_{sub}" if len(sub) == 1 and sub.isascii() else f"_{typst_string(sub)}") if sub else ""
    return (typst_string(head) if head else "") + body + ("^T" if transposed else "")


def typst_string(text: str) -> str:
    """``text`` as a Typst string literal (for code and math): nothing in it is markup."""
    escaped = "".join(_TYPST_STRING_ESCAPES.get(char) or (f"\\u{{{ord(char):x}}}" if not char.isprintable() else char) for char in text)
    return f'"{escaped}"'


_TYPST_STRING_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
