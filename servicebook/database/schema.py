"""The tables, as the README documents them: one per synced sheet (records, progress, care,
status_history, mail_log), a column per column of the sheet named by its key in `workbook/`,
and the sync's own columns. The primary key is (team, row_key)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, DateTime, Float, Integer, MetaData, String, Table, Text

from servicebook.definition import WorkbookDef
from servicebook.domain.sync_rows import SYNCED

TYPES = {"datetime": DateTime, "date": Date, "hours": Float, "score": Integer}
OWN = ("team", "row_key", "row_digest", "deleted", "synced_at", "deleted_at")


def metadata(definition: WorkbookDef) -> MetaData:
    meta = MetaData()
    for key in SYNCED:
        sheet = definition.sheet(key)
        columns = [Column(c.key, TYPES.get(c.type, Text)) for c in sheet.columns if c.key not in OWN]
        Table(key, meta,
              Column("team", String(200), primary_key=True),
              Column("row_key", String(400), primary_key=True),
              *columns,
              Column("row_digest", String(32), nullable=False),
              Column("deleted", Boolean, nullable=False, default=False),
              Column("synced_at", DateTime, nullable=False),
              Column("deleted_at", DateTime),
              comment=sheet.name)
    Table("sync_runs", meta,
          Column("id", Integer, primary_key=True, autoincrement=True),
          Column("team", String(200), nullable=False),
          Column("workbook", Text, nullable=False),
          Column("synced_at", DateTime, nullable=False),
          Column("inserted", Integer, nullable=False),
          Column("updated", Integer, nullable=False),
          Column("deleted", Integer, nullable=False),
          Column("unchanged", Integer, nullable=False))
    return meta
