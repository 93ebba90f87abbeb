"""`servicebook demo`: build the demo workbook and run every step on it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from servicebook.definition import definition
from servicebook.demo.build import DemoSize, generate, write_demo
from servicebook.domain.report import last_full_month
from servicebook.jobs import check as check_job
from servicebook.jobs import run as run_job
from servicebook.jobs.session import local_now, open_session
from servicebook.progress import stage
from servicebook.sidecar import sidecar_dir
from servicebook.text import t

DEMO_NAME = "客服工作簿-演示.xlsx"


@dataclass
class DemoReport:
    path: Path
    records: int
    check: check_job.CheckReport
    run: run_job.RunReport


def demo(folder: Path, now: datetime | None = None, size: DemoSize | None = None, seed: int = 2024) -> DemoReport:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / DEMO_NAME
    # The demo folder is ours: start from a clean workbook every time.
    path.unlink(missing_ok=True)
    shutil.rmtree(sidecar_dir(path), ignore_errors=True)
    now = now or local_now(definition().settings.setting("timezone").default)
    with stage(t("progress.generating")):
        data = generate(now, size or DemoSize(), seed)
        write_demo(path, data, definition())
    with open_session(path, now=now) as session:
        checked = check_job.check(session)
        ran = run_job.run(session, report_period=last_full_month(now.date()))
    return DemoReport(path, len(data.records), checked, ran)
