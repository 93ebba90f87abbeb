"""The mail ledger: every message's identity and fate, in a SQLite file beside the workbook.

A message is marked `sending` and committed before the transport is called, and `sent`,
`draft`, `failed` or `unknown` after. An entry that is `sending` when a run starts belonged to a
run that died mid-send: nobody knows whether the message went out, so it becomes `unknown` and
is never sent again automatically. The ledger does not live in the workbook, because Excel can
crash before the workbook is saved.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime

from servicebook.sidecar import Sidecar
from servicebook.text import t

SENDING, SENT, DRAFT, FAILED, UNKNOWN = "sending", "sent", "draft", "failed", "unknown"
FINAL = (SENDING, SENT, DRAFT, UNKNOWN)   # never sent again
MAX_ATTEMPTS = 3

SCHEMA = """
CREATE TABLE IF NOT EXISTS mail (
    identity TEXT PRIMARY KEY,
    ticket TEXT NOT NULL,
    template TEXT NOT NULL,
    recipient TEXT NOT NULL,
    version TEXT NOT NULL,
    subject TEXT NOT NULL,
    transport TEXT NOT NULL,
    message_id TEXT NOT NULL,
    state TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS mail_ticket ON mail(ticket, template);
"""


@dataclass(frozen=True)
class Entry:
    identity: str
    ticket: str
    template: str
    recipient: str
    version: str
    subject: str
    transport: str
    message_id: str
    state: str
    detail: str
    attempts: int
    updated_at: str


class Ledger:
    def __init__(self, sidecar: Sidecar):
        self.sidecar = sidecar

    def _connect(self) -> sqlite3.Connection:
        db = self.sidecar.connect()
        db.executescript(SCHEMA)
        return db

    def entries(self) -> dict[str, Entry]:
        if not self.sidecar.database.exists():
            return {}
        with closing(self._connect()) as db:
            rows = db.execute(f"SELECT {', '.join(Entry.__dataclass_fields__)} FROM mail").fetchall()
        return {row[0]: Entry(*row) for row in rows}

    def recover(self, now: datetime) -> int:
        """Entries left `sending` by a run that died: their outcome is unknown. Returns how many."""
        if not self.sidecar.database.exists():
            return 0
        with closing(self._connect()) as db:
            cursor = db.execute("UPDATE mail SET state = ?, detail = ?, updated_at = ? WHERE state = ?",
                                (UNKNOWN, t("mail.interrupted"), now.isoformat(sep=" "), SENDING))
            return cursor.rowcount

    def begin(self, entry: Entry) -> None:
        """Record the attempt durably before anything is handed to a mail server."""
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                "INSERT INTO mail VALUES (?,?,?,?,?,?,?,?,?,?,1,?) ON CONFLICT(identity) DO UPDATE SET "
                "state = excluded.state, subject = excluded.subject, transport = excluded.transport, "
                "detail = '', attempts = mail.attempts + 1, updated_at = excluded.updated_at",
                (entry.identity, entry.ticket, entry.template, entry.recipient, entry.version, entry.subject,
                 entry.transport, entry.message_id, SENDING, "", entry.updated_at),
            )
            db.execute("COMMIT")

    def finish(self, identity: str, state: str, detail: str, when: datetime) -> None:
        with closing(self._connect()) as db:
            db.execute("UPDATE mail SET state = ?, detail = ?, updated_at = ? WHERE identity = ?",
                       (state, detail, when.isoformat(sep=" "), identity))
