"""`servicebook run`: everything a scheduled job does, in one read and one write.

Number, assign, validate, SLA, care plan, mail (escalations, reminders, customer and care
emails) and — on the first run of a month — last month's report. One run at a time per workbook
(a lock beside it); while Excel has the workbook open the run waits a bounded time, then gives up
with exit code 2 rather than clobber it. Every run is logged beside the workbook.
"""

from __future__ import annotations

import logging
import logging.handlers
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from servicebook.definition import definition
from servicebook.domain.report import Period, last_full_month, last_full_quarter
from servicebook.edits import Edits
from servicebook.errors import CannotRun, WorkbookBusy
from servicebook.jobs import intake as intake_job
from servicebook.jobs import mail as mail_job
from servicebook.jobs import sync as sync_job
from servicebook.jobs.assign import AssignReport
from servicebook.jobs.care import CareReport
from servicebook.jobs.intake import IntakeReport
from servicebook.jobs.mail import MailReport
from servicebook.jobs.mail.log_sheet import log_edits
from servicebook.jobs.number import NumberReport
from servicebook.jobs.pipeline import INTAKE_STEPS, Results, run_steps
from servicebook.jobs.report import ReportReport, reports_edits, sheet_title
from servicebook.jobs.session import Session, open_session
from servicebook.jobs.sla import SlaReport
from servicebook.jobs.sync import SyncReport
from servicebook.jobs.validate import ValidateReport, mask_phones, note_held
from servicebook.mail.ledger import Ledger
from servicebook.sidecar import Sidecar
from servicebook.text import t
from servicebook.xlsx.lock import ensure_not_open, ensure_writable
from servicebook.xlsx.read import ensure_workbook, team_zone

LOG_BYTES, LOG_COPIES = 1_000_000, 5
REMIND_SECONDS = 300   # while waiting for Excel, say so again this often


@dataclass
class RunReport:
    assign: AssignReport | None
    number: NumberReport
    validate: ValidateReport
    sla: SlaReport
    care: CareReport
    mail: MailReport
    backup: Path | None
    report: ReportReport | None = None
    warnings: list[str] = field(default_factory=list)
    rewritten: bool = True   # False: every part came out as it was, so the file was left alone
    intake: IntakeReport | None = None
    quarter_report: ReportReport | None = None
    sync: SyncReport | None = None

    @property
    def failed(self) -> bool:
        return self.number.failed or self.validate.failed or self.mail.failed

    def as_json(self) -> dict:
        return {
            "intake": self.intake.as_json() if self.intake else None,
            "assign": self.assign.as_json() if self.assign else None,
            "number": self.number.as_json(),
            "validate": self.validate.as_json(),
            "sla": self.sla.as_json(),
            "care": self.care.as_json(),
            "mail": self.mail.as_json(),
            "report": self.report.as_json() if self.report else None,
            "quarter_report": self.quarter_report.as_json() if self.quarter_report else None,
            "sync": self.sync.as_json() if self.sync else None,
            "backup": str(self.backup) if self.backup else None,
            "rewritten": self.rewritten,
            "warnings": self.warnings,
        }


def due_report(session: Session) -> Period | None:
    """Last month's report, when it is not in the workbook yet: the first run of a month builds it."""
    period = last_full_month(session.now.date())
    return None if sheet_title(period) in session.book.titles else period


def due_quarter(session: Session) -> Period | None:
    """Last quarter's 季报, when it is not in the workbook yet: the first run of a quarter builds it."""
    period = last_full_quarter(session.now.date())
    return None if sheet_title(period) in session.book.titles else period


def run(session: Session, report_period: Period | None = None, quarter: Period | None = None) -> RunReport:
    """Every step, in the order of commitment: the rows' edits (numbers, assignments, care rows,
    everything an email may name) are saved first; only then do the emails go out; 邮件日志 last."""
    edits = Edits()
    rows = run_steps(session, edits)
    _place_intake(session, rows)
    sla = rows.sla.computed
    outgoing, recovered = mail_job.plan(session, sla)
    note_held(edits, session.records(), outgoing.held)
    reported, quarterly = _due_edits(session, edits, (report_period, quarter), sla)
    backup = session.save(edits)
    if rows.intake is not None:
        intake_job.commit(session, rows.intake)
    mailed = mail_job.send(session, outgoing, recovered)
    synced = _sync(session) if session.settings["db_sync"] else None
    return RunReport(rows.assign, rows.number, rows.validate, rows.sla, rows.care, mailed, backup, reported,
                     list(session.warnings), getattr(session.writer, "changed", True), rows.intake, quarterly, synced)


def _sync(session: Session) -> SyncReport | None:
    """The last step, when 设置 → 数据库同步 says so: a database that cannot be reached is said;
    the workbook and the emails are done, and the next run syncs again."""
    try:
        return sync_job.sync(session)
    except CannotRun as error:
        session.warnings.append(t("sync.nightly_failed", reason=error.message))
        return None


def _due_edits(session: Session, edits: Edits, periods: tuple[Period | None, ...],
               sla) -> list[ReportReport | None]:
    """Each due report's sheet; None for one not due or whose period had no records (nothing to
    report, and nothing to say every night)."""
    due = [period for period in periods if period]
    reported = iter(reports_edits(session, edits, due, sla) if due else [])
    return [_unless_skipped(next(reported)) if period else None for period in periods]


def _unless_skipped(reported: ReportReport) -> ReportReport | None:
    return None if reported.skipped else reported


def _place_intake(session: Session, rows: Results) -> None:
    """New records have their numbers now: name them, and put their attachments in their folders."""
    if rows.intake is not None and rows.intake.items:
        intake_job.new_numbers(session, rows.intake)
        intake_job.keep_attachments(session, rows.intake)


def intake(session: Session) -> IntakeReport:
    """`servicebook intake`: read the mailbox, number the new records, mask the phones in what came
    in, and save — then mark the messages taken. 受理通知 and the rest follow at the next run."""
    if session.settings["intake_source"] == "folder":   # made here, so a person sees where mail goes
        intake_job.inbox_of(session.sidecar.folder).mkdir(parents=True, exist_ok=True)
    edits = Edits()
    rows = run_steps(session, edits, INTAKE_STEPS)
    _place_intake(session, rows)
    report = rows.intake
    if report.items:
        mask_phones(session, edits)
        if report.count("bounce"):
            with Ledger(session.sidecar) as ledger:
                log_edits(session, ledger.entries(), edits)
    session.save(edits)
    intake_job.commit(session, report)
    return report


# ---------------------------------------------------------------- the scheduled run


class ZoneFormatter(logging.Formatter):
    """Log times in the team's zone (设置 → 时区), as every other time the tool shows."""

    def __init__(self, zone: str):
        super().__init__("%(asctime)s %(levelname)s %(message)s")
        self.zone = ZoneInfo(zone)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, self.zone)
        return f"{moment:%Y-%m-%d %H:%M:%S},{int(record.msecs):03d}"


def run_logger(workbook: Path) -> logging.Logger:
    sidecar = Sidecar(workbook)
    sidecar.make_folder()
    folder = sidecar.folder / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger(f"servicebook.run.{workbook.resolve()}")
    if not logger.handlers:
        handler = logging.handlers.RotatingFileHandler(folder / "servicebook.log", maxBytes=LOG_BYTES,
                                                       backupCount=LOG_COPIES, encoding="utf-8")
        handler.setFormatter(ZoneFormatter(team_zone(workbook, definition())))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def wait_until_closed(path: Path, wait_seconds: float, sleep: Callable[[float], None] = time.sleep,
                      say: Callable[[str], None] = lambda text: None) -> None:
    """Wait while Excel holds the workbook, up to `wait_seconds`, saying so at once and every few
    minutes (a run that waits in silence looks hung); then refuse."""
    start = time.monotonic()
    deadline = start + wait_seconds
    pause = min(30.0, max(0.5, wait_seconds / 20))
    said: float | None = None
    while True:
        try:
            ensure_not_open(path)
            if said is not None:
                say(t("run.wait_over"))
            return
        except WorkbookBusy as busy:
            if time.monotonic() + pause > deadline:
                raise WorkbookBusy(t("run.still_open", minutes=f"{wait_seconds / 60:g}", reason=busy.message)) from None
            if said is None or time.monotonic() - said >= REMIND_SECONDS:
                waited, left = (time.monotonic() - start) / 60, (deadline - time.monotonic()) / 60
                say(t("run.waiting", reason=busy.message, waited=f"{waited:.0f}", left=f"{left:.0f}"))
                said = time.monotonic()
            sleep(pause)


def scheduled_run(path: Path, now: datetime | None, wait_seconds: float,
                  log: Callable[[RunReport], list[str]] | None = None,
                  say: Callable[[str], None] = lambda text: None) -> RunReport:
    """The nightly job: lock, wait for Excel, run everything, log it."""
    path = Path(path)
    ensure_workbook(path)   # before anything is created beside it: a failed run leaves nothing
    ensure_writable(path)
    logger = run_logger(path)
    try:
        with Sidecar(path).writer():
            logger.info(t("run.started", path=str(path)))
            wait_until_closed(path, wait_seconds, say=lambda text: (logger.info(text), say(text)))
            with open_session(path, now=now) as session:
                report = run(session, due_report(session), due_quarter(session))
            for line in (log(report) if log else []):
                logger.info(line)
            logger.info(t("run.finished", code=1 if report.failed else 0))
            return report
    except CannotRun as error:
        logger.error(" ".join([error.message, *error.details]))
        raise
    except Exception:
        logger.exception(t("run.crashed"))
        raise
