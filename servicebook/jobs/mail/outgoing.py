"""Which emails are due now and not produced before: the rules' plan, less what the ledger (or,
when the ledger was lost, the 邮件日志 sheet) says went out already."""

from __future__ import annotations

from dataclasses import dataclass, field

from servicebook.domain.delivery import FINAL, MAX_ATTEMPTS
from servicebook.domain.mail_rules import Planned, plan_messages, read_mail_rules, template_label
from servicebook.domain.problems import Problem
from servicebook.domain.values import as_text
from servicebook.jobs import sla as sla_job
from servicebook.jobs.session import Session
from servicebook.mail.ledger import Entry, Ledger
from servicebook.mail.message import message_id


class History:
    """What the ledger and the 邮件日志 sheet say was produced already."""

    def __init__(self, session: Session, entries: dict[str, Entry]):
        self.entries = entries
        self.sheet: dict[str, tuple[int, str, str, str]] = {}   # message id -> (row, result, ticket, template)
        table = session.book.table("mail_log")
        if table is not None and table.headers.found:
            for i in range(len(table)):
                row = table.row(i)
                msgid = as_text(row.get("message_id"))
                if msgid:
                    self.sheet[msgid] = (table.row_numbers[i], as_text(row.get("result")),
                                         as_text(row.get("ticket_no")), as_text(row.get("template")))
        self.failed_word = session.book.vocab.word("mail_result", "failed")
        self.sender = as_text(session.settings["mail_from"])
        self._final = {(e.ticket, e.template) for e in entries.values() if e.state in FINAL}

    def produced(self, planned: Planned) -> bool:
        entry = self.entries.get(planned.identity)
        if entry and (entry.state in FINAL or entry.attempts >= MAX_ATTEMPTS):
            return True
        in_sheet = self.sheet.get(message_id(planned.identity, self.sender))
        return bool(in_sheet and in_sheet[1] != self.failed_word and not entry)

    def sent_before(self, ticket: str, template: str) -> bool:
        if (ticket, template) in self._final:
            return True
        label = template_label(template)
        return any(r[2] == ticket and r[3] == label and r[1] != self.failed_word for r in self.sheet.values())


@dataclass
class Outgoing:
    """The emails to hand over now, in the order they go out."""

    waiting: list[Planned] = field(default_factory=list)
    already: int = 0
    problems: list[Problem] = field(default_factory=list)


def plan_outgoing(session: Session, ledger: Ledger, sla: sla_job.Computed | None = None) -> Outgoing:
    """`sla`: the run's SLA when an earlier step computed it (else it is computed here)."""
    table = session.records()
    computed = sla or sla_job.compute(session)
    history = History(session, ledger.entries())
    book = session.book
    planned, problems = plan_messages(table, book.table("customers"), book.table("roster"), book.table("progress"),
                                      computed.result, read_mail_rules(session.settings), book.vocab, session.now,
                                      history.sent_before, book.table("care"))
    waiting = [p for p in planned if not history.produced(p)]
    return Outgoing(waiting, len(planned) - len(waiting), problems)
