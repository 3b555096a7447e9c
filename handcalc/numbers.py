"""Numbers in and numbers out: the one place where a cell is parsed and formatted.

Cells are read as exact ``Fraction``s (``2``, ``-.5``, ``1e3``, ``"1/3"``); every renderer
formats through :func:`format_number`, so no renderer rounds on its own.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

NEG_INF = "−∞"  # U+2212: a masked cell, never typed back in as a number
ELLIPSIS = "⋯"
MAX_DIGITS = 4000  # Python reads at most 4300 digits as an integer; a finite double needs 309
LARGE = 1e10  # from here on a whole number written is as precise as its digits: 5048000000000
HUGE = 1e21  # from here on a number is printed in scientific notation (nobody writes it out)
SNAP = 12  # significant digits a float is read to before it is rounded: 1.0499999999999998 is 1.05


class NotANumber(ValueError):
    """A cell that is not a finite number; the message says what it is instead."""


def printable(text: str, limit: int | None = None) -> str:
    """Text from the input as it may be shown: on one line, every control character (an
    escape sequence, a newline, a lone surrogate) written out as ``\\x1b``, ``\\n``,
    ``\\ud83d``, so that none reaches a terminal or breaks a table; at most ``limit``
    characters long (``…`` where it is cut)."""
    body = text if text.isprintable() else "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
    return body if limit is None or len(body) <= limit else body[: limit - 1] + "…"


def quoted(text: str, limit: int = 40) -> str:
    """Text from the input as an error message shows it: in double quotes, on one line
    (control characters escaped), and at most ``limit`` characters long."""
    return f'"{printable(text, limit)}"'


def _short(number: int) -> str:
    """An integer as an error message shows it: long ones by their first digits and length."""
    try:
        text = str(number)
    except ValueError:  # more digits than Python converts to text
        return "an integer of too many digits"
    return text if len(text) <= 20 else f"{text[:8]}… (an integer of {len(text.lstrip('-'))} digits)"


def describe(value: object) -> str:
    """What a value from the input is, in words: "a boolean (true)", "a list", "a number"."""
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (date, datetime)):
        return f"a date ({value})"
    if isinstance(value, str):
        return f"the text {quoted(value)}" if value else "an empty string"
    if value is None:
        return "nothing (null)"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (int, float, Fraction)):
        return "a number"
    return f"{type(value).__name__} {value!r}"


def parse_number(value: object) -> Fraction:
    """A cell as an exact Fraction; ``NotANumber`` says why it is not one."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Fraction)):
        raise NotANumber(f"expected a number, found {describe(value)}")
    if isinstance(value, float):
        if math.isnan(value):
            raise NotANumber("expected a number, found nan (not a number)")
        if math.isinf(value):
            raise NotANumber("expected a finite number, found infinity (too large, or .inf)")
        return Fraction(Decimal(repr(float(value))))  # the decimal as written: 0.1 -> 1/10
    if isinstance(value, str):
        return _parse_fraction_text(value)
    number = Fraction(value)
    if not math.isfinite(_to_float(number)):
        raise NotANumber(f"{_short(value) if isinstance(value, int) else value} is too large to be a finite number")
    return number


# A number as text, read as Fraction reads it, but by parts: "-2/4", "1_000", ".5e-3", "3."
NUMBER_TEXT = re.compile(
    r"(?P<sign>[-+]?)(?=[0-9]|\.[0-9])(?P<whole>[0-9]*(?:_[0-9]+)*)"
    r"(?:\s*/\s*(?P<denominator>[0-9]+(?:_[0-9]+)*)"
    r"|(?:\.(?P<fraction>[0-9]*(?:_[0-9]+)*))?(?:[eE](?P<exponent>[-+]?[0-9]+(?:_[0-9]+)*))?)"
)
MAX_ORDER = 308  # 1e309 is beyond double precision
MIN_ORDER = -MAX_DIGITS  # 1e-4000: an exact fraction's denominator stays within MAX_DIGITS digits


def decimal_order(whole: str, fraction: str, exponent: str) -> int | None:
    """The power of ten of a decimal's first significant digit (``123.4e5`` → 7, ``0.05`` →
    −2), from its digits, without converting it; None for zero; out-of-range exponents
    (more than 6 digits) are clamped so that they count as too large or too small."""
    exponent = exponent.replace("_", "").lstrip("+") or "0"
    power = int(exponent) if len(exponent.lstrip("-")) <= 6 else (-1 if exponent[0] == "-" else 1) * 10**7
    whole, fraction = whole.lstrip("0"), fraction.rstrip("0")
    if whole:
        return len(whole) - 1 + power
    if fraction.strip("0"):
        return -(len(fraction) - len(fraction.lstrip("0")) + 1) + power
    return None


def order_error(text: str, order: int | None) -> NotANumber | None:
    """Why a decimal of this ``order`` cannot be read, if it cannot."""
    if order is not None and order > MAX_ORDER:
        return NotANumber(f"{quoted(text)} is too large to be a finite number")
    if order is not None and order < MIN_ORDER:
        return NotANumber(f"{quoted(text)} is too small to be a number handcalc reads (below 1e{MIN_ORDER}); write 0")
    return None


def _parse_fraction_text(text: str) -> Fraction:
    """A number written as text (``"1/3"``, ``"-.5"``, ``"1e3"``) as an exact Fraction, its
    digits and exponent bounded before any arithmetic: ``"1e-100000000"`` is refused at
    once, where ``Fraction()`` would build a hundred-million-digit power of ten."""
    stripped = text.strip()
    if stripped.lower().lstrip("+-") in {"nan", "inf", "infinity", ".inf", ".nan"}:
        raise NotANumber(f"expected a finite number, found {quoted(text)}")
    if len(stripped) > MAX_DIGITS and sum(char.isdigit() for char in stripped) > MAX_DIGITS:
        raise NotANumber(f"{quoted(text)} has more than {MAX_DIGITS} digits; write it shorter")
    match = NUMBER_TEXT.fullmatch(stripped)
    if match is None:
        hint = " (a fraction is written like \"1/3\")" if "/" in stripped else ""
        raise NotANumber(f"expected a number, found {describe(text)}{hint}")
    sign = -1 if match["sign"] == "-" else 1
    whole = match["whole"].replace("_", "")
    if match["denominator"] is not None:
        denominator = int(match["denominator"].replace("_", ""))
        if denominator == 0:
            raise NotANumber(f"bad fraction {quoted(text)}: division by zero")
        number = Fraction(sign * int(whole), denominator)
    else:
        fraction, exponent = (match["fraction"] or "").replace("_", ""), match["exponent"] or ""
        error = order_error(text, decimal_order(whole, fraction, exponent))
        if error is not None:
            raise error
        power = int(exponent.replace("_", "") or 0) - len(fraction)  # |power| ≤ 308 + 2·MAX_DIGITS here
        digits = int(whole + fraction or "0")
        number = Fraction(sign * digits * 10**power) if power >= 0 else Fraction(sign * digits, 10**-power)
    if not math.isfinite(_to_float(number)):
        raise NotANumber(f"{quoted(text)} is too large to be a finite number")
    return number


def as_floats(values):
    """An array of exact Fractions (and −∞) as floats, each correctly rounded: at C speed
    when every numerator and denominator is exactly a double (|n| ≤ 2**53), as a hand
    problem's are; cell by cell otherwise."""
    import operator

    import numpy as np

    if values.dtype != object:
        return values.astype(float)
    try:
        numerators = np.frompyfunc(operator.attrgetter("_numerator"), 1, 1)(values).astype(float)
        denominators = np.frompyfunc(operator.attrgetter("_denominator"), 1, 1)(values).astype(float)
    except (AttributeError, OverflowError):  # −∞ of a blocked cell, or an integer beyond double
        return values.astype(float)
    exact = 2.0**53
    if np.abs(numerators).max(initial=0) > exact or denominators.max(initial=0) > exact:
        return values.astype(float)
    return numerators / denominators  # two exact doubles: IEEE division rounds correctly


def _to_float(number: Fraction) -> float:
    try:
        return float(number)
    except OverflowError:
        return math.inf


def format_number(x: float | Fraction, precision: int = 3) -> str:
    """A cell as printed: −∞, an integer when it is one, an exact Fraction as ``p/q``, else
    ``precision`` decimals rounded half away from zero (0.0625 is 0.063). Written out in full
    up to 10^21 (``5047999999999.998``), so that a student can copy it; scientific notation
    beyond, which the marking reads at the precision it shows."""
    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    x = float(x)
    if math.isinf(x):
        return NEG_INF if x < 0 else "∞"
    if math.isnan(x):
        return "nan"
    if abs(x) >= HUGE:
        return f"{x:.{precision}e}"
    nearest = round(x)
    if x == nearest or (nearest != 0 and abs(x - nearest) <= 1e-12 * abs(x)):  # 0.9999999999999999 is 1
        return str(int(nearest))
    text = _fixed(x, precision)
    return text.lstrip("-") if float(text) == 0 else text  # no "-0.000"


def format_numbers(values, precision: int = 3):
    """:func:`format_number` of every cell of an array, as an array of str of its shape:
    each distinct float formatted once (a by-hand matrix has few), exact cells one by one."""
    import numpy as np

    values = np.asarray(values)
    if values.dtype == object:  # Fractions (and −∞): 1/2 is not 0.5 in print, so none is merged
        texts = [format_number(x, precision) for x in values.ravel().tolist()]
        return np.array(texts, dtype=object).reshape(values.shape)
    distinct, where = np.unique(values, return_inverse=True)  # 0.0 and -0.0 are merged: both print 0
    texts = np.array([format_number(x, precision) for x in distinct.tolist()], dtype=object)
    return texts[where.ravel()].reshape(values.shape)


def _fixed(x: float, precision: int) -> str:
    """``x`` to ``precision`` decimals, halves away from zero on the number it stands for."""
    text = f"{x:.{precision}f}"
    t = abs(x) * 10.0**precision
    if abs(t - math.floor(t) - 0.5) > 1e-6 * max(1.0, t):  # not near a half: the fast way is right
        return text
    return f"{_snapped(x).quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP):f}"


def _snapped(x: float) -> Decimal:
    """A float as the decimal it stands for: its first ``SNAP`` significant digits."""
    return Decimal(f"{x:.{SNAP}g}")


def format_shape(shape: tuple[int, ...]) -> str:
    """``(2, 4)`` as ``2×4``; a vector as its length."""
    return "×".join(str(n) for n in shape)


def round_half_away(x: float | Fraction, digits: int) -> float | Fraction:
    """``x`` rounded to ``digits`` decimals, halves away from zero, as taught in school.

    A Fraction is rounded exactly and stays a Fraction; a float is rounded as the decimal it
    stands for (1.5 · 0.7 = 1.0499999999999998 in floats is 1.05, which is 1.1; 2.675 is
    2.68); −∞ stays −∞."""
    if isinstance(x, Fraction):
        unit = Fraction(1, 10**digits)
        return (1 if x >= 0 else -1) * math.floor(abs(x) / unit + Fraction(1, 2)) * unit
    if not math.isfinite(x):
        return x
    with localcontext() as context:
        context.prec = 400  # room for every digit of a double and the decimals asked for
        return float(_snapped(x).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def round_array(x, digits: int):
    """Every float of an array rounded half away from zero to ``digits`` decimals, as
    :func:`round_half_away` does (a value within ``SNAP`` digits of a half is the half),
    in whole-array arithmetic; ±∞ and nan stay."""
    import numpy as np

    x = np.asarray(x, dtype=float)
    scale = 10.0**digits
    with np.errstate(invalid="ignore", over="ignore"):
        t = np.abs(x) * scale
        r = np.floor(t + 0.5 + 10.0 ** (1 - SNAP) * np.maximum(1.0, t))
        return np.where(np.isfinite(t), np.sign(x) * r / scale, x)


def round_cells(value, digits: int):
    """Every cell of an array rounded half away from zero to ``digits`` decimals: the
    carried rounding of ``round:``, for the computation and for marking alike. Exact
    Fractions are rounded exactly and stay Fractions; floats are rounded as decimals."""
    import numpy as np

    if value.dtype == object:
        return np.vectorize(lambda x: round_half_away(x, digits), otypes=[object])(value)
    return round_array(value, digits)
