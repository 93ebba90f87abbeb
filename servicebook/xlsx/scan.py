"""What a worksheet's XML says that its values do not, read before python-calamine reads the sheet:

- how far its cells reach. calamine allocates the whole rectangle from A1 to the farthest cell: one
  value in XFD1048576 makes it ask for 512 GB and abort the process, which no `except` catches. The
  `dimension` element cannot be trusted (calamine ignores it too), so the last row element gives the
  last row (rows are stored in order), and a search for three-letter references tells whether any
  cell lies beyond column ZZ;
- which cells hold a formula or an error value. calamine hands over a formula's cached value and an
  error as an empty string, so a formula a person put in 记录编号 would look like an empty cell to
  be numbered, and `#N/A` like nothing at all.

Both are plain byte searches over the decompressed part, a few per cent of calamine's own time.
"""

from __future__ import annotations

import functools
import re
import zipfile
from dataclasses import dataclass, field

from servicebook.domain.table import column_letter

CHUNK = 1 << 20
TAIL = 1 << 16                   # kept from the previous chunk: a cell that straddles two chunks
ROW_TAG = 512                    # a row element's r attribute lies this near its start
TWO_LETTERS = 26 * 27            # ZZ: the last column a sheet without a three-letter reference can use
MAX_CELLS = 60_000_000           # about 2 GB in calamine, plus the Python grid: readable on an office PC
# A part this large may hold more rows than ZZ columns of them can be read (MAX_CELLS / 702, about
# 85,000): its farthest column is followed during the first read instead of in a second one.
FOLLOW_COLUMNS_FROM = 64 << 20
_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="(\d+)"')
_FAR = re.compile(rb'r="[A-Z]{3}')
_FAR_REF = re.compile(rb'r="([A-Z]{3,})\d')
_ANY_REF = re.compile(rb'r="([A-Z]{1,2})\d')
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_ERROR_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)<")
_PREFIX = re.compile(rb"<(\w+:)?worksheet\b")


@dataclass(frozen=True)
class Extent:
    rows: int
    columns: int

    @property
    def cells(self) -> int:
        return self.rows * self.columns

    @property
    def corner(self) -> str:
        return f"{column_letter(self.columns)}{self.rows}"


@dataclass
class SheetScan:
    extent: Extent
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, column), 1-based -> text
    errors: dict[tuple[int, int], str] = field(default_factory=dict)    # (row, column) -> "#N/A"
    outside: bytes = b""     # the worksheet without its rows: columns, merges, validations, formats…
    # Where the rows lie in the part: (just after the sheetData tag, its closing tag), with the
    # namespace prefix; None when not found in one pass (an empty sheet, a tag past the first chunk).
    rows_at: tuple[int, int] | None = None
    prefix: bytes = b""


@dataclass(frozen=True)
class _Measured:
    """What was found in a part, with the CRC-32 and size of the bytes it was found in: a part whose
    zip directory says the same holds those bytes, and is not inflated again to find it."""

    crc: int
    size: int

    def fits(self, info: zipfile.ZipInfo) -> bool:
        return (info.CRC, info.file_size) == (self.crc, self.size)


@dataclass(frozen=True)
class KnownExtent(_Measured):
    """A part's extent, measured as it was read or written."""

    extent: Extent


@dataclass(frozen=True)
class KnownRows(_Measured):
    """Where a part's rows lie (`start` just after its sheetData tag, `end` at the closing tag) and
    the part without them (`outside`, as SheetScan has it), found as it was read: the part writer
    need not read a large part through once more to find them before it patches its rows."""

    prefix: bytes
    outside: bytes
    start: int
    end: int

    @classmethod
    def of(cls, scan: SheetScan, info: zipfile.ZipInfo) -> KnownRows | None:
        if scan.rows_at is None:
            return None
        return cls(info.CRC, info.file_size, scan.prefix, scan.outside, *scan.rows_at)


def _letters(text: bytes) -> int:
    n = 0
    for ch in text:
        n = n * 26 + ch - 64
    return n


def _cell_at(data: bytes, hit: int, opening: bytes) -> tuple[int, int] | None:
    """The (row, column) of the cell element that contains position `hit`."""
    start = data.rfind(opening, 0, hit)
    if start < 0:
        return None
    found = _CELL_REF.search(data, start, data.find(b">", start) + 1)
    return (int(found.group(2)), _letters(found.group(1))) if found else None


def _specials(data: bytes, prefix: bytes, scan: SheetScan) -> None:
    opening = b"<" + prefix + b"c "
    closing = b"</" + prefix + b"f>"
    needle = b"<" + prefix + b"f"
    width = len(needle)
    hit = data.find(needle)   # one pass: <f>, <f …>, <f/> (and nothing else in a sheet's rows starts so)
    while hit >= 0:
        if data[hit + width:hit + width + 1] in (b">", b" ", b"/"):
            cell = _cell_at(data, hit, opening)
            if cell and cell not in scan.formulas:
                start, end = data.find(b">", hit) + 1, data.find(closing, hit, hit + 8192)
                text = data[start:end] if end > 0 and data[start - 2:start] != b"/>" else b""
                scan.formulas[cell] = text.decode("utf-8", "replace")
        hit = data.find(needle, hit + 1)
    hit = data.find(b't="e"')
    while hit >= 0:
        cell = _cell_at(data, hit, opening)
        value = _ERROR_VALUE.search(data, hit, hit + 4096)
        if cell:
            scan.errors[cell] = value.group(1).decode("utf-8", "replace") if value else "#VALUE!"
        hit = data.find(b't="e"', hit + 1)


def scan_sheet(archive: zipfile.ZipFile, part: str) -> SheetScan:
    """The sheet's extent (exact in rows; in columns exact beyond ZZ, else ZZ — refined to the exact
    column only when that bound would be too large to read) and its formula and error cells."""
    return _scan(archive, part, extent=True, specials=True)


def sheet_extent(archive: zipfile.ZipFile, part: str) -> Extent:
    """Only the extent, as `scan_sheet` gives it: what must be known before calamine reads the sheet.
    The largest sheet is read with this first and its formula and error cells found beside it (a
    third of the scan's time, off the read's longest path)."""
    return _scan(archive, part, extent=True, specials=False).extent


def sheet_specials(archive: zipfile.ZipFile, part: str) -> SheetScan:
    """The formula and error cells and the XML outside the rows, as `scan_sheet` gives them; the
    extent is left at 1×1 (`sheet_extent` gives it)."""
    return _scan(archive, part, extent=False, specials=True)


def _scan(archive: zipfile.ZipFile, part: str, *, extent: bool, specials: bool) -> SheetScan:
    tail, prefix = b"", None
    tracker = ExtentTracker.for_size(archive.getinfo(part).file_size)
    scan = SheetScan(Extent(1, 1))
    head, after = b"", None    # the XML before <sheetData>, and from </sheetData> on
    start, base = None, 0      # where the rows start; where `data` starts in the part
    with archive.open(part) as stream:
        while chunk := stream.read(CHUNK):
            if extent:
                tracker.feed(chunk)
            if not specials:
                continue
            data = tail + chunk
            if prefix is None:
                found = _PREFIX.search(data)
                prefix = (found.group(1) or b"") if found else b""
                opening = data.find(b"<" + prefix + b"sheetData")
                head = data[:opening] if opening >= 0 else b""
                start = _rows_start(data, opening)
            if after is not None:
                after += chunk
            elif (closing := data.find(b"</" + prefix + b"sheetData>")) >= 0:
                after = data[closing:]
                if start is not None:
                    scan.rows_at, scan.prefix = (start, base + closing), prefix
            _specials(data, prefix, scan)
            base += len(data) - min(TAIL, len(data))
            tail = data[-TAIL:]
    if specials:
        scan.outside = _outside(head, after, tail, prefix or b"")
    if extent:
        scan.extent = tracker.extent() or _read_again(archive, part, tracker)
    return scan


class ExtentTracker:
    """How far a worksheet's cells reach, followed through its XML a chunk at a time, in order: as
    the sheet is scanned before a read, and as the part writer writes it (so the next read of a
    part the tool wrote, unchanged since, need not inflate it first to know).

    The last row element gives the last row (rows are stored in order). A reference of three
    letters means the sheet reaches past ZZ; otherwise its width is bounded by ZZ — or, when
    `follow`, by the farthest one- or two-letter reference, found in the same pass."""

    def __init__(self, follow: bool = True):
        self.follow, self.rows, self.farthest, self.far = follow, 0, 0, False
        self._tail = b""

    @classmethod
    def for_size(cls, size: int) -> ExtentTracker:
        """For a part of about `size` bytes: its farthest column followed only when it is large
        enough to hold more rows than ZZ columns of them can be read (a smaller part is searched
        for a reference past ZZ alone, at half the cost, and measured again in the rare case)."""
        return cls(follow=size >= FOLLOW_COLUMNS_FROM)

    def feed(self, chunk: bytes) -> None:
        data = self._tail + chunk   # a tag cut between two chunks is whole in the second
        self.rows = max(self.rows, _last_row(data))
        if self.far:
            pass
        elif self.follow:
            self.farthest, self.far = follow_columns(data, self.farthest)
        else:
            self.far = _FAR.search(data) is not None
        self._tail = data[-TAIL:]

    def extent(self) -> Extent | None:
        """The extent, or None when its width needs the part read once more: a reference past ZZ
        (its exact column), or more rows than ZZ columns of them can be read with the farthest
        column not followed."""
        rows = max(self.rows, 1)
        if self.far:
            return None
        if rows * TWO_LETTERS <= MAX_CELLS:
            return Extent(rows, TWO_LETTERS)
        return Extent(rows, max(self.farthest, 1)) if self.follow else None


def _last_row(data: bytes) -> int:
    """The number of the last row element in `data` (0: none). "row " in a cell's text is passed
    over: a few from the end, then (a text that says it again and again) the rows in order."""
    end = len(data)
    for _ in range(8):
        start = data.rfind(b"row ", 0, end)
        if start < 0:
            return 0
        found = _ROW.search(data, max(start - 8, 0), start + ROW_TAG)
        if found:
            return int(found.group(1))
        end = start
    found = None
    for found in _ROW.finditer(data, 0, end):   # noqa: B007 - the last one is wanted
        pass
    return int(found.group(1)) if found else 0


def _read_again(archive: zipfile.ZipFile, part: str, tracker: ExtentTracker) -> Extent:
    pattern = _FAR_REF if tracker.far else _ANY_REF
    return Extent(max(tracker.rows, 1), _farthest(archive, part, pattern))


def _rows_start(data: bytes, opening: int) -> int | None:
    """Just after the sheetData tag at `opening`, when it opens rows (not `<sheetData/>`) and is
    whole in `data`."""
    close = data.find(b">", opening) if opening >= 0 else -1
    return close + 1 if close > 0 and data[close - 1:close] != b"/" else None


def _outside(head: bytes, after: bytes | None, tail: bytes, prefix: bytes) -> bytes:
    if after is None:   # an empty sheet: <sheetData/>
        empty = (tail or head).find(b"<" + prefix + b"sheetData/>")
        after = tail[empty + len(prefix) + 12:] if empty >= 0 else b""
        head = head or tail[:empty]
    else:
        after = after[len(b"</" + prefix + b"sheetData>"):]
    return without_rows(prefix, head, after)


def without_rows(prefix: bytes, head: bytes | bytearray, tail: bytes | bytearray) -> bytes:
    """A worksheet part with an empty sheetData where its rows were: `head` the XML before the
    sheetData tag, `tail` what follows its closing tag (SheetScan.outside, and what the part
    writer parses the rest of a sheet from)."""
    return bytes(head) + b"<" + prefix + b"sheetData/>" + bytes(tail)


def _farthest(archive: zipfile.ZipFile, part: str, pattern: re.Pattern[bytes]) -> int:
    """The farthest column a cell reference of `pattern` names (read the part once more)."""
    farthest, tail = 1, b""
    with archive.open(part) as stream:
        while chunk := stream.read(CHUNK):
            data = tail + chunk
            for letters in set(pattern.findall(data)):
                farthest = max(farthest, _letters(letters))
            tail = data[-256:]
    return farthest


def farthest_two_letters(data: bytes, farthest: int) -> int:
    """The farthest column of a one- or two-letter cell reference in `data`, if beyond `farthest`."""
    return follow_columns(data, farthest)[0]


def follow_columns(data: bytes, farthest: int) -> tuple[int, bool]:
    """The farthest column of the one- and two-letter references in `data`, if beyond `farthest`,
    and whether a three-letter one is there (then the search stops: the column is found again
    exactly). Each search looks only past the farthest yet, so a sheet costs one pass and a handful
    of matches, not one per cell."""
    position = 0
    while found := _beyond(farthest).search(data, position):
        if found.lastindex is None:   # the three letters matched: no group did
            return farthest, True
        farthest = _letters(found.group(1))
        position = found.start() + 1
    return farthest, False


@functools.lru_cache(maxsize=TWO_LETTERS + 1)
def _beyond(column: int) -> re.Pattern[bytes]:
    """A cell reference of one or two letters naming a column past `column` (ZZ at most), its
    letters in group 1 — or one of three letters (no group)."""
    if column < 26:   # a later single letter (Y: [Z-Z]), or any two letters
        options = [rb"[%c-Z]" % (65 + column), rb"[A-Z][A-Z]"]
    else:
        first, second = divmod(column - 1, 26)   # AA is 27: first 1 ("A"), second 0 ("A")
        options = [rb"%c[%c-Z]" % (64 + first, 66 + second)] if second < 25 else []
        if first < 26:
            options.append(rb"[%c-Z][A-Z]" % (65 + first))
    two = rb"(" + b"|".join(options) + rb")\d|" if options else b""   # nothing lies past ZZ in two letters
    # The literal r=" first, as in _ANY_REF, keeps the quick search (a leading \b costs it).
    return re.compile(rb'r="(?:' + two + rb"[A-Z]{3})")


def readable(extent: Extent) -> bool:
    return extent.cells <= MAX_CELLS
