"""A faithful fake of the xlwings objects the add-in uses, counting every call that would cross to
Excel (each property read or write, each method call). Values live in a grid per sheet, filled
from a real .xlsx, so the buttons' results can be checked cell by cell."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, range_boundaries


class Calls(Counter):
    def hit(self, what: str) -> None:
        self[what] += 1

    @property
    def total(self) -> int:
        return sum(self.values())


def _cell(ref: str) -> tuple[int, int]:
    letters, row = coordinate_from_string(ref.replace("$", ""))
    return row, column_index_from_string(letters)


@dataclass
class FakeRule:
    sheet: FakeSheet
    ref: str
    formula: str
    fill_color: str
    font_color: str
    stop_if_true: bool
    type: str = "custom"

    def delete(self) -> None:
        self.sheet.calls.hit("ConditionalFormat.delete")
        self.sheet.rules.remove(self)


class FakeRules:
    def __init__(self, sheet: FakeSheet, ref: str | None):
        self.sheet, self.ref = sheet, ref

    def __iter__(self):
        self.sheet.calls.hit("ConditionalFormats.__iter__")
        return iter(list(self.sheet.rules))

    def add_custom(self, formula: str, *, fill_color=None, font_color=None, font_bold=None, font_italic=None,
                   stop_if_true: bool = False) -> FakeRule:
        self.sheet.calls.hit("ConditionalFormats.add_custom")
        assert formula.startswith("="), "xlwings wants the formula as typed in Excel"
        rule = FakeRule(self.sheet, self.ref, formula[1:], fill_color, font_color, stop_if_true)
        self.sheet.rules.append(rule)
        return rule


class FakeFont:
    def __init__(self, rng: FakeRange):
        self.rng = rng

    def __setattr__(self, name: str, value: Any) -> None:
        if name != "rng":
            self.rng.sheet.calls.hit(f"Font.{name}")
            self.rng.sheet.styles[(self.rng.top, self.rng.left, f"font.{name}")] = value
        object.__setattr__(self, name, value)


class FakeRange:
    def __init__(self, sheet: FakeSheet, top: int, left: int, bottom: int, right: int):
        self.sheet, self.top, self.left, self.bottom, self.right = sheet, top, left, bottom, right

    def _hit(self, what: str) -> None:
        self.sheet.calls.hit(f"Range.{what}")

    def options(self, ndim: int | None = None) -> FakeRange:
        self._hit("options")
        assert ndim == 2
        return self

    @property
    def row(self) -> int:
        self._hit("row")
        return self.top

    @property
    def column(self) -> int:
        self._hit("column")
        return self.left

    @property
    def value(self) -> list[list[Any]]:
        self._hit("value.get")
        return [[self.sheet.grid.get((r, c)) for c in range(self.left, self.right + 1)]
                for r in range(self.top, self.bottom + 1)]

    @value.setter
    def value(self, values: Any) -> None:
        self._hit("value.set")
        if not isinstance(values, list):
            values = [[values]]
        elif values and not isinstance(values[0], list):
            values = [values]
        assert len(values) == self.bottom - self.top + 1, "the block must match the range"
        for r, line in enumerate(values, start=self.top):
            assert len(line) == self.right - self.left + 1
            for c, value in enumerate(line, start=self.left):
                if value is None or value == "":
                    self.sheet.grid.pop((r, c), None)
                else:
                    self.sheet.grid[(r, c)] = value

    @property
    def number_format(self) -> str:
        self._hit("number_format.get")
        return self.sheet.formats.get((self.top, self.left), "General")

    @number_format.setter
    def number_format(self, value: str) -> None:
        self._hit("number_format.set")
        for r in range(self.top, self.bottom + 1):
            for c in range(self.left, self.right + 1):
                self.sheet.formats[(r, c)] = value

    @property
    def color(self):
        self._hit("color.get")
        return self.sheet.styles.get((self.top, self.left, "color"))

    @color.setter
    def color(self, value) -> None:
        self._hit("color.set")
        self.sheet.styles[(self.top, self.left, "color")] = value

    @property
    def font(self) -> FakeFont:
        self._hit("font")
        return FakeFont(self)

    @property
    def column_width(self) -> float:
        self._hit("column_width.get")
        return self.sheet.widths.get(self.left, 8.43)

    @column_width.setter
    def column_width(self, value: float) -> None:
        self._hit("column_width.set")
        for c in range(self.left, self.right + 1):
            self.sheet.widths[c] = value

    @property
    def conditional_formats(self) -> FakeRules:
        self._hit("conditional_formats")
        return FakeRules(self.sheet, f"{_letters(self.left)}{self.top}:{_letters(self.right)}{self.bottom}")

    def merge(self) -> None:
        self._hit("merge")
        self.sheet.merged.append((self.top, self.left, self.bottom, self.right))


def _letters(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


@dataclass
class FakeSheet:
    book: FakeBook
    title: str
    grid: dict[tuple[int, int], Any] = field(default_factory=dict)
    formats: dict[tuple[int, int], str] = field(default_factory=dict)
    styles: dict[tuple, Any] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    rules: list[FakeRule] = field(default_factory=list)
    merged: list[tuple] = field(default_factory=list)
    visible_: bool = True

    @property
    def calls(self) -> Calls:
        return self.book.calls

    @property
    def name(self) -> str:
        self.calls.hit("Sheet.name")
        return self.title

    @property
    def used_range(self) -> FakeRange:
        self.calls.hit("Sheet.used_range")
        if not self.grid:
            return FakeRange(self, 1, 1, 1, 1)
        return FakeRange(self, 1, 1, max(r for r, _ in self.grid), max(c for _, c in self.grid))

    @property
    def cells(self) -> FakeRange:
        self.calls.hit("Sheet.cells")
        return FakeRange(self, 1, 1, 1048576, 16384)

    def range(self, first, last=None) -> FakeRange:
        self.calls.hit("Sheet.range")
        if isinstance(first, str):
            if ":" in first:
                left, top, right, bottom = range_boundaries(first.replace("$", ""))
                return FakeRange(self, top, left, bottom, right)
            top, left = _cell(first)
            return FakeRange(self, top, left, top, left)
        top, left = first
        bottom, right = last if last is not None else first
        return FakeRange(self, top, left, bottom, right)

    def clear(self) -> None:
        self.calls.hit("Sheet.clear")
        self.grid.clear()
        self.formats.clear()
        self.merged.clear()

    def activate(self) -> None:
        self.calls.hit("Sheet.activate")
        self.book.active = self.title

    @property
    def visible(self) -> bool:
        self.calls.hit("Sheet.visible.get")
        return self.visible_

    @visible.setter
    def visible(self, value: bool) -> None:
        self.calls.hit("Sheet.visible.set")
        self.visible_ = value


class FakeSheets:
    def __init__(self, book: FakeBook):
        self.book = book
        self.items: list[FakeSheet] = []

    def __iter__(self):
        self.book.calls.hit("Sheets.__iter__")
        return iter(list(self.items))

    def __len__(self) -> int:
        self.book.calls.hit("Sheets.__len__")
        return len(self.items)

    def __getitem__(self, key) -> FakeSheet:
        self.book.calls.hit("Sheets.__getitem__")
        if isinstance(key, int):
            return self.items[key]
        return next(s for s in self.items if s.title == key)

    def add(self, name: str, before=None, after=None) -> FakeSheet:
        self.book.calls.hit("Sheets.add")
        assert all(s.title != name for s in self.items), f"Excel refuses a second sheet named {name}"
        sheet = FakeSheet(self.book, name)
        position = self.items.index(after) + 1 if after is not None else len(self.items)
        self.items.insert(position, sheet)
        return sheet


class FakeApp:
    def __init__(self, calls: Calls, answer: str = "ok"):
        object.__setattr__(self, "calls", calls)
        object.__setattr__(self, "alerts", [])
        object.__setattr__(self, "answer", answer)
        object.__setattr__(self, "state", {"screen_updating": True, "calculation": "automatic",
                                          "enable_events": True, "status_bar": False})
        object.__setattr__(self, "status_history", [])

    def __getattr__(self, name: str) -> Any:
        state = object.__getattribute__(self, "state")
        if name in state:
            self.calls.hit(f"App.{name}.get")
            return state[name]
        raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        assert name in self.state, f"xlwings' App has no {name}"
        assert name != "calculation" or value in ("automatic", "manual", "semiautomatic")
        self.calls.hit(f"App.{name}.set")
        self.state[name] = value
        if name == "status_bar":
            self.status_history.append(value)

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok", mode: str | None = None,
              callback: str | None = None) -> str:
        self.calls.hit("App.alert")
        assert buttons in ("ok", "ok_cancel", "yes_no", "yes_no_cancel") and mode in (None, "info", "critical")
        self.alerts.append({"prompt": prompt, "title": title, "buttons": buttons, "mode": mode})
        return self.answer if buttons != "ok" else "ok"


class FakeSelection:
    def __init__(self, book: FakeBook, row: int):
        self.book, self._row = book, row

    @property
    def row(self) -> int:
        self.book.calls.hit("Range.row")
        return self._row

    @property
    def sheet(self) -> FakeSheet:
        self.book.calls.hit("Range.sheet")
        return self.book.sheets[self.book.selected_sheet]


class FakeBook:
    def __init__(self, fullname: Path, answer: str = "ok"):
        self.calls = Calls()
        self.app = FakeApp(self.calls, answer)
        self._fullname = str(fullname)
        self.sheets = FakeSheets(self)
        self.active: str | None = None
        self.selected_row = 2
        self.selected_sheet = "服务记录"
        self.save_error: Exception | None = None

    @property
    def fullname(self) -> str:
        self.calls.hit("Book.fullname")
        return self._fullname

    @property
    def selection(self) -> FakeSelection:
        self.calls.hit("Book.selection")
        return FakeSelection(self, self.selected_row)

    def save(self, path: str | None = None) -> None:
        """What Excel's save leaves on disk, as far as values go: every sheet's grid written into
        the file. `save_error` set by a test makes it fail as Excel does (read-only, locked)."""
        self.calls.hit("Book.save")
        if self.save_error is not None:
            raise self.save_error
        target = Path(path or self._fullname)
        wb = openpyxl.load_workbook(target)
        for sheet in self.sheets.items:
            ws = wb[sheet.title] if sheet.title in wb.sheetnames else wb.create_sheet(sheet.title)
            for row in ws.iter_rows():
                for cell in row:
                    if (cell.row, cell.column) not in sheet.grid:
                        cell.value = None
            for (row, col), value in sheet.grid.items():
                ws.cell(row=row, column=col, value=value)
        wb.save(target)

    @classmethod
    def from_file(cls, path: Path, answer: str = "ok") -> FakeBook:
        """The workbook as Excel would hold it after opening `path` (values, not the file)."""
        book = cls(path, answer)
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            sheet = FakeSheet(book, ws.title)
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is not None and cell.value != "":
                        sheet.grid[(cell.row, cell.column)] = cell.value
            sheet.visible_ = ws.sheet_state == "visible"
            book.sheets.items.append(sheet)
        book.calls.clear()
        return book

    def column(self, title: str, header: str, header_row: int = 1) -> list[Any]:
        """A column's values below its header, as a user would read them in Excel."""
        sheet = next(s for s in self.sheets.items if s.title == title)
        col = next(c for (r, c), v in sheet.grid.items() if r == header_row and v == header)
        last = max(r for r, _ in sheet.grid)
        return [sheet.grid.get((r, col)) for r in range(header_row + 1, last + 1)]
