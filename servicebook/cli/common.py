"""Options and printing shared by the commands."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from servicebook.domain.problems import Problem
from servicebook.domain.values import parse_time
from servicebook.errors import CannotRun
from servicebook.text import t

EXIT_OK, EXIT_PROBLEMS, EXIT_CANNOT_RUN = 0, 1, 2
SHOWN_PROBLEMS = 30


def parse_now(_ctx, _param, value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = parse_time(value).value
    if parsed is None:
        raise click.BadParameter(t("cli.bad_now", value=value))
    return parsed


# The file's kind (folder, pipe, not a workbook) is checked by the command itself, in Chinese.
workbook_argument = click.argument("path", type=click.Path(path_type=Path))
json_option = click.option("--json", "as_json", is_flag=True, help=t("cli.json_help"))
now_option = click.option("--now", callback=parse_now, metavar="时间", help=t("cli.now_help"))


def print_json(data: dict) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def printed(printer: Callable[[Any], None], report: Any) -> str:
    """What a command prints for `report`, as text (for the run's log and the add-in's messages)."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        printer(report)
    return buffer.getvalue()


def finish(report: Any, printer: Callable[[Any], None], as_json: bool, failed: bool = False,
           warnings: list[str] | None = None) -> NoReturn:
    """Print a job's report (its JSON with --json) and exit: 1 when it found problems.
    `warnings`: what the session said once (a rebuilt state file, a log not saved), on stderr."""
    if as_json:
        print_json(report.as_json())
    else:
        printer(report)
    print_warnings(warnings or [])
    sys.exit(EXIT_PROBLEMS if failed else EXIT_OK)


def print_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        click.echo("! " + warning, err=True)


def print_problems(problems: list[Problem], more_hint: str = "") -> None:
    problems = sorted(problems, key=lambda p: (not p.is_error, p.sheet, p.row or 0))
    for problem in problems[:SHOWN_PROBLEMS]:
        click.echo("  " + problem.describe())
    if len(problems) > SHOWN_PROBLEMS:
        click.echo("  " + t("cli.more_problems", count=len(problems) - SHOWN_PROBLEMS, hint=more_hint))


def print_cannot_run(error: CannotRun) -> None:
    click.echo(t("cli.cannot_run", message=error.message), err=True)
    for line in error.details:
        click.echo("  - " + line, err=True)
