"""`servicebook number`: give each record without a 记录编号 its number, and remember the counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from servicebook.definition import definition
from servicebook.domain.numbering import NumberingResult, assign_numbers
from servicebook.domain.problems import Problem
from servicebook.domain.values import as_text
from servicebook.edits import Edits
from servicebook.jobs.session import Session
from servicebook.xlsx.read import load_book


@dataclass
class NumberReport:
    result: NumberingResult
    numbered: list[tuple[int, str]] = field(default_factory=list)   # (row, number)

    @property
    def problems(self) -> list[Problem]:
        return self.result.problems

    @property
    def failed(self) -> bool:
        return bool(self.result.problems)

    def as_json(self) -> dict:
        return {
            "numbered": [{"row": r, "ticket_no": n} for r, n in self.numbered],
            "already_numbered": self.result.already,
            "problems": [p.as_dict() for p in self.problems],
        }


def numbering_edits(session: Session, edits: Edits) -> NumberReport:
    table = session.records()
    letters = {as_text(r["type"]): as_text(r["letter"]) for r in session.settings.table("type_letters")
               if r.get("type") and r.get("letter")}
    remembered = dict(session.book.counters)
    for key, serial in session.sidecar.counters().items():
        remembered[key] = max(remembered.get(key, 0), serial)
    result = assign_numbers(table, session.settings["numbering_pattern"], letters, remembered)
    report = NumberReport(result)
    if result.assigned:
        col = edits.column_for(table, "ticket_no")
        sheet = edits.sheet(table.title, table.headers.row)
        sheet.formats[col] = "@"
        for index, number in sorted(result.assigned.items()):
            sheet.set(table.row_numbers[index], col, number)
            report.numbered.append((table.row_numbers[index], number))
        edits.raise_counters(result.counters)
    if result.assigned and session.writer is not None:
        # Remember the serials before the workbook is written: a failed save then burns numbers,
        # it never gives one twice. A session that only reads writes no number: it burns none.
        session.sidecar.raise_counters(result.counters)
    return report


def number(session: Session) -> NumberReport:
    return session.apply(numbering_edits)


def saved_with_numbers(path: Path, numbers: set[str]) -> bool:
    """Whether the file on disk holds every record number given (what Excel's save must have
    written before an email naming one of them may go out)."""
    if not numbers:
        return True
    records = load_book(path, definition()).table("records")
    return records is not None and numbers <= {as_text(v) for v in records.column("ticket_no")}
