"""`servicebook mail`: plan the emails the rules call for, preview them or hand them to the
configured transport, record every outcome in the ledger first, and show it in 邮件日志."""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from servicebook.domain.mail_rules import CARE_INDEX, Planned, plan_messages, read_mail_rules, template_label
from servicebook.domain.problems import Problem
from servicebook.domain.values import as_text
from servicebook.edits import Edits, NewSheet
from servicebook.errors import CannotRun
from servicebook.jobs import sla as sla_job
from servicebook.jobs.session import Session
from servicebook.mail.ledger import DRAFT, FAILED, FINAL, MAX_ATTEMPTS, SENDING, SENT, Entry, Ledger
from servicebook.mail.message import BadAddress, build_message, message_id
from servicebook.mail.render import Renderer, TemplateProblem, override_folder
from servicebook.mail.secrets import find_secret
from servicebook.mail.transports import Outcome, Transport
from servicebook.progress import track
from servicebook.text import t

DATETIME = "yyyy-mm-dd hh:mm"


@dataclass
class Result:
    ticket: str
    template: str
    recipient: str
    subject: str
    state: str
    detail: str = ""
    file: str | None = None


@dataclass
class MailReport:
    preview: bool
    transport: str
    results: list[Result] = field(default_factory=list)
    already: int = 0
    recovered: int = 0
    problems: list[Problem] = field(default_factory=list)
    folder: Path | None = None

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for result in self.results:
            counts[result.state] = counts.get(result.state, 0) + 1
        return counts

    @property
    def failed(self) -> bool:
        return any(r.state == FAILED for r in self.results)

    def as_json(self) -> dict:
        return {"preview": self.preview, "transport": self.transport, "counts": self.counts(),
                "already_produced": self.already, "interrupted_now_unknown": self.recovered,
                "folder": str(self.folder) if self.folder else None,
                "messages": [asdict(r) for r in self.results], "problems": [p.as_dict() for p in self.problems]}


# ---------------------------------------------------------------- transports from 设置


def _require(session: Session, key: str) -> str:
    value = as_text(session.settings[key])
    if not value:
        label = session.definition.settings.setting(key).label
        raise CannotRun(t("mail.setting_missing", label=label, transport=transport_label(session)))
    return value


def _secret(kind: str, account: str) -> str:
    secret = find_secret(kind, account)
    if not secret:
        raise CannotRun(t(f"mail.secret_missing_{kind}", account=account))
    return secret


def transport_label(session: Session) -> str:
    setting = session.definition.settings.setting("mail_transport")
    return setting.choices[session.settings["mail_transport"]]


def open_transport(session: Session) -> Transport:
    settings, kind = session.settings, session.settings["mail_transport"]
    sender = _require(session, "mail_from")
    if kind == "outbox":
        from servicebook.mail.transports.outbox import OutboxTransport

        return OutboxTransport(session.sidecar.folder / "outbox")
    if kind == "smtp":
        from servicebook.mail.transports.smtp import SmtpTransport

        user = as_text(settings["mail_username"])
        password = _secret("password", user) if user else None
        return SmtpTransport(_require(session, "smtp_host"), int(settings["smtp_port"]), settings["smtp_security"],
                             user, password, sender)
    if kind == "ews":
        from servicebook.mail.transports.ews import EwsTransport

        url = _require(session, "ews_url")
        if settings["ews_auth"] == "oauth2":
            client = _require(session, "ms_client_id")
            return EwsTransport(url, "oauth2", "", None, sender, settings["mail_save"], client_id=client,
                                client_secret=_secret("client_secret", client), tenant=_require(session, "ms_tenant"))
        user = _require(session, "mail_username")
        return EwsTransport(url, settings["ews_auth"], user, _secret("password", user), sender, settings["mail_save"])
    from servicebook.mail.transports.graph import GraphTransport, msal_token_provider

    client = _require(session, "ms_client_id")
    token = msal_token_provider(_require(session, "login_url"), _require(session, "ms_tenant"), client,
                                _secret("client_secret", client), _require(session, "graph_url"))
    return GraphTransport(_require(session, "graph_url"), sender, token, settings["mail_save"])


# ---------------------------------------------------------------- what was produced before


class History:
    """What the ledger and the 邮件日志 sheet say was produced already."""

    def __init__(self, session: Session, ledger: Ledger):
        self.entries = ledger.entries()
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

    def produced(self, planned: Planned) -> bool:
        entry = self.entries.get(planned.identity)
        if entry and (entry.state in FINAL or entry.attempts >= MAX_ATTEMPTS):
            return True
        in_sheet = self.sheet.get(message_id(planned.identity, self.sender))
        return bool(in_sheet and in_sheet[1] != self.failed_word and not entry)

    def sent_before(self, ticket: str, template: str) -> bool:
        if any(e.ticket == ticket and e.template == template and e.state in FINAL for e in self.entries.values()):
            return True
        label = template_label(template)
        return any(r[2] == ticket and r[3] == label and r[1] != self.failed_word for r in self.sheet.values())


# ---------------------------------------------------------------- the job


def plan(session: Session, ledger: Ledger) -> tuple[list[Planned], History, list[Problem]]:
    table = session.records()
    computed = sla_job.compute(session)
    history = History(session, ledger)
    book = session.book
    planned, problems = plan_messages(table, book.table("customers"), book.table("roster"), book.table("progress"),
                                      computed.result, read_mail_rules(session.settings), book.vocab, session.now,
                                      history.sent_before, book.table("care"))
    return planned, history, problems


def _render(renderer: Renderer, session: Session, item: Planned):
    sender = as_text(session.settings["mail_from"])
    sender_name = as_text(session.settings["mail_from_name"]) or session.settings["team_name"]
    rendered = renderer.render(item.template, item.context)
    sent_at = session.now.replace(microsecond=0, tzinfo=ZoneInfo(session.settings["timezone"]))
    message = build_message(rendered, sender, sender_name, item.recipient, item.recipient_name,
                            message_id(item.identity, sender), sent_at)
    return rendered, message


def mail_edits(session: Session, edits: Edits, preview: bool = False, transport: Transport | None = None) -> MailReport:
    ledger = Ledger(session.sidecar)
    report = MailReport(preview, transport_label(session))
    if not preview:
        report.recovered = ledger.recover(session.now)
    planned, history, report.problems = plan(session, ledger)
    waiting = [p for p in planned if not history.produced(p)]
    report.already = len(planned) - len(waiting)
    renderer = Renderer(override_folder(session.path))
    if preview:
        _preview(session, renderer, waiting, report)
        return report
    if waiting:
        transport = transport or open_transport(session)
        try:
            for item in track(waiting, t("progress.mailing")):
                result = _deliver(session, renderer, ledger, transport, item)
                report.results.append(result)
                if item.template == "care":
                    care_done(session, edits, item, result)
        finally:
            transport.close()
    log_edits(session, ledger, edits)
    return report


def care_done(session: Session, edits: Edits, item: Planned, result: Result) -> None:
    """A care email that went out is the care itself: the row says so (a draft is under way)."""
    if result.state not in (SENT, DRAFT):
        return
    care, vocab = session.book.table("care"), session.book.vocab
    index = item.context[CARE_INDEX]
    sheet = edits.sheet(care.title, care.headers.row)
    row = care.row_numbers[index]
    done = result.state == SENT
    status = vocab.word("care_status", "solved" if done else "doing")
    summary = t("care.mail_sent" if done else "care.mail_draft", subject=result.subject)
    for key, value in (("status", status), ("summary", summary), ("done", session.now.date() if done else None)):
        col = care.column_index(key)
        if col and value is not None:
            sheet.set(row, col, value)
            if key == "done":
                sheet.formats[col] = "yyyy-mm-dd"


def _deliver(session: Session, renderer: Renderer, ledger: Ledger, transport: Transport, item: Planned) -> Result:
    label = template_label(item.template)
    try:
        rendered, message = _render(renderer, session, item)
    except (TemplateProblem, BadAddress) as problem:
        detail = str(problem) if isinstance(problem, TemplateProblem) else t("mail.bad_address", address=item.recipient)
        _record(ledger, session, item, "", transport.name, detail)
        return Result(item.ticket, label, item.recipient, "", FAILED, detail)
    _record(ledger, session, item, rendered.subject, transport.name, None)
    try:
        outcome = transport.deliver(message, item.recipient, item.identity)
    except Exception as error:  # a transport bug must not lose the record of the attempt
        outcome = Outcome.unknown(t("mail.unexpected", error=f"{type(error).__name__}: {error}"[:200]))
    ledger.finish(item.identity, outcome.state, outcome.detail, session.now)
    return Result(item.ticket, label, item.recipient, rendered.subject, outcome.state, outcome.detail)


def _record(ledger: Ledger, session: Session, item: Planned, subject: str, transport: str, failure: str | None):
    sender = as_text(session.settings["mail_from"])
    ledger.begin(Entry(item.identity, item.ticket, item.template, item.recipient, item.version, subject, transport,
                       message_id(item.identity, sender), SENDING, "", 1, session.now.isoformat(sep=" ")))
    if failure is not None:
        ledger.finish(item.identity, FAILED, failure, session.now)


def _preview(session: Session, renderer: Renderer, waiting: list[Planned], report: MailReport) -> None:
    folder = session.sidecar.folder / "preview"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    report.folder = folder
    for number, item in enumerate(waiting, start=1):
        label = template_label(item.template)
        try:
            rendered, message = _render(renderer, session, item)
        except (TemplateProblem, BadAddress) as problem:
            report.results.append(Result(item.ticket, label, item.recipient, "", FAILED, str(problem)))
            continue
        stem = folder / f"{number:04d}-{item.template}-{item.ticket}"
        stem.with_suffix(".eml").write_bytes(message.as_bytes())
        stem.with_suffix(".html").write_text(rendered.html, encoding="utf-8")
        report.results.append(Result(item.ticket, label, item.recipient, rendered.subject, "preview",
                                     file=str(stem.with_suffix(".eml"))))


# ---------------------------------------------------------------- 邮件日志


def log_edits(session: Session, ledger: Ledger, edits: Edits) -> None:
    """Bring the 邮件日志 sheet up to date with the ledger: new rows, and changed results."""
    book, vocab = session.book, session.book.vocab
    entries = sorted(ledger.entries().values(), key=lambda e: (e.updated_at, e.identity))
    if not entries:
        return
    table = book.table("mail_log")
    labels = session.definition.settings.setting("mail_transport").choices
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
        next_row = table.last_row + 1
    sheet = edits.sheet(title)
    sheet.formats[columns["at"]] = DATETIME
    for entry in entries:
        result = vocab.word("mail_result", entry.state)
        found = existing.get(entry.message_id)
        if found and found[1] == result:
            continue
        row = found[0] if found else next_row
        next_row += 0 if found else 1
        values = {"at": _time(entry.updated_at), "ticket_no": entry.ticket, "template": template_label(entry.template),
                  "recipient": entry.recipient, "subject": entry.subject,
                  "transport": labels.get(entry.transport, entry.transport), "message_id": entry.message_id,
                  "result": result, "reason": entry.detail or None}
        for key, value in values.items():
            if key in columns:
                sheet.set(row, columns[key], value)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def mail(session: Session, preview: bool = False, transport: Transport | None = None) -> MailReport:
    edits = Edits()
    report = mail_edits(session, edits, preview, transport)
    if not preview:
        session.save(edits)
    return report
