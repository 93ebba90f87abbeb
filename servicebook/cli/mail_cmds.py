"""Commands for email: mail (preview or send) and secret (store a password in the keyring)."""

from __future__ import annotations

from pathlib import Path

import click

from servicebook.cli.common import (
    SHOWN_PROBLEMS,
    finish,
    json_option,
    now_option,
    print_problems,
    workbook_argument,
)
from servicebook.errors import CannotRun
from servicebook.jobs import mail as mail_job
from servicebook.jobs.session import open_session
from servicebook.mail.ledger import FAILED, UNKNOWN
from servicebook.mail.secrets import ENVIRONMENT, keyring_name, store_secret
from servicebook.text import t


@click.command(help=t("cli.mail_help"))
@workbook_argument
@click.option("--preview", is_flag=True, help=t("cli.preview_help"))
@json_option
@now_option
def mail(path: Path, preview: bool, as_json: bool, now) -> None:
    with open_session(path, now=now, writing=not preview) as session:
        report = mail_job.mail(session, preview_only=preview)
    finish(report, print_mail, as_json, report.failed, session.warnings)


def print_mail(report: mail_job.MailReport) -> None:
    if report.recovered:
        click.echo(t("mail.recovered", count=report.recovered))
    if report.preview:
        click.echo(t("mail.summary_preview", count=len(report.results), already=report.already, folder=report.folder))
        for result in report.results[:SHOWN_PROBLEMS]:
            click.echo(t("mail.line", **vars(result)))
    elif not report.results:
        click.echo(t("mail.nothing", already=report.already))
    else:
        counts = "，".join(t("mail.count_item", state=t(f"mail.state.{state}"), count=n)
                          for state, n in report.counts().items())
        click.echo(t("mail.summary_sent", transport=report.transport, counts=counts, already=report.already))
    templates: dict[str, int] = {}
    for result in report.results:
        templates[result.template] = templates.get(result.template, 0) + 1
    if templates:
        click.echo(t("mail.by_template", items="，".join(f"{k} {v}" for k, v in templates.items())))
    for result in report.results:
        if result.state == FAILED:
            click.echo(t("mail.failed_line", **vars(result)))
        elif result.state == UNKNOWN:
            click.echo(t("mail.unknown_line", **vars(result)))
    print_problems(report.problems)


@click.group(help=t("cli.secret_help"))
def secret() -> None:
    pass


@secret.command("set", help=t("cli.secret_help"))
@click.argument("kind", type=click.Choice(["password", "client-secret"]))
@click.argument("account")
def set_secret(kind: str, account: str) -> None:
    kind = kind.replace("-", "_")
    value = click.prompt(t("secret.prompt", kind=t(f"secret.kind_{kind}")), hide_input=True, confirmation_prompt=True)
    try:
        store_secret(kind, account, value)
    except Exception as error:  # keyring backends raise their own types
        raise CannotRun(t("secret.no_keyring", error=type(error).__name__, variable=ENVIRONMENT[kind])) from error
    click.echo(t("secret.stored", name=keyring_name(kind, account)))


COMMANDS = [mail, secret]
