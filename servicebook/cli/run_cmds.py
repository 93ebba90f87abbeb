"""The scheduled job: run (everything, nightly), care (the care plan alone) and schedule."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import click

from servicebook.cli.common import finish, json_option, now_option, workbook_argument
from servicebook.jobs import care as care_job
from servicebook.jobs import run as run_job
from servicebook.jobs import schedule as schedule_job
from servicebook.jobs.session import open_session
from servicebook.render.run import care_lines, run_lines
from servicebook.text import t


@click.command(help=t("cli.run_help"))
@workbook_argument
@click.option("--wait", "wait_minutes", type=click.FloatRange(0, 24 * 60), default=30, show_default=True,
              metavar="分钟", help=t("run.wait_help"))
@json_option
@now_option
def run(path: Path, wait_minutes: float, as_json: bool, now) -> None:
    report = run_job.scheduled_run(path, now, wait_minutes * 60, log=run_lines,
                                   say=lambda text: click.echo(text, err=True))
    finish(report, run_lines, as_json, report.failed, report.warnings)



@click.command(help=t("cli.care_help"))
@workbook_argument
@json_option
@now_option
def care(path: Path, as_json: bool, now) -> None:
    with open_session(path, now=now) as session:
        report = care_job.care(session)
    finish(report, care_lines, as_json, warnings=session.warnings)


def _time(_ctx, _param, value: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,2})[:：](\d{2})", value.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise click.BadParameter(t("schedule.bad_time", value=value))
    return int(match.group(1)), int(match.group(2))


@click.command(help=t("cli.schedule_help"))
@workbook_argument
@click.option("--time", "at", metavar=t("cli.time_metavar"), default="02:00", show_default=True, callback=_time,
              help=t("schedule.time_help"))
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
