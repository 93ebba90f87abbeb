"""`servicebook sync`, and the nightly run's last step when 设置 → 数据库同步 says so: every
record, progress entry, care row, status change and mail-log row copied into the database
(SQLite beside the workbook by default; PostgreSQL for BI tools), keyed by team and row."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from servicebook.domain.sync_rows import SYNCED, SyncRow, sheet_rows
from servicebook.jobs.session import Session
from servicebook.mail.secrets import find_secret

if TYPE_CHECKING:
    from servicebook.database.store import Counts

DEFAULT_NAME = "servicebook.sqlite"


@dataclass
class SyncReport:
    database: str
    team: str
    tables: dict[str, Counts] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)   # rows left out (no key yet), by table

    failed = False

    def as_json(self) -> dict:
        return {"database": self.database, "team": self.team, "skipped": self.skipped,
                "tables": {k: vars(c) for k, c in self.tables.items()}}


def default_url(session: Session) -> str:
    return f"sqlite:///{(session.sidecar.folder / DEFAULT_NAME).resolve()}"


def sync(session: Session, url: str | None = None) -> SyncReport:
    # SQLAlchemy is imported only when a sync runs: a nightly run that does not sync never loads it.
    from servicebook.database.store import database_url, shown
    from servicebook.database.store import sync as sync_rows

    url = url or str(session.settings["db_url"] or "").strip() or default_url(session)
    parsed = database_url(url, None)
    if parsed.password is None and not parsed.drivername.startswith("sqlite"):
        parsed = database_url(url, find_secret("db_password", f"{parsed.username}@{parsed.host}"))
    if parsed.drivername.startswith("sqlite"):
        session.sidecar.make_folder()
    rows: dict[str, list[SyncRow]] = {}
    skipped: dict[str, int] = {}
    for key in SYNCED:
        table = session.book.table(key)
        if table is not None and table.headers.found:
            rows[key], skipped[key] = sheet_rows(table, key)
    team = session.settings["team_name"]
    counts = sync_rows(parsed, session.definition, team, session.path.name, rows, session.now)
    return SyncReport(shown(parsed), team, counts, {k: n for k, n in skipped.items() if n})
