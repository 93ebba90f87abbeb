"""Commands for the real numbers behind masked phones: reveal, and the vault's key."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from servicebook.cli.common import EXIT_OK, EXIT_PROBLEMS, json_option, print_json, workbook_argument
from servicebook.jobs import reveal as reveal_job
from servicebook.text import t


@click.command(help=t("cli.reveal_help"))
@workbook_argument
@click.argument("query", metavar="记录编号或客户编号")
@json_option
def reveal(path: Path, query: str, as_json: bool) -> None:
    report = reveal_job.reveal(path, query, via=t("vault.via_cli"))
    if as_json:
        print_json(report.as_json())
    elif report.found:
        for item in report.found:
            click.echo(t("vault.found_line", sheet=item.sheet, row_key=item.row_key, column=item.column,
                         masked=item.masked, number=item.number, kept_at=item.kept_at))
        click.echo(t("vault.logged", path=str(report.log)))
    else:
        click.echo(t("vault.not_found", query=report.query))
    sys.exit(EXIT_OK if report.found else EXIT_PROBLEMS)


@click.group(help=t("cli.vault_help"))
def vault() -> None:
    pass


@vault.command("key", help=t("cli.vault_key_help"))
@click.option("--file", "file", type=click.Path(path_type=Path, dir_okay=False), help=t("cli.vault_file_help"))
def key(file: Path | None) -> None:
    click.echo(reveal_job.make_key(file))


COMMANDS = [reveal, vault]
