"""Commands about people: assign (who handles a new record) and history (a customer's past)."""

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
    workbook_argument,
)
from servicebook.domain.values import mask_phone, phone_text
from servicebook.edits import Edits
from servicebook.jobs import assign as assign_job
from servicebook.jobs import history as history_job
from servicebook.jobs.session import open_session
from servicebook.text import t


@click.command(help=t("cli.assign_help"))
@workbook_argument
@json_option
@now_option
def assign(path: Path, as_json: bool, now) -> None:
    with open_session(path, now=now) as session:
        report = assign_job.assign_records(session)
    finish(report, print_assign, as_json, report.failed, session.warnings)


def print_assign(report: assign_job.AssignReport) -> None:
    click.echo(t("assign.summary", count=len(report.lines), unassigned=len(report.unassigned_rows)))
    for line in report.lines[:SHOWN_PROBLEMS]:
        click.echo(t("assign.line", **{**line, "vip": " VIP" if line["vip"] else ""}))
    for row, reason in report.unassigned_rows:
        click.echo(t("assign.unassigned_line", row=row, ticket="", reason=reason))
    busy = "，".join(f"{agent} {count}" for agent, count in sorted(report.result.loads.items()))
    click.echo(t("assign.loads", loads=busy))


@click.command(help=t("cli.history_help"))
@workbook_argument
@click.argument("query", metavar="客户")
@click.option("--sheet", is_flag=True, help=t("history.sheet_help"))
@json_option
def history(path: Path, query: str, sheet: bool, as_json: bool) -> None:
    with open_session(path, writing=sheet) as session:
        found = history_job.lookup(session, query)
        if as_json:
            print_json(found.as_json())
        else:
            print_history(found)
        if found.found is None:
            sys.exit(EXIT_PROBLEMS)
        if sheet:
            edits = Edits()
            title = history_job.history_sheet_edits(found.found, edits)
            session.save(edits)
            if not as_json:
                click.echo(t("history.sheet_written", sheet=title))
    sys.exit(EXIT_OK)


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "—"


def print_history(found: history_job.Lookup) -> None:
    if found.found is None:
        if not found.candidates:
            click.echo(t("history.not_found", query=found.query))
            return
        click.echo(t("history.ambiguous", query=found.query))
        for customer in found.candidates:
            click.echo(t("history.candidate", customer_id=customer.customer_id or "—", name=customer.name,
                         records=len(customer.rows)))
        return
    h, none = found.found, t("history.none")
    profile = h.customer.profile
    phone = mask_phone(phone_text(profile["phone"])) if profile.get("phone") else none
    click.echo(t("history.title", name=h.customer.name, customer_id=h.customer.customer_id or none,
                 tier=profile.get("tier") or none, preferred=h.preferred or none, phone=phone))
    click.echo(t("history.contact", contact=profile.get("contact") or none, notes=profile.get("notes") or none))
    last = h.last_csat
    click.echo(t("history.summary", total=len(h.records), open=len(h.open),
                 last_csat=f"{last['csat']} 分（{last['ticket']}）" if last else none))
    for title, rows in ((t("history.open_title"), h.open), (t("history.records_title"), h.records)):
        if rows:
            click.echo(title)
            for r in rows[:SHOWN_PROBLEMS]:
                click.echo(t("history.line", **{**r, "received": _when(r["received"]), "csat": r["csat"] or "—"}))


COMMANDS = [assign, history]
