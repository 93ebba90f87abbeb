"""`servicebook intake`, and the first step of the nightly run: the service mailbox feeds the
workbook — a customer's new email becomes a record, a reply joins its case (a confirmation, a
rating), a bounce marks the mail log; what no customer wrote is left out.

Each message is taken exactly once: what it became carries its identity into the workbook (the
hidden 来信标识 column of the record or the 进度跟踪 entry), and only after that workbook is
saved is the message remembered and moved to 已处理. A run killed in between finds the identity
in the workbook and only moves the message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from servicebook.domain.incoming import (
    BOUNCE,
    CONFIRM,
    NEW,
    RATING,
    REPLY,
    SKIP,
    Case,
    Decision,
    Incoming,
    Known,
    normal_id,
)
from servicebook.domain.incoming import decide as decide_message
from servicebook.domain.mail_rules import TEMPLATES, template_label
from servicebook.domain.table import SheetTable
from servicebook.domain.values import as_text, is_blank
from servicebook.edits import Edits, NewSheet
from servicebook.errors import CannotRun
from servicebook.jobs.session import Session
from servicebook.mail.incoming import Unreadable, parse_eml, parse_msg
from servicebook.mail.intake_log import IntakeLog
from servicebook.mail.ledger import Ledger
from servicebook.mail.sources import Raw, Source, open_source
from servicebook.mail.sources.folder import inbox_of
from servicebook.mail.transports import Setup
from servicebook.text import t

DATETIME = "yyyy-mm-dd hh:mm"
MAX_TEXT = 8000   # a cell of 问题描述 or 进展说明 keeps the first this many characters


@dataclass
class Taken:
    """One message, and what it became."""

    label: str
    identity: str
    kind: str                       # NEW, REPLY, CONFIRM, RATING, BOUNCE, SKIP
    sender: str = ""
    subject: str = ""
    ticket: str | None = None       # the record it joined (a new record's: after numbering)
    index: int | None = None        # a new record's index in the records table
    why: str = ""
    score: int | None = None
    reopened: bool = False
    agent: str = ""                 # who holds the case (a reopened case: who is told)
    attachments: tuple = ()

    def as_json(self) -> dict:
        return {"message": self.label, "identity": self.identity, "kind": self.kind, "sender": self.sender,
                "subject": self.subject, "ticket": self.ticket, "why": self.why, "score": self.score,
                "reopened": self.reopened, "agent": self.agent or None,
                "attachments": [a.name for a in self.attachments]}


@dataclass
class IntakeReport:
    source: str
    folder: Path | None = None       # the inbox folder, when mail comes from one
    items: list[Taken] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)   # (label, reason)
    already: int = 0                 # taken by an earlier run (moved now)
    error: str | None = None         # the source could not be read (the nightly run goes on)
    keys: list[tuple[str, str, str, str, str]] = field(default_factory=list, repr=False)  # key, identity, …
    aside: list[str] = field(default_factory=list, repr=False)
    source_handle: Source | None = field(default=None, repr=False)
    records: SheetTable | None = field(default=None, repr=False)    # the tables as later steps see them
    progress: SheetTable | None = field(default=None, repr=False)

    def count(self, kind: str) -> int:
        return sum(1 for item in self.items if item.kind == kind)

    @property
    def failed(self) -> bool:
        return self.error is not None

    def as_json(self) -> dict:
        return {"source": self.source, "folder": str(self.folder) if self.folder else None, "error": self.error,
                "already": self.already,
                "counts": {k: self.count(k) for k in (NEW, REPLY, CONFIRM, RATING, BOUNCE, SKIP)},
                "items": [i.as_json() for i in self.items],
                "unreadable": [{"message": label, "reason": reason} for label, reason in self.unreadable]}


# ------------------------------------------------------------------ what the workbook knows


def source_setup(session: Session) -> Setup:
    definition = session.definition.settings
    labels = {s.key: s.label for s in definition.settings}
    kind = session.settings["intake_source"]
    return Setup(kind, session.settings.values, labels, definition.setting("intake_source").choices[kind],
                 session.sidecar.folder)


def team_addresses(session: Session) -> frozenset[str]:
    found = {as_text(session.settings["mail_from"]), as_text(session.settings["supervisor_email"])}
    roster = session.book.table("roster")
    if roster is not None and roster.headers.found:
        found |= {as_text(v) for v in roster.column("email")} if roster.has("email") else set()
    return frozenset(a.strip().lower() for a in found if a and "@" in a)


def customer_profiles(session: Session) -> dict[str, dict]:
    """客户档案 rows by their address (lower case)."""
    customers = session.book.table("customers")
    if customers is None or not customers.has("email"):
        return {}
    return {as_text(customers.get("email", i)).lower(): customers.row(i) for i in range(len(customers))
            if customers.get("email", i)}


def known(session: Session, records: SheetTable, profiles: dict[str, dict]) -> Known:
    vocab = session.book.vocab
    closed, awaiting = vocab.word("status", "closed"), vocab.word("status", "awaiting")
    emails = {as_text(row.get("customer_id")): address for address, row in profiles.items()}
    cases = {}
    for i in range(len(records)):
        ticket = as_text(records.get("ticket_no", i))
        if not ticket:
            continue
        addresses = {as_text(records.get("email", i)).lower(), emails.get(as_text(records.get("customer_id", i)), "")}
        status = as_text(records.get("status", i))
        cases[ticket] = Case(ticket, i, frozenset(a for a in addresses if a), status == closed, status == awaiting,
                             not is_blank(records.get("csat", i)))
    with Ledger(session.sidecar) as ledger:
        sent = {normal_id(e.message_id): (e.ticket, e.template) for e in ledger.entries().values() if e.message_id}
    keys = {template_label(k): k for k in TEMPLATES}
    log = session.book.table("mail_log")
    if log is not None and log.headers.found:   # the ledger may have been lost: the sheet remembers too
        for i in range(len(log)):
            msgid = normal_id(as_text(log.get("message_id", i)))
            if msgid and msgid not in sent and (key := keys.get(as_text(log.get("template", i)))):
                sent[msgid] = (as_text(log.get("ticket_no", i)), key)
    return Known(sent, cases, team_addresses(session))


def seen_before(session: Session) -> set[str]:
    seen = IntakeLog(session.sidecar).seen()
    for key in ("records", "progress"):
        table = session.book.table(key)
        if table is not None and table.has("source_message"):
            seen |= {as_text(v) for v in table.column("source_message") if not is_blank(v)}
    return seen


# ------------------------------------------------------------------ reading the messages


def _parse(raw: Raw, session: Session) -> Incoming:
    zone = ZoneInfo(session.settings["timezone"])
    return (parse_msg if raw.kind == "msg" else parse_eml)(raw.data, zone, session.now)


class Intake:
    """The edits one batch of messages makes: rows appended to 服务记录 and 进度跟踪, cells of the
    cases they join; and the tables as later steps must see them."""

    def __init__(self, session: Session, edits: Edits, report: IntakeReport):
        self.session, self.edits, self.report = session, edits, report
        self.records = session.records()
        self.vocab = session.book.vocab
        self.new_rows: list[dict] = []
        self.progress_rows: list[dict] = []
        self.changes: dict[str, dict[int, object]] = {}
        self.profiles = customer_profiles(session)
        self.known = known(session, self.records, self.profiles)

    def change(self, key: str, index: int, value: object) -> None:
        self.changes.setdefault(key, {})[index] = value

    def progress(self, ticket: str, message: Incoming, note: str, node: str, status_change: str | None) -> None:
        self.progress_rows.append({"ticket_no": ticket, "at": message.sent_at, "note": note[:MAX_TEXT],
                                   "node_status": self.vocab.word("node_status", node), "status_change": status_change,
                                   "author": t("intake.author"), "source_message": message.identity})

    def new_record(self, message: Incoming, decision: Decision, item: Taken) -> None:
        settings = self.session.settings
        profile = self.profiles.get(message.sender, {})
        words = decision.words or t("intake.no_text")
        notes = []
        if decision.why == "other_sender":
            notes.append(t("intake.verify", ticket=decision.ticket, sender=message.sender))
        if message.attachments:
            notes.append(t("intake.attachments", names="、".join(a.name for a in message.attachments)))
        self.new_rows.append({
            "received_at": message.sent_at, "channel": self.vocab.word("channel", "email"),
            "customer_id": as_text(profile.get("customer_id")) or None,
            "customer_name": as_text(profile.get("name")) or message.sender_name or message.sender,
            "email": message.sender, "tier": as_text(profile.get("tier")) or None,
            "type": as_text(settings["intake_type"]) or None, "priority": as_text(settings["intake_priority"]) or None,
            "description": f"{message.subject}\n{words}".strip()[:MAX_TEXT] if message.subject else words[:MAX_TEXT],
            "status": self.vocab.word("status", "pending"), "related_no": decision.ticket,
            "notes": "；".join(notes) or None, "source_message": message.identity,
        })
        item.index = len(self.records) + len(self.new_rows) - 1

    def join(self, message: Incoming, decision: Decision, item: Taken) -> None:
        case_index = self.known.cases[item.ticket].index
        status = as_text(self.records.get("status", case_index))
        item.agent = as_text(self.records.get("assignee", case_index))
        words = decision.words or t("intake.no_text")
        if message.attachments:
            words += "\n" + t("intake.attachments", names="、".join(a.name for a in message.attachments))
        if decision.kind == RATING:
            item.score = decision.score
            if is_blank(self.records.get("csat", case_index)):   # a score a person typed is kept
                self.change("csat", case_index, decision.score)
                if decision.comment and self.records.has("csat_comment") and is_blank(
                        self.records.get("csat_comment", case_index)):
                    self.change("csat_comment", case_index, decision.comment[:MAX_TEXT])
            note = t("intake.rated", score=decision.score) + (f"：{decision.comment}" if decision.comment else "")
            self.progress(item.ticket, message, note, "done", None)
        elif decision.kind == CONFIRM:
            close = self.session.settings["confirm_action"] == "close" and status != self.vocab.word("status", "closed")
            new_status = self.vocab.word("status", "closed") if close else None
            if close:
                self.change("status", case_index, new_status)
                if is_blank(self.records.get("closed_at", case_index)):
                    self.change("closed_at", case_index, message.sent_at)
            self.progress(item.ticket, message, t("intake.confirmed", words=words), "done", new_status)
        else:
            reopen = status == self.vocab.word("status", "closed")
            new_status = self.vocab.word("status", "follow_up") if reopen else None
            if reopen:
                self.change("status", case_index, new_status)
                item.reopened = True
            self.progress(item.ticket, message, words, "ongoing", new_status)

    # -------------------------------------------------------------- the edits

    def write(self) -> None:
        if self.new_rows:
            self.records = self._append(self.records, self.new_rows)
        for key, values in self.changes.items():
            col = self.edits.column_for(self.records, key)
            sheet = self.edits.sheet(self.records.title, self.records.headers.row)
            for index, value in values.items():
                sheet.set(self.records.row_numbers[index], col, value)
                if key == "closed_at":
                    sheet.formats[col] = DATETIME
            self.records = self.records.with_values(key, values)
        self.report.records = self.records
        if self.progress_rows:
            progress = self.session.book.table("progress")
            if progress is None:
                self._new_progress_sheet()
            else:
                self.report.progress = self._append(progress, self.progress_rows)

    def _append(self, table: SheetTable, rows: list[dict]) -> SheetTable:
        first = self.edits.rows_for(table, len(rows))
        sheet = self.edits.sheet(table.title, table.headers.row)
        keys = [c.key for c in table.definition.columns if table.has(c.key) or c.key == "source_message"]
        for key in keys:
            if not any(row.get(key) is not None for row in rows):
                continue
            col = self.edits.column_for(table, key)
            for offset, row in enumerate(rows):
                if row.get(key) is not None:
                    sheet.set(first + offset, col, row[key])
            if key in ("received_at", "at"):
                sheet.formats[col] = DATETIME
        return table.with_rows([first + n for n in range(len(rows))], rows)

    def _new_progress_sheet(self) -> None:
        definition = self.session.definition.sheet("progress")
        self.edits.new_sheets.append(NewSheet(definition.name, "progress"))
        columns = {c.key: i for i, c in enumerate(definition.template_columns, start=1)}
        columns["source_message"] = len(columns) + 1
        sheet = self.edits.sheet(definition.name)
        for offset, row in enumerate(self.progress_rows):
            for key, value in row.items():
                if key in columns and value is not None:
                    sheet.set(2 + offset, columns[key], value)
        sheet.formats[columns["at"]] = DATETIME


def _take(intake: Intake, raw: Raw, message: Incoming) -> Taken:
    decision = decide_message(message, intake.known)
    item = Taken(raw.label, message.identity, decision.kind, message.sender, message.subject, decision.ticket,
                 why=decision.why, attachments=message.attachments)
    if decision.kind == NEW:
        item.ticket = None
        intake.new_record(message, decision, item)
        if decision.why == "other_sender":
            item.why = t("intake.verify", ticket=decision.ticket, sender=message.sender)
    elif decision.kind in (REPLY, CONFIRM, RATING):
        intake.join(message, decision, item)
    elif decision.kind == BOUNCE:
        bounce, now = message.bounce, intake.session.now
        reason = bounce.reason or t("intake.bounce_no_reason")
        with Ledger(intake.session.sidecar) as ledger:
            hits = ledger.bounced(bounce.original_ids, reason, now)
        item.ticket = "、".join(sorted({h.ticket for h in hits})) or None
        IntakeLog(intake.session.sidecar).bounce([(address, reason) for address in bounce.recipients], now)
    return item


def intake_edits(session: Session, edits: Edits) -> IntakeReport:
    """Read every waiting message and make its edits; raises CannotRun when the source cannot be read."""
    setup = source_setup(session)
    report = IntakeReport(setup.transport_label, inbox_of(setup.folder) if setup.kind == "folder" else None)
    source = open_source(setup)
    session.hold(source.close)
    report.source_handle = source
    raws = source.fetch()
    if not raws:
        return report
    intake = Intake(session, edits, report)
    seen = seen_before(session)
    for raw in raws:
        try:
            message = _parse(raw, session)
        except Unreadable as error:
            report.unreadable.append((raw.label, str(error)[:200]))
            report.aside.append(raw.key)
            continue
        if message.identity in seen:
            report.already += 1
            report.keys.append((raw.key, message.identity, "seen", "", message.sender))
            continue
        seen.add(message.identity)   # the same message twice in one batch is taken once
        item = _take(intake, raw, message)
        report.items.append(item)
        report.keys.append((raw.key, message.identity, item.kind, item.ticket or "", message.sender))
    intake.write()
    return report


def nightly_intake_edits(session: Session, edits: Edits) -> IntakeReport:
    """The nightly run's first step: a mailbox that cannot be read is said, and the run goes on."""
    try:
        return intake_edits(session, edits)
    except CannotRun as error:
        report = IntakeReport(source_setup(session).transport_label, error=error.message)
        session.warnings.append(t("intake.source_failed", reason=error.message))
        return report


def into_book(session: Session, report: IntakeReport) -> None:
    """What later steps see: the new records (numbering numbers them), the cases' new values and
    the 进度跟踪 entries (the mail step reads them)."""
    if report.records is not None:
        session.book.tables["records"] = report.records
    if report.progress is not None:
        session.book.tables["progress"] = report.progress


def wanted(session: Session) -> bool:
    """The inbox folder is read only when it exists; every other source whenever set."""
    if session.settings["intake_source"] != "folder":
        return True
    return inbox_of(session.sidecar.folder).is_dir()


# ------------------------------------------------------------------ after numbering, after the save


def keep_attachments(session: Session, report: IntakeReport) -> None:
    """Save each message's attachments under attachments/<记录编号>/, before the workbook naming
    them is saved (the folder is named by the record's number: `new_numbers` first)."""
    for item in report.items:
        if not item.attachments or not item.ticket:
            continue
        folder = session.sidecar.folder / "attachments" / item.ticket
        folder.mkdir(parents=True, exist_ok=True)
        for attachment in item.attachments:
            (folder / attachment.name).write_bytes(attachment.data)


def new_numbers(session: Session, report: IntakeReport) -> None:
    """Name each new record's number in the report, once numbering gave it."""
    records = session.records()
    for item in report.items:
        if item.kind == NEW and item.index is not None:
            item.ticket = as_text(records.get("ticket_no", item.index)) or None


def commit(session: Session, report: IntakeReport) -> None:
    """The workbook is saved: remember each message, then move it to 已处理. A failure here is said;
    the next run finds the messages in the workbook and moves them then."""
    numbers = {item.identity: item.ticket or "" for item in report.items}
    IntakeLog(session.sidecar).remember(
        [(identity, kind, numbers.get(identity, ticket), sender)
         for _key, identity, kind, ticket, sender in report.keys],
        session.now)
    source = report.source_handle
    if source is None:
        return
    try:
        source.taken([key for key, *_rest in report.keys])
        source.set_aside(report.aside)
    except (OSError, CannotRun) as error:
        reason = error.message if isinstance(error, CannotRun) else (error.strerror or str(error))
        session.warnings.append(t("intake.not_moved", reason=reason))
    except Exception as error:  # an IMAP/EWS/Graph library's own error while moving
        session.warnings.append(t("intake.not_moved", reason=type(error).__name__))
