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
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from servicebook.domain.address import salutation
from servicebook.domain.settings import Settings, Vocabulary
from servicebook.domain.suggest import canonical
from servicebook.domain.table import SheetTable
from servicebook.domain.values import as_text, check_email, parse_time
from servicebook.text import t

TEMPLATES = ("acknowledgement", "solution", "confirmation", "progress", "survey", "escalation", "sla_reminder", "care",
             "escalation_digest", "sla_digest", "reply_notice")
# Templates added after the first release: on in a workbook whose 邮件规则 has no row for them yet.
ON_WHEN_UNLISTED = frozenset({"reply_notice"})
CUSTOMER_TEMPLATES = ("acknowledgement", "solution", "confirmation", "progress", "survey", "care")
# A digest lists the items of one internal template; the mail rules' 启用 of that template decides.
DIGEST_OF = {"escalation": "escalation_digest", "sla_reminder": "sla_digest"}
MAIL, ROBOT = "mail", "robot"   # the channels an internal message can go by
CUSTOMER_AUTHOR = t("intake.author")   # 记录人 of a 进度跟踪 entry made from a customer's email
GOOD_SCORE = 4                          # 满意度 4-5: 满意; below it the case is on the 专项改进 list
_RATED = re.compile("^" + re.escape(t("intake.rated", score="\0")).replace(re.escape("\0"), r"(\d)"))


def rated_score(note: str) -> int | None:
    """The score of a 进度跟踪 entry that records the customer's rating (客户评分 N 分), else None."""
    found = _RATED.match(note)
    return int(found.group(1)) if found else None
# Every field a template may use; absent ones are None, so a team's template can test them.
FIELDS = ("team", "hotline", "salutation", "customer", "ticket_no", "type", "priority", "status", "tier",
          "received_at", "summary", "cause", "solution", "due_at", "closed_at", "assignee", "assignee_name",
          "assignee_id", "assignee_email", "reply_by", "progress_at", "progress_note", "delayed", "delay_reason",
          "new_due", "reasons", "open_hours", "supervisor_name", "metric", "state", "deadline", "care_title",
          "care_message", "agent_line", "service_address", "reopened")


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
    service_address: str = ""             # where customers write back (the sender): the survey's rating links
    digest: bool = True                   # internal mail: one digest per run (False: one per record)
    repeat_daily: bool = False            # open escalations listed every day (False: when the reason changes)
    renew_late_promise: bool = True       # a passed reply deadline: promise a new one (False: send no notice)
    channels: tuple[str, ...] = (MAIL,)   # where internal messages go


def read_mail_rules(settings: Settings) -> MailRules:
    by_label = {canonical(template_label(k)): k for k in TEMPLATES}
    enabled, listed = set(), set()
    for row in settings.table("mail_rules"):
        key = by_label.get(canonical(as_text(row.get("template"))))
        listed.add(key)
        if key and canonical(as_text(row.get("enabled"))) in ("是", "yes", "true", "1"):
            enabled.add(key)
    enabled |= ON_WHEN_UNLISTED - listed
    return MailRules(
        enabled=frozenset(enabled),
        window=timedelta(hours=float(settings["mail_window_hours"])),
        survey_delay=timedelta(hours=float(settings["survey_delay_hours"])),
        team=settings["team_name"],
        hotline=settings["hotline"],
        supervisor_name=settings["supervisor_name"],
        supervisor_email=settings["supervisor_email"],
        service_address=as_text(settings["mail_from"]),
        digest=settings["internal_mail"] == "digest",
        repeat_daily=settings["escalation_repeat"] == "daily",
        renew_late_promise=settings["late_promise"] == "renew",
        channels={"mail": (MAIL,), "robot": (ROBOT,), "both": (MAIL, ROBOT)}[settings["internal_channel"]],
    )


@dataclass(frozen=True)
class Planned:
    """One message to produce. A digest `covers` the items it lists: each item counts as produced
    when its digest was, so a rerun lists nothing twice."""

    template: str
    ticket: str               # the record it is about; a digest's: its records' numbers, joined
    row: int
    recipient: str
    recipient_name: str
    version: str
    context: dict = field(compare=False, hash=False)
    channel: str = MAIL
    covers: tuple[Planned, ...] = field(default=(), compare=False, hash=False)
    name: str = ""            # what the outbox file is named after (default: the record number)

    @property
    def identity(self) -> str:
        parts = [self.ticket, self.template, self.recipient.lower(), self.version]
        if self.channel != MAIL:   # mail identities stay as the first release made them
            parts.append(self.channel)
        return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()[:32]

    @property
    def file_key(self) -> str:
        return self.name or self.ticket


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


class RowsByKey:
    """A table's rows by a key, each made a dict only when asked for: of 100,000 records' customers
    and progress entries, a night's emails name a few hundred."""

    def __init__(self, table: SheetTable | None, index: dict[str, int], moments: dict[str, datetime] | None = None):
        self.table, self.index, self.moments = table, index, moments

    def __len__(self) -> int:
        return len(self.index)

    def moment(self, key: str) -> datetime | None:
        """An entry's time, without making its row."""
        return self.moments.get(key) if self.moments is not None else None

    def get(self, key: str, default: dict | None = None) -> dict | None:
        i = self.index.get(key)
        if i is None:
            return default
        row = self.table.row(i)  # type: ignore[union-attr]  # an index names rows of its table
        if self.moments is not None:
            row["_at"] = self.moments[key]
        return row


NO_ROWS = RowsByKey(None, {})


class Lookup:
    """Customer profiles, agents' emails and the latest progress entry, by key."""

    def __init__(self, customers: SheetTable | None, roster: SheetTable | None, progress: SheetTable | None):
        self.profiles = NO_ROWS
        if customers is not None:
            rows: dict[str, int] = {}
            for i, value in enumerate(customers.column("customer_id")):
                key = as_text(value)
                if key:
                    rows[key] = i     # a key's last row wins
            self.profiles = RowsByKey(customers, rows)
        self.agents: dict[str, dict] = {}
        if roster is not None:
            for i in range(len(roster)):
                row = roster.row(i)
                for key in (as_text(row.get("agent_id")), as_text(row.get("name"))):
                    if key:
                        self.agents.setdefault(key, row)
        self.latest, self.replies = NO_ROWS, NO_ROWS   # replies: the latest entry made from the customer's own email
        if progress is not None:
            self.latest, self.replies = _latest_entries(progress)

    def agent(self, assignee: str) -> dict | None:
        agent_id, name = split_assignee(assignee)
        return self.agents.get(agent_id or "") or self.agents.get(name or "")

    def signer(self, assignee: str) -> dict[str, str | None]:
        """The fields an email is signed with: the agent's name, 工号 and email (None where unknown)."""
        agent_id, agent_name = split_assignee(assignee)
        agent = self.agent(assignee) or {}
        return {"assignee": assignee or None, "assignee_id": agent_id, "assignee_name": agent_name,
                "assignee_email": valid_email(agent.get("email"))}


def _latest_entries(progress: SheetTable) -> tuple[RowsByKey, RowsByKey]:
    """Each record's latest 进度跟踪 entry, and its latest from the customer's own email (read from
    the mailbox: news for the agent, not for them; a good score, 4-5, is not news to act on)."""
    found: tuple[dict[str, int], dict[str, int]] = ({}, {})
    moments: tuple[dict[str, datetime], dict[str, datetime]] = ({}, {})
    columns = (progress.column(key) for key in ("ticket_no", "at", "author", "note"))
    for i, (ticket_value, at, author, note) in enumerate(zip(*columns, strict=True)):
        ticket = as_text(ticket_value)
        if not ticket:
            continue
        from_customer = as_text(author) == CUSTOMER_AUTHOR
        if from_customer and (rated_score(as_text(note)) or 0) >= GOOD_SCORE:
            continue
        moment = parse_time(at).value
        index, when_at = found[from_customer], moments[from_customer]
        if moment and (ticket not in index or moment >= when_at[ticket]):
            index[ticket], when_at[ticket] = i, moment
    return RowsByKey(progress, found[0], moments[0]), RowsByKey(progress, found[1], moments[1])


def valid_email(value: object) -> str | None:
    text = as_text(value)
    verdict = check_email(text) if text else None
    return text if verdict and verdict.valid and not verdict.unsendable else None   # no email can go to it


CARE_INDEX = "_care_index"   # which 客户关怀 row a care message came from (not for templates)


def product_name(category: str) -> str:
    """A product as a customer calls it: 「电子产品/蓝牙耳机」 reads 蓝牙耳机."""
    return re.split(r"\s*[/／>＞]\s*", category.strip())[-1] if category.strip() else ""


def _care_wording(reason_code: str, plan_key: str, profile: dict, team: str) -> tuple[str, str]:
    festival = re.sub(r"\d{4}$", "", plan_key)
    industry = product_name(as_text(profile.get("industry"))) or t("care.product")
    fields = {"festival": festival, "team": team, "industry": industry}
    return t(f"care.title.{reason_code}", **fields), t(f"care.message.{reason_code}", **fields)


def plan_care_messages(care: SheetTable | None, lookup: Lookup, rules: MailRules, vocab: Vocabulary,
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
        email = valid_email(profile.get("email"))
        code = codes.get(as_text(row.get("reason")))
        if not email or not code:
            continue
        plan_key = as_text(row.get("plan_key")) or as_text(row.get("reason"))
        title, message = _care_wording(code, plan_key, profile, rules.team)
        context = dict.fromkeys(FIELDS)
        context.update(team=rules.team, hotline=rules.hotline, customer=as_text(row.get("customer_name")),
                       salutation=salutation(as_text(profile.get("contact")), as_text(profile.get("salutation")),
                                             as_text(row.get("customer_name"))),
                       care_title=title, care_message=message, **lookup.signer(as_text(row.get("owner"))),
                       **{CARE_INDEX: i})
        ticket = as_text(row.get("care_no")) or f"{customer}/{plan_key}"
        planned.append(Planned("care", ticket, care.row_numbers[i], email, context["salutation"],
                               f"{customer}:{plan_key}", context))
    return planned
