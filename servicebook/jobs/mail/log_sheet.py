"""What the workbook shows of the ledger: the 邮件日志 sheet, and the care rows a care email
completed. Both are brought up to date from the ledger on every mail step, so a workbook that
could not be saved after the emails went out is mended by the next run."""

from __future__ import annotations

from datetime import datetime

from servicebook.domain.delivery import DRAFT, SENT
from servicebook.domain.mail_rules import template_label
from servicebook.domain.values import as_text
from servicebook.edits import Edits, NewSheet
from servicebook.jobs.session import Session
from servicebook.mail.ledger import Entry
from servicebook.text import t

DATETIME, DATE = "yyyy-mm-dd hh:mm", "yyyy-mm-dd"


def log_edits(session: Session, entries: dict[str, Entry], edits: Edits) -> None:
    """Bring the 邮件日志 sheet up to date with the ledger: new rows, and changed results."""
    book, vocab = session.book, session.book.vocab
    ordered = sorted(entries.values(), key=lambda e: (e.updated_at, e.identity))
    if not ordered:
        return
    table = book.table("mail_log")
    labels = session.definition.settings.transports()
    if table is None or not table.headers.found:
        title = book.definition.sheet("mail_log").name if table is None else table.title
        if table is None:
            edits.new_sheets.append(NewSheet(title, "mail_log"))
        columns = {c.key: i for i, c in enumerate(book.definition.sheet("mail_log").columns, start=1)}
        existing, next_row = {}, 2
    else:
        title = table.title
        columns = table.headers.columns
        existing = {as_text(table.get("message_id", i)): (table.row_numbers[i], as_text(table.get("result", i)))
                    for i in range(len(table))}
        added = sum(1 for entry in ordered if entry.message_id not in existing)
        next_row = edits.rows_for(table, added) if added else 0
    sheet = edits.sheet(title)
    for entry in ordered:
        result = vocab.word("mail_result", entry.state)
        found = existing.get(entry.message_id)
        if found and found[1] == result:
            continue
        row = found[0] if found else next_row
        next_row += 0 if found else 1
        values = {"at": datetime.fromisoformat(entry.updated_at), "ticket_no": entry.ticket,
                  "template": template_label(entry.template), "recipient": entry.recipient,
                  "subject": entry.subject, "transport": labels.get(entry.transport, entry.transport),
                  "message_id": entry.message_id, "result": result, "reason": entry.detail or None}
        for key, value in values.items():
            if key in columns:
                sheet.set(row, columns[key], value)
        if "at" in columns:
            sheet.formats[columns["at"]] = DATETIME


def care_edits(session: Session, entries: dict[str, Entry], edits: Edits) -> None:
    """A care email that went out is the care itself: its row says so (a draft: under way)."""
    care, vocab = session.book.table("care"), session.book.vocab
    if care is None or not care.headers.found:
        return
    outcome: dict[str, tuple[str, str, str]] = {}   # 关怀编号 -> (state, subject, when)
    for entry in entries.values():
        if entry.template == "care" and entry.state in (SENT, DRAFT):
            best = outcome.get(entry.ticket)
            if best is None or (best[0] != SENT and entry.state == SENT):
                outcome[entry.ticket] = (entry.state, entry.subject, entry.updated_at)
    if not outcome:
        return
    todo, doing = vocab.word("care_status", "todo"), vocab.word("care_status", "doing")
    sheet = edits.sheet(care.title, care.headers.row)
    for i in range(len(care)):
        found = outcome.get(as_text(care.get("care_no", i)))
        status = as_text(care.get("status", i))
        if not found or status not in (todo, doing):
            continue
        done = found[0] == SENT
        if status == doing and not done:
            continue
        values = {"status": vocab.word("care_status", "solved" if done else "doing"),
                  "summary": t("care.mail_sent" if done else "care.mail_draft", subject=found[1]),
                  "done": datetime.fromisoformat(found[2]).date() if done else None}
        for key, value in values.items():
            col = care.column_index(key)
            if col and value is not None:
                sheet.set(care.row_numbers[i], col, value)
                if key == "done":
                    sheet.formats[col] = DATE
