"""Commands on one workbook file: init, check, validate, number, run."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from servicebook.cli.common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    SHOWN_PROBLEMS,
    finish,
    json_option,
    now_option,
    print_json,
    print_problems,
    workbook_argument,
)
from servicebook.jobs import check as check_job
from servicebook.jobs import init as init_job
from servicebook.jobs import number as number_job
from servicebook.jobs import sla as sla_job
from servicebook.jobs import validate as validate_job
from servicebook.jobs.session import open_session
from servicebook.text import t


@click.command(help=t("cli.init_help"))
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
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
        print_check(path, report, show_all)
    sys.exit(EXIT_PROBLEMS if report.failed else EXIT_OK)


def _alias_hint(report: check_job.CheckReport, sheet: str, header: str) -> str:
    if report.alias_cell:
        return t("check.alias_hint", cell=report.alias_cell, sheet=sheet, header=header)
    return t("check.alias_hint_no_settings")


def print_check(path: Path, report: check_job.CheckReport, show_all: bool = False) -> None:
    """What decides whether the tool can work first, then what changes what it does; the optional
    columns and the other sheets' details only with --all."""
    click.echo(t("check.title", name=path.name))
    records, others = report.sheets[0], report.sheets[1:]
    if records.title is None:
        click.echo(t("check.records_absent"))
    else:
        click.echo(t("check.sheet_found", name=records.name, title=records.title, row=records.header_row,
                     rows=records.rows, columns=len(records.columns)))
        if records.table:
            click.echo(t("check.in_table", table=records.table))
        required = {c.key for c in check_job.required_columns()}
        for col in (c for c in records.columns if c["as_written"] != c["header"] and c["key"] in required):
            click.echo(t("check.alias_used", column=col["column"], written=col["as_written"], header=col["header"]))
        for col in records.missing:
            if col["required"]:
                click.echo(t("check.missing_required", header=col["header"]) + " "
                           + _alias_hint(report, records.name, col["header"]))
        if report.blocked:
            click.echo("  " + report.blocked)
        elif report.new_columns:
            letters = [letter for _, letter in report.new_columns]
            click.echo(t("check.new_columns", count=len(letters), first=letters[0], last=letters[-1],
                         where=t("check.in_the_table") if records.table else ""))
        for entry in report.disabled:
            click.echo(t("check.not_computed", columns="、".join(f"「{c}」" for c in entry.columns),
                         what="、".join(entry.metrics + entry.figures)))
        for skipped in records.skipped:
            click.echo(t("check.skipped_row", row=skipped["row"], why=skipped["why"]))
        if records.extras:
            extras = "、".join(f"{e['column']}列「{e['header']}」" for e in records.extras)
            click.echo(t("check.extras", extras=extras))
    for sheet in others:
        if sheet.title is None:
            click.echo(t("check.sheet_absent", name=sheet.name))
        else:
            click.echo(t("check.sheet_found", name=sheet.name, title=sheet.title, row=sheet.header_row,
                         rows=sheet.rows, columns=len(sheet.columns)))
    if show_all:
        for sheet in report.sheets:
            if sheet.title is None:
                continue
            click.echo(t("check.details", name=sheet.name))
            for col in (c for c in sheet.columns if c["as_written"] != c["header"]):
                click.echo(t("check.alias_used", column=col["column"], written=col["as_written"], header=col["header"]))
            for col in sheet.missing:
                if not col["required"]:
                    kind = "computed" if col["computed"] else "optional"
                    click.echo(t(f"check.missing_{kind}", header=col["header"]))
            if sheet.extras and sheet.key != "records":
                extras = "、".join(f"{e['column']}列「{e['header']}」" for e in sheet.extras)
                click.echo(t("check.extras", extras=extras))
    else:
        click.echo(t("check.more_with_all"))
    if report.problems:
        click.echo(t("check.problems"))
        print_problems(report.problems)


@click.command(help=t("cli.validate_help"))
@workbook_argument
@json_option
@now_option
def validate(path: Path, as_json: bool, now) -> None:
    with open_session(path, now=now) as session:
        report = validate_job.validate(session)
    finish(report, print_validate, as_json, report.failed, session.warnings)


def print_validate(report: validate_job.ValidateReport) -> None:
    summary = report.as_json()
    click.echo(t("validate.summary", rows=summary["rows"], bad_rows=summary["rows_with_errors"],
                 errors=summary["errors"], warnings=summary["warnings"], masked=summary["phones_masked"]))
    print_problems(report.problems, t("validate.see_column"))


@click.command(help=t("cli.number_help"))
@workbook_argument
@json_option
@now_option
def number(path: Path, as_json: bool, now) -> None:
    with open_session(path, now=now) as session:
        report = number_job.number(session)
    finish(report, print_number, as_json, report.failed, session.warnings)


def print_number(report: number_job.NumberReport) -> None:
    numbered = report.numbered
    click.echo(t("number.summary", count=len(numbered), already=report.result.already,
                 skipped=len(report.problems)))
    if numbered:
        click.echo(t("number.range", first=numbered[0][1], last=numbered[-1][1]))
    print_problems(report.problems)


@click.command(help=t("cli.sla_help"))
@workbook_argument
@json_option
@now_option
def sla(path: Path, as_json: bool, now) -> None:
    with open_session(path, now=now) as session:
        report = sla_job.sla(session)
    finish(report, print_sla, as_json, warnings=session.warnings)


def print_sla(report: sla_job.SlaReport) -> None:
    click.echo(t(f"sla.clock_{report.clock}"))
    for warning in report.warnings:
        click.echo("  ! " + warning)
    for metric, counts in report.counts.items():
        items = "，".join(t("sla.count_item", state=sla_job.state_word(s), count=c) for s, c in counts.items())
        click.echo("  " + t("sla.summary_line", metric=t(f"sla.metric.{metric}"), counts=items or "—"))
    for metric, headers in report.uncomputed.items():
        click.echo("  " + t("sla.not_computed", metric=t(f"sla.metric.{metric}"),
                            columns="、".join(f"「{h}」" for h in headers)))
    if report.observed:
        click.echo("  " + t("sla.history_recorded", count=report.observed))
    if not report.escalations:
        click.echo(t("sla.no_escalations"))
        return
    click.echo(t("sla.escalations", count=len(report.escalations)))
    for item in report.escalations[:SHOWN_PROBLEMS]:
        click.echo(t("sla.escalation_line", **item.as_dict()))
    if len(report.escalations) > SHOWN_PROBLEMS:
        click.echo("  " + t("cli.more_problems", count=len(report.escalations) - SHOWN_PROBLEMS,
                             hint=t("sla.see_column")))


COMMANDS = [init, check, validate, number, sla]
