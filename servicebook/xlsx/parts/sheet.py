"""Patching one worksheet part in place: the part is cut at its sheetData; the rows go to the
text path (rows.py), the rest — columns, filter, conditional formats, validations, extLst… — to
the XML path (sheet_xml.py); the pieces are put back together as they are taken, never joined."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from lxml import etree

from servicebook.edits import RowEdits, SheetEdits
from servicebook.sheets.conventions import LAST_ROW, computed_prompt
from servicebook.xlsx.parts.cells import column_letter
from servicebook.xlsx.parts.rows import CellLooks, RowPatcher, RowsResult, row_blocks
from servicebook.xlsx.parts.sheet_xml import SheetXml
from servicebook.xlsx.parts.styles import StyleSheet
from servicebook.xlsx.scan import KnownRows, without_rows

_SHEET_DATA = re.compile(rb"<((?:\w+:)?)sheetData\b[^>]*?(/>|>)")


@dataclass
class PatchResult:
    data: Iterator[bytes | memoryview]   # the new part, made piece by piece as it is taken
    rows: RowsResult                     # complete once `data` is taken to its end

    @property
    def replaced_strings(self) -> dict[int, str]:   # shared-string index -> the text that replaced it
        return self.rows.replaced_strings

    @property
    def dropped_formula(self) -> bool:
        return self.rows.dropped_formula


class SheetPatcher:
    def __init__(self, data: bytes | bytearray, styles: StyleSheet, date1904: bool):
        match = _SHEET_DATA.search(data)
        if not match:
            raise ValueError("no sheetData")
        prefix = match.group(1)
        if match.group(2) == b"/>":
            rows = (match.end(), match.end())
            tail = data[match.end():]
        else:
            closing = _closing(prefix)
            close = data.rfind(closing)
            rows = (match.end(), close)
            tail = data[close + len(closing):]
        # The rows stay where they are in `data` (on a large sheet, a copy is hundreds of megabytes).
        self._setup(prefix, without_rows(prefix, data[:match.start()], tail), styles, date1904,
                    lambda patcher, cells: patcher.patch(data, cells, *rows))

    @classmethod
    def streamed(cls, chunks: Callable[[], Iterable[bytes]], styles: StyleSheet, date1904: bool,
                 known: KnownRows | None = None) -> SheetPatcher:
        """A part too large to hold whole, given as the blocks it inflates into (`chunks()` reads
        it again from its start): read through once for what surrounds its rows — unless `known`
        says, found as the part was read — then once more as its rows are patched, a block of
        whole rows at a time."""
        if known is None:
            prefix, head, tail, (start, end) = _surroundings(chunks())
            outside = without_rows(prefix, head, tail)
        else:
            prefix, outside, start, end = known.prefix, known.outside, known.start, known.end
        patcher = cls.__new__(cls)
        tag = b"<" + prefix + b"row"
        patcher._setup(prefix, outside, styles, date1904,
                       lambda rows, cells: rows.patch_blocks(row_blocks(chunks(), start, end, tag), cells))
        return patcher

    def _setup(self, prefix: bytes, outside: bytes, styles: StyleSheet, date1904: bool,
               rows: Callable[[RowPatcher, RowEdits], Iterator[bytes | memoryview]]) -> None:
        self.styles, self.date1904, self.prefix, self._rows = styles, date1904, prefix.decode(), rows
        self.xml = SheetXml(etree.fromstring(outside))

    def patch(self, edits: SheetEdits) -> PatchResult:
        looks = CellLooks(edits.formats, {}, self.xml.column_styles(), edits.masked)
        cells = self._cell_edits(edits, looks)
        self._new_columns(edits)
        if edits.highlights:
            self.xml.replace_highlights(edits.highlights, self.styles.highlight_dxf)
        if cells:
            self.xml.grow_dimension(max(cells), cells.last_column())
        patcher = RowPatcher(self.prefix, self.styles, self.date1904, looks)
        skeleton = etree.tostring(self.xml.root, xml_declaration=True, encoding="UTF-8", standalone=True)
        return PatchResult(self._pieces(skeleton, self._rows(patcher, cells)), patcher.result)

    def _pieces(self, skeleton: bytes, rows: Iterator[bytes | memoryview]) -> Iterator[bytes | memoryview]:
        marker = _SHEET_DATA.search(skeleton)
        yield skeleton[:marker.start()]
        yield f"<{self.prefix}sheetData>".encode()
        yield from rows
        yield f"</{self.prefix}sheetData>".encode()
        yield skeleton[marker.end():]

    def _cell_edits(self, edits: SheetEdits, looks: CellLooks) -> RowEdits:
        """Values by row and column; a new column's header cell gets the header look."""
        header = self.styles.header_xf() if edits.new_columns else 0
        headers = {(edits.header_row, new.col): new.header for new in edits.new_columns}
        for cell in headers:
            looks.overrides[cell] = header
        return edits.by_row(headers)

    def _new_columns(self, edits: SheetEdits) -> None:
        for new in edits.new_columns:
            self.xml.set_column(new.col, new.width or 14, new.hidden)
            letter = column_letter(new.col)
            self.xml.add_prompt(f"{letter}{edits.header_row + 1}:{letter}{LAST_ROW}", computed_prompt(new.help))
        if edits.new_columns and edits.excel_table is None:   # a Table keeps its own filter (tables.py)
            self.xml.widen_filter(edits.header_row, max(n.col for n in edits.new_columns))


def _closing(prefix: bytes) -> bytes:
    return b"</" + prefix + b"sheetData>"


def _surroundings(chunks: Iterable[bytes]) -> tuple[bytes, bytes, bytes, tuple[int, int]]:
    """The namespace prefix, the part before its sheetData, the part after, and where the rows
    are (start, end) in the whole — from the part's blocks, holding only the head and the tail.
    Rows hold no "<" but in their tags: the first closing sheetData tag is the one."""
    blocks, seen, match = iter(chunks), bytearray(), None
    for block in blocks:
        seen += block
        if match := _SHEET_DATA.search(seen):
            break
    if match is None:
        raise ValueError("no sheetData")
    prefix, head = match.group(1), bytes(seen[:match.start()])
    if match.group(2) == b"/>":
        return prefix, head, bytes(seen[match.end():]) + b"".join(blocks), (match.end(), match.end())
    closing = _closing(prefix)
    window, base = bytes(seen[match.end():]), match.end()   # base: where window starts in the whole
    del seen
    while (at := window.find(closing)) < 0:
        kept = window[-(len(closing) - 1):]   # a closing tag cut between two blocks
        base += len(window) - len(kept)
        block = next(blocks, None)
        if block is None:
            raise ValueError("no end of sheetData")
        window = kept + block
    return prefix, head, window[at + len(closing):] + b"".join(blocks), (match.end(), base + at)
