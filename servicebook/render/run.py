"""report, care and the nightly run, in words."""

from __future__ import annotations

from servicebook.jobs.care import CareReport
from servicebook.jobs.report import ReportReport
from servicebook.jobs.run import RunReport
from servicebook.render.database import sync_lines
from servicebook.render.intake import intake_lines
from servicebook.render.mail import mail_lines
from servicebook.render.people import assign_lines
from servicebook.render.workbook import number_lines, sla_lines, validate_lines
from servicebook.text import t


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def report_lines(result: ReportReport) -> list[str]:
    if result.skipped:
        return [result.skipped]
    current = result.current
    csat = "—" if current.csat_avg is None else f"{current.csat_avg:.2f}"
    return [t("report.summary", sheet=result.title, received=current.received,
              resolved=_percent(current.resolved_rate), csat=csat, overdue=_percent(current.first_response_overdue))]


def care_lines(report: CareReport) -> list[str]:
    if not report.planned:
        return [t("care.none", overdue=report.overdue)]
    kinds: dict[str, int] = {}
    for item in report.planned:
        kinds[item.reason] = kinds.get(item.reason, 0) + 1
    return [t("care.summary", count=len(report.planned), overdue=report.overdue,
              kinds="，".join(f"{k} {v}" for k, v in kinds.items()))]


def run_lines(report: RunReport) -> list[str]:
    sections = []
    intake = report.intake
    if intake is not None and (intake.items or intake.unreadable or intake.error or intake.already):
        sections.append((t("run.intake"), intake_lines(intake)))
    sections.append((t("run.numbered"), number_lines(report.number)))
    if report.assign:
        sections.append((t("run.assigned"), assign_lines(report.assign)))
    sections += [(t("run.validated"), validate_lines(report.validate)), (t("run.sla"), sla_lines(report.sla)),
                 (t("run.care"), care_lines(report.care)), (t("run.mail"), mail_lines(report.mail))]
    for built in (report.report, report.quarter_report):
        if built:
            sections.append((t("run.report"), report_lines(built)))
    if report.sync:
        sections.append((t("run.sync"), sync_lines(report.sync)))
    out = [line for title, lines in sections for line in (title, *lines)]
    if report.backup:
        out.append(t("run.backup", path=str(report.backup)))
    elif not report.rewritten:
        out.append(t("run.unchanged"))
    return out
