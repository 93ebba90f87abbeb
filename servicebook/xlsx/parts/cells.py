"""One cell as SpreadsheetML: values as Excel stores them (numbers, inline text, booleans, date
serials) in the worksheet's own namespace prefix."""

from __future__ import annotations

import math
import numbers
import re
from datetime import date, datetime, time, timedelta

from servicebook.domain.table import column_letter  # noqa: F401  (one definition; used by the writer)

EPOCH_1900 = datetime(1899, 12, 30)
EPOCH_1904 = datetime(1904, 1, 1)
_LETTERS = re.compile(r"([A-Z]+)(\d+)")
# The control characters XML 1.0 cannot carry (openpyxl strips the same set).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
# A number format shows a date when it has a date or time code outside quotes and brackets
# ([h] and the like are elapsed time, still a time); openpyxl's test, on the format's first part.
_QUOTED_OR_BRACKETED = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_DATE_CODE = re.compile(r"(?<![_\\])[dmhysDMHYS]")


def is_date_format(code: str | None) -> bool:
    if code is None:
        return False
    return _DATE_CODE.search(_QUOTED_OR_BRACKETED.sub("", code.split(";")[0])) is not None


def column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def split_ref(ref: str) -> tuple[int, int]:
    match = _LETTERS.fullmatch(ref.replace("$", ""))
    if not match:
        raise ValueError(ref)
    return int(match.group(2)), column_number(match.group(1))


_PHANTOM_DAY = datetime(1900, 3, 1)   # before it, Excel counts a 29 February 1900 that never was


def serial(value: datetime | date | time, date1904: bool = False) -> float:
    if type(value) is datetime and value.tzinfo is None and value >= _PHANTOM_DAY:   # nearly every cell
        delta = value - (EPOCH_1904 if date1904 else EPOCH_1900)
        return delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6
    if isinstance(value, time):
        return (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86400
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    delta = value - (EPOCH_1904 if date1904 else EPOCH_1900)
    if not date1904 and value < _PHANTOM_DAY:
        delta -= timedelta(days=1)   # Excel's phantom 29 February 1900
    return delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6


def number_text(value: float | int) -> str:
    if type(value) is not float:   # a float, the common case, goes straight to its text
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, int):
            return str(value)
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


_NEEDS_CLEANING = ILLEGAL_CHARACTERS_RE


def clean_text(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def escape(text: str) -> str:
    """&, < and > as XML text needs them (what xml.sax.saxutils.escape does, without the 10 ms of
    urllib that importing it costs every command)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inline_string(text: str, prefix: str = "") -> str:
    """The <is> of an inline-string cell; spaces at the ends and line breaks kept."""
    p = prefix
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() or "\n" in text else ""
    return f"<{p}is><{p}t{space}>{escape(text)}</{p}t></{p}is>"


def cell_xml(ref: str, value: object, style: int, prefix: str = "", date1904: bool = False) -> str:
    """The <c> element for `value`; None or "" keeps only the cell's style (or nothing at all),
    as openpyxl writes an empty text."""
    p = prefix
    s = f' s="{style}"' if style else ""
    kind = type(value)
    if kind is float or kind is int:   # the computed columns' hours and counts: the common case first
        if kind is float and not math.isfinite(value):
            return f'<{p}c r="{ref}"{s}/>' if style else ""
        return f'<{p}c r="{ref}"{s}><{p}v>{number_text(value)}</{p}v></{p}c>'
    if isinstance(value, (datetime, date, time)):
        return f'<{p}c r="{ref}"{s}><{p}v>{number_text(serial(value, date1904))}</{p}v></{p}c>'
    if kind is str and value:
        text = clean_text(value) if _NEEDS_CLEANING.search(value) else value
        return f'<{p}c r="{ref}"{s} t="inlineStr">{inline_string(text, p)}</{p}c>'
    if value is None or value == "":
        return f'<{p}c r="{ref}"{s}/>' if style else ""
    if isinstance(value, bool):
        return f'<{p}c r="{ref}"{s} t="b"><{p}v>{int(value)}</{p}v></{p}c>'
    if isinstance(value, numbers.Integral):   # numpy's integers, from the column-wise computations
        return cell_xml(ref, int(value), style, prefix, date1904)
    if isinstance(value, numbers.Real):   # numpy's floats: as the float they are
        return cell_xml(ref, float(value), style, prefix, date1904)
    return cell_xml(ref, str(value), style, prefix, date1904)
