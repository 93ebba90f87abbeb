"""The state beside the workbook (number counters, the mail ledger) when it is damaged: set aside,
and rebuilt from what the workbook itself remembers — the 编号记录 sheet and the 邮件日志 sheet —
so that nothing is numbered or sent a second time."""

from __future__ import annotations

from servicebook.domain.book import Book
from servicebook.domain.delivery import SENDING, UNKNOWN
from servicebook.domain.mail_rules import TEMPLATES, template_label
from servicebook.domain.values import as_text, parse_time
from servicebook.mail.ledger import Entry, Ledger, stamp
from servicebook.mail.message import identity_of
from servicebook.sidecar import Sidecar
from servicebook.text import t


def mail_log_entries(book: Book) -> list[Entry]:
    """The ledger entries the 邮件日志 sheet shows (their identity is in the Message-ID)."""
    table = book.table("mail_log")
    if table is None or not table.headers.found:
        return []
    templates = {template_label(key): key for key in TEMPLATES}
    states = {word: code for code, word in book.definition.lists["mail_result"].values.items()}
    transports = {label: code for code, label in book.definition.settings.transports().items()}
    entries = []
    for i in range(len(table)):
        row = table.row(i)
        identity = identity_of(as_text(row.get("message_id")))
        if not identity:
            continue
        state = states.get(as_text(row.get("result")), UNKNOWN)
        when = parse_time(row.get("at")).value
        entries.append(Entry(identity, as_text(row.get("ticket_no")),
                             templates.get(as_text(row.get("template")), as_text(row.get("template"))),
                             as_text(row.get("recipient")), "", as_text(row.get("subject")),
                             transports.get(as_text(row.get("transport")), as_text(row.get("transport"))),
                             as_text(row.get("message_id")), UNKNOWN if state == SENDING else state,
                             as_text(row.get("reason")), 1, stamp(when) if when else ""))
    return entries


def restore_if_damaged(book: Book, sidecar: Sidecar) -> str | None:
    """Check the state database; when it cannot be read, set it aside, rebuild it from the
    workbook and return the warning to show (None when all was well)."""
    damaged = sidecar.set_aside_if_damaged()
    if damaged is None:
        return None
    sidecar.raise_counters(book.counters)
    with Ledger(sidecar) as ledger:
        restored = ledger.restore(mail_log_entries(book))
    return t("state.rebuilt", damaged=damaged.name, counters=len(book.counters), mails=restored)
