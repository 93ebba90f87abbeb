"""Reading cell values from a workbook file with python-calamine.

Calamine reads about ten times faster than openpyxl and returns the values Excel last
calculated for formula cells, which openpyxl's editable mode does not.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import python_calamine

from servicebook.definition import WorkbookDef
from servicebook.domain.book import Book, read_book
from servicebook.errors import CannotRun
from servicebook.text import t

SUFFIXES = (".xlsx", ".xlsm")


def ensure_workbook(path: Path) -> None:
    if not path.exists():
        raise CannotRun(t("open.missing", path=str(path)))
    if path.suffix.lower() not in SUFFIXES or not zipfile.is_zipfile(path):
        raise CannotRun(t("open.not_workbook", path=str(path)))


class CalamineSource:
    """Grids of a workbook file by sheet title, each read once."""

    def __init__(self, path: Path):
        try:
            self.workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        except Exception as error:  # calamine raises its own types for broken files
            raise CannotRun(t("open.unreadable", path=str(path), error=str(error))) from error
        self.titles = list(self.workbook.sheet_names)
        self._cache: dict[str, list[list[object]]] = {}

    def fetch(self, title: str, nrows: int | None) -> list[list[object]]:
        if title in self._cache:
            rows = self._cache[title]
            return rows if nrows is None else rows[:nrows]
        sheet = self.workbook.get_sheet_by_name(title)
        rows = sheet.to_python(skip_empty_area=False, nrows=nrows)
        if nrows is None:
            self._cache[title] = rows
        return rows


def load_book(path: Path, definition: WorkbookDef) -> Book:
    ensure_workbook(path)
    source = CalamineSource(path)
    return read_book(definition, source.titles, source.fetch)
