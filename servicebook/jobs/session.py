"""One command's hold on a workbook file: checked, read, and written back safely."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from servicebook.definition import WorkbookDef, definition
from servicebook.domain.book import Book
from servicebook.domain.table import SheetTable
from servicebook.edits import Edits
from servicebook.errors import CannotRun
from servicebook.jobs.counters import counter_edits
from servicebook.progress import stage
from servicebook.sidecar import Sidecar
from servicebook.text import t
from servicebook.xlsx.lock import ensure_not_open
from servicebook.xlsx.parts.writer import write_edits
from servicebook.xlsx.read import ensure_workbook, load_book
from servicebook.xlsx.save import replace_atomically


def _fingerprint(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size

T = TypeVar("T")


@dataclass
class Session:
    path: Path
    book: Book
    now: datetime
    fingerprint: tuple[int, int]
    cache: dict = field(default_factory=dict)   # results one step computes and a later step reuses

    @property
    def definition(self) -> WorkbookDef:
        return self.book.definition

    @property
    def settings(self):
        return self.book.settings

    @property
    def sidecar(self) -> Sidecar:
        return Sidecar(self.path)

    def records(self) -> SheetTable:
        table = self.book.table("records")
        if table is None:
            raise CannotRun(t("open.no_records", name=self.definition.sheet("records").name, path=self.path.name))
        if not table.headers.found:
            raise CannotRun(t("open.no_record_header", sheet=table.title))
        return table

    def apply(self, step: Callable[..., T], *args: Any) -> T:
        """One job's step, its edits written: what a command that does one thing runs."""
        edits = Edits()
        report = step(self, edits, *args)
        self.save(edits)
        return report

    def save(self, edits: Edits) -> Path | None:
        """Write `edits` into the workbook; returns the backup of the previous version, if any."""
        if edits.is_empty():
            return None
        if edits.counters:
            counter_edits(self.book, edits.counters, edits)
        return self._write(edits)

    def _write(self, edits: Edits) -> Path | None:
        """Into the file, safely: never while it is open, never over a change made meanwhile."""
        ensure_not_open(self.path)
        if _fingerprint(self.path) != self.fingerprint:
            raise CannotRun(t("save.changed_meanwhile", name=self.path.name))
        with stage(t("progress.saving")):
            write = partial(write_edits, self.path, edits=edits, definition=self.definition)
            backup = replace_atomically(self.path, write, self.sidecar.backups, int(self.settings["backup_keep"]))
        self.fingerprint = _fingerprint(self.path)
        return backup


def local_now(timezone: str) -> datetime:
    """Wall-clock time in the team's zone, naive like the times in the workbook."""
    return datetime.now(ZoneInfo(timezone)).replace(tzinfo=None, microsecond=0)


def open_session(path: Path, *, now: datetime | None = None, writing: bool = True) -> Session:
    """Check the file, refuse early what a write would refuse later, and read it."""
    path = Path(path)
    ensure_workbook(path)
    if writing:
        ensure_not_open(path)
    fingerprint = _fingerprint(path)
    with stage(t("progress.reading")):
        book = load_book(path, definition())
    if book.settings.errors:
        raise CannotRun(t("open.bad_settings"), [p.describe() for p in book.settings.errors])
    session = Session(path, book, now or local_now(book.settings["timezone"]), fingerprint)
    return session
