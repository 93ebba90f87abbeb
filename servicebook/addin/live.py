"""The workbook open in Excel, through xlwings: read whole sheets, write whole column runs.

Every call to Excel crosses a process boundary (COM or AppleScript) and costs about as much as
thousands of cells moved in one call, so nothing here loops over cells: a sheet is read in one
call, an edited column is written in one call per unbroken run of rows, and the number of calls
does not grow with the number of rows.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import openpyxl

from servicebook import palette
from servicebook.definition import WorkbookDef
from servicebook.domain.book import Book, read_book
from servicebook.domain.layout import EMPTY_LAYOUT, SheetLayout
from servicebook.edits import BuiltSheet, Edits, NewColumn, NewSheet, SheetEdits, is_ours, marked
from servicebook.sheets.conventions import FORMULA_STARTS
from servicebook.sheets.edits import apply_sheet_edits
from servicebook.sheets.template import build_sheet


def _hex(rgb: str) -> str:
    return f"#{rgb}"


HIGHLIGHT_HEX = {name: (_hex(fill), _hex(font)) for name, (fill, font) in palette.HIGHLIGHTS.items()}


class LiveBook:
    """Reading the open workbook (unsaved edits included) and writing edit sets into it."""

    def __init__(self, book: Any):
        self.book = book
        self.app = book.app
        self._grids: dict[str, list[list[Any]]] = {}

    # ------------------------------------------------------------ reading

    def titles(self) -> list[str]:
        return [sheet.name for sheet in self.book.sheets]

    def fetch(self, title: str, nrows: int | None) -> list[list[Any]]:
        """The sheet's values from A1, as the file reader returns them: one call for the values."""
        if title not in self._grids:
            used = self.book.sheets[title].used_range
            values = used.options(ndim=2).value
            top, left = used.row, used.column
            pad = [None] * (left - 1)
            self._grids[title] = [[] for _ in range(top - 1)] + [pad + list(row) for row in values]
        rows = self._grids[title]
        return rows if nrows is None else rows[:nrows]

    def read(self, definition: WorkbookDef) -> Book:
        return read_book(definition, _LiveSource(self))

    # ------------------------------------------------------------ writing

    def save(self) -> None:
        """Save the workbook in Excel, under its own name (as the user's Ctrl+S would)."""
        self.book.save()

    @contextlib.contextmanager
    def quiet(self, status: str) -> Iterator[None]:
        """No screen redraws, recalculation or events while we write; the status bar says what runs."""
        app = self.app
        before = (app.screen_updating, app.calculation, app.enable_events)
        app.screen_updating, app.calculation, app.enable_events = False, "manual", False
        app.status_bar = status
        try:
            yield
        finally:
            app.screen_updating, app.calculation, app.enable_events = before
            app.status_bar = False

    def apply(self, edits: Edits, definition: WorkbookDef) -> None:
        for new in edits.new_sheets:
            if new.title not in self.titles():
                self._add_defined_sheet(new, definition, edits.sheets.get(new.title))
        for title, sheet_edits in edits.sheets.items():
            if not any(new.title == title for new in edits.new_sheets):
                self._apply_sheet(self.book.sheets[title], sheet_edits)
        for built in edits.built_sheets:
            self._replace_built_sheet(built)

    def _apply_sheet(self, sheet: Any, edits: SheetEdits) -> None:
        for new in edits.new_columns:
            self._add_column(sheet, edits.header_row, new)
        by_column: dict[int, dict[int, Any]] = {}
        for (row, col), value in edits.cells.items():
            by_column.setdefault(col, {})[row] = value
        for col, values in sorted(by_column.items()):
            grid = self._grids.get(sheet.name, [])

            def existing(row: int, col: int = col, grid: list = grid) -> Any:
                line = grid[row - 1] if row - 1 < len(grid) else []
                return line[col - 1] if col - 1 < len(line) else None

            for first, run in _runs(values, existing):
                target = sheet.range((first, col), (first + len(run) - 1, col))
                target.value = [[_as_text(value)] for value in run]
                if col in edits.formats:
                    target.number_format = edits.formats[col]
        for group, rules in edits.highlights.items():
            self._replace_highlights(sheet, group, rules)

    def _add_column(self, sheet: Any, header_row: int, new: NewColumn) -> None:
        header = sheet.range((header_row, new.col))
        header.value = new.header
        header.color = _hex(palette.COMPUTED_HEADER_FILL)
        header.font.bold, header.font.italic = True, True
        header.font.color = _hex(palette.COMPUTED_HEADER_FONT)
        # A cell's column width is its whole column's; a width of 0 is how Excel hides a column.
        header.column_width = 0 if new.hidden else (new.width or 14)

    def _replace_highlights(self, sheet: Any, group: str, rules: list) -> None:
        formats = sheet.cells.conditional_formats
        for rule in list(formats):
            if rule.type == "custom" and is_ours(rule.formula or "", group):
                rule.delete()
        for highlight in rules:
            fill, font = HIGHLIGHT_HEX[highlight.style]
            sheet.range(highlight.ref).conditional_formats.add_custom(
                "=" + marked(highlight.formula, group), fill_color=fill, font_color=font, stop_if_true=highlight.stop)

    # ------------------------------------------------------------ whole sheets

    def _add_defined_sheet(self, new: NewSheet, definition: WorkbookDef, edits: SheetEdits | None) -> None:
        wb = openpyxl.Workbook()
        ws = build_sheet(wb, definition, new.sheet_key, new.title)
        if edits:
            apply_sheet_edits(ws, edits)
        self._transfer(ws, new.title, replace=False)

    def _replace_built_sheet(self, built: BuiltSheet) -> None:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = built.title
        built.lay_out(ws)
        self._transfer(ws, built.title, replace=True)

    def _transfer(self, ws: Any, title: str, replace: bool) -> None:
        """An openpyxl-laid-out sheet into the live workbook: values in one call, then one call per
        number format, merged range and column width (charts stay with the file writer)."""
        sheets = self.book.sheets
        if replace and title in self.titles():
            target = sheets[title]
            target.clear()
        else:
            target = sheets.add(title, after=sheets[len(sheets) - 1])
        if ws.max_row and ws.max_column:
            grid = [[_as_text(cell.value) for cell in row] for row in ws.iter_rows()]
            target.range((1, 1), (ws.max_row, ws.max_column)).value = grid
        for fmt, refs in _formats(ws).items():
            for ref in refs:
                target.range(ref).number_format = fmt
        for merged in ws.merged_cells.ranges:
            target.range(str(merged)).merge()
        for letter, dimension in ws.column_dimensions.items():
            if dimension.width:
                target.range(f"{letter}1").column_width = dimension.width
        if ws.sheet_state == "hidden":
            target.visible = False


class LiveWriter:
    """A session's edits into the open workbook; the user (or the button, when it must) saves."""

    def __init__(self, live: LiveBook, definition: WorkbookDef):
        self.live = live
        self.definition = definition

    def write(self, edits: Edits, backup: bool = True) -> None:
        self.live.apply(edits, self.definition)


class _LiveSource:
    """The open workbook as a domain Source. Formulas and layout are not read through Excel yet:
    the buttons place columns as the file writer would for a workbook with nothing right of the
    records (the nightly run, on the saved file, checks the layout)."""

    def __init__(self, live: LiveBook):
        self.live = live
        self.titles = live.titles()

    def fetch(self, title: str, nrows: int | None) -> list[list[Any]]:
        return self.live.fetch(title, nrows)

    def formulas(self, title: str) -> dict[tuple[int, int], str]:
        return {}

    def layout(self, title: str) -> SheetLayout:
        return EMPTY_LAYOUT


def _as_text(value: Any) -> Any:
    """What Excel is given: a text that would be read as a formula gets Excel's text prefix '."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


GAP = 1000   # rewriting up to this many unchanged cells is cheaper than another call to Excel


def _runs(values: dict[int, Any], existing: Callable[[int], Any]) -> list[tuple[int, list[Any]]]:
    """Rows to write as unbroken runs. Rows between two edited rows join the run with the value
    they already hold (read moments ago from the same workbook; the columns we write hold typed
    values, never formulas), so a column of scattered edits is still one call."""
    runs: list[tuple[int, list[Any]]] = []
    for row in sorted(values):
        if runs and row - (runs[-1][0] + len(runs[-1][1])) < GAP:
            first, run = runs[-1]
            run.extend(existing(between) for between in range(first + len(run), row))
            run.append(values[row])
        else:
            runs.append((row, [values[row]]))
    return runs


def _formats(ws: Any) -> dict[str, list[str]]:
    """Number formats of an openpyxl sheet as ranges: one per unbroken run of a column."""
    found: dict[str, list[str]] = {}
    for column in ws.iter_cols():
        start = previous = None
        for cell in [*column, None]:
            fmt = cell.number_format if cell is not None else None
            fmt = None if fmt == "General" else fmt
            if previous is not None and fmt != previous[0]:
                found.setdefault(previous[0], []).append(f"{start}:{previous[1]}")
                start = None
            if fmt is not None and start is None:
                start = cell.coordinate
            previous = (fmt, cell.coordinate) if fmt is not None else None
    return found
