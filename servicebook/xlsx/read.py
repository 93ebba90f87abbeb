"""Reading cell values from a workbook file with python-calamine.

Calamine reads about ten times faster than openpyxl and returns the values Excel last
calculated for formula cells, which openpyxl's editable mode does not. Each sheet's extent is
measured first (see `scan`): calamine aborts the process on a sheet too large to allocate. A sheet
the tool wrote, unchanged since, is known by its CRC-32 and size and not measured again.
"""

from __future__ import annotations

import itertools
import math
import os
import threading
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import python_calamine

from servicebook.definition import WorkbookDef
from servicebook.domain.book import Book, read_book, read_book_settings, read_whole
from servicebook.domain.layout import EMPTY_LAYOUT, SheetLayout
from servicebook.errors import CannotRun
from servicebook.text import t
from servicebook.xlsx.inspect import SUFFIXES, ensure_workbook
from servicebook.xlsx.layout import read_layout
from servicebook.xlsx.parts.book import BookPart
from servicebook.xlsx.parts.package import Package
from servicebook.xlsx.scan import (
    Extent,
    KnownExtent,
    KnownRows,
    SheetScan,
    readable,
    scan_sheet,
    sheet_extent,
    sheet_specials,
)

__all__ = ["SUFFIXES", "CalamineSource", "ensure_workbook", "load_book"]

# Excel's limit for one cell. calamine cuts a longer text to exactly this length, so a text of this
# length may be the first 32,767 characters of more: writing it back would lose the rest.
MAX_TEXT = 32_767
READERS = 2   # the records sheet read beside the rest (calamine lets go of the GIL while it reads); each
# reader holds a calamine workbook of its own, so more would cost memory for little time


def _where(title: str, rows: list[list[object]], bad) -> str:
    from servicebook.domain.table import column_letter

    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if bad(value):
                return t("open.cell", sheet=title, cell=f"{column_letter(c)}{r}")
    return title


def guard_values(title: str, rows: list[list[object]]) -> None:
    """Refuse what no Excel cell can hold: text of 32,767 characters or more, a number past
    ±1.8e308 (read as infinity). One plain loop over the grid (generators over it cost half again)."""
    finite = math.isfinite
    for row in rows:
        for value in row:
            kind = value.__class__
            if kind is str:
                if len(value) >= MAX_TEXT:
                    where = _where(title, rows, lambda v: v.__class__ is str and len(v) >= MAX_TEXT)
                    raise CannotRun(t("open.text_too_long", where=where, limit=MAX_TEXT))
            elif kind is float and not finite(value):
                where = _where(title, rows, lambda v: v.__class__ is float and not math.isfinite(v))
                raise CannotRun(t("open.number_too_large", where=where))


# What a sheet whose bytes are damaged raises: zip's CRC check, zlib, a stream cut short, calamine
# parsing what the damage left.
DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, python_calamine.CalamineError)


def _grid(workbook: python_calamine.CalamineWorkbook, title: str, nrows: int | None = None) -> list[list[object]]:
    sheet = workbook.get_sheet_by_name(title)
    if nrows is None and sheet.end and sheet.end[0] + 1 >= SHARE_FROM_ROWS:
        return _rows_sharing_texts(sheet)
    return sheet.to_python(skip_empty_area=False, nrows=nrows)


SHARED_FROM = 4096   # rows: the first rows, whose few distinct texts a column's later copies become
# A shorter sheet is read whole: its copies cost little (the 10k demo's records: 16 MB of the
# read's 118 MB peak) and sharing them a row at a time costs more time than it saves (0.05–0.07 s
# over its 0.07 s conversion); at 100k records it saves as much time as it costs.
SHARE_FROM_ROWS = 20_000


def _rows_sharing_texts(sheet: python_calamine.CalamineSheet) -> list[list[object]]:
    """The rows `to_python(skip_empty_area=False)` gives, each cell that repeats a text of its
    column's first rows made that same object as each row comes in. calamine makes an object per
    cell: 100,000 rows of 处理状态 are 100,000 copies of a handful of words. Shared once the whole
    sheet was read (as `build_table` shares them), the copies leave their memory in holes nothing
    later fills — at 100k records 115 MB of free 96-byte blocks, held to the end of the run; shared
    as each row comes in, the next row's copies take the places of the last's. A column's texts are
    looked up, a row at a time at C speed, in a dict of texts alone: a number or True equal to
    nothing there is left as read (1, 1.0 and True are equal keys, not equal cells)."""
    # iter_rows gives the empty rows above the first used cell but not the empty columns left of it
    left = [""] * sheet.start[1] if sheet.start else []
    source: Iterator[list[object]] = sheet.iter_rows()
    if left:
        source = (left + cells for cells in source)
    first = list(itertools.islice(source, SHARED_FROM))
    texts = _few_texts(first)
    width = len(texts)

    def shared(cells: list[object]) -> list[object]:
        return list(map(dict.get, texts, cells, cells)) if len(cells) == width else cells

    rows = list(map(shared, first))
    first.clear()   # the first rows' copies go now, for the next rows to take their places
    rows += map(shared, source)
    return rows


def _few_texts(rows: list[list[object]]) -> list[dict[object, object]]:
    """For each column of these rows, its texts when it holds few distinct values (else nothing)."""
    if not rows or any(len(cells) != len(rows[0]) for cells in rows):
        return []
    found = []
    for values in zip(*rows, strict=True):
        distinct = set(values)
        few = len(distinct) * 2 <= len(values)
        found.append({v: v for v in distinct if v.__class__ is str} if few else {})
    return found


class CalamineSource:
    """Grids of a workbook file by sheet title, each read once."""

    def __init__(self, path: Path, known: Mapping[str, KnownExtent] | None = None):
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
        self._scans: dict[str, SheetScan | None] = {}
        self._specials: dict[str, Future[SheetScan]] = {}   # the largest sheet's, found beside its read
        self._path, self._pool, self._pending = path, None, {}
        self._known = known or {}
        # A calamine workbook is read by one thread at a time, and a zip file is read safely from
        # one: each reader opens its own of both.
        self._local, self._opened = threading.local(), []

    def close(self) -> None:
        for found in self._specials.values():   # a reader waiting for them stops waiting
            found.cancel()
        if self._pool is not None:   # readers still at work finish before their files close
            self._pool.shutdown(wait=True, cancel_futures=True)
        for opened in (*self._opened, self.workbook):   # zip files and calamine workbooks: their files
            opened.close()
        self.package.close()

    def prefetch(self, titles: list[str]) -> None:
        """Start reading these sheets whole, side by side: the largest first (it takes longest), then
        the rest in the order given (the order they are asked for); `fetch` waits for its sheet. A
        sheet that cannot be read says so when it is fetched, as if read then. The largest sheet's
        reader scans only its extent before calamine starts; its formula and error cells are found by
        the other reader, after the rest."""
        parts = {title: self._part(title) for title in titles if title in self.titles and title not in self._cache}
        workers = min(READERS, os.cpu_count() or 1, len(parts))
        if workers < 2:
            return
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="servicebook-read")
        largest = max(parts, key=lambda title: self._size(parts[title]))
        if parts[largest]:   # there before its reader asks for it
            self._specials[largest] = Future()
        for title in sorted(parts, key=lambda title: title != largest):
            self._pending[title] = self._pool.submit(self._read_alone, title, parts[title], title == largest)
        if parts[largest]:
            self._pool.submit(self._find_specials, largest, parts[largest])

    def _find_specials(self, title: str, part: str) -> None:
        found = self._specials[title]
        if found.set_running_or_notify_cancel():   # not when the source closed first
            try:
                found.set_result(sheet_specials(self._handles()[0], part))
            except BaseException as error:   # said by the sheet's reader, as its own
                found.set_exception(error)

    def _part(self, title: str) -> str | None:
        part = self.parts.sheet_part(title)
        return part if part and self.package.exists(part) else None

    def _size(self, part: str | None) -> int:
        return self.package.zip.getinfo(part).file_size if part else 0

    def _handles(self) -> tuple[zipfile.ZipFile, python_calamine.CalamineWorkbook]:
        """This reader's own zip file and calamine workbook, opened on its first sheet."""
        local = self._local
        if not hasattr(local, "workbook"):
            try:
                local.archive = zipfile.ZipFile(self._path)
                self._opened.append(local.archive)
                local.workbook = python_calamine.CalamineWorkbook.from_path(str(self._path))
                self._opened.append(local.workbook)
            except Exception as error:  # the file went between two opens: as unreadable
                raise CannotRun(t("open.unreadable", path=str(self._path), error=str(error))) from error
        return local.archive, local.workbook

    @contextmanager
    def _reading(self, title: str) -> Iterator[None]:
        """A sheet whose bytes are damaged (a flipped byte, a file cut short) is said by its name,
        never as an internal error; nothing has been written."""
        try:
            yield
        except DAMAGED:
            raise CannotRun(t("open.damaged_sheet", path=str(self._path), sheet=title)) from None

    def _read_alone(self, title: str, part: str | None, split: bool) -> list[list[object]]:
        with self._reading(title):
            return self._read_whole(title, part, split)

    def _read_whole(self, title: str, part: str | None, split: bool) -> list[list[object]]:
        archive, workbook = self._handles()
        if split and part:
            extent = self._readable(title, self._known_extent(part) or sheet_extent(archive, part))
            rows = _grid(workbook, title)
            self._scans[title] = replace(self._specials[title].result(), extent=extent)
            return self._settled(title, rows, self._scans[title])
        return self._read(workbook, title, self._scan(title, archive, part))

    def _scan(self, title: str, archive: zipfile.ZipFile | None = None, part: str | None = None) -> SheetScan | None:
        """The sheet's extent checked (before calamine allocates it) and its formula and error cells."""
        if title not in self._scans:
            if archive is None:
                archive, part = self.package.zip, self._part(title)
            with self._reading(title):
                scan = self._measured(archive, part) if part else None
            if scan is not None:
                self._readable(title, scan.extent)
            self._scans[title] = scan
        return self._scans[title]

    def _measured(self, archive: zipfile.ZipFile, part: str) -> SheetScan:
        known = self._known_extent(part)
        return replace(sheet_specials(archive, part), extent=known) if known else scan_sheet(archive, part)

    def _known_extent(self, part: str) -> Extent | None:
        """The extent measured as the tool wrote this part, while the part is still as written."""
        known = self._known.get(part)
        return known.extent if known and known.fits(self.package.zip.getinfo(part)) else None

    @staticmethod
    def _readable(title: str, extent: Extent) -> Extent:
        if not readable(extent):
            raise CannotRun(t("open.too_large", sheet=title, corner=extent.corner, rows=extent.rows,
                              columns=extent.columns))
        return extent

    def fetch(self, title: str, nrows: int | None) -> list[list[object]]:
        if title in self._pending:
            self._cache[title] = self._pending.pop(title).result()
        if title in self._cache:
            rows = self._cache[title]
            return rows if nrows is None else rows[:nrows]
        with self._reading(title):
            rows = self._read(self.workbook, title, self._scan(title), nrows)
        if nrows is None:
            self._cache[title] = rows
        return rows

    @staticmethod
    def _read(workbook: python_calamine.CalamineWorkbook, title: str, scan: SheetScan | None,
              nrows: int | None = None) -> list[list[object]]:
        return CalamineSource._settled(title, _grid(workbook, title, nrows), scan, nrows)

    @staticmethod
    def _settled(title: str, rows: list[list[object]], scan: SheetScan | None,
                 nrows: int | None = None) -> list[list[object]]:
        """The grid as read with its error cells put back, and refused if no Excel cell could hold a value."""
        if scan is not None:
            # calamine reads an error value as "": it is what Excel shows, "#N/A", that a person typed
            for (row, col), code in scan.errors.items():
                if row <= len(rows) and col <= len(rows[row - 1]):
                    rows[row - 1][col - 1] = code
        if nrows is None:
            guard_values(title, rows)
        return rows

    def formulas(self, title: str) -> dict[tuple[int, int], str]:
        """(row, column) -> formula of every cell that holds one (it is read by its cached value)."""
        scan = self._scan(title)
        return scan.formulas if scan else {}

    def known_rows(self) -> dict[str, KnownRows]:
        """Where the rows of each sheet read so far lie in its part, by part (see KnownRows)."""
        found = {}
        for title, scan in self._scans.items():
            part = self._part(title)
            if scan is not None and part and (rows := KnownRows.of(scan, self.package.zip.getinfo(part))):
                found[part] = rows
        return found

    def layout(self, title: str) -> SheetLayout:
        scan, part = self._scan(title), self.parts.sheet_part(title)
        return read_layout(self.package, part, scan.outside) if scan and part else EMPTY_LAYOUT


def load_book(path: Path, definition: WorkbookDef, known: Mapping[str, KnownExtent] | None = None,
              rows: dict[str, KnownRows] | None = None) -> Book:
    """The workbook read; `known`: the extents of sheets the tool wrote, by part (see CalamineSource);
    `rows`, when given, is filled with where the sheets' rows lie (what a write of the file can use)."""
    ensure_workbook(path)
    source = CalamineSource(path, known)
    try:
        source.prefetch(read_whole(definition, source.titles))
        book = read_book(definition, source)
        if rows is not None:
            rows.update(source.known_rows())
        return book
    finally:
        source.close()


def team_zone(path: Path, definition: WorkbookDef) -> str:
    """设置 → 时区, read from the settings sheet alone (for a log opened before the workbook is
    read); the default zone when it cannot be read."""
    try:
        source = CalamineSource(path)
        try:
            return read_book_settings(definition, source)[1]["timezone"]   # a bad value reads as the default
        finally:
            source.close()
    except Exception:   # unreadable: the log still needs a clock
        return str(definition.settings.setting("timezone").default)


def sheet_grids(path: Path, titles: list[str]) -> dict[str, list[list[object]]]:
    """Every cell of these sheets as read (error values as their codes): what a move must carry whole."""
    source = CalamineSource(path)
    try:
        return {title: source.fetch(title, None) for title in titles}
    finally:
        source.close()
