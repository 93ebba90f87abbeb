"""The `servicebook` command line: thin wrappers that read arguments, call a job and print.

Exit codes: 0 done, 1 problems found in the data, 2 the command could not run.
"""

from __future__ import annotations

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


@click.group(help=t("cli.main_help"), context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", message="servicebook %(version)s")
def app() -> None:
    pass


def _register() -> None:
    from servicebook.cli import (
        addin_cmds,
        database_cmds,
        demo_cmd,
        mail_cmds,
        people_cmds,
        privacy_cmds,
        report_cmd,
        run_cmds,
        workbook_cmds,
    )

    for module in (workbook_cmds, people_cmds, privacy_cmds, mail_cmds, report_cmd, database_cmds, run_cmds, demo_cmd,
                   addin_cmds):
        for command in module.COMMANDS:
            app.add_command(command)
    chinese.localise(app)


_register()


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
