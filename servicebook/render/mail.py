"""mail, in words."""

from __future__ import annotations

from servicebook.domain.delivery import FAILED, UNKNOWN
from servicebook.jobs.mail import MailReport
from servicebook.render import SHOWN, problem_lines
from servicebook.text import t


def mail_lines(report: MailReport) -> list[str]:
    out = [t("mail.recovered", count=report.recovered)] if report.recovered else []
    if report.preview:
        out.append(t("mail.summary_preview", count=len(report.results), already=report.already, folder=report.folder))
        out += [t("mail.line", **vars(result)) for result in report.results[:SHOWN]]
    elif not report.results:
        out.append(t("mail.nothing", already=report.already))
    else:
        counts = "，".join(t("mail.count_item", state=t(f"mail.state.{state}"), count=n)
                          for state, n in report.counts().items())
        out.append(t("mail.summary_sent", transport=report.transport, counts=counts, already=report.already))
    templates: dict[str, int] = {}
    for result in report.results:
        templates[result.template] = templates.get(result.template, 0) + 1
    if templates:
        out.append(t("mail.by_template", items="，".join(f"{k} {v}" for k, v in templates.items())))
    for result in report.results:
        if result.state == FAILED:
            out.append(t("mail.failed_line", **vars(result)))
        elif result.state == UNKNOWN:
            out.append(t("mail.unknown_line", **vars(result)))
    if report.late_skipped:
        out.append(t("mail.late_skipped", count=report.late_skipped))
    if report.held:
        out.append(t("mail.held", count=len(report.held)))
        out += ["  " + problem.describe() for problem in report.held[:SHOWN]]
    return out + problem_lines(report.problems)
