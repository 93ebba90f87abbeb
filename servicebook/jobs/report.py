"""`servicebook report`: build or rebuild the 月报 sheet (or 周报, 日报) supervisors open."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from servicebook.domain.report import Figures, Period, last_full_month, periods_figures
from servicebook.edits import BuiltSheet, Edits
from servicebook.jobs import sla as sla_job
from servicebook.jobs.session import Session
from servicebook.text import t


@dataclass
class ReportReport:
    title: str
    current: Figures
    previous: Figures
    skipped: str | None = None   # why no sheet was built (a period in the future, or with no records)

    def as_json(self) -> dict:
        def figures(f: Figures) -> dict:
            keep = ("received", "avg_accept_hours", "first_response_overdue", "avg_handling_hours", "resolved_rate",
                    "first_contact_rate", "csat_avg", "csat_100", "csat_good", "csat_bad", "care_coverage",
                    "care_on_time", "resolve_on_time", "by_type", "by_channel", "by_priority", "tags",
                    "csat_counts", "csat_rated", "agents", "bases", "monthly", "care_by_reason")
            values = {k: getattr(f, k) for k in keep}
            values["period"] = f.period.label
            values["breaches"], values["follow_up"] = len(f.breaches), len(f.follow_up)
            return values

        return {"sheet": None if self.skipped else self.title, "skipped": self.skipped,
                "current": figures(self.current), "previous": figures(self.previous)}


def sheet_title(period: Period) -> str:
    return t(f"report.sheet.{period.kind}", label=period.label)


def reopened_tickets(session: Session, computed: sla_job.Computed) -> set[str]:
    """Records that were ever 需跟进 or 已升级: they were not solved at the first contact."""
    vocab = session.book.vocab
    words = {vocab.word("status", "follow_up"), vocab.word("status", "escalated")}
    table = session.records()
    found = {e.ticket for e in computed.events if e.status in words}
    found |= {str(n).strip() for n, s in zip(table.column("ticket_no"), table.column("status"), strict=True)
              if n and str(s).strip() in words}
    return found


def report_edits(session: Session, edits: Edits, period: Period | None = None,
                 sla: sla_job.Computed | None = None) -> ReportReport:
    """`sla`: the run's SLA when an earlier step computed it (else it is computed here)."""
    return reports_edits(session, edits, [period or last_full_month(session.now.date())], sla)[0]


def reports_edits(session: Session, edits: Edits, periods: list[Period],
                  sla: sla_job.Computed | None = None) -> list[ReportReport]:
    """`report_edits` for each period, the records read once for all (a month's and a quarter's)."""
    from servicebook.sheets.report import ReportMeta, build_report_sheet  # openpyxl: only when a report is due

    computed = sla or sla_job.compute(session)
    figures = periods_figures(session.records(), session.book.vocab, computed.result, periods,
                              reopened_tickets(session, computed), session.book.table("care"))
    clock = t(f"report.clock.{computed.settings.clock}")
    reports = []
    for period, (current, previous) in zip(periods, figures, strict=True):
        meta = ReportMeta(session.settings["team_name"], clock, session.now, t(f"report.kind.{period.kind}"))
        title = sheet_title(period)
        skipped = _nothing_to_report(period, current.received, session.now.date())
        if skipped is None:
            edits.built_sheets.append(BuiltSheet(title, partial(build_report_sheet, current=current,
                                                                previous=previous, meta=meta)))
        reports.append(ReportReport(title, current, previous, skipped))
    return reports


def _nothing_to_report(period: Period, received: int, today) -> str | None:
    """An empty sheet would look like a month with no work done: say why there is none instead."""
    if period.start > today:
        return t("report.future", label=period.label, kind=t(f"report.kind.{period.kind}"))
    if received == 0:
        return t("report.no_records", label=period.label, kind=t(f"report.kind.{period.kind}"))
    return None


def report(session: Session, period: Period | None = None) -> ReportReport:
    """The report over the workbook and the archives beside it (a closed year's cases count too)."""
    from servicebook.jobs.archive import with_archives

    with_archives(session)
    return session.apply(report_edits, period)
