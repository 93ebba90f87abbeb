"""The `servicebook` command line: thin wrappers that read arguments, call a job and print.

Exit codes: 0 done, 1 problems found in the data, 2 the command could not run.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys

import click

from servicebook import __version__
from servicebook.batch import tune_for_batch
from servicebook.cli import chinese
from servicebook.cli.common import EXIT_CANNOT_RUN, print_cannot_run
from servicebook.errors import CannotRun, explain
from servicebook.text import t

chinese.install()   # before any command is declared: some of click's words are taken at declaration


# Each command's module, imported only when that command runs (or the list is shown): a command
# loads the jobs it needs, not every job's libraries — a nightly `run` does not import the demo
# generator, the archive or the database drivers.
COMMAND_MODULES = {
    "init": "workbook_cmds", "check": "workbook_cmds", "validate": "workbook_cmds", "number": "workbook_cmds",
    "sla": "workbook_cmds", "assign": "people_cmds", "history": "people_cmds", "reveal": "privacy_cmds",
    "vault": "privacy_cmds", "mail": "mail_cmds", "intake": "mail_cmds", "secret": "mail_cmds",
    "report": "report_cmd", "sync": "database_cmds", "archive": "database_cmds", "run": "run_cmds",
    "care": "run_cmds", "schedule": "run_cmds", "demo": "demo_cmd", "addin": "addin_cmds",
    "selftest": "addin_cmds",
}


class LazyGroup(click.Group):
    """The top-level group: knows every command's name, loads a command's module when asked for it."""

    def list_commands(self, ctx: click.Context | None) -> list[str]:
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context | None, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            module = importlib.import_module(f"servicebook.cli.{COMMAND_MODULES[cmd_name]}")
            for command in module.COMMANDS:
                chinese.localise(command)
                self.add_command(command)
        return self.commands.get(cmd_name)


@click.group(cls=LazyGroup, help=t("cli.main_help"), context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", message="servicebook %(version)s")
def app() -> None:
    pass


chinese.localise(app)


def main() -> None:
    for stream in (sys.stdout, sys.stderr):
        readable = ("utf-8", "utf8", "gbk", "gb18030")
        if hasattr(stream, "reconfigure") and (stream.encoding or "").lower() not in readable:
            stream.reconfigure(encoding="utf-8", errors="replace")
    tune_for_batch()
    logging.raiseExceptions = False   # a log that cannot be written (a full disk) must not print a traceback
    try:
        app(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(EXIT_CANNOT_RUN)
    except click.exceptions.Abort:
        click.echo(t("cli.aborted"), err=True)
        sys.exit(EXIT_CANNOT_RUN)
    except CannotRun as error:
        print_cannot_run(error)
        sys.exit(EXIT_CANNOT_RUN)
    except KeyboardInterrupt:
        click.echo(t("cli.aborted"), err=True)
        sys.exit(EXIT_CANNOT_RUN)
    except Exception as error:  # the last line of defence: a message, not a traceback
        if os.environ.get("SERVICEBOOK_DEBUG"):
            raise
        explained = explain(error)
        if explained:
            print_cannot_run(CannotRun(explained))
            sys.exit(EXIT_CANNOT_RUN)
        click.echo(t("cli.internal_error", error=f"{type(error).__name__}: {error}"), err=True)
        sys.exit(EXIT_CANNOT_RUN)
