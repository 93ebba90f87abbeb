"""The add-in: addin build, addin install, selftest."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from servicebook.cli.common import EXIT_OK, EXIT_PROBLEMS
from servicebook.errors import CannotRun
from servicebook.text import t


@click.group(help=t("cli.addin_help"))
def addin() -> None:
    pass


@addin.command("build", help=t("cli.addin_build_help"))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("addin") / "dist", show_default=True,
              help=t("cli.addin_out_help"))
def build_cmd(out_dir: Path) -> None:
    from servicebook.jobs.addin_build import build

    click.echo(t("addin.built", path=str(build(out_dir))))


@addin.command("install", help=t("cli.addin_install_help"))
@click.option("--xlam", type=click.Path(path_type=Path), default=Path("addin") / "dist" / "servicebook.xlam",
              show_default=True, help=t("cli.addin_xlam_help"))
def install_cmd(xlam: Path) -> None:
    from servicebook.addin.install import install

    if not xlam.exists():
        raise CannotRun(t("addin.no_xlam", path=str(xlam)))
    target, config = install(xlam)
    click.echo(t("addin.installed", path=str(target), config=str(config)))


@click.command(help=t("cli.selftest_help"))
def selftest() -> None:
    from servicebook.addin.selftest import selftest as run

    results = run()
    for name, ok, detail in results:
        click.echo(t("addin.selftest_line", result=t("addin.selftest_pass" if ok else "addin.selftest_fail"),
                     button=t(f"addin.button.{name}"), detail=detail or "—"))
    passed = sum(ok for _, ok, _ in results)
    click.echo(t("addin.selftest_summary", passed=passed, total=len(results)))
    sys.exit(EXIT_OK if passed == len(results) else EXIT_PROBLEMS)


COMMANDS = [addin, selftest]
