"""`servicebook care`: add the planned care to 客户关怀, numbered, and colour what is overdue."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from servicebook.domain.care import CareSettings, PlannedCare, plan_care, read_care_settings
from servicebook.domain.table import SheetTable, column_letter
from servicebook.domain.values import as_text, mask_phone, parse_time, phone_text
from servicebook.edits import Edits, Highlight, NewSheet
from servicebook.errors import CannotRun
from servicebook.jobs.session import Session
from servicebook.text import t

DATE = "yyyy-mm-dd"
PREFIX = "GH"   # 关怀编号: GH + YYYYMM + a serial per month (source 003's 年份+月份+流水号)
NUMBER = re.compile(rf"^({PREFIX}\d{{6}})(\d{{3,9}})$")


@dataclass
class CareReport:
    planned: list[PlannedCare] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    overdue: int = 0
    table: SheetTable | None = None     # 客户关怀 with the planned rows: what later steps (mail) read

    def as_json(self) -> dict:
        return {"planned": [{"care_no": n, "customer_id": p.customer_id, "reason": p.reason, "plan_key": p.plan_key,
                             "care_date": p.care_date.isoformat(), "due": p.due.isoformat(), "method": p.method}
                            for n, p in zip(self.numbers, self.planned, strict=True)],
                "overdue": self.overdue}


def care_settings(session: Session) -> CareSettings:
    table = session.definition.settings.table("festivals")
    settings, problems = read_care_settings(session.settings, {c.key: c.header for c in table.columns})
    if problems:
        raise CannotRun(t("open.bad_settings"), [p.describe() for p in problems])
    return settings


def _numbers(planned: list[PlannedCare], session: Session, edits: Edits) -> list[str]:
    counters = dict(session.book.counters)
    for key, serial in session.sidecar.counters().items():
        counters[key] = max(counters.get(key, 0), serial)
    care = session.book.table("care")
    for value in care.column("care_no") if care is not None else ():
        # A number a person typed (GH202509001) is taken: never handed out again.
        if found := NUMBER.match(as_text(value)):
            counters[found.group(1)] = max(counters.get(found.group(1), 0), int(found.group(2)))
    numbers, raised = [], {}
    for item in planned:
        prefix = f"{PREFIX}{item.care_date:%Y%m}"
        serial = max(counters.get(prefix, 0), raised.get(prefix, 0)) + 1
        raised[prefix] = serial
        numbers.append(f"{prefix}{serial:03d}")
    if raised:
        session.sidecar.raise_counters(raised)   # before the workbook is written: never given twice
        edits.raise_counters(raised)
    return numbers


def _append(session: Session, edits: Edits, planned: list[PlannedCare], numbers: list[str]) -> SheetTable | None:
    """Write the planned rows under the sheet's last row; returns the table with them (a new one)."""
    book = session.book
    table = book.table("care")
    definition = book.definition.sheet("care")
    if table is None:
        edits.new_sheets.append(NewSheet(definition.name, "care"))
        columns = {c.key: i for i, c in enumerate(definition.template_columns, start=1)}
        title, next_row = definition.name, 2
    else:
        columns = {c.key: edits.column_for(table, c.key) for c in definition.columns
                   if table.has(c.key) or c.key == "plan_key"}
        title, next_row = table.title, edits.rows_for(table, len(planned))
    sheet = edits.sheet(title, table.headers.row if table else 1)
    todo = book.vocab.word("care_status", "todo")
    added: list[dict] = []
    for item, number in zip(planned, numbers, strict=True):
        phone = mask_phone(phone_text(item.phone)) if item.phone else None
        added.append({"care_no": number, "customer_id": item.customer_id, "customer_name": item.customer_name,
                      "phone": phone, "industry": item.industry or None, "care_date": item.care_date,
                      "reason": item.reason, "method": item.method, "status": todo, "owner": item.owner or None,
                      "due": item.due, "plan_key": item.plan_key})
    if added:
        sheet.set_rows(next_row, {columns[key]: [row[key] for row in added] for key in added[0] if key in columns})
        for key in ("care_date", "due"):
            if key in columns:
                sheet.formats[columns[key]] = DATE
    if table is None:
        return None
    return table.with_rows([next_row + offset for offset in range(len(added))], added)


def overdue_rules(table: SheetTable, edits: Edits, vocab) -> list[Highlight]:
    """Planned care past its 预计完成 turns red, due today amber — by TODAY(), with no Python running."""
    status, due = table.column_index("status"), table.column_index("due")
    if not status or not due or not len(table):
        return []
    first, last = table.headers.row + 1, table.last_row
    open_ = f'OR(${column_letter(status)}{first}="{vocab.word("care_status", "todo")}",' \
            f'${column_letter(status)}{first}="{vocab.word("care_status", "doing")}")'
    cell = f"${column_letter(due)}{first}"
    area = f"A{first}:{column_letter(max(table.headers.last_column, due))}{last}"
    return [Highlight(area, f'AND({open_},{cell}<>"",{cell}<TODAY())', "breach", stop=True),
            Highlight(area, f'AND({open_},{cell}=TODAY())', "risk", stop=True)]


def care_edits(session: Session, edits: Edits) -> CareReport:
    book = session.book
    customers = book.table("customers")
    report = CareReport()
    if customers is None or not len(customers):
        return report
    today = session.now.date()
    planned = plan_care(customers, book.table("records"), book.table("care"), care_settings(session), book.vocab,
                        today)
    report.planned = planned
    report.numbers = _numbers(planned, session, edits) if planned else []
    table = _append(session, edits, planned, report.numbers) if planned else book.table("care")
    if table is not None and table.headers.found:
        vocab = book.vocab
        open_words = {vocab.word("care_status", "todo"), vocab.word("care_status", "doing")}
        report.overdue = sum(1 for i in range(len(table)) if as_text(table.get("status", i)) in open_words
                             and (due := parse_time(table.get("due", i)).value) and due.date() < today)
        edits.sheet(table.title, table.headers.row).highlights["care"] = overdue_rules(table, edits, vocab)
    report.table = table
    return report


def care(session: Session) -> CareReport:
    return session.apply(care_edits)
