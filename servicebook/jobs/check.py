"""`servicebook check`: how the tool reads a workbook — which sheet is which, which column is
which, what is missing — before it changes anything."""

from __future__ import annotations

from dataclasses import dataclass, field

from servicebook.domain.book import DATA_SHEETS, Book
from servicebook.domain.problems import Problem
from servicebook.domain.table import column_letter
from servicebook.jobs.session import Session


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


@dataclass
class CheckReport:
    sheets: list[SheetMapping]
    problems: list[Problem]

    @property
    def failed(self) -> bool:
        return any(p.is_error for p in self.problems) or any(
            s.title is None for s in self.sheets if s.key == "records")

    def as_json(self) -> dict:
        return {
            "sheets": [vars(s) for s in self.sheets],
            "problems": [p.as_dict() for p in self.problems],
        }


def _mapping(book: Book, key: str) -> SheetMapping:
    sheet = book.definition.sheet(key)
    table = book.table(key)
    if table is None:
        return SheetMapping(key, sheet.name, None)
    found = SheetMapping(key, sheet.name, table.title, table.headers.row, len(table))
    for col in sheet.columns:
        index = table.column_index(col.key)
        if index:
            found.columns.append({"key": col.key, "header": col.header, "column": column_letter(index),
                                  "as_written": table.header(col.key)})
        elif col.template or col.required:
            found.missing.append({"key": col.key, "header": col.header, "required": col.required,
                                  "computed": col.computed})
    found.extras = [{"column": column_letter(i), "header": h} for i, h in table.headers.extras]
    return found


def check(session: Session) -> CheckReport:
    book = session.book
    return CheckReport([_mapping(book, key) for key in DATA_SHEETS], list(book.problems))
