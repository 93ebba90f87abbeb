"""One command's hold on a workbook file: checked, read, and written back safely.

A session that writes holds the writers' lock beside the workbook from the moment it opens
until it closes, so no two commands (the nightly run, `mail`, a supervisor's `report`) ever
interleave their reads and writes of the workbook and the ledger.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from servicebook.definition import WorkbookDef, definition
from servicebook.domain.book import Book
from servicebook.domain.table import SheetTable
from servicebook.edits import Edits, Written, drop_unchanged, note_written
from servicebook.errors import CannotRun
from servicebook.jobs.counters import counter_edits
from servicebook.jobs.state import restore_if_damaged
from servicebook.progress import stage
from servicebook.sidecar import Sidecar
from servicebook.text import t
from servicebook.xlsx.file_writer import FileWriter
from servicebook.xlsx.lock import ensure_not_open, ensure_writable
from servicebook.xlsx.read import ensure_workbook, load_book
from servicebook.xlsx.scan import Extent, KnownExtent

T = TypeVar("T")


class Writer(Protocol):
    """Where a session's edits go: the saved file (xlsx.file_writer) or the workbook open in
    Excel (addin.live). Jobs never know which."""

    def write(self, edits: Edits, backup: bool = True) -> Path | None: ...


@dataclass
class Session:
    path: Path
    book: Book
    now: datetime
    writer: Writer | None   # None: a session that only reads
    warnings: list[str] = field(default_factory=list)   # said once, by whatever renders the result
    _resources: contextlib.ExitStack = field(default_factory=contextlib.ExitStack, repr=False)
    # The tables as read from the file (steps put new tables into the book; these stay), and the
    # cells this session has written since: what lets a save leave out what would not change.
    read: dict[str, SheetTable] | None = field(default=None, repr=False)
    _touched: Written = field(default_factory=dict, repr=False)
    # The file's digest after this session's last write (the writer refuses a file changed since).
    _written: str | None = field(default=None, repr=False)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._resources.close()

    def hold(self, close: Callable[[], None]) -> None:
        """Something the session opened (a mailbox connection) that is closed with it."""
        self._resources.callback(close)

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
            sheet = self.definition.sheet("records")
            required = "、".join(f"「{c.header}」" for c in sheet.columns if c.required)
            raise CannotRun(t("open.no_records", path=self.path.name, names="、".join((sheet.name, *sheet.aliases)),
                              headers=required))
        if not table.headers.found:
            raise CannotRun(t("open.no_record_header", sheet=table.title))
        return table

    def apply(self, step: Callable[..., T], *args: Any) -> T:
        """One job's step, its edits written: what a command that does one thing runs."""
        edits = Edits()
        report = step(self, edits, *args)
        self.save(edits)
        return report

    def save(self, edits: Edits, backup: bool = True) -> Path | None:
        """Write `edits` into the workbook; returns the backup of the previous version, if any.
        `backup=False` for a second write in the same command: its previous version differs
        from the backed-up one only by what the tool itself just wrote."""
        if edits.is_empty():
            return None
        if edits.counters:
            counter_edits(self.book, edits.counters, edits)
        known: dict[str, str] | None = None
        if self.read is not None:
            drop_unchanged(edits, self.read, self._touched)
            known = self._drop_known_highlights(edits)
            if edits.is_empty():
                return None   # everything the command would write is there already: the file is left alone
        if self.writer is None:
            raise RuntimeError("a reading session was asked to write")
        with stage(t("progress.saving")):
            saved = self.writer.write(edits, backup)
        note_written(self._touched, edits)
        if known is not None:
            known.update({title: _digest(sheet.highlights) for title, sheet in edits.sheets.items()
                          if sheet.highlights})
            self._written = file_digest(self.path)
            self.sidecar.remember_written(self._written, known, _measured(self.writer))
        return saved

    def _drop_known_highlights(self, edits: Edits) -> dict[str, str]:
        """Conditional formats the tool wrote in its last write, into a file nobody has saved since,
        are there as written: they are left out. Returns what is known to be in the file."""
        last_file, last = self.sidecar.written()
        if not last_file or last_file != (self._written or file_digest(self.path)):
            return {}
        for title, sheet in edits.sheets.items():
            if sheet.highlights and last.get(title) == _digest(sheet.highlights):
                sheet.highlights = {}
        return dict(last)


def _measured(writer: Writer) -> dict[str, tuple[int, int, int, int]]:
    """The extents of the sheets the file writer patched, as the state database keeps them."""
    extents: dict[str, KnownExtent] = getattr(writer, "extents", {})
    return {part: (known.crc, known.size, known.extent.rows, known.extent.columns) for part, known in extents.items()}


def known_extents(sidecar: Sidecar) -> dict[str, KnownExtent]:
    """What the tool measured of the sheets it wrote: a sheet still as written is not measured again."""
    return {part: KnownExtent(crc, size, Extent(rows, columns))
            for part, (crc, size, rows, columns) in sidecar.extents().items()}


def _digest(highlights: dict) -> str:
    return hashlib.sha256(repr(sorted(highlights.items())).encode("utf-8")).hexdigest()


def file_digest(path: Path) -> str:
    """The file's content, as a digest (a copy with the same time stamp is still told apart)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def local_now(timezone: str) -> datetime:
    """Wall-clock time in the team's zone, naive like the times in the workbook."""
    return datetime.now(ZoneInfo(timezone)).replace(tzinfo=None, microsecond=0)


def open_session(path: Path, *, now: datetime | None = None, writing: bool = True) -> Session:
    """Check the file, refuse early what a write would refuse later, take the writers' lock when
    writing, and read it. Use it in a `with` block: the lock is held until the session closes."""
    path = Path(path)
    ensure_workbook(path)
    resources = contextlib.ExitStack()
    try:
        if writing:
            ensure_writable(path)
            ensure_not_open(path)
            resources.enter_context(Sidecar(path).writer())
        writer = FileWriter(path, definition(), Sidecar(path).backups, 0) if writing else None
        with stage(t("progress.reading")):
            book = load_book(path, definition(), known_extents(Sidecar(path)),
                             writer.known_rows if writer else None)
        if book.settings.errors:
            raise CannotRun(t("open.bad_settings"), [p.describe() for p in book.settings.errors])
        if writer is not None:
            writer.keep = int(book.settings["backup_keep"])
        session = Session(path, book, now or local_now(book.settings["timezone"]), writer,
                          _resources=resources, read=dict(book.tables) if writer is not None else None)
        if writing:
            warning = restore_if_damaged(book, session.sidecar)
            if warning:
                session.warnings.append(warning)
        return session
    except BaseException:
        resources.close()
        raise
