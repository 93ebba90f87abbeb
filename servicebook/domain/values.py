"""Reading what people type into cells: dates and times, scores, phones and email addresses.

Pure functions on plain Python values (what a spreadsheet reader hands over: str, int, float,
datetime, date, time, bool or None). Nothing here changes a value; callers decide what to write.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple

from servicebook.domain.phones import mask_text, phone_cell_ok

EXCEL_EPOCH = datetime(1899, 12, 30)
# Serial numbers Excel would show as dates between 1982 and 2119: anything else is not a date.
_SERIAL_RANGE = (30000.0, 80000.0)
# Times a service record can hold; 9999-12-31 is a typing slip (or a "never"), not a deadline to
# compute from: such a cell is reported, and left out of every computation.
FIRST_YEAR, LAST_YEAR = 1900, 2199
MAX_DIGITS = 18   # longer digit strings are not scores or serials (and int() refuses past 4,300)


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# Zero-width and other format characters (and the soft hyphen): invisible in Excel, yet enough to
# make 投诉 and 投诉\u200b different words, or hide an ID number from a check.
INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def visible_text(text: str) -> str:
    """`text` without its invisible characters (fast when it has none)."""
    return text if text.isprintable() else INVISIBLE.sub("", text)


def has_invisible(text: str) -> bool:
    return not text.isprintable() and INVISIBLE.search(text) is not None


def normalize_text(value: str) -> str:
    """Full-width to half-width (NFKC) and trimmed: how people meant what they typed."""
    return unicodedata.normalize("NFKC", value).strip()


def as_text(value: object) -> str:
    """A cell value as the text a person sees: 13812345678.0 reads as 13812345678."""
    if type(value) is str:
        return (value if value.isprintable() else INVISIBLE.sub("", value)).strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # Past 15 digits Excel shows a number in scientific notation, and so do we.
        return str(int(value)) if abs(value) < 1e15 else f"{value:.15g}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


# ---------------------------------------------------------------- dates and times


class ParsedTime(NamedTuple):   # made for every date cell read: a tuple is made 3x faster than a frozen dataclass
    """A date or time read from a cell.

    `value` is None when the cell is empty or unreadable (`error` tells which). `as_text` marks a
    date typed as text rather than stored as a spreadsheet date; `date_only` a value with no time
    of day.
    """

    value: datetime | None
    as_text: bool = False
    as_number: bool = False
    date_only: bool = False
    error: bool = False
    implausible: bool = False     # a real date, but of a year no record can have (9999-12-31)


EMPTY_TIME = ParsedTime(None)
BAD_TIME = ParsedTime(None, error=True)
IMPLAUSIBLE_TIME = ParsedTime(None, error=True, implausible=True)


def plausible(value: datetime) -> bool:
    return FIRST_YEAR <= value.year <= LAST_YEAR

_DATE = r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*[日号]?"
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})(?=\D|$)")
_TIME = (
    r"(?:\s*T|\s+|\s*)(?P<ampm>上午|下午|晚上|中午|凌晨|早上)?\s*"
    r"(?P<H>\d{1,2})\s*(?:[:：时点])\s*(?P<M>\d{1,2})?\s*分?"
    r"(?:\s*[:：]?\s*(?P<S>\d{1,2})(?:\.\d+)?\s*秒?)?"
)
_DATETIME_RE = re.compile(rf"^{_DATE}(?:{_TIME})?$")


def _to_24h(hour: int, ampm: str | None) -> int:
    if ampm in ("下午", "晚上") and hour < 12:
        return hour + 12
    if ampm == "中午" and hour < 11:
        return hour + 12
    if ampm in ("凌晨", "上午", "早上") and hour == 12:
        return 0
    return hour


def _parse_text_time(text: str) -> ParsedTime:
    text = _COMPACT_DATE_RE.sub(r"\1-\2-\3", normalize_text(text))
    match = _DATETIME_RE.match(text)
    if not match:
        return BAD_TIME
    year, month, day = (int(match.group(k)) for k in ("y", "m", "d"))
    has_time = match.group("H") is not None
    hour = _to_24h(int(match.group("H")), match.group("ampm")) if has_time else 0
    minute = int(match.group("M") or 0)
    second = int(match.group("S") or 0)
    try:
        parsed = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return BAD_TIME
    if not plausible(parsed):
        return IMPLAUSIBLE_TIME
    return ParsedTime(parsed, as_text=True, date_only=not has_time)


def excel_serial_to_datetime(serial: float) -> datetime:
    # Rounded to the second: serials carry floating-point noise below that.
    return EXCEL_EPOCH + timedelta(seconds=round(serial * 86400))


def parse_time(value: object) -> ParsedTime:
    """Read a date or date-and-time the way a person meant it."""
    if isinstance(value, datetime):   # the common case first: what the reader returns for a date cell
        if not plausible(value):
            return IMPLAUSIBLE_TIME
        if value.microsecond or value.tzinfo:
            value = value.replace(tzinfo=None, microsecond=0)
        return ParsedTime(value)
    if is_blank(value):
        return EMPTY_TIME
    if isinstance(value, date):
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            return IMPLAUSIBLE_TIME
        return ParsedTime(datetime.combine(value, time()), date_only=True)
    if isinstance(value, bool):
        return BAD_TIME
    if isinstance(value, (int, float)):
        number = float(value)
        if math.isfinite(number) and _SERIAL_RANGE[0] <= number <= _SERIAL_RANGE[1]:
            parsed = excel_serial_to_datetime(number)
            return ParsedTime(parsed, as_number=True, date_only=number.is_integer())
        return BAD_TIME
    if isinstance(value, str):
        return _parse_text_time(value)
    return BAD_TIME


# ---------------------------------------------------------------- scores


def digits_only(text: str) -> bool:
    """ASCII digits, and few enough to be a number a person typed (int() refuses 4,300 digits)."""
    return 0 < len(text) <= MAX_DIGITS and text.isascii() and text.isdigit()


def parse_score(value: object) -> int | None:
    """A 1–5 satisfaction score, or None when the cell is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and math.isfinite(value) and float(value).is_integer():
        score = int(value)
    elif isinstance(value, str) and digits_only(normalize_text(value)):
        score = int(normalize_text(value))
    else:
        return None
    return score if 1 <= score <= 5 else None


# ---------------------------------------------------------------- phones


def phone_text(value: object) -> str:
    """A phone cell as text, undoing the number Excel makes of 13812345678."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
            and float(value).is_integer():
        return str(int(value))
    return normalize_text(str(value)) if value is not None else ""


def is_valid_phone(text: str) -> bool:
    """A phone column's cell: mobiles, landlines (area code first), service numbers, masked or not."""
    return phone_cell_ok(text)


def mask_phone(text: str) -> str:
    """Every phone number in `text` masked: 138****5678, 010-****5678 (service numbers kept)."""
    return mask_text(text)


def hide_middle_digits(text: str) -> str:
    """For messages about a number that is not a valid phone: its middle digits hidden all the
    same, so that 校验结果 does not spell out a customer's number either."""
    positions = [i for i, ch in enumerate(text) if ch.isdigit()]
    if len(positions) < 8:
        return text
    hidden = set(positions[-8:-4])   # the four digits before the last four, as for a mobile
    return "".join("*" if i in hidden else ch for i, ch in enumerate(text))


# ---------------------------------------------------------------- email


@dataclass(frozen=True)
class EmailCheck:
    valid: bool
    normalized: str | None = None  # what the address should read, when the text differs
    # Valid, but with a part before the @ that is not ASCII: only a server offering SMTPUTF8 takes
    # it, and no transport here does, so no email can go to it.
    unsendable: bool = False


# The shape nearly every customer's address has (ASCII letters, digits, _ + - and dots; a domain
# of letter-digit labels under an alphabetic top-level domain): settled without email_validator,
# whose full check costs ~50 µs an address. Anything else, and anything near a limit, gets the full one.
_PLAIN_EMAIL = re.compile(r"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}",
                          re.ASCII | re.IGNORECASE)
_SPECIAL_USE_TLDS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})   # RFC 6761 and kin


def plain_address(address: str) -> str | None:
    """The address as email_validator gives it (the domain in lower case) when it has the plain
    shape; None when it needs the full check."""
    if len(address) > 200 or not _PLAIN_EMAIL.fullmatch(address):
        return None
    local, domain = address.split("@")
    if len(local) > 64 or "--" in domain or domain.rsplit(".", 1)[1].lower() in _SPECIAL_USE_TLDS:
        return None
    return f"{local}@{domain.lower()}"


def _plainly_invalid(address: str) -> bool:
    """An ASCII address no check takes: not one @, or nothing dotted after it (wu73@@yun.com,
    zheng3671@163 — the commonest slips), settled without email_validator."""
    return address.isascii() and (address.count("@") != 1 or "." not in address.rpartition("@")[2])


@lru_cache(maxsize=1 << 16)   # the same customers' addresses recur on every row and every run step
def check_email(text: str) -> EmailCheck:
    stripped = text.strip()
    if plain_address(stripped) is not None:
        return EmailCheck(True)
    if _plainly_invalid(stripped):   # ASCII: its fixed form (full-width made half, spaces out) is as invalid
        return EmailCheck(False)
    return full_email_check(stripped)


def full_email_check(stripped: str) -> EmailCheck:
    """email_validator's verdict, and the address it would take instead when the typed one fails."""
    from email_validator import EmailNotValidError, validate_email  # 30 ms to import: only when needed

    try:
        result = validate_email(stripped, check_deliverability=False)
    except EmailNotValidError:
        fixed = normalize_text(stripped).replace(" ", "")
        try:
            result = validate_email(fixed, check_deliverability=False)
        except EmailNotValidError:
            return EmailCheck(False)
        return EmailCheck(False, result.normalized)
    if result.normalized != stripped and result.normalized.lower() != stripped.lower():
        return EmailCheck(False, result.normalized)
    return EmailCheck(True, unsendable=result.ascii_email is None)
