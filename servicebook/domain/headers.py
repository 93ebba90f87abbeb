"""Finding a sheet's header row and mapping each header to a column key, by name or alias,
in any column order, below a title row, with extra columns left alone."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from servicebook.definition import SheetDef
from servicebook.domain.suggest import canonical

HEADER_SCAN_ROWS = 20
MIN_HEADER_MATCHES = 2

_TRAILING_NOTE = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]$")
_REQUIRED_MARK = re.compile(r"^[*＊]+|[*＊]+$")


def header_forms(text: object) -> list[str]:
    """Comparable forms of a header cell: as typed, and without a trailing note like （必填）."""
    if not isinstance(text, str) or not text.strip():
        return []
    base = canonical(_REQUIRED_MARK.sub("", text.strip()))
    forms = [base]
    stripped = _TRAILING_NOTE.sub("", base)
    if stripped and stripped != base:
        forms.append(stripped)
    return forms


@dataclass
class HeaderMap:
    row: int                                   # 1-based header row; 0 when none was found
    columns: dict[str, int] = field(default_factory=dict)   # key -> 1-based column
    headers: dict[str, str] = field(default_factory=dict)   # key -> header as written
    extras: list[tuple[int, str]] = field(default_factory=list)
    duplicates: list[tuple[str, int, str]] = field(default_factory=list)
    last_column: int = 0                       # last non-empty header cell

    @property
    def found(self) -> bool:
        return self.row > 0


def _lookup(sheet: SheetDef, team_aliases: dict[str, list[str]]) -> dict[str, str]:
    """canonical header form -> column key."""
    table: dict[str, str] = {}
    for col in sheet.columns:
        for name in (col.header, *col.aliases, *team_aliases.get(col.key, ())):
            for form in header_forms(name):
                table.setdefault(form, col.key)
    return table


def _match_row(cells: Sequence[object], lookup: dict[str, str]) -> HeaderMap:
    result = HeaderMap(row=0)
    for index, cell in enumerate(cells, start=1):
        forms = header_forms(cell)
        if not forms:
            continue
        result.last_column = index
        key = next((lookup[f] for f in forms if f in lookup), None)
        if key is None:
            result.extras.append((index, str(cell).strip()))
        elif key in result.columns:
            result.duplicates.append((key, index, str(cell).strip()))
        else:
            result.columns[key] = index
            result.headers[key] = str(cell).strip()
    return result


BLOCK_GAP = 2   # this many empty header cells in a row end the records' header (a side table may follow)


def _blocks(cells: Sequence[object]) -> list[tuple[int, int]]:
    """(first, last) 0-based spans of a header row, split where BLOCK_GAP cells in a row are empty."""
    spans, start, empty = [], None, 0
    for index, cell in enumerate(cells):
        if header_forms(cell):
            if start is None:
                start = index
            empty, last = 0, index
        elif start is not None:
            empty += 1
            if empty >= BLOCK_GAP:
                spans.append((start, last))
                start, empty = None, 0
    if start is not None:
        spans.append((start, last))
    return spans


def _best_in_row(cells: Sequence[object], lookup: dict[str, str], tables: Sequence[tuple[int, int]]) -> HeaderMap:
    """The header block of a row that matches most columns: within an Excel Table whose header
    this row is, else a run of header cells — never a side table's headers beside the records."""
    spans = [(left - 1, right - 1) for left, right in tables] or _blocks(cells)
    best = HeaderMap(row=0)
    for first, last in spans:
        masked = [cell if first <= i <= last else None for i, cell in enumerate(cells)]
        candidate = _match_row(masked, lookup)
        if len(candidate.columns) > len(best.columns):
            best = candidate
    return best


def find_headers(
    rows: Sequence[Sequence[object]],
    sheet: SheetDef,
    team_aliases: dict[str, list[str]] | None = None,
    table_headers: dict[int, list[tuple[int, int]]] | None = None,
) -> HeaderMap:
    """The best header row among the first rows of a sheet. `table_headers`: row -> the column
    spans (1-based) of the Excel Tables whose header is that row."""
    lookup = _lookup(sheet, team_aliases or {})
    best = HeaderMap(row=0)
    for number, cells in enumerate(rows[:HEADER_SCAN_ROWS], start=1):
        candidate = _best_in_row(cells, lookup, (table_headers or {}).get(number, []))
        if len(candidate.columns) > len(best.columns):
            candidate.row = number
            best = candidate
    return best if len(best.columns) >= MIN_HEADER_MATCHES else HeaderMap(row=0)


def sheet_name_matches(name: str, sheet: SheetDef) -> bool:
    wanted = {canonical(n) for n in (sheet.name, *sheet.aliases)}
    return canonical(name) in wanted
