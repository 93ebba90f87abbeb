"""Reading cell values from a workbook file with python-calamine.

Calamine reads about ten times faster than openpyxl and returns the values Excel last
calculated for formula cells, which openpyxl's editable mode does not. Each sheet's extent is
measured first (see `extent`): calamine aborts the process on a sheet too large to allocate.
"""

from __future__ import annotations

from pathlib import Path

import python_calamine

from servicebook.definition import WorkbookDef
from servicebook.domain.book import Book, read_book
from servicebook.errors import CannotRun
from servicebook.text import t
from servicebook.xlsx.extent import readable, sheet_extent
from servicebook.xlsx.inspect import SUFFIXES, ensure_workbook
from servicebook.xlsx.parts.book import BookPart
from servicebook.xlsx.parts.package import Package

__all__ = ["SUFFIXES", "CalamineSource", "ensure_workbook", "load_book"]


class CalamineSource:
    """Grids of a workbook file by sheet title, each read once."""

    def __init__(self, path: Path):
        try:
            self.workbook = python_calamine.CalamineWorkbook.from_path(str(path))
            self.package = Package(path)
            self.parts = BookPart(self.package)
        except CannotRun:
            raise
        except Exception as error:  # calamine and lxml raise their own types for broken files
            raise CannotRun(t("open.unreadable", path=str(path), error=str(error))) from error
        self.titles = list(self.workbook.sheet_names)
        self._cache: dict[str, list[list[object]]] = {}
        self._checked: set[str] = set()

    def close(self) -> None:
        self.package.close()

    def _check_extent(self, title: str) -> None:
        part = self.parts.sheet_part(title)
        if part is None or not self.package.exists(part):
            return
        extent = sheet_extent(self.package.zip, part)
        if not readable(extent):
            raise CannotRun(t("open.too_large", sheet=title, corner=extent.corner, rows=extent.rows,
                              columns=extent.columns))

    def fetch(self, title: str, nrows: int | None) -> list[list[object]]:
        if title in self._cache:
            rows = self._cache[title]
            return rows if nrows is None else rows[:nrows]
        if title not in self._checked:
            self._check_extent(title)
            self._checked.add(title)
        sheet = self.workbook.get_sheet_by_name(title)
        rows = sheet.to_python(skip_empty_area=False, nrows=nrows)
        if nrows is None:
            self._cache[title] = rows
        return rows


def load_book(path: Path, definition: WorkbookDef) -> Book:
    ensure_workbook(path)
    source = CalamineSource(path)
    try:
        return read_book(definition, source.titles, source.fetch)
    finally:
        source.close()
