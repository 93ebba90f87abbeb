"""Commands about people: assign (who handles a new record) and history (a customer's past)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from servicebook.cli.common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    echo,
    finish,
    json_option,
    now_option,
    print_json,
    workbook_argument,
)
from servicebook.edits import Edits
from servicebook.jobs import assign as assign_job
from servicebook.jobs import history as history_job
from servicebook.jobs.session import open_session
from servicebook.render.people import assign_lines, history_lines
from servicebook.text import t


@click.command(help=t("cli.assign_help"))
@workbook_argument
@json_option
@now_option
def assign(path: Path, as_json: bool, now) -> None:
    with open_session(path, now=now) as session:
        report = assign_job.assign_records(session)
    finish(report, assign_lines, as_json, report.failed, session.warnings)



@click.command(help=t("cli.history_help"))
@workbook_argument
@click.argument("query", metavar=t("cli.customer_metavar"))
@click.option("--sheet", is_flag=True, help=t("history.sheet_help"))
@json_option
@now_option
def history(path: Path, query: str, sheet: bool, as_json: bool, now) -> None:
    with open_session(path, now=now, writing=sheet) as session:
        found = history_job.lookup(session, query)
        if as_json:
            print_json(found.as_json())
        else:
            echo(history_lines(found))
        if found.found is None:
            sys.exit(EXIT_PROBLEMS)
        if sheet:
            edits = Edits()
            title = history_job.history_sheet_edits(found.found, edits)
            session.save(edits)
            if not as_json:
                click.echo(t("history.sheet_written", sheet=title))
    sys.exit(EXIT_OK)




COMMANDS = [assign, history]
