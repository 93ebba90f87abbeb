"""Which record gets which email, and with what content.

Each planned message has an identity — record, template, recipient and content version — so the
ledger can tell whether it was produced before. The version changes only when what the message
says changes (a revised plan, a new progress entry, a new escalation reason), so a rerun plans
the same identities and nothing is sent twice.

Customer emails are sent only for events within the window (设置 → 客户邮件时效), so turning mail
on for an old workbook does not write to every customer it ever had; a revised plan is sent
whenever an earlier plan for the same record was.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from servicebook.domain.address import salutation
from servicebook.domain.problems import WARNING, Problem
from servicebook.domain.settings import Settings, Vocabulary
from servicebook.domain.sla import STATES, SlaResult, reason_text
from servicebook.domain.suggest import canonical
from servicebook.domain.table import SheetTable
from servicebook.domain.values import as_text, check_email, is_blank, parse_time
from servicebook.text import t

TEMPLATES = ("acknowledgement", "solution", "confirmation", "progress", "survey", "escalation", "sla_reminder", "care")
CUSTOMER_TEMPLATES = ("acknowledgement", "solution", "confirmation", "progress", "survey", "care")
# Every field a template may use; absent ones are None, so a team's template can test them.
FIELDS = ("team", "hotline", "salutation", "customer", "ticket_no", "type", "priority", "status", "tier",
          "received_at", "summary", "cause", "solution", "due_at", "closed_at", "assignee", "assignee_name",
          "assignee_id", "assignee_email", "reply_by", "progress_at", "progress_note", "delayed", "delay_reason",
          "new_due", "reasons", "open_hours", "supervisor_name", "metric", "state", "deadline", "care_title",
          "care_message")


def template_label(key: str) -> str:
    return t(f"mail.template.{key}")


@dataclass(frozen=True)
class MailRules:
    enabled: frozenset[str]
    window: timedelta
    survey_delay: timedelta
    team: str
    hotline: str
    supervisor_name: str
    supervisor_email: str


def read_mail_rules(settings: Settings) -> MailRules:
    by_label = {canonical(template_label(k)): k for k in TEMPLATES}
    enabled = set()
    for row in settings.table("mail_rules"):
        key = by_label.get(canonical(as_text(row.get("template"))))
        if key and canonical(as_text(row.get("enabled"))) in ("是", "yes", "true", "1"):
            enabled.add(key)
    return MailRules(
        enabled=frozenset(enabled),
        window=timedelta(hours=float(settings["mail_window_hours"])),
        survey_delay=timedelta(hours=float(settings["survey_delay_hours"])),
        team=settings["team_name"],
        hotline=settings["hotline"],
        supervisor_name=settings["supervisor_name"],
        supervisor_email=settings["supervisor_email"],
    )


@dataclass(frozen=True)
class Planned:
    template: str
    ticket: str
    row: int
    recipient: str
    recipient_name: str
    version: str
    context: dict = field(compare=False, hash=False)

    @property
    def identity(self) -> str:
        key = "|".join((self.ticket, self.template, self.recipient.lower(), self.version))
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def digest(*parts: object) -> str:
    return hashlib.sha256("|".join(as_text(p) for p in parts).encode("utf-8")).hexdigest()[:16]


def when(value: datetime | None) -> str | None:
    return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}" if value else None


def summary_of(description: str) -> str:
    """The customer's own words when quoted (客户反映“…”), else the first sentence."""
    quoted = re.search(r"[“\"「](.+?)[”\"」]", description)
    text = quoted.group(1) if quoted else re.split(r"[。！？\n]", description, maxsplit=1)[0]
    return text.strip()[:80]


def cause_of(description: str) -> str | None:
    """The verified cause, written by the documents' convention: …，经核实为<cause>。"""
    found = re.search(r"经核实(?:为|是|，)?(.+?)(?:导致)?[。；;\n]", description + "。")
    return found.group(1).strip() if found else None


def split_assignee(text: str) -> tuple[str | None, str | None]:
    """"C008 张敏" -> ("C008", "张敏")."""
    match = re.match(r"^\s*([A-Za-z]*\d+)\s*(.*)$", text)
    if match:
        return match.group(1), match.group(2).strip() or None
    return None, text.strip() or None


class _Lookup:
    """Customer profiles, agents' emails and the latest progress entry, by key."""

    def __init__(self, customers: SheetTable | None, roster: SheetTable | None, progress: SheetTable | None):
        self.profiles: dict[str, dict] = {}
        if customers is not None:
            for i in range(len(customers)):
                key = as_text(customers.get("customer_id", i))
                if key:
                    self.profiles[key] = customers.row(i)
        self.agents: dict[str, dict] = {}
        if roster is not None:
            for i in range(len(roster)):
                row = roster.row(i)
                for key in (as_text(row.get("agent_id")), as_text(row.get("name"))):
                    if key:
                        self.agents.setdefault(key, row)
        self.latest: dict[str, dict] = {}
        if progress is not None:
            for i in range(len(progress)):
                row = progress.row(i)
                moment = parse_time(row.get("at")).value
                ticket = as_text(row.get("ticket_no"))
                if ticket and moment and (ticket not in self.latest or moment >= self.latest[ticket]["_at"]):
                    self.latest[ticket] = {**row, "_at": moment}

    def agent(self, assignee: str) -> dict | None:
        agent_id, name = split_assignee(assignee)
        return self.agents.get(agent_id or "") or self.agents.get(name or "")


def _email(value: object) -> str | None:
    text = as_text(value)
    return text if text and check_email(text).valid else None


class Planner:
    def __init__(self, table: SheetTable, lookup: _Lookup, sla: SlaResult | None, rules: MailRules,
                 vocab: Vocabulary, now: datetime, sent_before: Callable[[str, str], bool]):
        self.table, self.lookup, self.sla, self.rules = table, lookup, sla, rules
        self.now, self.sent_before = now, sent_before
        self.words = {code: vocab.word("status", code) for code in
                      ("pending", "in_progress", "awaiting", "closed", "escalated", "follow_up")}
        self.delayed = vocab.word("node_status", "delayed")
        self.vocab = vocab
        self.planned: list[Planned] = []
        self.problems: list[Problem] = []
        self.no_email = 0
        self.agents_without_email: set[str] = set()

    def recent(self, moment: datetime | None) -> bool:
        return moment is not None and self.now - self.rules.window <= moment <= self.now

    def context(self, i: int) -> dict:
        get = self.table.get
        customer_id = as_text(get("customer_id", i))
        profile = self.lookup.profiles.get(customer_id, {})
        assignee = as_text(get("assignee", i))
        agent_id, agent_name = split_assignee(assignee)
        agent = self.lookup.agent(assignee) or {}
        description = as_text(get("description", i))
        reply_by = None
        if self.sla is not None:
            outcome = self.sla.metrics["first_response"].outcome(i)
            reply_by = when(outcome.deadline) if outcome else None
        context = dict.fromkeys(FIELDS)
        context.update(
            team=self.rules.team, hotline=self.rules.hotline,
            salutation=salutation(as_text(profile.get("contact")), as_text(profile.get("salutation")),
                                  as_text(get("customer_name", i))),
            customer=as_text(get("customer_name", i)), ticket_no=as_text(get("ticket_no", i)),
            type=as_text(get("type", i)), priority=as_text(get("priority", i)), status=as_text(get("status", i)),
            tier=as_text(get("tier", i)) or None,
            received_at=when(parse_time(get("received_at", i)).value), summary=summary_of(description),
            cause=cause_of(description), solution=as_text(get("solution", i)) or None,
            due_at=when(parse_time(get("due_at", i)).value), closed_at=when(parse_time(get("closed_at", i)).value),
            assignee=assignee or None, assignee_id=agent_id, assignee_name=agent_name,
            assignee_email=_email(agent.get("email")), reply_by=reply_by or t("mail.reply_soon"),
            supervisor_name=self.rules.supervisor_name,
        )
        return context

    def add(self, template: str, i: int, recipient: str | None, name: str, version: str, context: dict) -> None:
        if template not in self.rules.enabled:
            return
        if not recipient:
            if template in CUSTOMER_TEMPLATES:
                self.no_email += 1
            return
        self.planned.append(Planned(template, as_text(self.table.get("ticket_no", i)), self.table.row_numbers[i],
                                    recipient, name, version, context))

    def plan_record(self, i: int) -> None:
        get = self.table.get
        ticket = as_text(get("ticket_no", i))
        if not ticket:
            return  # a message names its record: only numbered records get mail
        status = self.vocab.standard("status", as_text(get("status", i)))
        email = _email(get("email", i))
        context = self.context(i)
        name = context["salutation"]
        accepted = parse_time(get("accepted_at", i)).value
        words = self.words
        if accepted and self.recent(accepted):
            self.add("acknowledgement", i, email, name, "1", context)
        solution, due = as_text(get("solution", i)), as_text(get("due_at", i))
        plan_version = digest(solution, due)
        if solution and due and status in (words["in_progress"], words["escalated"], words["follow_up"]):
            first = parse_time(get("first_response_at", i)).value
            if self.recent(max(filter(None, (accepted, first)), default=None)) or self.sent_before(ticket, "solution"):
                self.add("solution", i, email, name, plan_version, context)
        if solution and status == words["awaiting"]:
            resolved = parse_time(get("resolved_at", i)).value
            if self.recent(resolved or accepted) or self.sent_before(ticket, "confirmation"):
                self.add("confirmation", i, email, name, plan_version, context)
        self.plan_progress(i, ticket, email, name, context)
        closed = parse_time(get("closed_at", i)).value
        if status == words["closed"] and closed and is_blank(get("csat", i)):
            due_survey = closed + self.rules.survey_delay
            if due_survey <= self.now <= due_survey + self.rules.window:
                self.add("survey", i, email, name, "1", context)
        self.plan_internal(i, ticket, context)

    def plan_progress(self, i: int, ticket: str, email: str | None, name: str, context: dict) -> None:
        entry = self.lookup.latest.get(ticket)
        if not entry or not self.recent(entry["_at"]):
            return
        delayed = as_text(entry.get("node_status")) == self.delayed
        progress = dict(context, progress_at=when(entry["_at"]), progress_note=as_text(entry.get("note")),
                        delayed=delayed, delay_reason=as_text(entry.get("delay_reason")) or None,
                        new_due=when(parse_time(entry.get("new_due")).value))
        self.add("progress", i, email, name, digest(entry["_at"], entry.get("note")), progress)

    def plan_internal(self, i: int, ticket: str, context: dict) -> None:
        if self.sla is None:
            return
        reasons = self.sla.reasons.get(i)
        if reasons:
            text = "；".join(reason_text(code, fields) for code, fields in reasons)
            received = parse_time(self.table.get("received_at", i)).value
            hours = round((self.now - received).total_seconds() / 3600, 1) if received else "—"
            escalation = dict(context, reasons=text, open_hours=hours)
            version = digest(*sorted(code + str(sorted(fields.items())) for code, fields in reasons))
            self.add("escalation", i, self.rules.supervisor_email or None, self.rules.supervisor_name, version,
                     escalation)
        assignee = context["assignee"]
        for metric, column in self.sla.metrics.items():
            state = column.state[i]
            if state < 0 or STATES[state] not in ("at_risk", "breached") or not assignee:
                continue
            agent_email = context["assignee_email"]
            if not agent_email:
                self.agents_without_email.add(assignee)
                continue
            outcome = column.outcome(i)
            reminder = dict(context, metric=t(f"sla.metric.{metric}"), state=t(f"sla.state.{STATES[state]}"),
                            deadline=when(outcome.deadline))
            self.add("sla_reminder", i, agent_email, context["assignee_name"] or assignee,
                     f"{metric}:{STATES[state]}:{outcome.deadline:%Y%m%d%H%M}", reminder)


CARE_INDEX = "_care_index"   # which 客户关怀 row a care message came from (not for templates)


def _care_wording(reason_code: str, plan_key: str, profile: dict, team: str) -> tuple[str, str]:
    festival = re.sub(r"\d{4}$", "", plan_key)
    fields = {"festival": festival, "team": team, "industry": as_text(profile.get("industry")) or t("care.product")}
    return t(f"care.title.{reason_code}", **fields), t(f"care.message.{reason_code}", **fields)


def plan_care_messages(care: SheetTable | None, lookup: _Lookup, rules: MailRules, vocab: Vocabulary,
                       now: datetime) -> list[Planned]:
    """A 关怀 email for each care row to be done by email that falls due today."""
    if care is None or "care" not in rules.enabled:
        return []
    codes = {word: code for code, word in vocab.definition.lists["care_reason"].values.items()}
    by_email, todo = vocab.word("care_method", "email"), vocab.word("care_status", "todo")
    today, planned = now.date(), []
    for i in range(len(care)):
        row = care.row(i)
        start, due = parse_time(row.get("care_date")).value, parse_time(row.get("due")).value
        if as_text(row.get("method")) != by_email or as_text(row.get("status")) != todo or not start:
            continue
        if not start.date() <= today <= (due or start).date():
            continue
        customer = as_text(row.get("customer_id"))
        profile = lookup.profiles.get(customer, {})
        email = _email(profile.get("email"))
        code = codes.get(as_text(row.get("reason")))
        if not email or not code:
            continue
        plan_key = as_text(row.get("plan_key")) or as_text(row.get("reason"))
        title, message = _care_wording(code, plan_key, profile, rules.team)
        context = dict.fromkeys(FIELDS)
        context.update(team=rules.team, hotline=rules.hotline, customer=as_text(row.get("customer_name")),
                       salutation=salutation(as_text(profile.get("contact")), as_text(profile.get("salutation")),
                                             as_text(row.get("customer_name"))),
                       care_title=title, care_message=message, **{CARE_INDEX: i})
        ticket = as_text(row.get("care_no")) or f"{customer}/{plan_key}"
        planned.append(Planned("care", ticket, care.row_numbers[i], email, context["salutation"],
                               f"{customer}:{plan_key}", context))
    return planned


def plan_messages(table: SheetTable, customers: SheetTable | None, roster: SheetTable | None,
                  progress: SheetTable | None, sla: SlaResult | None, rules: MailRules, vocab: Vocabulary,
                  now: datetime, sent_before: Callable[[str, str], bool],
                  care: SheetTable | None = None) -> tuple[list[Planned], list[Problem]]:
    lookup = _Lookup(customers, roster, progress)
    planner = Planner(table, lookup, sla, rules, vocab, now, sent_before)
    for i in range(len(table)):
        planner.plan_record(i)
    planner.planned.extend(plan_care_messages(care, lookup, rules, vocab, now))
    problems = planner.problems
    if planner.no_email:
        problems.append(Problem(table.title, None, table.cell_name("email"), WARNING, "no_email",
                                t("mail.no_email", count=planner.no_email)))
    if "escalation" in rules.enabled and not rules.supervisor_email and sla is not None and sla.reasons:
        problems.append(Problem(table.title, None, None, WARNING, "no_supervisor", t("mail.no_supervisor")))
    for assignee in sorted(planner.agents_without_email):
        problems.append(Problem(table.title, None, table.cell_name("assignee"), WARNING, "agent_no_email",
                                t("mail.agent_no_email", assignee=assignee)))
    return planner.planned, problems
