"""`servicebook demo`: a realistic workbook, and every step run on it."""

from __future__ import annotations

from pathlib import Path

import click

from servicebook.cli.common import echo, now_option
from servicebook.demo.build import DemoSize
from servicebook.jobs import demo as demo_job
from servicebook.render.run import run_lines
from servicebook.text import t


@click.command(help=t("cli.demo_help"))
@click.option("--dir", "folder", type=click.Path(path_type=Path, file_okay=False), default=Path("servicebook-demo"),
              show_default=True, help=t("demo.dir_help"))
@click.option("--records", type=click.IntRange(100, 200_000), default=DemoSize.records, show_default=True,
              help=t("demo.records_help"))
@click.option("--seed", type=int, default=2024, show_default=True, help=t("demo.seed_help"))
@now_option
def demo(folder: Path, records: int, seed: int, now) -> None:
    size = DemoSize(records=records, customers=max(50, records // 4))
    click.echo(t("demo.building", records=records))
    report = demo_job.demo(folder, now, size, seed)
    click.echo(t("demo.built", path=str(report.path.resolve()), records=report.records))
    records_sheet = report.check.sheets[0]
    click.echo(t("demo.checked", title=records_sheet.title, columns=len(records_sheet.columns)))
    echo(run_lines(report.run))
    click.echo(t("demo.where", path=str(report.path.resolve()), folder=str(report.path.with_suffix("").resolve())))


COMMANDS = [demo]
