"""Options and printing shared by the commands."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from servicebook.domain.values import parse_time
from servicebook.errors import CannotRun
from servicebook.render import cannot_run_lines
from servicebook.text import t

EXIT_OK, EXIT_PROBLEMS, EXIT_CANNOT_RUN = 0, 1, 2


def parse_now(_ctx, _param, value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = parse_time(value).value
    if parsed is None:
        raise click.BadParameter(t("cli.bad_now", value=value))
    return parsed


# The file's kind (folder, pipe, not a workbook) is checked by the command itself, in Chinese.
workbook_argument = click.argument("path", metavar=t("cli.workbook_metavar"), type=click.Path(path_type=Path))
json_option = click.option("--json", "as_json", is_flag=True, help=t("cli.json_help"))
now_option = click.option("--now", callback=parse_now, metavar="时间", help=t("cli.now_help"))


def print_json(data: dict) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def echo(lines: list[str], err: bool = False) -> None:
    for line in lines:
        click.echo(line, err=err)


def finish(report: Any, render: Callable[[Any], list[str]], as_json: bool, failed: bool = False,
           warnings: list[str] | None = None) -> NoReturn:
    """Print a job's report in words (its JSON with --json) and exit: 1 when it found problems.
    `warnings`: what the session said once (a rebuilt state file, a log not saved), on stderr."""
    if as_json:
        print_json(report.as_json())
    else:
        echo(render(report))
    print_warnings(warnings or [])
    sys.exit(EXIT_PROBLEMS if failed else EXIT_OK)


def print_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        click.echo("! " + warning, err=True)


def print_cannot_run(error: CannotRun) -> None:
    echo(cannot_run_lines(error), err=True)
