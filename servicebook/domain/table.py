"""A sheet's data as the domain sees it: rows of values by column key, with their row numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from servicebook.definition import SheetDef
from servicebook.domain.headers import HeaderMap, find_headers
from servicebook.domain.values import is_blank


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
    formulas: frozenset[tuple[int, int]] = frozenset()    # (row, column) of cells holding a formula

    def is_formula(self, key: str, index: int) -> bool:
        """Whether the cell of `key` in data row `index` holds a formula (read by its cached value,
        and never written over)."""
        col = self.headers.columns.get(key)
        return bool(col and self.formulas) and (self.row_numbers[index], col) in self.formulas

    def __len__(self) -> int:
        return len(self.row_numbers)

    def has(self, key: str) -> bool:
        return key in self.headers.columns

    def column(self, key: str) -> list[Any]:
        """The values of a column, aligned with `row_numbers` (all None when it is missing)."""
        if key not in self.values:
            return [None] * len(self.row_numbers)
        return self.values[key]

    def get(self, key: str, index: int) -> Any:
        values = self.values.get(key)
        return values[index] if values is not None else None

    def row(self, index: int) -> dict[str, Any]:
        return {key: values[index] for key, values in self.values.items()}

    def column_index(self, key: str) -> int | None:
        return self.headers.columns.get(key)

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


def build_table(
    sheet: SheetDef,
    title: str,
    rows: Sequence[Sequence[object]],
    team_aliases: dict[str, list[str]] | None = None,
    headers: HeaderMap | None = None,
    formulas: frozenset[tuple[int, int]] = frozenset(),
) -> SheetTable:
    """Read the data rows below the header; rows with nothing in any known column are skipped."""
    headers = headers or find_headers(rows, sheet, team_aliases)
    table = SheetTable(sheet, title, headers, formulas=formulas)
    if not headers.found:
        return table
    positions = {key: col - 1 for key, col in headers.columns.items()}
    typed = [key for key in positions if not sheet.column(key).computed]
    columns: dict[str, list[Any]] = {key: [] for key in positions}
    for number, cells in enumerate(rows[headers.row:], start=headers.row + 1):
        picked = {key: (cells[pos] if pos < len(cells) else None) for key, pos in positions.items()}
        if all(is_blank(picked[key]) for key in typed):
            continue
        table.row_numbers.append(number)
        for key, value in picked.items():
            columns[key].append(value)
    table.values = columns
    return table
