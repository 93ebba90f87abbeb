"""Telephone numbers in what people type: found wherever they are — several in one cell, inside free
text, with spaces, dashes, +86 or full-width digits — and masked so that only a person allowed to
see the number can: 138****5678 for a mobile, 010-****5678 for a landline. Service numbers
(400/800/95xxx) are the company's own and are left as they are, and nothing that is not a phone
(an order number, an amount, a date, an ID) is touched: a number runs into no letter or digit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Full-width digits and signs read as their ASCII forms, one character for one, so that positions
# in the normalised text are positions in the text as typed.
_HALF = str.maketrans("０１２３４５６７８９＋－（）　", "0123456789+-() ")
_EDGE_BEFORE = r"(?<![0-9A-Za-z_])"
_EDGE_AFTER = r"(?![0-9A-Za-z_])"
_SEP = r"[ \-]?"
MOBILE = re.compile(_EDGE_BEFORE + r"(?P<prefix>(?:\+|00)?86[ \-]?)?(?P<core>1[3-9]\d" + _SEP + r"\d{4}" + _SEP
                    + r"\d{4})" + _EDGE_AFTER)
_EXTENSION = r"(?:(?:转|ext\.?|分机)\d{1,6})"
# Area codes: 010 and 02x are three digits (with an eight-digit number), all others four.
_AREA = r"\(0[12]\d\)|0[12]\d|\(0[3-9]\d{2}\)|0[3-9]\d{2}"
LANDLINE = re.compile(_EDGE_BEFORE + r"(?P<area>" + _AREA + r")(?P<sep>[ \-]?)(?P<local>\d{3,4}[ \-]?\d{4})"
                      + _EXTENSION + "?" + _EDGE_AFTER)
SERVICE = re.compile(_EDGE_BEFORE + r"(?:[48]00" + _SEP + r"\d{3}" + _SEP + r"\d{4}|95\d{3}(?:\d{3})?)"
                     + _EDGE_AFTER)
MASKED = re.compile(r"(?:\+?86[ \-]?)?[\d()\- ]{0,8}\*{3,}[\d\- ]{2,6}" + _EXTENSION + "?")
_DIGITS = re.compile(r"\d+")

KEEP_AREA, LAST_FOUR = "keep_area", "last_four"   # how a landline is masked (设置 → 固定电话脱敏)


@dataclass(frozen=True)
class Phone:
    start: int
    end: int
    kind: str          # mobile, landline
    number: str        # as typed
    masked: str        # as shown


def _mask_digits(text: str, keep_first: int, keep_last: int) -> str:
    """Hide every digit of `text` but the first `keep_first` and the last `keep_last`, keeping the
    layout (spaces, dashes, brackets) as typed."""
    positions = [i for i, ch in enumerate(text) if ch.isdigit()]
    hidden = set(positions[keep_first:len(positions) - keep_last])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(text))


def _mobile(match: re.Match, original: str) -> Phone:
    start, end = match.span()
    core_start = match.start("core")
    prefix, core = original[start:core_start], original[core_start:end]
    return Phone(start, end, "mobile", original[start:end], prefix + _mask_digits(core, 3, 4))


def _landline(match: re.Match, original: str, rule: str) -> Phone:
    start, end = match.span()
    local_start, local_end = match.span("local")
    head = original[start:local_start]
    if rule == LAST_FOUR:
        head = _mask_digits(head, 0, 0)
    local = original[local_start:local_end]
    return Phone(start, end, "landline", original[start:end],
                 head + _mask_digits(local, 0, 4) + original[local_end:end])


@lru_cache(maxsize=1 << 16)   # a customer's text recurs on each of their records
def find_phones(text: str, rule: str = KEEP_AREA) -> tuple[Phone, ...]:
    """Every mobile and landline number in `text`, in order (service numbers are not phones to hide)."""
    if not text or not any(ch.isdigit() for ch in text):
        return ()
    normal = text.translate(_HALF)
    taken: list[tuple[int, int]] = [m.span() for m in SERVICE.finditer(normal)]
    found: list[Phone] = []

    def free(span: tuple[int, int]) -> bool:
        return all(span[1] <= a or span[0] >= b for a, b in taken)

    for match in MOBILE.finditer(normal):
        if free(match.span()):
            found.append(_mobile(match, text))
            taken.append(match.span())
    for match in LANDLINE.finditer(normal):
        if free(match.span()):
            found.append(_landline(match, text, rule))
            taken.append(match.span())
    return tuple(sorted(found, key=lambda p: p.start))


def mask_text(text: str, rule: str = KEEP_AREA) -> str:
    """`text` with every phone number in it masked (unchanged when it holds none)."""
    return masked_with(text, find_phones(text, rule))


def masked_with(text: str, phones: tuple[Phone, ...]) -> str:
    """`text` with these phones, found in it, masked."""
    if not phones:
        return text
    out, last = [], 0
    for phone in phones:
        out += [text[last:phone.start], phone.masked]
        last = phone.end
    out.append(text[last:])
    return "".join(out)


def is_masked(text: str) -> bool:
    return bool(MASKED.search(text.translate(_HALF)))


def phone_cell_ok(text: str) -> bool:
    """Whether a phone column's cell holds only phone numbers (masked or not, service numbers,
    labels like 手机/座机 and separators): no digits left over that could be a mistyped number."""
    normal = text.translate(_HALF)
    rest = normal
    for pattern in (MASKED, SERVICE, MOBILE, LANDLINE):
        rest = pattern.sub(" ", rest)
    has_number = rest != normal
    return has_number and not _DIGITS.search(rest)
