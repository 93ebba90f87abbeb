"""sync and archive, in words."""

from __future__ import annotations

from servicebook.jobs.archive import ArchiveReport
from servicebook.jobs.sync import SyncReport
from servicebook.text import t


def sync_lines(report: SyncReport) -> list[str]:
    out = [t("sync.summary", database=report.database, team=report.team)]
    for key, counts in report.tables.items():
        out.append(t("sync.table", table=t(f"sync.tables.{key}"), **vars(counts)))
    for key, count in report.skipped.items():
        out.append(t("sync.skipped", table=t(f"sync.tables.{key}"), count=count))
    return out


def archive_lines(report: ArchiveReport) -> list[str]:
    if not report.moved:
        return [t("archive.nothing", before=report.before.isoformat())]
    out = [t("archive.summary", before=report.before.isoformat(), records=report.moved.get("records", 0))]
    for name, sheets in report.archives.items():
        counts = "，".join(t("archive.count", sheet=t(f"sync.tables.{k}"), count=n) for k, n in sheets.items())
        out.append(t("archive.line", archive=name, counts=counts))
    out.append(t("archive.after"))
    return out
