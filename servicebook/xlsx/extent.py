"""How far a worksheet's cells reach, measured before python-calamine reads the sheet.

calamine allocates the whole rectangle from A1 to the farthest cell: one value in XFD1048576 makes
it ask for 512 GB and abort the process, which no `except` catches. The `dimension` element cannot
be trusted (calamine ignores it too), so the sheet's XML is scanned: the last row element gives the
last row (rows are stored in order), and a search for three-letter cell references tells whether
any cell lies beyond column ZZ. Both are plain byte searches, a few per cent of calamine's own time.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass

from servicebook.domain.table import column_letter

CHUNK = 1 << 20
TWO_LETTERS = 26 * 27            # ZZ: the last column a sheet without a three-letter reference can use
MAX_CELLS = 60_000_000           # about 2 GB in calamine, plus the Python grid: readable on an office PC
_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="(\d+)"')
_FAR = re.compile(rb'r="[A-Z]{3}')
_FAR_REF = re.compile(rb'r="([A-Z]{3,})\d')
_ANY_REF = re.compile(rb'r="([A-Z]{1,2})\d')


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


def _letters(text: bytes) -> int:
    n = 0
    for ch in text:
        n = n * 26 + ch - 64
    return n


def sheet_extent(archive: zipfile.ZipFile, part: str) -> Extent:
    """An upper bound of the rectangle calamine would allocate for `part`: exact in rows; in
    columns exact beyond ZZ, else ZZ — refined to the exact column only when that bound would be
    too large to read (a long sheet)."""
    last_row, far, tail = 0, False, b""
    with archive.open(part) as stream:
        while chunk := stream.read(CHUNK):
            data = tail + chunk
            start = data.rfind(b"row ")
            found = _ROW.search(data, max(start - 8, 0)) if start >= 0 else None
            if found:
                last_row = max(last_row, int(found.group(1)))
            far = far or _FAR.search(data) is not None
            tail = data[-256:]
    rows = max(last_row, 1)
    if far:
        return Extent(rows, _farthest(archive, part, _FAR_REF))
    if rows * TWO_LETTERS <= MAX_CELLS:
        return Extent(rows, TWO_LETTERS)
    return Extent(rows, _farthest(archive, part, _ANY_REF))


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


def readable(extent: Extent) -> bool:
    return extent.cells <= MAX_CELLS
