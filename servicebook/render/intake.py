"""intake, in words."""

from __future__ import annotations

from servicebook.domain.incoming import BOUNCE, CONFIRM, NEW, RATING, REPLY, SKIP
from servicebook.jobs.intake import IntakeReport
from servicebook.render import SHOWN
from servicebook.text import t

KINDS = (NEW, REPLY, CONFIRM, RATING, BOUNCE, SKIP)


def intake_lines(report: IntakeReport) -> list[str]:
    if report.error:
        return [t("intake.source_failed", reason=report.error)]
    if not report.items and not report.unreadable:
        out = [t("intake.nothing", source=report.source, already=report.already)]
        return out + ([t("intake.empty_folder", folder=str(report.folder))] if report.folder else [])
    counts = "，".join(t(f"intake.kind.{kind}", count=report.count(kind)) for kind in KINDS if report.count(kind))
    out = [t("intake.summary", source=report.source, count=len(report.items), counts=counts or "—",
             already=report.already)]
    for item in report.items[:SHOWN]:
        if item.kind == SKIP:
            continue
        out.append(t(f"intake.line.{item.kind}", ticket=item.ticket or "—", sender=item.sender,
                     subject=item.subject[:40], score=item.score, why=item.why))
        if item.reopened:
            out.append(t("intake.reopened", ticket=item.ticket, agent=item.agent or t("intake.no_agent")))
    for label, reason in report.unreadable:
        out.append(t("intake.unreadable", message=label, reason=reason))
    return out
