"""The scheduled job: run (everything, nightly), care (the care plan alone) and schedule."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import click

from servicebook.cli.common import (
    finish,
    json_option,
    now_option,
    printed,
    workbook_argument,
)
from servicebook.cli.mail_cmds import print_mail
from servicebook.cli.people_cmds import print_assign
from servicebook.cli.report_cmd import print_report
from servicebook.cli.workbook_cmds import print_number, print_sla, print_validate
from servicebook.jobs import care as care_job
from servicebook.jobs import run as run_job
from servicebook.jobs import schedule as schedule_job
from servicebook.jobs.session import open_session
from servicebook.text import t


def run_lines(report: run_job.RunReport) -> list[str]:
    """The run's summary as printed, for the log beside the workbook."""
    return printed(print_run, report).splitlines()


def run_sections(report: run_job.RunReport):
    sections = [(t("run.numbered"), print_number, report.number)]
    if report.assign:
        sections.append((t("run.assigned"), print_assign, report.assign))
    sections += [(t("run.validated"), print_validate, report.validate), (t("run.sla"), print_sla, report.sla),
                 (t("run.care"), print_care, report.care), (t("run.mail"), print_mail, report.mail)]
    if report.report:
        sections.append((t("run.report"), print_report, report.report))
    return sections


def print_run(report: run_job.RunReport) -> None:
    for title, printer, value in run_sections(report):
        click.echo(title)
        printer(value)
    if report.backup:
        click.echo(t("run.backup", path=str(report.backup)))


@click.command(help=t("cli.run_help"))
@workbook_argument
@click.option("--wait", "wait_minutes", type=click.FloatRange(0, 24 * 60), default=30, show_default=True,
              metavar="分钟", help=t("run.wait_help"))
@json_option
@now_option
def run(path: Path, wait_minutes: float, as_json: bool, now) -> None:
    report = run_job.scheduled_run(path, now, wait_minutes * 60, log=run_lines)
    finish(report, print_run, as_json, report.failed, report.warnings)


def print_care(report: care_job.CareReport) -> None:
    if not report.planned:
        click.echo(t("care.none", overdue=report.overdue))
        return
    kinds: dict[str, int] = {}
    for item in report.planned:
        kinds[item.reason] = kinds.get(item.reason, 0) + 1
    click.echo(t("care.summary", count=len(report.planned), overdue=report.overdue,
                 kinds="，".join(f"{k} {v}" for k, v in kinds.items())))


@click.command(help=t("cli.care_help"))
@workbook_argument
@json_option
@now_option
def care(path: Path, as_json: bool, now) -> None:
    with open_session(path, now=now) as session:
        report = care_job.care(session)
    finish(report, print_care, as_json, warnings=session.warnings)


def _time(_ctx, _param, value: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,2})[:：](\d{2})", value.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise click.BadParameter(t("schedule.bad_time", value=value))
    return int(match.group(1)), int(match.group(2))


@click.command(help=t("cli.schedule_help"))
@workbook_argument
@click.option("--time", "at", default="02:00", show_default=True, callback=_time, help=t("schedule.time_help"))
@click.option("--install", is_flag=True, help=t("schedule.install_help"))
def schedule(path: Path, at: tuple[int, int], install: bool) -> None:
    entry = schedule_job.Schedule(path.resolve(), *at)
    schedule_job.prepare(entry)
    click.echo(t("schedule.title_windows"))
    click.echo("  " + subprocess.list2cmdline(entry.windows()))   # Windows' own quoting rules
    click.echo(t("schedule.title_cron"))
    click.echo("  " + entry.cron())
    service, timer = entry.systemd()
    name = entry.unit
    click.echo(t("schedule.title_systemd", name=name))
    click.echo(f"--- {name}.service\n{service}--- {name}.timer\n{timer}")
    if install:
        click.echo(schedule_job.install(entry))


COMMANDS = [run, care, schedule]
