"""The workbook's tables as rows for a database: each sheet's rows keyed so that the same row
gets the same key on every run, its values typed by the column's declared type, and a digest
that says whether the row changed since the last sync.

Keys: a record by 记录编号; a care row by 关怀编号; a mail-log row by its 邮件ID; a progress entry by
记录编号 and 时间, a status change by 记录编号, 观察时间 and 状态 — with a running number where the
same key repeats in the sheet. A care row with no 关怀编号 is known by customer, 关怀日期
and 关怀事由. A row whose key cells are blank (a record not numbered yet) is left out and counted.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from servicebook.domain.table import SheetTable
from servicebook.domain.values import as_text, is_blank, parse_score, parse_time

SYNCED = ("records", "progress", "care", "status_history", "mail_log")
KEYS = {"records": ("ticket_no",), "progress": ("ticket_no", "at"), "care": ("care_no",),
        "status_history": ("ticket_no", "at", "status"), "mail_log": ("message_id",)}
# A care row the team typed itself may have no 关怀编号: it is known by customer, day and reason.
FALLBACK = {"care": ("customer_id", "care_date", "reason")}
TIMES, NUMBERS = ("datetime", "date"), ("hours",)


@dataclass(frozen=True)
class SyncRow:
    key: str
    values: dict[str, object]
    digest: str


def typed(value: object, kind: str) -> object:
    """A cell as the database column holds it: a time, a number or text; None when blank or not
    readable as the column's type (the workbook stays the record of what was typed)."""
    if is_blank(value):
        return None
    if kind in TIMES:
        moment = parse_time(value).value
        return moment.replace(microsecond=0) if moment else None
    if kind == "score":
        return parse_score(value)
    if kind in NUMBERS:
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    return as_text(value) or None


def _key_part(value: object) -> str:
    return value.isoformat(sep=" ") if isinstance(value, datetime) else as_text(value)


def sheet_rows(table: SheetTable, sheet_key: str) -> tuple[list[SyncRow], int]:
    """Every row of the sheet, keyed and typed; and how many were left out (blank key)."""
    columns = [c for c in table.definition.columns if table.has(c.key)]
    seen: Counter = Counter()
    found, skipped = [], 0
    for i in range(len(table)):
        values = {c.key: typed(table.get(c.key, i), c.type) for c in columns}
        parts = [_key_part(values.get(k)) for k in KEYS[sheet_key]]
        if not parts[0] and sheet_key in FALLBACK:
            fallback = [_key_part(values.get(k)) for k in FALLBACK[sheet_key]]
            parts = ["~", *fallback] if any(fallback) else parts
        if not parts[0]:
            skipped += 1
            continue
        key = "|".join(parts)
        seen[key] += 1
        if seen[key] > 1:
            key = f"{key}#{seen[key]}"
        digest = hashlib.sha256(repr(sorted((k, _key_part(v)) for k, v in values.items())).encode()).hexdigest()[:32]
        found.append(SyncRow(key, values, digest))
    return found, skipped
