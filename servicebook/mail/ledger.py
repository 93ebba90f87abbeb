"""The mail ledger: every message's identity and fate, in a SQLite file beside the workbook.

A message is marked `sending` and committed before the transport is called, and `sent`,
`draft`, `failed` or `unknown` after. An entry still `sending` when a run starts belonged to a
run that died mid-send. Where the transport can tell what became of it (the outbox: is the file
there?) the ledger asks it; otherwise nobody knows whether the message went out, so it becomes
`unknown` and is never sent again automatically. The ledger does not live in the workbook,
because Excel can crash before the workbook is saved.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import datetime

from servicebook.domain.delivery import BOUNCED, FAILED, SENDING, UNKNOWN
from servicebook.sidecar import Sidecar
from servicebook.text import t

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
    updated_at TEXT NOT NULL,
    location TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS mail_ticket ON mail(ticket, template);
CREATE TABLE IF NOT EXISTS covered (
    item TEXT NOT NULL,          -- an item a digest lists (its identity as a message of its own)
    digest TEXT NOT NULL,        -- the digest's identity, in the mail table
    PRIMARY KEY (item, digest)
);
"""
# Columns added after the first release, for ledgers written by it.
MIGRATIONS = (("location", "ALTER TABLE mail ADD COLUMN location TEXT NOT NULL DEFAULT ''"),)


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
    location: str = ""      # where the transport put it, when it can say (the outbox file's name)


COLUMNS = tuple(f.name for f in fields(Entry))


@dataclass(frozen=True)
class Finish:
    identity: str
    state: str
    detail: str = ""
    counted: bool = True    # False: the message certainly never left (no connection), not an attempt


def stamp(when: datetime) -> str:
    return when.isoformat(sep=" ")


class Ledger:
    """One connection for the life of a command (open lazily, close with `close()`)."""

    def __init__(self, sidecar: Sidecar):
        self.sidecar = sidecar
        self._db: sqlite3.Connection | None = None

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            db = self.sidecar.connect()
            db.executescript(SCHEMA)
            present = {row[1] for row in db.execute("PRAGMA table_info(mail)")}
            for column, statement in MIGRATIONS:
                if column not in present:
                    db.execute(statement)
            self._db = db
        return self._db

    def entries(self) -> dict[str, Entry]:
        if self._db is None and not self.sidecar.database.exists():
            return {}
        rows = self._connect().execute(f"SELECT {', '.join(COLUMNS)} FROM mail").fetchall()
        return {row[0]: Entry(*row) for row in rows}

    def recover(self, now: datetime, settle: Callable[[Entry], str | None]) -> int:
        """Settle the entries a dead run left `sending`: `settle(entry)` says what became of one
        (DRAFT: it is there; FAILED: it certainly did not go) or None when nobody can know, which
        makes it `unknown`. Returns how many became unknown."""
        if self._db is None and not self.sidecar.database.exists():
            return 0
        stuck = [e for e in self.entries().values() if e.state == SENDING]
        if not stuck:
            return 0
        finished, unknown = [], 0
        for entry in stuck:
            fate = settle(entry)
            if fate is None:
                unknown += 1
                finished.append(Finish(entry.identity, UNKNOWN, t("mail.interrupted")))
            else:
                finished.append(Finish(entry.identity, fate, "", counted=fate != FAILED))
        self.finish(finished, now)
        return unknown

    def covered(self) -> dict[str, list[str]]:
        """Item identity -> the digests that listed it."""
        if self._db is None and not self.sidecar.database.exists():
            return {}
        found: dict[str, list[str]] = {}
        for item, digest in self._connect().execute("SELECT item, digest FROM covered"):
            found.setdefault(item, []).append(digest)
        return found

    def begin(self, entries: Iterable[Entry], covers: Iterable[tuple[str, str]] = ()) -> None:
        """Record attempts durably, in one transaction, before anything is handed to a transport;
        `covers`: (item, digest) for the items each digest lists."""
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT OR IGNORE INTO covered (item, digest) VALUES (?, ?)", list(covers))
        db.executemany(
            f"INSERT INTO mail ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
            "ON CONFLICT(identity) DO UPDATE SET state = excluded.state, subject = excluded.subject, "
            "transport = excluded.transport, detail = '', attempts = mail.attempts + 1, "
            "updated_at = excluded.updated_at, "
            "location = CASE WHEN excluded.location = '' THEN mail.location ELSE excluded.location END",
            [(e.identity, e.ticket, e.template, e.recipient, e.version, e.subject, e.transport, e.message_id,
              SENDING, "", 1, e.updated_at, e.location) for e in entries],
        )
        db.execute("COMMIT")

    def finish(self, results: Iterable[Finish], when: datetime) -> None:
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        db.executemany("UPDATE mail SET state = ?, detail = ?, updated_at = ?, "
                       "attempts = attempts - ? WHERE identity = ?",
                       [(r.state, r.detail, stamp(when), 0 if r.counted else 1, r.identity) for r in results])
        db.execute("COMMIT")

    def bounced(self, message_ids: Iterable[str], reason: str, when: datetime) -> list[Entry]:
        """Mark the messages a delivery status notification returned; returns their entries."""
        wanted = {m.strip().strip("<>").lower() for m in message_ids}
        hits = [e for e in self.entries().values() if e.message_id.strip().strip("<>").lower() in wanted]
        if hits:
            db = self._connect()
            db.execute("BEGIN IMMEDIATE")
            db.executemany("UPDATE mail SET state = ?, detail = ?, updated_at = ? WHERE identity = ?",
                           [(BOUNCED, reason, stamp(when), e.identity) for e in hits])
            db.execute("COMMIT")
        return hits

    def restore(self, entries: Iterable[Entry]) -> int:
        """Entries known from elsewhere (the 邮件日志 sheet) after the ledger was lost; existing
        entries win. Returns how many were added."""
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        before = db.total_changes
        db.executemany(f"INSERT OR IGNORE INTO mail ({', '.join(COLUMNS)}) "
                       f"VALUES ({', '.join('?' * len(COLUMNS))})",
                       [tuple(getattr(e, c) for c in COLUMNS) for e in entries])
        added = db.total_changes - before
        db.execute("COMMIT")
        return added
