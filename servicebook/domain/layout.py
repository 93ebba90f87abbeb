"""What occupies a sheet besides its values: merged ranges, Excel Tables, validations, conditional
formats and the sheet's filter — plain rectangles, so the rules can tell where the tool's own
columns may go without writing over anything a person made, and which rows are a table's totals."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?$")
_COLUMNS = re.compile(r"^\$?([A-Z]{1,3}):\$?([A-Z]{1,3})$")
_ROWS = re.compile(r"^\$?(\d+):\$?(\d+)$")
LAST_ROW, LAST_COLUMN = 1_048_576, 16_384


def _number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


@dataclass(frozen=True)
class Box:
    """A rectangle of cells, 1-based and inclusive."""

    top: int
    left: int
    bottom: int
    right: int

    @classmethod
    def parse(cls, ref: str) -> Box | None:
        """`A1`, `B2:D9`, `C:C`, `3:5` (Excel's forms) -> a Box; None for anything else."""
        ref = ref.strip()
        if found := _REF.match(ref):
            left, top = _number(found.group(1)), int(found.group(2))
            right = _number(found.group(3)) if found.group(3) else left
            bottom = int(found.group(4)) if found.group(4) else top
            return cls(min(top, bottom), min(left, right), max(top, bottom), max(left, right))
        if found := _COLUMNS.match(ref):
            return cls(1, _number(found.group(1)), LAST_ROW, _number(found.group(2)))
        if found := _ROWS.match(ref):
            return cls(int(found.group(1)), 1, int(found.group(2)), LAST_COLUMN)
        return None

    @classmethod
    def parse_all(cls, sqref: str) -> list[Box]:
        """A space-separated list of references, as `sqref` attributes hold them."""
        return [box for part in sqref.split() if (box := cls.parse(part))]

    def has_column(self, col: int) -> bool:
        return self.left <= col <= self.right

    def overlaps(self, other: Box) -> bool:
        return not (other.left > self.right or other.right < self.left or other.top > self.bottom
                    or other.bottom < self.top)


@dataclass(frozen=True)
class TableInfo:
    """An Excel Table (Ctrl+T): its range, header and totals rows, and its columns' names."""

    name: str
    box: Box
    header_rows: int
    totals_rows: int
    columns: tuple[str, ...]
    part: str = ""                  # where the adapter found it (opaque to the rules)

    @property
    def totals_row(self) -> int | None:
        return self.box.bottom if self.totals_rows else None

    @property
    def header_row(self) -> int | None:
        return self.box.top if self.header_rows else None


@dataclass(frozen=True)
class SheetLayout:
    merges: tuple[Box, ...] = ()
    validations: tuple[Box, ...] = ()
    formats: tuple[Box, ...] = ()          # the team's conditional formats (the tool's own excluded)
    tables: tuple[TableInfo, ...] = ()
    auto_filter: Box | None = None
    protected: bool = False                # the sheet is protected (审阅 → 保护工作表)

    def table_for_header(self, header_row: int, columns: Iterable[int]) -> TableInfo | None:
        """The Table whose header row is the records' header row and that holds their columns."""
        wanted = set(columns)
        for table in self.tables:
            if table.header_row == header_row and wanted and all(table.box.has_column(c) for c in wanted):
                return table
        return None

    def covers_column(self, col: int) -> bool:
        """Whether a merge, a Table, a validation or a team's conditional format reaches into `col`."""
        boxes = (*self.merges, *self.validations, *self.formats, *(t.box for t in self.tables))
        return any(box.has_column(col) for box in boxes)


EMPTY_LAYOUT = SheetLayout()


@dataclass(frozen=True)
class Occupancy:
    """Where a sheet's new columns may go: right of `after`, in columns no value and nothing of
    the layout reaches."""

    layout: SheetLayout = EMPTY_LAYOUT
    valued: frozenset[int] = field(default_factory=frozenset)   # columns holding a value in some row

    def free(self, col: int) -> bool:
        return col not in self.valued and not self.layout.covers_column(col)
