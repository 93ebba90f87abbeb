"""Which rows an archive moves, and how the rows that stay close up.

A record moves when it is closed (已关闭) and its 关闭时间 is before the date; its 进度跟踪 entries
and 状态历史 rows go with it. Each moves into the archive of the year it was closed in. The rows
that stay are written up into the freed places in their order, so the sheet keeps no gaps; the
rows left over at the bottom are emptied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from servicebook.domain.numbering import PATTERNS
from servicebook.domain.settings import Vocabulary
from servicebook.domain.table import SheetTable
from servicebook.domain.values import as_text, parse_time


@dataclass(frozen=True)
class Moving:
    years: dict[int, list[int]]        # year closed -> indices of the records table
    tickets: dict[str, int]            # record number -> the year it goes to


def closed_before(records: SheetTable, vocab: Vocabulary, before: date) -> Moving:
    closed = vocab.word("status", "closed")
    years: dict[int, list[int]] = {}
    tickets: dict[str, int] = {}
    for i in range(len(records)):
        if vocab.standard("status", as_text(records.get("status", i))) != closed:
            continue
        when = parse_time(records.get("closed_at", i)).value
        if when is None or when.date() >= before:
            continue
        years.setdefault(when.year, []).append(i)
        if ticket := as_text(records.get("ticket_no", i)):
            tickets[ticket] = when.year
    return Moving(years, tickets)


def following(table: SheetTable | None, tickets: dict[str, int]) -> dict[int, list[int]]:
    """The rows of 进度跟踪 or 状态历史 that go with the moving records, by the year they go to."""
    found: dict[int, list[int]] = {}
    if table is None or not table.has("ticket_no"):
        return found
    for i in range(len(table)):
        year = tickets.get(as_text(table.get("ticket_no", i)))
        if year is not None:
            found.setdefault(year, []).append(i)
    return found


def close_up(row_numbers: list[int], moving: set[int]) -> tuple[dict[int, int], list[int]]:
    """(target row -> the index whose values it takes, rows to empty): the rows that stay move up
    into the first places, in their order; only rows whose content changes are named."""
    kept = [i for i in range(len(row_numbers)) if i not in moving]
    moves = {row_numbers[place]: index for place, index in enumerate(kept) if index != place}
    return moves, row_numbers[len(kept):]


def counters_of(numbers: list[str]) -> dict[str, int]:
    """The serials the numbers used, in every numbering pattern: what must never be given again."""
    found: dict[str, int] = {}
    for number in numbers:
        for pattern in PATTERNS.values():
            if parsed := pattern.parse(number):
                found[parsed[0]] = max(found.get(parsed[0], 0), parsed[1])
    return found
