"""Commands for email: mail (preview or send), intake (read the mailbox) and secret (store a password in
the keyring)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from servicebook.cli.common import finish, json_option, now_option, workbook_argument
from servicebook.errors import CannotRun
from servicebook.jobs import mail as mail_job
from servicebook.jobs.run import intake as intake_job
from servicebook.jobs.session import open_session
from servicebook.mail.secrets import ENVIRONMENT, keyring_name, store_secret
from servicebook.render.intake import intake_lines
from servicebook.render.mail import mail_lines
from servicebook.text import t


@click.command(help=t("cli.mail_help"))
@workbook_argument
@click.option("--preview", is_flag=True, help=t("cli.preview_help"))
@json_option
@now_option
def mail(path: Path, preview: bool, as_json: bool, now) -> None:
    with open_session(path, now=now, writing=not preview) as session:
        report = mail_job.mail(session, preview_only=preview)
    finish(report, mail_lines, as_json, report.failed, session.warnings)



@click.group(help=t("cli.secret_help"))
def secret() -> None:
    pass


@secret.command("set", help=t("cli.secret_help"))
@click.argument("kind", metavar=t("cli.secret_kind_metavar"),
                type=click.Choice(["password", "imap-password", "db-password", "client-secret", "robot-webhook",
                                  "robot-secret"]))
@click.argument("account", metavar=t("cli.secret_account_metavar"))
def set_secret(kind: str, account: str) -> None:
    kind = kind.replace("-", "_")
    hidden = sys.stdin.isatty()
    if not hidden:   # input cannot be hidden here (and getpass would say so in English)
        click.echo(t("secret.may_echo"), err=True)
    prompt = t("secret.prompt" if hidden else "secret.prompt_visible", kind=t(f"secret.kind_{kind}"))
    value = click.prompt(prompt, hide_input=hidden,
                         confirmation_prompt=True, prompt_suffix="：")
    try:
        store_secret(kind, account, value)
    except Exception as error:  # keyring backends raise their own types
        raise CannotRun(t("secret.no_keyring", error=type(error).__name__, variable=ENVIRONMENT[kind])) from error
    click.echo(t("secret.stored", name=keyring_name(kind, account)))


@click.command(help=t("cli.intake_help"))
@workbook_argument
@json_option
@now_option
def intake(path: Path, as_json: bool, now) -> None:
    with open_session(path, now=now) as session:
        report = intake_job(session)
    finish(report, intake_lines, as_json, report.failed, session.warnings)


COMMANDS = [mail, intake, secret]
