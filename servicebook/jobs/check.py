"""`servicebook check`: how the tool reads a workbook — which sheet is which, which column is
which, what is missing, where its own columns will go and which figures cannot be computed —
before it changes anything."""

from __future__ import annotations

from dataclasses import dataclass, field

from servicebook.definition import ColumnDef, definition
from servicebook.domain.book import DATA_SHEETS, Book
from servicebook.domain.problems import Problem
from servicebook.domain.report import NEEDS as FIGURE_NEEDS
from servicebook.domain.settings import Settings
from servicebook.domain.sla import uncomputed
from servicebook.domain.table import SheetTable, column_letter
from servicebook.edits import Edits
from servicebook.errors import CannotRun
from servicebook.jobs.session import Session
from servicebook.text import t


@dataclass
class SheetMapping:
    key: str
    name: str                          # the definition's name
    title: str | None                  # the sheet found, or None
    header_row: int = 0
    rows: int = 0
    columns: list[dict] = field(default_factory=list)
    missing: list[dict] = field(default_factory=list)
    extras: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)      # rows that are not records, and why
    table: str | None = None                               # the Excel Table the rows live in


@dataclass
class Disabled:
    """What the workbook's missing time columns leave uncomputed."""

    columns: list[str]                 # the headers to add or alias
    metrics: list[str]                 # SLA metrics, in words
    figures: list[str]                 # report figures, in words


@dataclass
class CheckReport:
    sheets: list[SheetMapping]
    problems: list[Problem]
    disabled: list[Disabled] = field(default_factory=list)
    new_columns: list[tuple[str, str]] = field(default_factory=list)   # (header, column letter)
    blocked: str | None = None                                         # why the tool's columns cannot go in
    alias_cell: str | None = None                                      # where a 表头别名 row is written

    @property
    def failed(self) -> bool:
        return any(p.is_error for p in self.problems) or self.blocked is not None or any(
            s.title is None for s in self.sheets if s.key == "records")

    def as_json(self) -> dict:
        return {
            "sheets": [vars(s) for s in self.sheets],
            "problems": [p.as_dict() for p in self.problems],
            "not_computed": [vars(d) for d in self.disabled],
            "new_columns": [{"header": h, "column": c} for h, c in self.new_columns],
            "blocked": self.blocked,
            "alias_cell": self.alias_cell,
        }


def required_columns() -> list[ColumnDef]:
    return [c for c in definition().sheet("records").columns if c.required]


def _mapping(book: Book, key: str) -> SheetMapping:
    sheet = book.definition.sheet(key)
    table = book.table(key)
    if table is None:
        return SheetMapping(key, sheet.name, None)
    found = SheetMapping(key, sheet.name, table.title, table.headers.row, len(table),
                         table=table.excel_table.name if table.excel_table else None)
    for col in sheet.columns:
        index = table.column_index(col.key)
        if index:
            found.columns.append({"key": col.key, "header": col.header, "column": column_letter(index),
                                  "as_written": table.header(col.key)})
        elif col.template or col.required:
            found.missing.append({"key": col.key, "header": col.header, "required": col.required,
                                  "computed": col.computed})
    found.extras = [{"column": column_letter(i), "header": h} for i, h in table.headers.extras]
    found.skipped = [{"row": row, "why": why} for row, why in sorted(table.skipped.items())]
    return found


def disabled(table: SheetTable) -> list[Disabled]:
    """Each group of missing time columns, with the SLA metrics and report figures it disables."""
    present = {key for key in table.headers.columns}
    groups: dict[tuple[str, ...], Disabled] = {}

    def header(key: str) -> str:
        return table.definition.column(key).header

    for metric, keys in uncomputed(present).items():
        entry = groups.setdefault(keys, Disabled([header(k) for k in keys], [], []))
        entry.metrics.append(t(f"sla.metric.{metric}"))
    for figure, needs in FIGURE_NEEDS.items():
        keys = tuple(group[0] for group in needs if not any(k in present for k in group))
        if keys:
            entry = groups.setdefault(keys, Disabled([header(k) for k in keys], [], []))
            entry.figures.append(t(f"report.figure.{figure}"))
    return list(groups.values())


def planned_columns(table: SheetTable) -> tuple[list[tuple[str, str]], str | None]:
    """Where the tool's missing computed columns would go (header, letter), or why they cannot."""
    edits, planned = Edits(), []
    try:
        for col in table.definition.columns:
            if col.computed and col.template and not table.has(col.key):
                planned.append((col.header, column_letter(edits.column_for(table, col.key))))
    except CannotRun as blocked:
        return planned, blocked.message
    return planned, None


def alias_cell(settings: Settings, definition) -> str | None:
    """`设置!AI5`: the first empty row of the 表头别名 table, where a team writes its own header."""
    letters = settings.table_letters.get("header_aliases")
    row = settings.table_rows.get("header_aliases")
    if not letters or not row:
        return None
    rows = settings.table("header_aliases")
    return f"{settings.title}!{letters['sheet']}{row + 1 + len([r for r in rows if r.get('__row__')])}"


def check(session: Session) -> CheckReport:
    book = session.book
    report = CheckReport([_mapping(book, key) for key in DATA_SHEETS], list(book.problems))
    records = book.table("records")
    if records is not None and records.headers.found:
        report.disabled = disabled(records)
        report.new_columns, report.blocked = planned_columns(records)
    report.alias_cell = alias_cell(book.settings, book.definition)
    return report
