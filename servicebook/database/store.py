"""Copying a team's rows into the database in one transaction: new and changed rows upserted
(by the row's digest, so an unchanged row is not written), rows gone from the workbook marked
deleted, a line in sync_runs. A sync killed part-way leaves the database as it was before: the
transaction is the database's own."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote

from sqlalchemy import create_engine, insert, inspect, select, text, update
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from servicebook.database.schema import metadata
from servicebook.definition import WorkbookDef
from servicebook.domain.sync_rows import SYNCED, SyncRow
from servicebook.errors import CannotRun
from servicebook.text import t

CHUNK = 500


@dataclass
class Counts:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0


def database_url(url: str, password: str | None) -> URL:
    """The URL as given, with the password from the keyring or environment when it has none."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise CannotRun(t("sync.bad_url", url=url)) from None
    if parsed.drivername == "postgresql":   # the driver this tool installs
        parsed = parsed.set(drivername="postgresql+psycopg")
    if password and parsed.password is None and not parsed.drivername.startswith("sqlite"):
        parsed = parsed.set(password=password)
    return parsed


def shown(url: URL) -> str:
    """The address as a person reads it: no password, no percent-encoding."""
    return unquote(url.render_as_string(hide_password=True))


def _upsert(connection: Connection, table, rows: list[dict]) -> None:
    dialect = connection.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:
        raise CannotRun(t("sync.unsupported", dialect=dialect))
    statement = dialect_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["team", "row_key"],
        set_={c.name: statement.excluded[c.name] for c in table.columns if c.name not in ("team", "row_key")})
    for start in range(0, len(rows), CHUNK):
        connection.execute(statement, rows[start:start + CHUNK])


def _add_missing_columns(connection: Connection, meta) -> None:
    """Columns a later release added to a table an earlier one made."""
    inspector = inspect(connection)
    for table in meta.sorted_tables:
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                kind = column.type.compile(dialect=connection.dialect)
                connection.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'))


def _sync_table(connection: Connection, table, team: str, rows: Sequence[SyncRow], now: datetime) -> Counts:
    counts = Counts()
    existing = {key: (digest, deleted) for key, digest, deleted in connection.execute(
        select(table.c.row_key, table.c.row_digest, table.c.deleted).where(table.c.team == team))}
    names = [c.name for c in table.columns]
    changed = []
    for row in rows:
        before = existing.get(row.key)
        if before == (row.digest, False):
            counts.unchanged += 1
            continue
        counts.inserted += before is None
        counts.updated += before is not None
        values = {name: row.values.get(name) for name in names}
        values.update(team=team, row_key=row.key, row_digest=row.digest, deleted=False, synced_at=now,
                      deleted_at=None)
        changed.append(values)
    if changed:
        _upsert(connection, table, changed)
    present = {row.key for row in rows}
    gone = [key for key, (_digest, deleted) in existing.items() if not deleted and key not in present]
    for start in range(0, len(gone), CHUNK):
        connection.execute(update(table).where(table.c.team == team, table.c.row_key.in_(gone[start:start + CHUNK]))
                           .values(deleted=True, deleted_at=now))
    counts.deleted = len(gone)
    return counts


def sync(url: URL, definition: WorkbookDef, team: str, workbook: str, rows: dict[str, Sequence[SyncRow]],
         now: datetime) -> dict[str, Counts]:
    try:
        engine = create_engine(url)
    except (NoSuchModuleError, ArgumentError) as error:
        raise CannotRun(t("sync.bad_url", url=shown(url)) + f"（{error}）") from None
    meta = metadata(definition)
    try:
        with engine.begin() as connection:
            meta.create_all(connection)
            _add_missing_columns(connection, meta)
            found = {key: _sync_table(connection, meta.tables[key], team, rows.get(key, ()), now) for key in SYNCED}
            connection.execute(insert(meta.tables["sync_runs"]).values(
                team=team, workbook=workbook, synced_at=now, **_totals(found.values())))
        return found
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0][:300]
        raise CannotRun(t("sync.failed", url=shown(url), reason=reason)) from None
    finally:
        engine.dispose()


def _totals(counts: Iterable[Counts]) -> dict[str, int]:
    counts = list(counts)
    return {field: sum(getattr(c, field) for c in counts) for field in ("inserted", "updated", "deleted", "unchanged")}
