"""`servicebook report`: the monthly report sheet (or weekly, daily)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from servicebook.cli.common import finish, json_option, now_option
from servicebook.domain.report import Period, day, last_full_month, month, quarter, week
from servicebook.jobs import report as report_job
from servicebook.jobs.department import department_report
from servicebook.jobs.session import open_session
from servicebook.render.run import report_lines
from servicebook.text import t


def _period(texts: dict) -> Period | None:
    chosen = [(PARSERS[kind], text) for kind, text in texts.items() if text]
    if len(chosen) > 1:
        raise click.UsageError(t("report.bad_period", value=" / ".join(text for _, text in chosen)))
    if not chosen:
        return None
    parse, text = chosen[0]
    try:
        return parse(text)
    except ValueError:
        raise click.BadParameter(t("report.bad_period", value=text)) from None


PARSERS = {"month": month, "week": week, "day": day, "quarter": quarter}


@click.command(help=t("cli.report_help"))
@click.argument("paths", nargs=-1, required=True, metavar=t("cli.workbooks_metavar"), type=click.Path(path_type=Path))
@click.option("--month", "month_text", metavar="YYYY-MM", help=t("report.month_help"))
@click.option("--week", "week_text", metavar="YYYY-Www", help=t("report.week_help"))
@click.option("--day", "day_text", metavar="YYYY-MM-DD", help=t("report.day_help"))
@click.option("--quarter", "quarter_text", metavar="YYYYQn", help=t("report.quarter_help"))
@click.option("--out", type=click.Path(path_type=Path), metavar=t("cli.workbook_metavar"), help=t("report.out_help"))
@json_option
@now_option
def report(paths: tuple[Path, ...], month_text, week_text, day_text, quarter_text, out: Path | None, as_json: bool,
           now) -> None:
    period = _period({"month": month_text, "week": week_text, "day": day_text, "quarter": quarter_text})
    if len(paths) > 1 or out is not None:
        if out is None:
            raise click.UsageError(t("report.needs_out"))
        result = department_report(list(paths), out, period or last_full_month((now or datetime.now()).date()), now)
        finish(result, report_lines, as_json, failed=result.skipped is not None)
    with open_session(paths[0], now=now) as session:
        result = report_job.report(session, period)
    finish(result, report_lines, as_json, failed=result.skipped is not None, warnings=session.warnings)


COMMANDS = [report]
