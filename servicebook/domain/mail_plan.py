"""Which record gets which email this run.

A customer gets at most one email per record and run: the one for the stage the case is at now
(a case opened and closed since the last run gets the survey, not the notice, the plan and the
survey together), and never one of an earlier stage than an email already sent for it. An email
promises no time that has passed, and is held back — the row's 校验结果 says which and why —
when a value it must state is missing or cannot be read.

The team's items (escalations for the supervisor, time-limit alerts for the agents) are planned
per record here and grouped into digests in `digests`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from servicebook.domain.address import salutation
from servicebook.domain.mail_rules import (
    CUSTOMER_TEMPLATES,
    FIELDS,
    MAIL,
    ROBOT,
    Lookup,
    MailRules,
    Planned,
    cause_of,
    digest,
    plan_care_messages,
    summary_of,
    template_label,
    valid_email,
    when,
)
from servicebook.domain.problems import WARNING, Problem
from servicebook.domain.settings import Vocabulary
from servicebook.domain.sla import STATES, SlaResult, reason_text
from servicebook.domain.table import SheetTable
from servicebook.domain.values import as_text, is_blank, parse_time
from servicebook.text import t

# The stages of a case, as the customer sees them. Within a stage a (revised) plan says more
# than a progress note, so it is the one sent when both are due.
STAGE = {"acknowledgement": 0, "progress": 1, "solution": 1, "confirmation": 2, "survey": 3}
PREFER = {"solution": 1}
# What each customer email cannot do without: the field, and the records' column it comes from
# (None: the 进度跟踪 sheet).
NEEDS = {
    "acknowledgement": (("received_at", "received_at"),),
    "solution": (("solution", "solution"), ("due_at", "due_at")),
    "confirmation": (("solution", "solution"),),
    "progress": (("progress_note", None), ("progress_at", None)),
    "survey": (("closed_at", "closed_at"),),
}
OPEN = ("pending", "in_progress", "escalated", "follow_up")


@dataclass(frozen=True)
class Candidate:
    template: str
    version: str
    context: Mapping


@dataclass
class MailPlan:
    planned: list[Planned] = field(default_factory=list)   # customer emails, and the team's items
    problems: list[Problem] = field(default_factory=list)  # for the whole sheet (no address, …)
    held: list[Problem] = field(default_factory=list)      # a row's email held back, and why
    late_skipped: int = 0                                  # notices not sent: their promise had passed


class LazyContext(Mapping):
    """A record's template fields, built when first read: most records get no email on a given
    night, and building every record's fields was a fifth of the mail step."""

    __slots__ = ("_build", "_fields")

    def __init__(self, build: Callable[[], dict]):
        self._build = build
        self._fields: dict | None = None

    def _data(self) -> dict:
        if self._fields is None:
            self._fields = self._build()
        return self._fields

    def __getitem__(self, key: str) -> object:
        return self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())


class Planner:
    def __init__(self, table: SheetTable, lookup: Lookup, sla: SlaResult | None, rules: MailRules,
                 vocab: Vocabulary, now: datetime, sent_before: Callable[[str, str], bool]):
        self.table, self.lookup, self.sla, self.rules = table, lookup, sla, rules
        self.now, self.sent_before, self.vocab = now, sent_before, vocab
        self.words = {code: vocab.word("status", code) for code in (*OPEN, "awaiting", "closed")}
        self.open = {self.words[code] for code in OPEN}
        self.working = {self.words[code] for code in ("in_progress", "escalated", "follow_up")}
        self.alerting = _alerting_rows(sla)
        self.delayed = vocab.word("node_status", "delayed")
        self.statuses = vocab.standard_column("status", table.column("status"))
        self.plan = MailPlan()
        self.no_email = 0
        self.agents_without_email: set[str] = set()

    def recent(self, moment: datetime | None) -> bool:
        return moment is not None and self.now - self.rules.window <= moment <= self.now

    def time(self, key: str, i: int) -> datetime | None:
        return parse_time(self.table.get(key, i)).value

    def context(self, i: int) -> dict:
        get = self.table.get
        profile = self.lookup.profiles.get(as_text(get("customer_id", i)), {})
        description = as_text(get("description", i))
        context = dict.fromkeys(FIELDS)
        context.update(
            team=self.rules.team, hotline=self.rules.hotline,
            salutation=salutation(as_text(profile.get("contact")), as_text(profile.get("salutation")),
                                  as_text(get("customer_name", i))),
            customer=as_text(get("customer_name", i)), ticket_no=as_text(get("ticket_no", i)),
            type=as_text(get("type", i)) or None, priority=as_text(get("priority", i)) or None,
            status=as_text(get("status", i)) or None, tier=as_text(get("tier", i)) or None,
            received_at=when(self.time("received_at", i)), summary=summary_of(description) or None,
            cause=cause_of(description), solution=as_text(get("solution", i)) or None,
            due_at=when(self.time("due_at", i)), closed_at=when(self.time("closed_at", i)),
            supervisor_name=self.rules.supervisor_name, service_address=self.rules.service_address or None,
            **self.lookup.signer(as_text(get("assignee", i))),
        )
        return context

    def add(self, template: str, i: int, recipient: str | None, name: str, version: str, context: dict,
            channel: str = MAIL) -> None:
        if template not in self.rules.enabled:
            return
        if not recipient:
            if template in CUSTOMER_TEMPLATES:
                self.no_email += 1
            return
        self.plan.planned.append(Planned(template, as_text(self.table.get("ticket_no", i)),
                                         self.table.row_numbers[i], recipient, name, version, context, channel))

    def plan_record(self, i: int) -> None:
        ticket = as_text(self.table.get("ticket_no", i))
        if not ticket:
            return  # a message names its record: only numbered records get mail
        context = LazyContext(lambda: self.context(i))
        self.plan_customer(i, ticket, context)
        self.plan_internal(i, ticket, context)

    # ------------------------------------------------------------ the customer: one email, its stage

    def plan_customer(self, i: int, ticket: str, context: Mapping) -> None:
        status = self.statuses[i]
        found = [c for c in (self.acknowledgement(status, i, context), self.progress(status, ticket, context),
                             self.solution(status, ticket, i, context), self.confirmation(status, ticket, i, context),
                             self.survey(status, i, context)) if c is not None and c.template in self.rules.enabled]
        if not found:
            return
        reached = max((STAGE[key] for key in STAGE if self.sent_before(ticket, key)), default=-1)
        found = [c for c in found if STAGE[c.template] >= reached]
        if not found:
            return
        chosen = max(found, key=lambda c: (STAGE[c.template], PREFER.get(c.template, 0)))
        checked = self.checked(i, chosen)
        if checked is not None:
            self.add(chosen.template, i, valid_email(self.table.get("email", i)), context["salutation"],
                     chosen.version, checked)

    # Each stage asks the status first: a night's plan reads 100,000 records, few of them at a stage.

    def acknowledgement(self, status: str, i: int, context: Mapping) -> Candidate | None:
        if status in self.open and self.recent(self.time("accepted_at", i)):
            return Candidate("acknowledgement", "1", context)
        return None

    def progress(self, status: str, ticket: str, context: Mapping) -> Candidate | None:
        if status not in self.open or not self.recent(self.lookup.latest.moment(ticket)):
            return None
        entry = self.lookup.latest.get(ticket)
        delayed = as_text(entry.get("node_status")) == self.delayed
        new_due = parse_time(entry.get("new_due")).value
        fields = dict(context, progress_at=when(entry["_at"]), progress_note=as_text(entry.get("note")) or None,
                      delayed=delayed, delay_reason=as_text(entry.get("delay_reason")) or None,
                      new_due=when(new_due), _new_due=new_due)
        return Candidate("progress", digest(entry["_at"], entry.get("note")), fields)

    def solution(self, status: str, ticket: str, i: int, context: Mapping) -> Candidate | None:
        if status not in self.working:
            return None
        solution, due = as_text(self.table.get("solution", i)), as_text(self.table.get("due_at", i))
        if not (solution and due):
            return None
        first = self.time("first_response_at", i)
        started = max(filter(None, (self.time("accepted_at", i), first)), default=None)
        if self.recent(started) or self.sent_before(ticket, "solution"):
            return Candidate("solution", digest(solution, due), context)
        return None

    def confirmation(self, status: str, ticket: str, i: int, context: Mapping) -> Candidate | None:
        if status != self.words["awaiting"]:
            return None
        solution = as_text(self.table.get("solution", i))
        if not solution:
            return None
        resolved = self.time("resolved_at", i) or self.time("accepted_at", i)
        if self.recent(resolved) or self.sent_before(ticket, "confirmation"):
            return Candidate("confirmation", digest(solution, as_text(self.table.get("due_at", i))), context)
        return None

    def survey(self, status: str, i: int, context: Mapping) -> Candidate | None:
        if status != self.words["closed"] or not is_blank(self.table.get("csat", i)):
            return None
        closed = self.time("closed_at", i)
        if not closed:
            return None
        due = closed + self.rules.survey_delay
        return Candidate("survey", "1", context) if due <= self.now <= due + self.rules.window else None

    # ------------------------------------------------------------ what an email may say

    def checked(self, i: int, chosen: Candidate) -> dict | None:
        """The context to render, or None when the email is held back (a missing value, a promise
        that has passed) or not sent (设置 says a late notice is not sent)."""
        context = dict(chosen.context)
        label = template_label(chosen.template)
        for name, column in NEEDS.get(chosen.template, ()):
            if context.get(name) in (None, ""):
                self.hold(i, column, label, "held_unreadable" if column and not is_blank(self.table.get(column, i))
                          else "held_empty")
                return None
        if chosen.template == "acknowledgement":
            return self.promise_reply(i, context)
        due = self.time("due_at", i)
        if chosen.template == "solution" and due and due < self.now:
            self.hold(i, "due_at", label, "held_passed")
            return None
        if chosen.template == "progress":
            new_due = context.pop("_new_due", None)
            if context["delayed"] and new_due and new_due < self.now:
                self.hold(i, None, label, "held_new_due_passed")
                return None
            if due and due < self.now:
                context["due_at"] = None   # an old estimate is not repeated as if it still held
        return context

    def promise_reply(self, i: int, context: dict) -> dict | None:
        """受理通知 names when the customer will hear: the first-response deadline while it is
        ahead; once it has passed, a new one counted from now on the SLA clock (or no notice)."""
        context["reply_by"] = None
        if self.sla is None or self.time("first_response_at", i):
            return context   # answered already, or no clock: the notice promises no time
        outcome = self.sla.metrics["first_response"].outcome(i)
        if outcome is None or outcome.deadline is None:
            return context
        if outcome.deadline >= self.now:
            context["reply_by"] = when(outcome.deadline)
        elif self.rules.renew_late_promise:
            context["reply_by"] = when(self.sla.renewed("first_response", i, self.now))
        else:
            self.plan.late_skipped += 1
            return None
        return context

    def hold(self, i: int, column: str | None, label: str, why: str) -> None:
        where = self.table.cell_name(column) if column else None
        header = self.table.header(column) if column else t("mail.progress_entry")
        self.plan.held.append(Problem(self.table.title, self.table.row_numbers[i], where, WARNING, "mail_held",
                                      t(f"mail.{why}", template=label, header=header), column))

    # ------------------------------------------------------------ the team's items

    def plan_internal(self, i: int, ticket: str, context: Mapping) -> None:
        self.reply_notice(i, ticket, context)
        if self.sla is None:
            return
        for channel in self.rules.channels:
            self.escalation(i, context, channel)
            self.reminder(i, context, channel)

    def escalation(self, i: int, context: Mapping, channel: str) -> None:
        reasons = self.sla.reasons.get(i)
        if not reasons:
            return
        text = "；".join(reason_text(code, fields) for code, fields in reasons)
        received = self.time("received_at", i)
        hours = round((self.now - received).total_seconds() / 3600, 1) if received else None
        version = digest(*sorted(code + str(sorted(fields.items())) for code, fields in reasons))
        if self.rules.repeat_daily:
            version = digest(version, self.now.date())
        fields = dict(context, reasons=text, open_hours=hours)
        if channel == ROBOT:
            self.add("escalation", i, t("robot.group"), self.rules.supervisor_name, version, fields, ROBOT)
        else:
            self.add("escalation", i, self.rules.supervisor_email or None, self.rules.supervisor_name, version, fields)

    def reply_notice(self, i: int, ticket: str, context: Mapping) -> None:
        """The agent hears when the customer wrote back (the mailbox's reply became a 进度跟踪 entry),
        and that a closed case was reopened by it."""
        if not self.recent(self.lookup.replies.moment(ticket)) or not context["assignee"]:
            return
        entry = self.lookup.replies.get(ticket)
        if not context["assignee_email"]:
            self.agents_without_email.add(context["assignee"])
            return
        fields = dict(context, progress_at=when(entry["_at"]), progress_note=as_text(entry.get("note")) or None,
                      reopened=as_text(entry.get("status_change")) == self.words["follow_up"])
        self.add("reply_notice", i, context["assignee_email"], context["assignee_name"] or context["assignee"],
                 digest(entry["_at"], entry.get("note")), fields)

    def reminder(self, i: int, context: Mapping, channel: str) -> None:
        """One item per record, naming every time limit of it that is at risk or breached."""
        if i not in self.alerting:
            return
        alerts = []
        for metric, column in self.sla.metrics.items():
            state = column.state[i]
            if state >= 0 and STATES[state] in ("at_risk", "breached"):
                outcome = column.outcome(i)
                alerts.append((metric, STATES[state], outcome.deadline))
        assignee = context["assignee"] if alerts else None
        if not assignee:
            return
        version = "|".join(f"{m}:{s}:{d:%Y%m%d%H%M}" for m, s, d in alerts)
        items = [{"metric": t(f"sla.metric.{m}"), "state": t(f"sla.state.{s}"), "deadline": when(d)}
                 for m, s, d in alerts]
        fields = dict(context, alerts=items, **items[0])
        name = context["assignee_name"] or assignee
        if channel == ROBOT:
            self.add("sla_reminder", i, t("robot.group"), name, version, fields, ROBOT)
        elif context["assignee_email"]:
            self.add("sla_reminder", i, context["assignee_email"], name, version, fields)
        else:
            self.agents_without_email.add(assignee)


def _alerting_rows(sla: SlaResult | None) -> frozenset[int]:
    """The rows with a time limit at risk or breached, found a column at a time."""
    if sla is None:
        return frozenset()
    alarms = [STATES.index("at_risk"), STATES.index("breached")]
    return frozenset(int(i) for column in sla.metrics.values() for i in np.flatnonzero(np.isin(column.state, alarms)))


def plan_messages(table: SheetTable, customers: SheetTable | None, roster: SheetTable | None,
                  progress: SheetTable | None, sla: SlaResult | None, rules: MailRules, vocab: Vocabulary,
                  now: datetime, sent_before: Callable[[str, str], bool],
                  care: SheetTable | None = None) -> MailPlan:
    lookup = Lookup(customers, roster, progress)
    planner = Planner(table, lookup, sla, rules, vocab, now, sent_before)
    for i in range(len(table)):
        planner.plan_record(i)
    plan = planner.plan
    plan.planned.extend(plan_care_messages(care, lookup, rules, vocab, now))
    if planner.no_email:
        plan.problems.append(Problem(table.title, None, table.cell_name("email"), WARNING, "no_email",
                                     t("mail.no_email", count=planner.no_email)))
    if "escalation" in rules.enabled and MAIL in rules.channels and not rules.supervisor_email \
            and sla is not None and sla.reasons:
        plan.problems.append(Problem(table.title, None, None, WARNING, "no_supervisor", t("mail.no_supervisor")))
    for assignee in sorted(planner.agents_without_email):
        plan.problems.append(Problem(table.title, None, table.cell_name("assignee"), WARNING, "agent_no_email",
                                     t("mail.agent_no_email", assignee=assignee)))
    return plan
