"""`servicebook mail` and the mail step of the nightly run.

The order of commitment, which is what makes "never twice" hold through any crash:

1. everything an email refers to (record numbers, care rows and their numbers, assignments) is
   already saved in the workbook — the nightly run saves its row edits before calling `send`;
2. the ledger is settled (what a killed run left half-sent), the due emails are planned and each
   is recorded in the ledger before its transport is called, and its outcome after;
3. the 邮件日志 sheet and the care rows an email completed are written last, from the ledger; when
   that write fails, the next run writes them.
"""

from __future__ import annotations

from servicebook.edits import Edits
from servicebook.errors import CannotRun
from servicebook.jobs.mail.delivery import deliver, recover, transport_label, transport_setup
from servicebook.jobs.mail.log_sheet import care_edits, log_edits
from servicebook.jobs.mail.outgoing import Outgoing, plan_outgoing
from servicebook.jobs.mail.preview import write_preview
from servicebook.jobs.mail.result import MailReport, Result
from servicebook.jobs.session import Session
from servicebook.jobs.sla import Computed
from servicebook.mail.ledger import Ledger
from servicebook.mail.transports import Transport, outbox
from servicebook.text import t

__all__ = ["MailReport", "Outgoing", "Result", "commit_log", "mail", "plan", "preview", "send"]


def plan(session: Session, sla: Computed | None = None) -> tuple[Outgoing, int]:
    """Settle the ledger, then plan: (what is due and not produced yet, how many were left unknown)."""
    with Ledger(session.sidecar) as ledger:
        recovered = recover(session, ledger)
        return plan_outgoing(session, ledger, sla), recovered


def send(session: Session, outgoing: Outgoing, recovered: int = 0, transport: Transport | None = None) -> MailReport:
    """Step 2 and 3: deliver what `plan` found, then write what the workbook shows of the ledger."""
    report = MailReport(False, transport_label(session), already=outgoing.already, recovered=recovered,
                        problems=list(outgoing.problems), held=list(outgoing.held),
                        late_skipped=outgoing.late_skipped)
    with Ledger(session.sidecar) as ledger:
        report.results = deliver(session, ledger, outgoing.waiting, transport)
        entries = ledger.entries()
    _index_outbox(session, entries.values())
    report.log_saved = commit_log(session, entries, report)
    return report


def _index_outbox(session: Session, entries) -> None:
    folder = outbox.folder_of(transport_setup(session))
    if folder.is_dir() and not outbox.write_index(folder, entries):
        session.warnings.append(t("outbox.index_not_saved"))


def commit_log(session: Session, entries, report: MailReport) -> bool:
    """Write 邮件日志 and completed care rows; a failure is reported, never raised: the emails
    are out and recorded, and the next run writes the sheet from the ledger."""
    edits = Edits()
    log_edits(session, entries, edits)
    care_edits(session, entries, edits)
    try:
        session.save(edits, backup=False)
    except (CannotRun, OSError) as error:
        reason = error.message if isinstance(error, CannotRun) else (error.strerror or str(error))
        session.warnings.append(t("mail.log_not_saved", reason=reason))
        return False
    return True


def preview(session: Session) -> MailReport:
    """Every message that would go out, as files; the ledger and the workbook are not touched."""
    report = MailReport(True, transport_label(session))
    with Ledger(session.sidecar) as ledger:
        outgoing = plan_outgoing(session, ledger)
    report.already, report.problems = outgoing.already, outgoing.problems
    report.held, report.late_skipped = outgoing.held, outgoing.late_skipped
    write_preview(session, outgoing.waiting, report)
    return report


def mail(session: Session, preview_only: bool = False, transport: Transport | None = None) -> MailReport:
    """`servicebook mail`: the workbook already holds what the emails refer to (this command
    numbers nothing), so it plans, sends and logs."""
    if preview_only:
        return preview(session)
    outgoing, recovered = plan(session)
    return send(session, outgoing, recovered, transport)
