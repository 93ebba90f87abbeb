"""Commands beyond one workbook: sync (copy the rows into a database) and archive (move closed
years into a workbook of their own)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from servicebook.cli.common import finish, json_option, now_option, workbook_argument
from servicebook.jobs import archive as archive_job
from servicebook.jobs import sync as sync_job
from servicebook.jobs.session import open_session
from servicebook.render.database import archive_lines, sync_lines
from servicebook.text import t


@click.command(help=t("cli.sync_help"))
@workbook_argument
@click.option("--db", "url", metavar=t("cli.url_metavar"), help=t("sync.db_help"))
@json_option
@now_option
def sync(path: Path, url: str | None, as_json: bool, now) -> None:
    with open_session(path, now=now, writing=False) as session:
        report = sync_job.sync(session, url)
    finish(report, sync_lines, as_json, False, session.warnings)


@click.command(help=t("cli.archive_help"))
@workbook_argument
@click.option("--before", "before_text", required=True, metavar="YYYY-MM-DD", help=t("archive.before_help"))
@json_option
@now_option
def archive(path: Path, before_text: str, as_json: bool, now) -> None:
    try:
        before = date.fromisoformat(before_text)
    except ValueError:
        raise click.BadParameter(t("archive.bad_date", value=before_text)) from None
    with open_session(path, now=now) as session:
        report = archive_job.archive(session, before)
    finish(report, archive_lines, as_json, False, session.warnings)


COMMANDS = [sync, archive]
