"""`servicebook report`: the monthly report sheet (or weekly, daily)."""

from __future__ import annotations

from pathlib import Path

import click

from servicebook.cli.common import finish, json_option, now_option, workbook_argument
from servicebook.domain.report import Period, day, month, week
from servicebook.jobs import report as report_job
from servicebook.jobs.session import open_session
from servicebook.render.run import report_lines
from servicebook.text import t


def _period(month_text: str | None, week_text: str | None, day_text: str | None) -> Period | None:
    chosen = [(parse, text) for parse, text in ((month, month_text), (week, week_text), (day, day_text)) if text]
    if len(chosen) > 1:
        raise click.UsageError(t("report.bad_period", value=" / ".join(text for _, text in chosen)))
    if not chosen:
        return None
    parse, text = chosen[0]
    try:
        return parse(text)
    except ValueError:
        raise click.BadParameter(t("report.bad_period", value=text)) from None




@click.command(help=t("cli.report_help"))
@workbook_argument
@click.option("--month", "month_text", metavar="YYYY-MM", help=t("report.month_help"))
@click.option("--week", "week_text", metavar="YYYY-Www", help=t("report.week_help"))
@click.option("--day", "day_text", metavar="YYYY-MM-DD", help=t("report.day_help"))
@json_option
@now_option
def report(path: Path, month_text, week_text, day_text, as_json: bool, now) -> None:
    period = _period(month_text, week_text, day_text)
    with open_session(path, now=now) as session:
        result = report_job.report(session, period)
    finish(result, report_lines, as_json, failed=result.skipped is not None, warnings=session.warnings)


COMMANDS = [report]
