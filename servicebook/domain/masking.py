"""Masking: every phone number in the team's sheets is shown masked; before it is, the real number
is handed over (as a Secret) for the vault beside the workbook, so that a person allowed to call
back can still see it. The only change the tool makes to cells a person typed.

A phone column's cell is masked only when it holds phone numbers and nothing that looks like a
mistyped one: a malformed number stays as typed, flagged by validation until it is corrected.
Free text (问题描述, 备注, …) has the numbers inside it masked where they stand.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import NamedTuple

from servicebook.definition import ColumnDef
from servicebook.domain.book import Book
from servicebook.domain.phones import KEEP_AREA, Phone, find_phones, masked_with, phone_cell_ok
from servicebook.domain.table import SheetTable
from servicebook.domain.values import as_text, is_blank, phone_text, visible_text

# Text columns people write contacts into, besides free text (longtext) and phone columns.
CONTACT_TEXT = {"customer_name", "contact", "what", "when", "where", "who", "why", "how", "tags", "delay_reason",
                "reassign_reason"}
# What names a row in the vault, per sheet: the number a person looks it up by.
ROW_KEYS = {"records": ("ticket_no",), "progress": ("ticket_no", "at"), "customers": ("customer_id",),
            "care": ("care_no", "customer_id")}
_DIGIT = re.compile(r"\d")   # what every phone pattern is made of (a text without one holds no phone)
MAX_REWRITE = 32_766   # a longer text may have been cut short on reading: never written back


# Tuples, not frozen dataclasses: a first run makes one of each for every phone (150,000 at 100,000
# records), and a frozen dataclass's __init__ costs three times a tuple's (0.22 s there).
class Secret(NamedTuple):
    """A real number, before it is masked: what the vault keeps, and how it is found again."""

    sheet: str
    row_key: str
    column: str
    masked: str
    number: str


class MaskChange(NamedTuple):
    table: SheetTable
    index: int
    key: str
    text: str
    phone_column: bool
    phones: tuple[Phone, ...]   # the numbers in the cell, as found before it is masked


@dataclass
class MaskPlan:
    changes: list[MaskChange] = field(default_factory=list)

    @property
    def numbers(self) -> int:
        return sum(len(change.phones) for change in self.changes)

    @cached_property
    def secrets(self) -> list[Secret]:
        """The real numbers for the vault, made when first asked: with no vault key set up nothing
        keeps them, and naming each one's row costs more than finding it (0.4 s at 100,000
        records)."""
        return [secret for change in self.changes for secret in _secrets_of(change)]


def _secrets_of(change: MaskChange) -> list[Secret]:
    table, key = change.table, row_key(change.table, change.index)
    return [Secret(table.title, key, table.header(change.key), phone.masked, phone.number) for phone in change.phones]


def masked_columns(table: SheetTable) -> list[ColumnDef]:
    return [c for c in table.definition.columns if table.has(c.key) and not c.computed
            and (c.type in ("phone", "longtext") or (c.type == "text" and c.key in CONTACT_TEXT))]


def row_key(table: SheetTable, index: int) -> str:
    parts = [as_text(table.get(k, index)) for k in ROW_KEYS.get(table.definition.key, ())]
    if parts and parts[0]:
        return "@".join(p for p in parts if p)
    return f"{table.title}!{table.row_numbers[index]}"


def _outcome(col: ColumnDef, value: object, rule: str) -> tuple[str, tuple[Phone, ...]] | None:
    """A cell's masked text and the phones in it; None when the cell stays as it is."""
    phone_column = col.type == "phone"
    text = visible_text(phone_text(value)) if phone_column else value
    if not isinstance(text, str) or len(text) > MAX_REWRITE:
        return None
    found = _masking(text, rule, phone_column)
    if found is None:
        return None
    masked, _phones = found
    if masked != value or (phone_column and not isinstance(value, str)):
        return found
    return None


@lru_cache(maxsize=1 << 17)   # a customer's number recurs on every record of theirs, run after run
def _masking(text: str, rule: str, phone_column: bool) -> tuple[str, tuple[Phone, ...]] | None:
    """The text masked and the phones found in it; None for a phone cell left as typed (malformed:
    flagged until corrected — masking it would lose the digits)."""
    if phone_column and not phone_cell_ok(text):
        return None
    phones = find_phones(text, rule)
    return masked_with(text, phones), phones


def plan_masking(book: Book, rule: str = KEEP_AREA) -> MaskPlan:
    """Every phone number to mask in every sheet the tool reads, and the secrets to keep first."""
    plan = MaskPlan()
    for table in book.tables.values():
        if not table.headers.found:
            continue
        for col in masked_columns(table):
            candidates, phone_column = _candidates(table, col), col.type == "phone"
            changing = _changing(col, [value for _, value in candidates], rule)
            if changing:
                for index, value in candidates:
                    if (found := changing.get(_key(value))) is not None:
                        masked, phones = found
                        plan.changes.append(MaskChange(table, index, col.key, masked, phone_column, phones))
    return plan


def _key(value: object) -> object:
    """A cell value as a key that keeps its type (a number and its text are masked differently);
    text, the common case, keys itself."""
    return value if value.__class__ is str else (value.__class__, value)


def _changing(col: ColumnDef, values: list[object], rule: str) -> dict[object, tuple[str, tuple[Phone, ...]]]:
    """The masked text and phones of each distinct value that changes: a customer's number recurs on
    every record of theirs, and after the first run nearly every value is masked already."""
    distinct = dict(zip(map(_key, values), values, strict=True))
    outcomes = {key: _outcome(col, value, rule) for key, value in distinct.items()}
    return {key: found for key, found in outcomes.items() if found is not None}


def _with_digit(values: list[object]) -> list[int]:
    """The indexes of the texts with a digit in them: one search over the column's texts joined (a
    column of names finds none at once), each digit found placed by the texts' starts."""
    try:
        joined = "\n".join(values)   # a column of texts, the common case (an empty cell reads as "")
    except TypeError:
        values = [v if v.__class__ is str else "" for v in values]
        joined = "\n".join(values)
    digit = _DIGIT.search(joined)
    if digit is None:
        return []
    starts = list(itertools.accumulate(map(operator.add, map(len, values), itertools.repeat(1)), initial=0))
    found: list[int] = []
    while digit is not None and len(found) < len(values):   # each text once at most: a slip cannot loop
        index = bisect.bisect_right(starts, digit.start()) - 1
        found.append(index)
        digit = _DIGIT.search(joined, starts[index + 1])   # the next text: one digit is enough
    return found


def _candidates(table: SheetTable, col: ColumnDef) -> list[tuple[int, object]]:
    """The cells of a column that may hold a phone: not blank, not a formula's (the team's, not
    ours), and — outside a phone column — a text with a digit in it."""
    values = table.column(col.key)
    if col.type == "phone":
        found = [(i, v) for i, v in enumerate(values) if not is_blank(v)]
    else:   # most free text holds no digit at all (and a phone is digits): found at C speed
        found = [(i, values[i]) for i in _with_digit(values)]
    return [(i, v) for i, v in found if not table.is_formula(col.key, i)] if table.formulas else found
