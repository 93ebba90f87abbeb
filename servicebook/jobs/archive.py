"""`servicebook archive PATH --before 2024-01-01`: closed records older than the date, with their
进度跟踪 and 状态历史 rows, move into `<名称>-归档-<年>.xlsx` beside the workbook (made with the
same definition, the year the record was closed), and the team's workbook closes up.

The order of commitment: the archive is written and read back — every cell of every moving row
found there — before the team's workbook changes; the numbers the moved records used are
remembered first, so they are never given again. Reports and `history` read the archives beside
the workbook (`with_archives`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from servicebook.definition import definition
from servicebook.domain.archive import close_up, closed_before, counters_of, following
from servicebook.domain.history import EXCEL_ROWS
from servicebook.domain.table import SheetTable, column_letter
from servicebook.domain.values import as_text
from servicebook.edits import Edits, NewColumn
from servicebook.errors import CannotRun
from servicebook.jobs.session import Session, open_session
from servicebook.text import t
from servicebook.xlsx.read import load_book, sheet_grids

MOVED = ("records", "progress", "status_history")
FORMATS = {"datetime": "yyyy-mm-dd hh:mm", "date": "yyyy-mm-dd"}
ARCHIVE_WORD = "归档"


@dataclass
class ArchiveReport:
    before: date
    moved: dict[str, int] = field(default_factory=dict)          # sheet key -> rows moved
    archives: dict[str, dict[str, int]] = field(default_factory=dict)   # archive file -> sheet key -> rows

    failed = False

    def as_json(self) -> dict:
        return {"before": self.before.isoformat(), "moved": self.moved, "archives": self.archives}


def archive_path(workbook: Path, year: int) -> Path:
    return workbook.with_name(f"{workbook.stem}-{ARCHIVE_WORD}-{year}{workbook.suffix}")


def archives_beside(workbook: Path) -> list[Path]:
    return sorted(workbook.parent.glob(f"{workbook.stem}-{ARCHIVE_WORD}-[0-9][0-9][0-9][0-9]{workbook.suffix}"))


def _headers(grid: list[list[object]], table: SheetTable) -> dict[int, str]:
    row = grid[table.headers.row - 1] if len(grid) >= table.headers.row else []
    return {col: as_text(value) for col, value in enumerate(row, start=1) if as_text(value)}


def _refuse_formulas(tables: dict[str, SheetTable]) -> None:
    """A formula moved as its value would stop calculating, and moved as a formula it would point
    at other rows: such a sheet is not archived until the formulas are values."""
    for table in tables.values():
        data = set(table.row_numbers)
        for (row, col) in sorted(table.formulas):
            if row in data:
                raise CannotRun(t("archive.formula", sheet=table.title, cell=f"{column_letter(col)}{row}"))


def _append(archive: Session, edits: Edits, key: str, headers: dict[int, str], rows: list[list[object]],
            kinds: dict[str, str]) -> None:
    """The rows under the archive's sheet, cell by cell by header; a header the archive lacks is added."""
    table = archive.book.table(key)
    by_header = {text: col for col, text in table.headers.extras}
    by_header.update({text: table.headers.columns[k] for k, text in table.headers.headers.items()})
    sheet = edits.sheet(table.title, table.headers.row)
    first = edits.rows_for(table, len(rows))
    for col, text in headers.items():
        target = by_header.get(text)
        if target is None:
            target = table.new_column([n.col for n in sheet.new_columns])
            sheet.new_columns.append(NewColumn(target, text))
            sheet.excel_table = table.excel_table
            by_header[text] = target
        for offset, row in enumerate(rows):
            value = row[col - 1] if col <= len(row) else None
            if value not in (None, ""):
                sheet.set(first + offset, target, value)
        if kinds.get(text) in FORMATS:
            sheet.formats[target] = FORMATS[kinds[text]]


def _kinds(table: SheetTable) -> dict[str, str]:
    return {table.headers.headers[c.key]: c.type for c in table.definition.columns if c.key in table.headers.headers}


def _verify(path: Path, moved: dict[str, tuple[dict[int, str], list[list[object]]]]) -> None:
    """Every cell of the moved rows (sheet key -> their headers and rows) is in the archive, under
    its header; the archive is read once."""
    book = load_book(path, definition())
    tables = {key: book.table(key) for key in moved}
    grids = sheet_grids(path, [table.title for table in tables.values()])
    for key, (headers, rows) in moved.items():
        table = tables[key]
        grid = grids[table.title]
        found = {text: col for col, text in _headers(grid, table).items()}
        stored = {tuple(as_text(r[found[h] - 1]) if found.get(h) and found[h] <= len(r) else "" for h in
                        headers.values()) for r in grid[table.headers.row:]}
        for row in rows:
            wanted = tuple(as_text(row[col - 1]) if col <= len(row) else "" for col in headers)
            if wanted not in stored:
                raise CannotRun(t("archive.not_verified", archive=path.name, sheet=table.title))


def _close_up(edits: Edits, table: SheetTable, grid: list[list[object]], moving: set[int]) -> None:
    moves, emptied = close_up(table.row_numbers, moving)
    width = max((len(r) for r in grid), default=0)
    sheet = edits.sheet(table.title, table.headers.row)
    for target, index in moves.items():
        source = grid[table.row_numbers[index] - 1]
        for col in range(1, width + 1):
            value = source[col - 1] if col <= len(source) else None
            sheet.set(target, col, None if value == "" else value)
    for row in emptied:
        for col in range(1, width + 1):
            sheet.set(row, col, None)


def archive(session: Session, before: date) -> ArchiveReport:
    # A new archive is laid out with openpyxl (init): loaded here, not wherever this module is.
    from servicebook.jobs.init import init

    records, book = session.records(), session.book
    moving = closed_before(records, book.vocab, before)
    report = ArchiveReport(before)
    if not moving.years:
        return report
    tables = {key: book.table(key) for key in MOVED if book.table(key) is not None and book.table(key).headers.found}
    _refuse_formulas(tables)
    grids = sheet_grids(session.path, [table.title for table in tables.values()])
    by_year = {"records": moving.years,
               **{key: following(tables.get(key), moving.tickets) for key in MOVED[1:] if key in tables}}
    # The numbers leave the workbook: remember them first, so numbering never gives them again.
    counters = counters_of(list(moving.tickets))
    session.sidecar.raise_counters(counters)
    headers = {key: _headers(grids[table.title], table) for key, table in tables.items()}
    for year in sorted(moving.years):
        target = archive_path(session.path, year)
        moved = {key: (headers[key], rows) for key, table in tables.items()
                 if (rows := [grids[table.title][table.row_numbers[i] - 1] for i in by_year[key].get(year, [])])}
        if not target.exists():
            init(target)
        with open_session(target, now=session.now) as archived:
            edits = Edits()
            for key, (names, rows) in moved.items():
                _append(archived, edits, key, names, rows, _kinds(tables[key]))
            archived.save(edits)
        _verify(target, moved)
        report.archives[target.name] = {key: len(rows) for key, (_names, rows) in moved.items()}
    edits = Edits()
    edits.raise_counters(counters)
    for key, table in tables.items():
        moved = {i for indices in by_year[key].values() for i in indices}
        if moved:
            _close_up(edits, table, grids[table.title], moved)
            report.moved[key] = len(moved)
    session.save(edits)
    return report


# ------------------------------------------------------------------ reading the archives


def with_archives(session: Session) -> int:
    """Add the archived records, progress entries and status changes to this (reading) session's
    tables, so a report or a customer's history covers the closed years too. Returns how many
    archives were read. Nothing is written back: the rows carry row numbers past the sheet's end."""
    found = archives_beside(session.path)
    for path in found:
        archived = load_book(path, definition())
        for key in MOVED:
            table, extra = session.book.table(key), archived.table(key)
            if table is None or extra is None or not len(extra):
                continue
            start = EXCEL_ROWS + 1 + len(table)   # past any row Excel has: never a row of the sheet
            rows = [{k: extra.get(k, i) if extra.has(k) else None for k in table.definition.keys}
                    for i in range(len(extra))]
            session.book.tables[key] = table.with_rows([start + n for n in range(len(rows))], rows)
    return len(found)
