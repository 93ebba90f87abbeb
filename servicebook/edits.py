"""What a command changes in a workbook, as plain data every writer applies the same way:
the lossless part writer, the live-Excel writer and the openpyxl reference in the tests.

Positions are 1-based spreadsheet rows and columns, resolved by the command from what it read.
"""

from __future__ import annotations

import bisect
import collections
import itertools
import operator
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from servicebook.domain.layout import TableInfo
from servicebook.domain.table import SheetTable, column_letter

# Our conditional-format rules carry a term naming the job that wrote them, so a later run of
# that job replaces exactly its own rules and leaves the team's and the other jobs'.
# N("…") is 0 in Excel and LibreOffice alike.
_MARK = 'N("servicebook:{group}")=0'
_ANY_MARK = 'N("servicebook'


def marked(formula: str, group: str) -> str:
    return f"AND({_MARK.format(group=group)},{formula})"


def is_ours(formula: str, group: str | None = None) -> bool:
    compact = formula.replace(" ", "")
    return (_MARK.format(group=group) if group else _ANY_MARK) in compact


@dataclass(frozen=True)
class NewColumn:
    """A computed column the tool adds after the last header."""

    col: int
    header: str
    width: float | None = None
    help: str | None = None
    hidden: bool = False


@dataclass(frozen=True)
class Highlight:
    """A conditional format: `formula` is written for the first cell of `ref`."""

    ref: str
    formula: str
    style: str          # a palette name: error, warning, breach, risk, met, paused
    stop: bool = False


@dataclass(frozen=True)
class NewSheet:
    """One of the definition's sheets (a sheet key, or "settings" / "lists"), created laid out."""

    title: str
    sheet_key: str


@dataclass(frozen=True)
class BuiltSheet:
    """A sheet the tool owns whole (a report): `build` lays it out on an empty openpyxl worksheet,
    and returns the rows it laid out apart from openpyxl's cells, if any (a report's lists: see
    `sheets.report.ListedRows`). An existing sheet of that title is replaced where it stands; a new
    one goes last."""

    title: str
    build: Callable[[Any], list | None]

    def lay_out(self, ws: Any) -> None:
        """Lay the sheet out on `ws` as openpyxl cells only, its lists' rows too: for a sheet that
        openpyxl saves, or that goes cell by cell into a live workbook."""
        for rows in self.build(ws) or []:
            rows.fill(ws)


@dataclass
class _Column:
    """One value per row, for a whole column: kept as the lists it came in until the cells are
    asked for (a rerun writes every computed column whole, and most of it is what the file holds)."""

    col: int
    rows: list[int]
    values: list[Any]
    _at: dict[int, int] | None = None
    _ordered: bool | None = None   # whether the rows are in ascending order, once asked

    def get(self, row: int, absent: Any) -> Any:
        at = self.positions().get(row)
        return absent if at is None else self.values[at]

    def positions(self) -> dict[int, int]:
        if self._at is None:
            self._at = {r: i for i, r in enumerate(self.rows)}
        return self._at

    def keep(self, kept: list[bool]) -> None:
        """Only the rows `kept` says, in place."""
        self.rows = list(itertools.compress(self.rows, kept))
        self.values = list(itertools.compress(self.values, kept))
        self._at = None

    def drop_rows(self, gone: set[int]) -> None:
        if gone and not gone.isdisjoint(self.rows):
            self.keep([r not in gone for r in self.rows])

    def set_into(self, rows: dict[int, dict[int, Any]], first: int, last: int) -> None:
        """Set this column's cells of the rows `first` to `last` into their dicts in `rows` (which
        holds every row of that stretch this column has)."""
        if self._ordered is None:
            self._ordered = all(map(operator.lt, self.rows, itertools.islice(self.rows, 1, None)))
        if self._ordered:   # the common case: one slice, set at C speed
            lo, hi = bisect.bisect_left(self.rows, first), bisect.bisect_right(self.rows, last)
            cells = map(rows.__getitem__, itertools.islice(self.rows, lo, hi))
            collections.deque(map(operator.setitem, cells, itertools.repeat(self.col),
                                  itertools.islice(self.values, lo, hi)), maxlen=0)
            return
        at = self.positions()   # written out of row order (or a row twice: the last value wins)
        for row, cells in rows.items():
            if (i := at.get(row)) is not None:
                cells[self.col] = self.values[i]


@dataclass
class SheetEdits:
    title: str
    header_row: int = 1
    new_columns: list[NewColumn] = field(default_factory=list)
    formats: dict[int, str] = field(default_factory=dict)      # column -> number format of written cells
    highlights: dict[str, list[Highlight]] = field(default_factory=dict)  # job -> its rules (replacing its old)
    # The Excel Table the sheet's records live in: the new columns and rows become the table's.
    excel_table: TableInfo | None = None
    table_rows_through: int | None = None    # the table's new last row, when rows were appended
    # Cells whose earlier text must not survive anywhere in the file (a masked phone number): the
    # writer replaces it in the shared string table too.
    masked: set[tuple[int, int]] = field(default_factory=set)
    # The edits in the order they were made: cell by cell (a dict) and whole columns, later ones
    # winning. `cells` folds them into one dict.
    _layers: list[dict[tuple[int, int], Any] | _Column] = field(default_factory=lambda: [{}], repr=False)

    @property
    def cells(self) -> dict[tuple[int, int], Any]:
        """Every cell edit, (row, column) -> value, folded into one dict (a writer of a large sheet
        asks `by_row` instead)."""
        if len(self._layers) > 1 or not isinstance(self._layers[0], dict):
            self.fold()
        return self._layers[0]   # type: ignore[return-value]

    def set(self, row: int, col: int, value: Any) -> None:
        last = self._layers[-1]
        if not isinstance(last, dict):
            last = {}
            self._layers.append(last)
        last[(row, col)] = value

    def set_column(self, col: int, rows: list[int], values: list[Any]) -> None:
        if len(rows) != len(values):
            raise ValueError(f"{len(values)} values for {len(rows)} rows")
        self._layers.append(_Column(col, list(rows), list(values)))

    def set_rows(self, first: int, columns: Mapping[int, list[Any]]) -> None:
        """Rows `first`, `first + 1`, … given a column at a time, every column as long (rows added
        below the last): a layer for each column rather than a dict entry for each cell (100,000
        status changes are 300,000 cells: 27 MB as cells, 7 MB as columns), the row numbers made
        once for all of them."""
        rows = list(range(first, first + len(next(iter(columns.values()), []))))
        for col, values in columns.items():
            self.set_column(col, rows, values)

    def get(self, row: int, col: int) -> Any:
        """The value this set writes into a cell; None when it writes none."""
        absent = object()
        for layer in reversed(self._layers):
            if isinstance(layer, dict):
                if (row, col) in layer:
                    return layer[(row, col)]
            elif layer.col == col and (value := layer.get(row, absent)) is not absent:
                return value
        return None

    def has_cells(self) -> bool:
        return any(layer.rows if isinstance(layer, _Column) else layer for layer in self._layers)

    def by_row(self, last: dict[tuple[int, int], Any] | None = None) -> RowEdits:
        """The edits by row, then column, for a writer that goes through the rows in turn; `last`
        ((row, column) -> value) wins over them all."""
        return RowEdits([*self._layers, last] if last else self._layers)

    def written(self) -> Iterable[tuple[int, Iterable[int]]]:
        """(column, its rows) for every cell this set writes, a column's rows at a time."""
        for layer in self._layers:
            if isinstance(layer, dict):
                yield from ((col, (row,)) for row, col in layer)
            else:
                yield layer.col, layer.rows

    def settle(self, unchanged: Callable[[_Column], list[bool] | None]) -> None:
        """Leave out each cell of a whole column that `unchanged` says the file holds already, with
        any earlier edit of that cell (the column had the last word); the layers stay layers.
        `unchanged` answers for a column at a time, or None: every cell is written. The edits made
        cell by cell are not asked."""
        for k, layer in enumerate(self._layers):
            if isinstance(layer, dict):
                continue
            same = unchanged(layer)
            if same is None or not any(same):
                continue
            if len(same) != len(layer.rows):
                raise ValueError(f"{len(same)} answers for {len(layer.rows)} rows")
            self.forget(k, layer.col, list(itertools.compress(layer.rows, same)))
            layer.keep(list(map(operator.not_, same)))

    def fold(self) -> None:
        cells: dict[tuple[int, int], Any] = {}
        for layer in self._layers:
            if isinstance(layer, dict):
                cells.update(layer)
            else:
                cells.update(zip(zip(layer.rows, itertools.repeat(layer.col)), layer.values, strict=True))
        self._layers = [cells]

    def forget(self, before: int, col: int, rows: list[int]) -> None:
        """Drop the edits of these rows of a column made in the layers before `before`."""
        gone: set[int] | None = None
        for layer in self._layers[:before]:
            if isinstance(layer, dict):
                _forget(layer, col, rows, len(rows))
            elif layer.col == col:
                gone = set(rows) if gone is None else gone
                layer.drop_rows(gone)


def _forget(cells: dict[tuple[int, int], Any], col: int, rows: Iterable[int], count: int) -> None:
    """Drop the earlier edits of these `count` rows of a column (a rerun's columns are left out
    nearly whole, over few earlier edits: the smaller side is walked)."""
    if not cells:
        return
    if len(cells) < count:
        gone = set(rows)
        for cell in [cell for cell in cells if cell[1] == col and cell[0] in gone]:
            del cells[cell]
    else:
        for row in rows:
            cells.pop((row, col), None)


class RowEdits(Mapping[int, dict[int, Any]]):
    """Edits by row, then column, gathered a stretch of rows at a time: a first run's two million
    cells are never folded into one dict, and the cells of a stretch are set a column at a time at
    C speed (asked a row and a column group at a time, they cost a microsecond a call: a second at
    100,000 rows). The writer asks the rows in ascending order; a row asked before the stretch at
    hand gathers a stretch again from there. A row's dict is the stretch's own: read, not changed."""

    STRETCH = 2048   # rows gathered at once; their dicts are what is held

    def __init__(self, layers: list[dict[tuple[int, int], Any] | _Column]):
        self._parts: list[tuple[list[int], dict[int, dict[int, Any]]] | _Column] = []
        numbers: set[int] = set()
        for layer in layers:
            if isinstance(layer, dict):
                if layer:
                    by_row: dict[int, dict[int, Any]] = {}
                    for (row, col), value in layer.items():
                        by_row.setdefault(row, {})[col] = value
                    self._parts.append((sorted(by_row), by_row))
                    numbers.update(by_row)
            elif layer.rows:
                self._parts.append(layer)
                numbers.update(layer.rows)
        self._numbers = sorted(numbers)
        self._stretch: dict[int, dict[int, Any]] = {}
        self._span = (1, 0)   # the first and last row of the stretch at hand

    def __getitem__(self, row: int) -> dict[int, Any]:
        return self.stretch(row)[row]

    def stretch(self, row: int) -> dict[int, dict[int, Any]]:
        """The stretch of rows `row` is in, each row's cells by column: a writer may make a column's
        cells of all of them at once."""
        first, last = self._span
        if not first <= row <= last:
            self._gather(row)
        return self._stretch

    def __contains__(self, row: object) -> bool:
        at = bisect.bisect_left(self._numbers, row)
        return at < len(self._numbers) and self._numbers[at] == row

    def __iter__(self) -> Iterator[int]:
        return iter(self._numbers)

    def __len__(self) -> int:
        return len(self._numbers)

    def last_column(self) -> int:
        return max((part.col if isinstance(part, _Column) else max(c for cells in part[1].values() for c in cells)
                    for part in self._parts), default=0)

    def _gather(self, row: int) -> None:
        """The stretch of edited rows from `row` on, each part's cells set in turn (the later winning)."""
        at = bisect.bisect_left(self._numbers, row)
        if at == len(self._numbers) or self._numbers[at] != row:
            raise KeyError(row)
        rows = self._numbers[at:at + self.STRETCH]
        first, last = rows[0], rows[-1]
        stretch: dict[int, dict[int, Any]] = {r: {} for r in rows}
        for part in self._parts:
            if isinstance(part, _Column):
                part.set_into(stretch, first, last)
            else:
                keys, by_row = part
                for r in keys[bisect.bisect_left(keys, first):bisect.bisect_right(keys, last)]:
                    stretch[r].update(by_row[r])
        self._stretch, self._span = stretch, (first, last)


@dataclass
class Edits:
    sheets: dict[str, SheetEdits] = field(default_factory=dict)
    new_sheets: list[NewSheet] = field(default_factory=list)
    built_sheets: list[BuiltSheet] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)   # number prefix -> highest serial given

    def raise_counters(self, counters: dict[str, int]) -> None:
        for key, serial in counters.items():
            self.counters[key] = max(self.counters.get(key, 0), serial)

    def sheet(self, title: str, header_row: int = 1) -> SheetEdits:
        if title not in self.sheets:
            self.sheets[title] = SheetEdits(title, header_row)
        return self.sheets[title]

    def is_empty(self) -> bool:
        return not self.new_sheets and not self.built_sheets and not self.counters and all(
            not s.has_cells() and not s.new_columns and not s.highlights and not s.table_rows_through
            for s in self.sheets.values()
        )

    def column_for(self, table: SheetTable, key: str) -> int:
        """The column of `key` in `table`, added where nothing lives when it is missing (inside
        the records' Excel Table when they are in one)."""
        existing = table.column_index(key)
        if existing:
            return existing
        sheet = self.sheet(table.title, table.headers.row)
        for new in sheet.new_columns:
            if new.header == table.definition.column(key).header:
                return new.col
        col_def = table.definition.column(key)
        new = NewColumn(table.new_column([n.col for n in sheet.new_columns]), col_def.header, col_def.width,
                        col_def.help, col_def.hidden)
        sheet.new_columns.append(new)
        sheet.excel_table = table.excel_table
        return new.col

    def rows_for(self, table: SheetTable, count: int) -> int:
        """The first of `count` rows appended to `table` (its Excel Table grows to hold them)."""
        first = table.append_row()
        sheet = self.sheet(table.title, table.headers.row)
        if table.excel_table is not None:
            sheet.excel_table = table.excel_table
            sheet.table_rows_through = max(sheet.table_rows_through or 0, first + count - 1)
        return first


def write_column(edits: Edits, table: SheetTable, key: str, values: list[Any], number_format: str | None = None) -> int:
    """Write one value per data row of `table` into the column of `key` (added when missing)."""
    col = edits.column_for(table, key)
    sheet = edits.sheet(table.title, table.headers.row)
    sheet.set_column(col, table.row_numbers, values)
    if number_format:
        sheet.formats[col] = number_format
    return col


def data_ref(col: int, first_row: int, last_row: int) -> str:
    letter = column_letter(col)
    return f"{letter}{first_row}:{letter}{max(first_row, last_row)}"


def _same(held: Any, value: Any) -> bool:
    """Whether writing `value` over a cell that holds `held` would change nothing a person sees."""
    if held is None or held == "":
        return value is None or value == ""
    if type(held) is date and type(value) is datetime:
        # The reader gives a date-time cell that falls on midnight as a date: the same serial.
        return datetime(held.year, held.month, held.day) == value
    return (type(held) is type(value) and held == value) or (
        isinstance(held, int | float) and isinstance(value, int | float) and not isinstance(value, bool)
        and not isinstance(held, bool) and float(held) == float(value))


def _same_all(held: list[Any], values: list[Any]) -> list[bool]:
    """`_same` for each pair: at C speed where the value is the one held, of the same type (on a
    rerun, nearly every cell); asked one by one elsewhere."""
    same_type = map(operator.is_, map(type, held), map(type, values))
    same = list(map(operator.and_, map(operator.eq, held, values), same_type))
    for i in itertools.compress(range(len(same)), map(operator.not_, same)):
        same[i] = _same(held[i], values[i])
    return same


class RowSet:
    """Row numbers: one range while they run on without a gap (a whole column's, what a run
    writes most), else sorted in an array. A first run at 100,000 records writes some thirty
    columns, most with gaps where an empty cell stays empty: as sets, 4 MB each, held to the end
    of the command; as arrays, 8 bytes a row."""

    __slots__ = ("_rows",)

    def __init__(self, rows: Iterable[int] = ()) -> None:
        self._rows: range | array[int] = range(0)
        self.add(rows)

    def add(self, rows: Iterable[int]) -> None:
        rows = rows if isinstance(rows, list | tuple | range) else list(rows)
        run, held = _as_run(rows), self._rows
        if run is not None and isinstance(held, range):
            if not held:
                self._rows = run
                return
            if run.start <= held.stop and held.start <= run.stop:   # overlapping or touching
                self._rows = range(min(run.start, held.start), max(run.stop, held.stop))
                return
        if rows:   # a gap somewhere: every row, sorted
            self._rows = array("q", sorted(set(held).union(rows)))

    def __contains__(self, row: object) -> bool:
        held = self._rows
        if isinstance(held, range):
            return row in held
        at = bisect.bisect_left(held, row)
        return at < len(held) and held[at] == row

    def __bool__(self) -> bool:
        return bool(self._rows)

    def __iter__(self) -> Iterator[int]:
        return iter(self._rows)


def _as_run(rows: list[int] | tuple[int, ...] | range) -> range | None:
    """The rows as a range when they are one, in ascending order; else None."""
    if isinstance(rows, range) and rows.step == 1:
        return rows
    if not rows or rows[-1] - rows[0] + 1 != len(rows):
        return None
    run = range(rows[0], rows[-1] + 1)
    return run if list(run) == list(rows) else None


# The cells a command has written so far, by sheet title, then column: the rows.
Written = dict[str, dict[int, RowSet]]


def note_written(written: Written, edits: Edits) -> None:
    """Add what `edits` wrote (after a save) to what the command has written: each column's rows
    at once (cells written one by one come a row at a time)."""
    for title, sheet in edits.sheets.items():
        by_column = written.setdefault(title, {})
        pieces: dict[int, list[Iterable[int]]] = {}
        for col, rows in sheet.written():
            pieces.setdefault(col, []).append(rows)
        for col, found in pieces.items():
            by_column.setdefault(col, RowSet()).add(found[0] if len(found) == 1 else list(itertools.chain(*found)))


def drop_unchanged(edits: Edits, read: dict[str, SheetTable], written: Written) -> None:
    """Leave out the cell edits that would write the value the file already holds (as read, and not
    written since by this command): a rerun with nothing new then writes nothing at all. A formula
    cell, a masked cell and a cell of a new column are always written."""
    by_title = {table.title: table for table in read.values()}
    for title, sheet in edits.sheets.items():
        table = by_title.get(title)
        if table is not None and sheet.has_cells():
            _drop_unchanged_in(sheet, table, written.get(title, {}))


def _drop_unchanged_in(sheet: SheetEdits, table: SheetTable, written: dict[int, set[int]]) -> None:
    index = {row: i for i, row in enumerate(table.row_numbers)}
    keys = {col: key for key, col in table.headers.columns.items()}
    new = {n.col for n in sheet.new_columns}
    # Written whatever the file holds: what this command wrote already, masked cells, formulas.
    special: dict[int, set[int]] = {}
    for row, col in (*sheet.masked, *table.formulas):
        special.setdefault(col, set()).add(row)
    nothing: set[int] = set()

    def unchanged(column: _Column) -> list[bool] | None:
        key, col = keys.get(column.col), column.col
        if key is None or col in new:
            return None
        held, ours, theirs = table.column(key), written.get(col, nothing), special.get(col, nothing)
        if column.rows == table.row_numbers:   # the common case: the column as read, row for row
            same = _same_all(held, column.values)
        else:
            same = [(i := index.get(r)) is not None and _same(held[i], v)
                    for r, v in zip(column.rows, column.values, strict=True)]
        if ours or theirs:
            same = [s and r not in ours and r not in theirs for r, s in zip(column.rows, same, strict=True)]
        return same

    sheet.settle(unchanged)
    # The columns were judged whole above; what was written cell by cell is judged here (a cell a
    # later layer writes again may go too: that layer has the last word either way).
    for at, layer in enumerate(sheet._layers):
        if not isinstance(layer, dict):
            continue
        gone: dict[int, list[int]] = {}
        for (row, col), value in list(layer.items()):
            i, key = index.get(row), keys.get(col)
            if i is None or key is None or col in new or row in written.get(col, nothing) \
                    or row in special.get(col, nothing):
                continue
            if _same(table.get(key, i), value):
                del layer[(row, col)]
                gone.setdefault(col, []).append(row)
        for col, rows in gone.items():   # a column's at once: an earlier whole column is walked once
            sheet.forget(at, col, rows)
