"""sync and archive, in words."""

from __future__ import annotations

from servicebook.jobs.sync import SyncReport
from servicebook.text import t


def sync_lines(report: SyncReport) -> list[str]:
    out = [t("sync.summary", database=report.database, team=report.team)]
    for key, counts in report.tables.items():
        out.append(t("sync.table", table=t(f"sync.tables.{key}"), **vars(counts)))
    for key, count in report.skipped.items():
        out.append(t("sync.skipped", table=t(f"sync.tables.{key}"), count=count))
    return out
