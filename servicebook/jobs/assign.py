"""`servicebook assign`: a 受理人 for every open record that has none."""

from __future__ import annotations

from dataclasses import dataclass, field

from servicebook.domain.assignment import AssignmentResult, assign, assignment_note, read_roster, read_rules
from servicebook.domain.values import as_text
from servicebook.edits import Edits, write_column
from servicebook.errors import CannotRun
from servicebook.jobs.session import Session
from servicebook.text import t


@dataclass
class AssignReport:
    result: AssignmentResult
    lines: list[dict] = field(default_factory=list)
    unassigned_rows: list[tuple[int, str]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.result.unassigned)

    def as_json(self) -> dict:
        return {"assigned": self.lines, "unassigned": [{"row": r, "reason": why} for r, why in self.unassigned_rows],
                "open_cases": self.result.loads}


def assignment_edits(session: Session, edits: Edits) -> AssignReport:
    table, book = session.records(), session.book
    agents = read_roster(book.table("roster"), book.vocab)
    if not agents:
        raise CannotRun(t("assign.no_roster"))
    result = assign(table, agents, read_rules(session.settings), book.vocab)
    report = AssignReport(result, unassigned_rows=[(table.row_numbers[i], why) for i, why in result.unassigned])
    if not result.assignments:
        return report
    when = session.now.strftime("%Y-%m-%d %H:%M")
    notes = list(table.column("assigned_by_tool"))
    for item in result.assignments:
        notes[item.index] = assignment_note(item, when)
        report.lines.append({"row": table.row_numbers[item.index],
                             "ticket": as_text(table.get("ticket_no", item.index)),
                             "type": as_text(table.get("type", item.index)),
                             "priority": as_text(table.get("priority", item.index)),
                             "vip": as_text(table.get("tier", item.index)) == book.vocab.word("tier", "vip"),
                             "agent": item.agent.label, "department": item.department, "reason": item.reason})
    _write_changed(edits, table, "assignee", {a.index: a.agent.label for a in result.assignments})
    _write_changed(edits, table, "department", {a.index: a.department for a in result.assignments if a.department})
    write_column(edits, table, "assigned_by_tool", notes)
    return report


def _write_changed(edits: Edits, table, key: str, values: dict[int, str]) -> None:
    """Write only the cells the tool fills; a person's cells are never rewritten."""
    if not values:
        return
    col = edits.column_for(table, key)
    sheet = edits.sheet(table.title, table.headers.row)
    for index, value in values.items():
        sheet.set(table.row_numbers[index], col, value)


def assign_records(session: Session) -> AssignReport:
    return session.apply(assignment_edits)
