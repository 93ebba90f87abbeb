"""A sheet's data as the domain sees it: rows of values by column key, with their row numbers,
and where the tool may add columns and rows without covering anything a person made.

Rows that are not records are left out: blank rows, an Excel Table's totals row, and the summary
rows teams put under their data (合计, 总计, 小计, Total, or a row of SUBTOTAL/SUM formulas).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from servicebook.definition import SheetDef
from servicebook.domain.headers import HeaderMap, find_headers
from servicebook.domain.layout import EMPTY_LAYOUT, Occupancy, SheetLayout, TableInfo
from servicebook.domain.values import is_blank
from servicebook.errors import CannotRun
from servicebook.text import t

# What teams write in a summary row's label cell (simplified and traditional, any case, any spacing).
SUMMARY_WORDS = {"合计", "总计", "小计", "总合计", "汇总", "合計", "總計", "小計", "匯總", "total", "totals",
                 "grandtotal", "subtotal", "sum"}
_SPACES = str.maketrans("", "", " \u3000\t")
_FIRST = {w[0] for w in SUMMARY_WORDS} | {w[0].upper() for w in SUMMARY_WORDS} | {" ", "\u3000", "\t"}  # and _SPACES
_SUMMARY_FORMULA = re.compile(r"\b(SUBTOTAL|SUM|COUNTA?|AVERAGE)\s*\(", re.IGNORECASE)


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class SheetTable:
    definition: SheetDef
    title: str                       # the sheet's name in this workbook
    headers: HeaderMap
    row_numbers: list[int] = field(default_factory=list)   # 1-based spreadsheet rows
    values: dict[str, list[Any]] = field(default_factory=dict)
    formulas: Mapping[tuple[int, int], str] = field(default_factory=dict)  # (row, column) -> formula
    occupancy: Occupancy = field(default_factory=Occupancy)
    excel_table: TableInfo | None = None     # the Excel Table the rows live in, if any
    last_used_row: int = 0                   # the last row holding anything (summary rows included)
    skipped: dict[int, str] = field(default_factory=dict)   # row -> why it is not a record

    def __len__(self) -> int:
        return len(self.row_numbers)

    def _declared(self, key: str) -> None:
        """A key the sheet's definition does not declare is a mistake in the code, not a column the
        workbook lacks: it raises, so a misspelt key cannot read as an empty column."""
        if key not in self.definition.keys:
            raise KeyError(f"sheet {self.definition.key} declares no column {key!r}")

    def has(self, key: str) -> bool:
        if key in self.headers.columns:
            return True
        self._declared(key)
        return False

    def column(self, key: str) -> list[Any]:
        """The values of a column, aligned with `row_numbers` (all None when it is missing)."""
        if key not in self.values:
            self._declared(key)
            return [None] * len(self.row_numbers)
        return self.values[key]

    def get(self, key: str, index: int) -> Any:
        values = self.values.get(key)
        if values is None:
            self._declared(key)
            return None
        return values[index]

    def row(self, index: int) -> dict[str, Any]:
        return {key: values[index] for key, values in self.values.items()}

    def column_index(self, key: str) -> int | None:
        found = self.headers.columns.get(key)
        if found is None:
            self._declared(key)
        return found

    def is_formula(self, key: str, index: int) -> bool:
        """Whether the cell of `key` in data row `index` holds a formula (read by its cached value,
        and never written over)."""
        col = self.headers.columns.get(key)
        return bool(col and self.formulas) and (self.row_numbers[index], col) in self.formulas

    def header(self, key: str) -> str:
        return self.headers.headers.get(key) or self.definition.column(key).header

    def cell_name(self, key: str) -> str:
        """`K列「优先级」` — how a message names a column."""
        index = self.column_index(key)
        letter = column_letter(index) if index else "?"
        return f"{letter}列「{self.header(key)}」"

    @property
    def last_row(self) -> int:
        return self.row_numbers[-1] if self.row_numbers else self.headers.row

    # ------------------------------------------------------------ what a step hands to the next

    def with_values(self, key: str, values: Mapping[int, Any]) -> SheetTable:
        """This table with `values` (row index -> value) in column `key`: a new table; this one,
        and every other column, are left as they are."""
        self._declared(key)
        column = list(self.values.get(key) or [None] * len(self.row_numbers))
        for index, value in values.items():
            column[index] = value
        return dataclasses.replace(self, values={**self.values, key: column})

    def with_rows(self, numbers: Sequence[int], rows: Sequence[Mapping[str, Any]]) -> SheetTable:
        """This table with rows appended (their spreadsheet rows, and their values by key)."""
        values = {key: [*column, *(row.get(key) for row in rows)] for key, column in self.values.items()}
        return dataclasses.replace(self, row_numbers=[*self.row_numbers, *numbers], values=values,
                                   last_used_row=max(self.last_used_row, *numbers))

    # ------------------------------------------------------------ where the tool may write

    def new_column(self, taken: Sequence[int]) -> int:
        """The column for the next column the tool adds (after those in `taken`). In an Excel
        Table, the one right of it, so the table — and its sorting and filtering — grows to cover
        it; elsewhere, the first column right of the records that nothing occupies."""
        after = max(self.headers.last_column, *taken) if taken else self.headers.last_column
        table = self.excel_table
        if table is not None:
            col = max(table.box.right, after) + 1
            if not self.occupancy.free(col):
                raise CannotRun(t("layout.table_blocked", sheet=self.title, table=table.name,
                                  column=column_letter(col)))
            return col
        col = after + 1
        while not self.occupancy.free(col):
            col += 1
        return col

    def append_row(self) -> int:
        """The first row for rows the tool appends: right under an Excel Table (which grows to
        hold them), else under the last row that holds anything."""
        table = self.excel_table
        if table is None:
            return max(self.last_row, self.last_used_row) + 1
        if table.totals_rows:
            raise CannotRun(t("layout.table_totals", sheet=self.title, table=table.name))
        if self.last_used_row > table.box.bottom:
            raise CannotRun(t("layout.table_below", sheet=self.title, table=table.name, row=table.box.bottom + 1))
        return table.box.bottom + 1


def _summary_word(value: object) -> bool:
    return type(value) is str and value[:1] in _FIRST and len(value) <= 12 \
        and value.translate(_SPACES).rstrip(":：").casefold() in SUMMARY_WORDS


# A line of at most 12 characters that begins as a summary word can: every cell that says 合计 or
# its kin is such a line once the distinct texts are joined by line breaks (none holds one).
_SUMMARY_LINE = re.compile("(?m)^[" + re.escape("".join(sorted(_FIRST))) + "][^\n]{0,11}$")


def _has_summary_word(distinct: set[object]) -> bool:
    """Whether any of these values says 合计 or its kin: the few lines that could are found by one
    search over the distinct texts, and only they are asked."""
    texts = "\n".join(filter(str.__instancecheck__, distinct))   # the texts, picked at C speed
    return any(_summary_word(line) for line in _SUMMARY_LINE.findall(texts))


def _summary_row(cells: Sequence[object], formulas: Sequence[str]) -> str | None:
    """合计 and its kin, or a row of SUBTOTAL/SUM formulas: what the row is, when it is one."""
    for value in cells:
        if _summary_word(value):
            return value.strip()   # type: ignore[attr-defined]
    if formulas and all(_SUMMARY_FORMULA.search(f) for f in formulas):
        return "=" + formulas[0]
    return None


_SAMPLE = 256   # cells a column is judged by before its texts are shared
_TEXT_OR_EMPTY = {str, type(None)}
_BLOCK = 256    # rows turned on their side at a time: a block of rows stays in the processor's cache


def _columns(body: Sequence[Sequence[object]], positions: dict[str, int]) -> dict[str, list[Any]]:
    """The values of each column by key. A rectangular grid (as calamine reads one) is turned
    on its side at C speed, a block of rows at a time (at 100k rows three times faster than all
    at once); ragged rows are read cell by cell."""
    width = len(body[0]) if body else 0
    if not (body and all(len(cells) == width for cells in body)):
        return {key: [cells[pos] if pos < len(cells) else None for cells in body] for key, pos in positions.items()}
    turned: list[list[Any]] = [[] for _ in range(width)]
    for start in range(0, len(body), _BLOCK):
        for column, part in zip(turned, zip(*body[start:start + _BLOCK], strict=True), strict=True):
            column.extend(part)
    taken: set[int] = set()
    picked: dict[str, list[Any]] = {}
    for key, pos in positions.items():   # each key its own list: a job may change one
        picked[key] = [None] * len(body) if pos >= width else list(turned[pos]) if pos in taken else turned[pos]
        taken.add(pos)
    return picked


def _distinct_shared(columns: dict[str, list[Any]], typed: list[str]) -> list[set[object]] | None:
    """The distinct values of each typed column (None: a value that cannot be hashed), found in
    the pass that makes equal texts of a column one object. A reader makes an object per cell, so
    100,000 rows of 处理状态 are 100,000 copies of a handful of words scattered through memory, and
    every later pass over the column waits on them (the jobs of a rerun at 100k records: 6.2 s
    against 4.7). Shared: a column of text and empty cells alone (1, 1.0 and True are equal keys,
    not equal cells) that a sample shows to hold few distinct values; the rest is left as read."""
    distinct: dict[str, set[object]] = {}
    for key, values in columns.items():
        try:
            sample = values[::max(1, len(values) // _SAMPLE)]
            if len(sample) >= _SAMPLE // 2 and len(set(sample)) * 2 <= len(sample):
                shared: dict[object, object] = {}
                one_each = list(map(shared.setdefault, values, values))
                if set(map(type, shared)) <= _TEXT_OR_EMPTY:
                    columns[key] = one_each
                distinct[key] = set(shared)
            elif key in typed:
                distinct[key] = set(values)
        except TypeError:   # a value that cannot be hashed
            if key in typed:
                return None
    return [distinct[key] for key in typed]


def _every_row_a_record(body: Sequence[Sequence[object]], width: int, distinct: list[set[object]] | None,
                        typed_columns: list[int], formulas: Mapping[tuple[int, int], str], totals: int | None) -> bool:
    """Whether every row below the header is a record, told without visiting the rows (the common
    case): nothing right of the header's columns, no totals row, no formula in a typed column, and
    one typed column with no blank cell (so no row is empty)."""
    if not body or distinct is None or totals is not None or any(len(cells) > width for cells in body):
        return False
    typed = set(typed_columns)
    if formulas and any(col in typed for _, col in formulas):
        return False
    # The column of fewest distinct values is asked first: 状态 has a handful, 记录编号 one per row.
    return any(not any(is_blank(v) for v in values) for values in sorted(distinct, key=len))


def build_table(
    sheet: SheetDef,
    title: str,
    rows: Sequence[Sequence[object]],
    team_aliases: dict[str, list[str]] | None = None,
    headers: HeaderMap | None = None,
    formulas: Mapping[tuple[int, int], str] | None = None,
    layout: SheetLayout = EMPTY_LAYOUT,
) -> SheetTable:
    """Read the data rows below the header; rows with nothing in any known column, a Table's
    totals row and summary rows are skipped (and said why, in `skipped`)."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for excel_table in layout.tables:
        if excel_table.header_row:
            spans.setdefault(excel_table.header_row, []).append((excel_table.box.left, excel_table.box.right))
    headers = headers or find_headers(rows, sheet, team_aliases, spans)
    formulas = formulas or {}
    table = SheetTable(sheet, title, headers, formulas=formulas)
    if not headers.found:
        return table
    table.excel_table = layout.table_for_header(headers.row, headers.columns.values())
    totals = table.excel_table.totals_row if table.excel_table else None
    positions = {key: col - 1 for key, col in headers.columns.items()}
    typed = [key for key in positions if not sheet.column(key).computed]
    typed_columns = [positions[k] + 1 for k in typed]
    width = headers.last_column
    body = rows[headers.row:]
    # Column by column (C-speed comprehensions), then one pass over the rows to keep the records.
    picked = _columns(body, positions)
    distinct = _distinct_shared(picked, typed)   # None: a value that cannot be hashed; every row is asked
    typed_lists = [picked[key] for key in typed]
    words = distinct is None or any(map(_has_summary_word, distinct))   # column by column: no union to build
    if not words and _every_row_a_record(body, width, distinct, typed_columns, formulas, totals):
        table.last_used_row = headers.row + len(body)
        table.row_numbers = list(range(headers.row + 1, headers.row + 1 + len(body)))
        table.values = picked
        table.occupancy = Occupancy(layout, frozenset())
        return table
    valued: set[int] = set()
    keep: list[int] = []
    for offset, cells in enumerate(body):
        number = headers.row + 1 + offset
        if len(cells) > width:   # anything right of the records occupies its column
            rest = cells[width:]
            if rest.count("") + rest.count(None) != len(rest):   # C speed: most rows hold nothing there
                beyond = [c for c, v in enumerate(rest, start=width + 1) if not is_blank(v)]
                if beyond:
                    valued.update(beyond)
                    table.last_used_row = number
        typed_values = [values[offset] for values in typed_lists]
        if all(v is None or (type(v) is str and not v.strip()) for v in typed_values):   # is_blank, inlined: hot
            if any(not is_blank(v) for v in cells):
                table.last_used_row = number
            continue
        table.last_used_row = number
        if number == totals:
            table.skipped[number] = t("layout.totals_row")
            continue
        row_formulas = [formulas[(number, c)] for c in typed_columns if (number, c) in formulas] if formulas else []
        if row_formulas and len(row_formulas) != sum(not is_blank(v) for v in typed_values):
            row_formulas = []   # a formula beside typed values: a record that computes a cell
        if (words or row_formulas) and (summary := _summary_row(typed_values, row_formulas)):
            table.skipped[number] = t("layout.summary_row", text=summary[:20])
            continue
        keep.append(offset)
    table.row_numbers = [headers.row + 1 + offset for offset in keep]
    if len(keep) == len(body):   # the common case: every row below the header is a record
        table.values = picked
    else:
        table.values = {key: [values[i] for i in keep] for key, values in picked.items()}
    table.occupancy = Occupancy(layout, frozenset(valued))
    return table
