"""Which emails are due now and not produced before: the rules' plan, less what the ledger (or,
when the ledger was lost, the 邮件日志 sheet) says went out already, the team's items grouped
into digests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from servicebook.domain.delivery import FINAL, MAX_ATTEMPTS
from servicebook.domain.digests import group_digests
from servicebook.domain.mail_plan import plan_messages
from servicebook.domain.mail_rules import (
    CUSTOMER_TEMPLATES,
    DIGEST_OF,
    MAIL,
    ROBOT,
    TEMPLATES,
    MailRules,
    Planned,
    read_mail_rules,
    template_label,
)
from servicebook.domain.problems import WARNING, Problem
from servicebook.domain.values import as_text, parse_time
from servicebook.jobs import sla as sla_job
from servicebook.jobs.session import Session
from servicebook.mail.intake_log import IntakeLog
from servicebook.mail.ledger import Entry, Ledger
from servicebook.mail.message import identity_of
from servicebook.mail.transports import ROBOTS, transport_module
from servicebook.text import t

TICKETS = "、"   # how a digest's record numbers are joined in the ledger and 邮件日志


class History:
    """What the ledger and the 邮件日志 sheet say was produced already."""

    def __init__(self, session: Session, entries: dict[str, Entry], covered: dict[str, list[str]],
                 rules: MailRules):
        self.entries, self.covered, self.rules = entries, covered, rules
        self.failed = session.book.vocab.word("mail_result", "failed")
        keys = {template_label(k): k for k in TEMPLATES}
        self.sheet: dict[str, str] = {}   # identity -> result, as the 邮件日志 sheet shows it
        self._sent = {(e.ticket, e.template) for e in entries.values() if e.state in FINAL}
        table = session.book.table("mail_log")
        for row in (table.row(i) for i in range(len(table))) if table is not None and table.headers.found else ():
            result = as_text(row.get("result"))
            if identity := identity_of(as_text(row.get("message_id"))):
                self.sheet[identity] = result
            if result != self.failed and (key := keys.get(as_text(row.get("template")))):
                self._sent.add((as_text(row.get("ticket_no")), key))
        self._restored = self._restored_digests(session.now.date())

    def _restored_digests(self, today: date) -> set[tuple[str, str, str]]:
        """(record, digest template, channel) of digests known only from 邮件日志 (the ledger was
        rebuilt from it, and what each digest listed was lost with the ledger)."""
        listed = {d for digests in self.covered.values() for d in digests}
        found = set()
        for entry in self.entries.values():
            if entry.template not in DIGEST_OF.values() or entry.identity in listed or entry.state not in FINAL:
                continue
            at = parse_time(entry.updated_at).value
            if self.rules.repeat_daily and (at is None or at.date() != today):
                continue
            channel = ROBOT if entry.transport in ROBOTS else MAIL
            found |= {(ticket, entry.template, channel) for ticket in entry.ticket.split(TICKETS)}
        return found

    def _final(self, identity: str) -> bool:
        entry = self.entries.get(identity)
        return bool(entry and (entry.state in FINAL or entry.attempts >= MAX_ATTEMPTS))

    def produced(self, planned: Planned) -> bool:
        if self._final(planned.identity) or any(self._final(d) for d in self.covered.get(planned.identity, ())):
            return True
        if planned.template in DIGEST_OF and \
                (planned.ticket, DIGEST_OF[planned.template], planned.channel) in self._restored:
            return True
        result = self.sheet.get(planned.identity)
        return result is not None and result != self.failed and planned.identity not in self.entries

    def sent_before(self, ticket: str, template: str) -> bool:
        return (ticket, template) in self._sent


@dataclass
class Outgoing:
    """The emails to hand over now, in the order they go out."""

    waiting: list[Planned] = field(default_factory=list)
    already: int = 0
    problems: list[Problem] = field(default_factory=list)
    held: list[Problem] = field(default_factory=list)      # rows whose email is held back, and why
    late_skipped: int = 0


def _hold_bounced(session: Session, table, due: list[Planned], held: list[Problem]) -> list[Planned]:
    """A customer email to an address our mail bounced from is held, and 校验结果 says why: the
    address needs correcting (a new address is not held)."""
    bounced = IntakeLog(session.sidecar).bounced()
    if not bounced:
        return due
    kept = []
    for planned in due:
        reason = bounced.get(planned.recipient.lower()) if planned.template in CUSTOMER_TEMPLATES else None
        if reason is None:
            kept.append(planned)
            continue
        held.append(Problem(table.title, planned.row, table.cell_name("email"), WARNING, "mail_held",
                            t("mail.held_bounced", template=template_label(planned.template),
                              address=planned.recipient, reason=reason), "email"))
    return kept


def plan_outgoing(session: Session, ledger: Ledger, sla: sla_job.Computed | None = None) -> Outgoing:
    """`sla`: the run's SLA when an earlier step computed it (else it is computed here)."""
    table = session.records()
    computed = sla or sla_job.compute(session)
    rules = read_mail_rules(session.settings)
    history = History(session, ledger.entries(), ledger.covered(), rules)
    book = session.book
    plan = plan_messages(table, book.table("customers"), book.table("roster"), book.table("progress"),
                         computed.result, rules, book.vocab, session.now, history.sent_before, book.table("care"))
    due = [p for p in plan.planned if not history.produced(p)]
    due = _hold_bounced(session, table, due, plan.held)
    per_post = transport_module(session.settings["robot_kind"]).ITEMS_PER_POST
    waiting = [p for p in group_digests(due, rules, session.now, per_post) if not history.produced(p)]
    already = len(plan.planned) - len(due)
    return Outgoing(waiting, already, plan.problems, plan.held, plan.late_skipped)
