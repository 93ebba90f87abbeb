"""The folder beside a workbook where the tool keeps what must outlive an unsaved workbook:
backups, the record-number counters, the mail ledger, logs and the outbox.

For `客服工作簿.xlsx` it is `客服工作簿.servicebook/`, next to it, so it travels with the file
when the folder is copied, and a person can see what it is. It also holds the writers' lock:
every command that writes the workbook or the ledger holds it, so two never interleave.
"""

from __future__ import annotations

import contextlib
import errno
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime
from pathlib import Path

from filelock import FileLock, Timeout

from servicebook.errors import CannotRun
from servicebook.text import t

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, serial INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS written (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    file_digest TEXT NOT NULL,     -- the workbook as the tool last wrote it
    highlights TEXT NOT NULL       -- JSON: sheet title -> digest of the conditional formats written
);
CREATE TABLE IF NOT EXISTS extents (   -- how far the cells of each sheet the tool patched reach
    part TEXT PRIMARY KEY,
    crc INTEGER NOT NULL,          -- the part's CRC-32 and size as written: it is still that sheet
    size INTEGER NOT NULL,         -- while the zip directory says the same
    rows INTEGER NOT NULL,
    columns INTEGER NOT NULL
);
"""
LOCK_NAME = "run.lock"
DAMAGED = ".damaged-"


def sidecar_dir(workbook: Path) -> Path:
    return workbook.with_name(workbook.stem + ".servicebook")


# Locks held by this process, by lock file: a job that calls another (the nightly run calls the
# steps) takes the lock once; filelock's FileLock objects are not shared between instances.
_held: dict[str, tuple[FileLock, int]] = {}
_guard = threading.Lock()


class Sidecar:
    def __init__(self, workbook: Path):
        self.workbook = workbook
        self.folder = sidecar_dir(workbook)

    @property
    def backups(self) -> Path:
        return self.folder / "backups"

    @property
    def database(self) -> Path:
        return self.folder / "state.sqlite"

    def make_folder(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise CannotRun(t("save.read_only_folder", folder=str(self.folder.parent))) from None
            raise

    # ------------------------------------------------------------ one writer at a time

    @contextlib.contextmanager
    def writer(self) -> Iterator[None]:
        """Hold the writers' lock; a second writer is refused at once."""
        self.make_folder()
        key = str((self.folder / LOCK_NAME).resolve())
        with _guard:
            held = _held.get(key)
            if held is None:
                lock = FileLock(key, timeout=0)
                try:
                    lock.acquire()
                except Timeout:
                    raise CannotRun(t("run.locked", name=self.workbook.name)) from None
                except PermissionError:
                    raise CannotRun(t("save.read_only_folder", folder=str(self.folder))) from None
                held = (lock, 0)
            _held[key] = (held[0], held[1] + 1)
        try:
            yield
        finally:
            with _guard:
                lock, count = _held[key]
                if count == 1:
                    del _held[key]
                    lock.release()
                else:
                    _held[key] = (lock, count - 1)

    # ------------------------------------------------------------ the state database

    def connect(self) -> sqlite3.Connection:
        self.make_folder()
        connection = sqlite3.connect(self.database, timeout=30, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.executescript(SCHEMA)
        return connection

    def set_aside_if_damaged(self) -> Path | None:
        """A state database that cannot be read is moved aside (never deleted) and a fresh one
        starts; returns where the damaged copy went, for the caller to rebuild from the workbook."""
        if not self.database.exists():
            return None
        try:
            with closing(sqlite3.connect(self.database, timeout=30)) as db:
                verdict = db.execute("PRAGMA quick_check").fetchone()
                if verdict and verdict[0] == "ok":
                    db.executescript(SCHEMA)
                    return None
        except sqlite3.DatabaseError:
            pass
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = self.database.with_name(f"{self.database.name}{DAMAGED}{stamp}")
        for suffix in ("", "-wal", "-shm"):
            source = Path(str(self.database) + suffix)
            if source.exists():
                source.replace(Path(str(target) + suffix))
        return target

    def counters(self) -> dict[str, int]:
        if not self.database.exists():
            return {}
        with closing(self.connect()) as db:
            return dict(db.execute("SELECT key, serial FROM counters"))

    def raise_counters(self, counters: dict[str, int]) -> None:
        """Remember the highest serials given; a counter never goes down."""
        if not counters:
            return
        with closing(self.connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                "INSERT INTO counters(key, serial) VALUES(?, ?) "
                "ON CONFLICT(key) DO UPDATE SET serial = max(serial, excluded.serial)",
                counters.items(),
            )
            db.execute("COMMIT")

    # ------------------------------------------------------------ what the last write left

    def written(self) -> tuple[str, dict[str, str]]:
        """(the file's digest after the tool's last write, the conditional formats it wrote by sheet)."""
        if not self.database.exists():
            return "", {}
        with closing(self.connect()) as db:
            row = db.execute("SELECT file_digest, highlights FROM written WHERE id = 1").fetchone()
        return (row[0], json.loads(row[1])) if row else ("", {})

    def remember_written(self, file_digest: str, highlights: dict[str, str],
                         extents: dict[str, tuple[int, int, int, int]]) -> None:
        with closing(self.connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO written (id, file_digest, highlights) VALUES (1, ?, ?) ON CONFLICT(id) "
                       "DO UPDATE SET file_digest = excluded.file_digest, highlights = excluded.highlights",
                       (file_digest, json.dumps(highlights, ensure_ascii=False)))
            db.executemany("INSERT OR REPLACE INTO extents (part, crc, size, rows, columns) VALUES (?, ?, ?, ?, ?)",
                           [(part, *known) for part, known in extents.items()])
            db.execute("COMMIT")

    def extents(self) -> dict[str, tuple[int, int, int, int]]:
        """(CRC-32, size, rows, columns) by part of the sheets the tool patched. Nothing when there
        is no database or it cannot be read: every sheet is then measured, and a damaged database
        is set aside after the read (jobs.state), not here."""
        if not self.database.exists():
            return {}
        try:
            with closing(sqlite3.connect(self.database, timeout=30)) as db:
                return {part: (crc, size, rows, columns) for part, crc, size, rows, columns
                        in db.execute("SELECT part, crc, size, rows, columns FROM extents")}
        except sqlite3.DatabaseError:
            return {}
