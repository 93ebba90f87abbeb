"""Commands on one workbook file: init, check, validate, number, run."""

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
from servicebook.jobs import check as check_job
from servicebook.jobs import init as init_job
from servicebook.jobs import number as number_job
from servicebook.jobs import sla as sla_job
from servicebook.jobs import validate as validate_job
from servicebook.jobs.session import open_session
from servicebook.render.workbook import check_lines, number_lines, sla_lines, validate_lines
from servicebook.text import t


@click.command(help=t("cli.init_help"))
@click.argument("path", metavar=t("cli.workbook_metavar"), type=click.Path(path_type=Path, dir_okay=False))
def init(path: Path) -> None:
    report = init_job.init(path)
    if report.created:
        click.echo(t("init.done", path=str(report.path.resolve())))
    elif report.added:
        click.echo(t("init.added", path=str(report.path.resolve()), sheets="、".join(report.added)))
    else:
        click.echo(t("init.complete", path=str(report.path.resolve())))


@click.command(help=t("cli.check_help"))
@workbook_argument
@click.option("--all", "show_all", is_flag=True, help=t("check.all_help"))
@json_option
def check(path: Path, show_all: bool, as_json: bool) -> None:
    with open_session(path, writing=False) as session:
        report = check_job.check(session)
    if as_json:
        print_json(report.as_json())
    else:
        echo(check_lines(path.name, report, show_all))
    sys.exit(EXIT_PROBLEMS if report.failed else EXIT_OK)


@click.command(help=t("cli.validate_help"))
@workbook_argument
@json_option
@now_option
def validate(path: Path, as_json: bool, now) -> None:
    with open_session(path, now=now) as session:
        report = validate_job.validate(session)
    finish(report, validate_lines, as_json, report.failed, session.warnings)


@click.command(help=t("cli.number_help"))
@workbook_argument
@json_option
@now_option
def number(path: Path, as_json: bool, now) -> None:
    with open_session(path, now=now) as session:
        report = number_job.number(session)
    finish(report, number_lines, as_json, report.failed, session.warnings)


@click.command(help=t("cli.sla_help"))
@workbook_argument
@json_option
@now_option
def sla(path: Path, as_json: bool, now) -> None:
    with open_session(path, now=now) as session:
        report = sla_job.sla(session)
    finish(report, sla_lines, as_json, warnings=session.warnings)




COMMANDS = [init, check, validate, number, sla]
