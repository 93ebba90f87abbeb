"""`servicebook run`: everything a scheduled job does, in one read and one write."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from servicebook.domain.report import Period
from servicebook.edits import Edits
from servicebook.jobs.assign import AssignReport, assignment_edits
from servicebook.jobs.mail import MailReport, mail_edits
from servicebook.jobs.number import NumberReport, numbering_edits
from servicebook.jobs.report import ReportReport, report_edits
from servicebook.jobs.session import Session
from servicebook.jobs.sla import SlaReport, sla_edits
from servicebook.jobs.validate import ValidateReport, validation_edits


@dataclass
class RunReport:
    assign: AssignReport | None
    number: NumberReport
    validate: ValidateReport
    sla: SlaReport
    mail: MailReport
    backup: Path | None
    report: ReportReport | None = None

    @property
    def failed(self) -> bool:
        return self.number.failed or self.validate.failed or self.mail.failed

    def as_json(self) -> dict:
        return {
            "assign": self.assign.as_json() if self.assign else None,
            "number": self.number.as_json(),
            "validate": self.validate.as_json(),
            "sla": self.sla.as_json(),
            "mail": self.mail.as_json(),
            "report": self.report.as_json() if self.report else None,
            "backup": str(self.backup) if self.backup else None,
        }


def run(session: Session, report_period: Period | None = None) -> RunReport:
    edits = Edits()
    numbered = numbering_edits(session, edits)
    # A workbook with no roster is simply not assigned; every other step still runs.
    roster = session.book.table("roster")
    assigned = assignment_edits(session, edits) if roster is not None and len(roster) else None
    validated = validation_edits(session, edits)
    timed = sla_edits(session, edits)
    mailed = mail_edits(session, edits)
    reported = report_edits(session, edits, report_period) if report_period else None
    backup = session.save(edits)
    return RunReport(assigned, numbered, validated, timed, mailed, backup, reported)
