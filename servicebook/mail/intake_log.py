"""Which received messages were taken, and what each became, in the state database beside the
workbook. Written after the workbook holding the message's record is saved; the workbook's own
来信标识 columns are the other half of the memory, for a run killed between the two."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import closing
from datetime import datetime

from servicebook.sidecar import Sidecar

SCHEMA = """
CREATE TABLE IF NOT EXISTS intake (
    identity TEXT PRIMARY KEY,   -- the Message-ID, else sha256 of the message
    outcome TEXT NOT NULL,       -- new, reply, confirm, rating, bounce, skip
    ticket TEXT NOT NULL DEFAULT '',
    sender TEXT NOT NULL DEFAULT '',
    taken_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS bounced (
    address TEXT PRIMARY KEY,    -- a customer's address our mail bounced from
    reason TEXT NOT NULL,
    at TEXT NOT NULL
);
"""


class IntakeLog:
    def __init__(self, sidecar: Sidecar):
        self.sidecar = sidecar

    def _connect(self):
        db = self.sidecar.connect()
        db.executescript(SCHEMA)
        return db

    def seen(self) -> set[str]:
        if not self.sidecar.database.exists():
            return set()
        with closing(self._connect()) as db:
            return {row[0] for row in db.execute("SELECT identity FROM intake")}

    def _write(self, statement: str, rows: list[tuple]) -> None:
        """`statement` for each row, in one transaction."""
        if not rows:
            return
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(statement, rows)
            db.execute("COMMIT")

    def remember(self, taken: Iterable[tuple[str, str, str, str]], when: datetime) -> None:
        """(identity, outcome, ticket, sender) of each message taken."""
        self._write("INSERT OR IGNORE INTO intake (identity, outcome, ticket, sender, taken_at) VALUES (?, ?, ?, ?, ?)",
                    [(*item, when.isoformat(sep=" ")) for item in taken])

    def bounced(self) -> dict[str, str]:
        """Customer address -> why mail to it bounced."""
        if not self.sidecar.database.exists():
            return {}
        with closing(self._connect()) as db:
            return dict(db.execute("SELECT address, reason FROM bounced"))

    def bounce(self, addresses: Iterable[tuple[str, str]], when: datetime) -> None:
        self._write("INSERT INTO bounced (address, reason, at) VALUES (?, ?, ?) "
                    "ON CONFLICT(address) DO UPDATE SET reason = excluded.reason, at = excluded.at",
                    [(address, reason, when.isoformat(sep=" ")) for address, reason in addresses])
