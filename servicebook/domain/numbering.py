"""Record numbers: unique, never reused, never changed once given.

A number is a key (the part fixed by date, and type for one pattern) plus a serial counted per
key. The highest serial ever given per key is remembered outside the rows (`counters`), so a
deleted row's number is not given again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from servicebook.domain.problems import ERROR, Problem
from servicebook.domain.table import SheetTable
from servicebook.domain.values import as_text, is_blank, parse_time
from servicebook.text import t


@dataclass(frozen=True)
class Pattern:
    code: str
    width: int
    regex: re.Pattern[str]
    needs_type: bool = False

    def key(self, received: datetime, letter: str | None) -> str:
        if self.code == "csf_daily":
            return f"CSF{received:%Y%m%d}"
        if self.code == "cs_year_type":
            return f"CS-{received:%Y}-{letter}"
        return f"{received:%Y%m}"

    def format(self, key: str, serial: int) -> str:
        return f"{key}{serial:0{self.width}d}"

    def parse(self, number: str) -> tuple[str, int] | None:
        match = self.regex.match(number)
        return (match.group(1), int(match.group(2))) if match else None


PATTERNS: dict[str, Pattern] = {
    "csf_daily": Pattern("csf_daily", 6, re.compile(r"^(CSF\d{8})(\d{6,})$")),
    "cs_year_type": Pattern("cs_year_type", 4, re.compile(r"^(CS-\d{4}-[A-Z])(\d{4,})$"), needs_type=True),
    "monthly": Pattern("monthly", 3, re.compile(r"^(\d{6})(\d{3,})$")),
}


@dataclass
class NumberingResult:
    assigned: dict[int, str] = field(default_factory=dict)   # row index -> new number
    counters: dict[str, int] = field(default_factory=dict)   # key -> highest serial given
    problems: list[Problem] = field(default_factory=list)
    already: int = 0                                          # rows that had a number


def high_water(table: SheetTable, pattern: Pattern, remembered: Mapping[str, int]) -> dict[str, int]:
    """Highest serial per key, from the numbers in the sheet and those remembered elsewhere."""
    counters = dict(remembered)
    for value in table.column("ticket_no"):
        parsed = pattern.parse(as_text(value)) if not is_blank(value) else None
        if parsed:
            key, serial = parsed
            counters[key] = max(counters.get(key, 0), serial)
    return counters


def assign_numbers(
    table: SheetTable,
    pattern_code: str,
    type_letters: Mapping[str, str],
    remembered: Mapping[str, int],
) -> NumberingResult:
    """Numbers for the rows that have none, in order of 提交时间 (then row)."""
    pattern = PATTERNS[pattern_code]
    result = NumberingResult(counters=high_water(table, pattern, remembered))
    waiting: list[tuple[datetime, int, str]] = []
    for index, value in enumerate(table.column("ticket_no")):
        if not is_blank(value):
            result.already += 1
            continue
        if table.is_formula("ticket_no", index):
            result.problems.append(Problem(table.title, table.row_numbers[index], table.cell_name("ticket_no"), ERROR,
                                           "unnumbered", t("number.formula"), "ticket_no"))
            continue
        key = _key_for(table, index, pattern, type_letters, result.problems)
        if key is not None:
            waiting.append((parse_time(table.get("received_at", index)).value, index, key))
    for _, index, key in sorted(waiting):
        serial = result.counters.get(key, 0) + 1
        result.counters[key] = serial
        result.assigned[index] = pattern.format(key, serial)
    return result


def _key_for(table: SheetTable, index: int, pattern: Pattern, letters: Mapping[str, str],
             problems: list[Problem]) -> str | None:
    row = table.row_numbers[index]
    raw = table.get("received_at", index)
    received = parse_time(raw).value
    if received is None:
        reason = t("number.no_date") if is_blank(raw) else t("number.bad_date", value=as_text(raw))
        where = table.cell_name("received_at")
        problems.append(Problem(table.title, row, where, ERROR, "unnumbered", reason, "received_at"))
        return None
    letter = None
    if pattern.needs_type:
        word = as_text(table.get("type", index))
        letter = letters.get(word)
        if not letter:
            problems.append(Problem(table.title, row, table.cell_name("type"), ERROR, "unnumbered",
                                    t("number.no_letter", type=word or t("number.empty")), "type"))
            return None
    return pattern.key(received, letter)
