"""The folder beside a workbook where the tool keeps what must outlive an unsaved workbook:
backups, the record-number counters, the mail ledger, logs and the outbox.

For `客服工作簿.xlsx` it is `客服工作簿.servicebook/`, next to it, so it travels with the file
when the folder is copied, and a person can see what it is.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, serial INTEGER NOT NULL);
"""


def sidecar_dir(workbook: Path) -> Path:
    return workbook.with_name(workbook.stem + ".servicebook")


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

    def connect(self) -> sqlite3.Connection:
        self.folder.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.database, timeout=30, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.executescript(SCHEMA)
        return connection

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
