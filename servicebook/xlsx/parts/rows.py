"""A worksheet's rows (sheetData, nearly all of a large sheet), patched as text.

A row without edits is copied as it is; a row with edits has only its edited cells replaced or
inserted. Two paths reach the same result: the direct one finds each edited cell by its
reference (or appends after the row's last cell — the computed columns, on every run) without
reading the row's other cells; the ordered one reads every cell of the row and is taken only
when an edit needs a new cell between existing ones.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from servicebook.sheets.conventions import FORMULA_STARTS
from servicebook.xlsx.parts.cells import cell_xml, column_letter, column_number, is_date_format, number_text, serial
from servicebook.xlsx.parts.styles import StyleSheet

_R_ROW = re.compile(rb'\br="(\d+)"')
_R_CELL = re.compile(rb'\br="([A-Z]+)\d+"')
_S = re.compile(rb'\bs="(\d+)"')
_T = re.compile(rb'\bt="(\w+)"')
_V = re.compile(rb"<(?:\w+:)?v>([^<]*)</")
_SPANS = re.compile(rb'\s+spans="[^"]*"')
_CUSTOM_FORMAT = re.compile(rb'\bcustomFormat="(1|true)"')
Placed = tuple[int, int]   # how many edited rows a stretch of rows placed; the number its next row takes
_FAR = 1 << 30   # "somewhere right of every edit": the row's last column could not be told cheaply


@dataclass
class RowsResult:
    """What writing the rows found, known once they are all written."""

    replaced_strings: dict[int, str] = field(default_factory=dict)   # shared-string index -> its new text
    dropped_formula: bool = False


@dataclass
class CellLooks:
    """What decides a written cell's style: the column's number format, a style set for one cell
    (the header of a new column), the column styles a new cell inherits, the masked cells. Complete
    before a patcher is made of it."""

    formats: dict[int, str] = field(default_factory=dict)
    overrides: dict[tuple[int, int], int] = field(default_factory=dict)
    column_styles: dict[int, int] = field(default_factory=dict)
    masked: set[tuple[int, int]] = field(default_factory=set)


def elements(body: bytes, tag: bytes, start: int = 0,
             end: int | None = None) -> Iterator[tuple[int, int, bytes, bytes]]:
    """(start, end, attributes, content) of each `tag` element in `body` (up to `end`), found with
    plain searches: several times faster than a regular expression over a sheet of a few hundred
    megabytes."""
    opening, closing = b"<" + tag, b"</" + tag + b">"
    width = len(opening)
    end = len(body) if end is None else end
    while (begin := body.find(opening, start, end)) >= 0:
        after = body[begin + width:begin + width + 1]
        head_end = body.find(b">", begin)
        if after not in (b" ", b">", b"/", b"\t", b"\n", b"\r"):
            start = head_end + 1
            continue
        if body[head_end - 1:head_end] == b"/":
            yield begin, head_end + 1, body[begin + width:head_end - 1], b""
            start = head_end + 1
        else:
            finish = body.find(closing, head_end)
            yield begin, finish + len(closing), body[begin + width:head_end], body[head_end + 1:finish]
            start = finish + len(closing)


def row_blocks(chunks: Iterable[bytes], start: int, end: int, tag: bytes) -> Iterator[bytes]:
    """The bytes `start` to `end` of the chunks' concatenation, in blocks that each end where a row
    (`tag`: "<row" with its prefix) starts: whole rows, a few megabytes at a time, each copied once."""
    carry, offset = b"", 0
    for chunk in chunks:
        lo, hi = max(start - offset, 0), min(end - offset, len(chunk))
        offset += len(chunk)
        if lo < hi:
            cut = _last_start(chunk, tag, lo, hi)
            if cut < 0:   # no row starts in this chunk: a row longer than a chunk
                carry = b"".join((carry, memoryview(chunk)[lo:hi]))
            else:
                block, carry = b"".join((carry, memoryview(chunk)[lo:cut])), chunk[cut:hi]
                if block:
                    yield block
        if offset >= end:
            break
    if carry:
        yield carry


def _last_start(chunk: bytes, tag: bytes, lo: int, hi: int) -> int:
    """Where the last `tag` element wholly in `chunk[lo:hi]` starts; -1: none."""
    at = hi
    while (at := chunk.rfind(tag, lo, at)) >= 0:
        if chunk[at + len(tag):at + len(tag) + 1] in (b" ", b">", b"/", b"\t", b"\n", b"\r"):
            return at
    return -1


class RowPatcher:
    """The rows of one sheet, with `prefix` the namespace prefix its parts use ('' or 'x:')."""

    def __init__(self, prefix: str, styles: StyleSheet, date1904: bool, looks: CellLooks):
        self.prefix, self.styles, self.date1904, self.looks = prefix, styles, date1904, looks
        self.result = RowsResult()
        # Memos: a run writes the same few styles and words into thousands of rows.
        self._columns_seen: dict[bytes, int] = {}
        self._styles_seen: dict[tuple, int] = {}
        self._letters: dict[int, str] = {}
        self._tails: dict[tuple[int, str], str] = {}
        self._around: dict[tuple[int, int, int | None, type], tuple[str, str, str]] = {}
        self._overridden_rows = frozenset(row for row, _ in looks.overrides)   # the new columns' headers
        # Cells after a row's last, made a column at a time for a stretch of rows (see `_tail`).
        self._stretches: Callable[[int], dict[int, dict[int, Any]]] | None = None
        self._stretch: dict[int, dict[int, Any]] | None = None
        self._made: dict[int, dict[int, str]] = {}

    def patch(self, body: bytes, edits: Mapping[int, dict[int, Any]], start: int = 0,
              end: int | None = None) -> Iterator[bytes | memoryview]:
        """The new rows, piece by piece as they are made (a large sheet's are deflated as they come,
        never held): `edits` are values by row, then column; the rows are `body[start:end]`, and
        the stretches of unchanged rows are views into it, never copies. `result` is complete once
        the last piece is taken."""
        end = len(body) if end is None else end
        pending = sorted(edits)
        self._stretches = getattr(edits, "stretch", None)
        placed, _ = yield from self._region(body, edits, pending, start, end, 1)
        for number in pending[placed:]:
            yield self.new_row(number, edits[number])

    def patch_blocks(self, blocks: Iterable[bytes],
                     edits: Mapping[int, dict[int, Any]]) -> Iterator[bytes | memoryview]:
        """As `patch`, the rows given as blocks of whole rows in order (a large sheet inflated a
        few megabytes at a time, never whole): each block takes the edits up to its last row."""
        pending, placed, expected = sorted(edits), 0, 1
        self._stretches = getattr(edits, "stretch", None)
        for block in blocks:
            count, expected = yield from self._region(block, edits, pending[placed:], 0, len(block), expected)
            placed += count
        for number in pending[placed:]:
            yield self.new_row(number, edits[number])

    def _region(self, body: bytes, edits: Mapping[int, dict[int, Any]], pending: list[int], start: int, end: int,
                expected: int) -> Generator[bytes | memoryview, None, Placed]:
        """The rows of `body[start:end]` with the edits of the `pending` rows up to its last row;
        returns how many it placed and the number a next row without a reference is counted as."""
        located = self._locate(body, pending, start, end)
        if located is None:
            return (yield from self._patch_in_order(body, edits, pending, start, end, expected))
        found, last_number = located
        position, view = start, memoryview(body)
        tag = self.prefix.encode() + b"row"
        for number, begin in found:
            _, finish, attrs, inner = next(elements(body, tag, begin, end))
            yield view[position:begin]
            yield self.patched_row(number, attrs, inner, edits[number])
            position = finish
        yield view[position:end]
        return len(found), (last_number if last_number else expected - 1) + 1

    def _locate(self, body: bytes, pending: list[int], start: int = 0,
                end: int | None = None) -> tuple[list[tuple[int, int]], int] | None:
        """Where each edited row up to the last starts, found by its reference without reading the
        rows between (a day's edits touch a few hundred of 100,000 rows), and the last row's number
        (0: no row). None — read every row — when a row has no reference first in its tag (then
        rows are counted), or an edited row is missing between existing ones (it goes in between)."""
        end = len(body) if end is None else end
        tag = b"<" + self.prefix.encode() + b"row"
        opening = tag + b' r="'
        if body.count(tag, start, end) != body.count(opening, start, end):
            return None
        last = body.rfind(opening, start, end)
        last_number = int(body[last + len(opening):body.find(b'"', last + len(opening))]) if last >= 0 else 0
        found, position = [], start
        for number in pending:
            if number > last_number:
                break
            begin = body.find(opening + str(number).encode() + b'"', position, end)
            if begin < 0:
                return None
            found.append((number, begin))
            position = begin + 1
        return found, last_number

    def _patch_in_order(self, body: bytes, edits: Mapping[int, dict[int, Any]], pending: list[int], start: int = 0,
                        end: int | None = None, expected: int = 1) -> Generator[bytes | memoryview, None, Placed]:
        """Every row read in turn: rows counted when they carry no reference, new rows put between.
        Returns how many `pending` rows it placed and the number a next row would be counted as."""
        end = len(body) if end is None else end
        view = memoryview(body)
        next_pending, position = 0, start
        for begin, finish, attrs, inner in elements(body, self.prefix.encode() + b"row", start, end):
            found = _R_ROW.search(attrs)
            number = int(found.group(1)) if found else expected
            expected = number + 1
            if next_pending < len(pending) and pending[next_pending] <= number:
                yield view[position:begin]     # unchanged rows, as one view
                position = begin
            while next_pending < len(pending) and pending[next_pending] < number:
                yield self.new_row(pending[next_pending], edits[pending[next_pending]])
                next_pending += 1
            if next_pending < len(pending) and pending[next_pending] == number:
                next_pending += 1
                yield self.patched_row(number, attrs, inner, edits[number])
                position = finish
        yield view[position:end]
        return next_pending, expected

    # ------------------------------------------------------------ one row

    def new_row(self, number: int, cells: dict[int, Any]) -> bytes:
        p = self.prefix
        inner = self._tail(number, sorted(cells), cells, None)
        return f'<{p}row r="{number}">{inner}</{p}row>'.encode() if inner else b""

    def patched_row(self, number: int, attrs: bytes, body: bytes, cells: dict[int, Any]) -> bytes:
        p = self.prefix.encode()
        row_style = None
        if _CUSTOM_FORMAT.search(attrs) and (s := _S.search(attrs)):
            row_style = int(s.group(1))
        attrs = _SPANS.sub(b"", attrs)   # an optional hint that our new cells would contradict
        inner = self.replaced_directly(number, body, cells, row_style)
        if inner is None:
            inner = self.replaced_in_order(number, body, cells, row_style)
        return b"<" + p + b"row" + attrs + b">" + inner + b"</" + p + b"row>"

    def replaced_directly(self, number: int, body: bytes, cells: dict[int, Any], row_style: int | None) -> bytes | None:
        """Edits on existing cells (found by reference) or after the last cell, made without reading
        the row's other cells; None when an edit needs a new cell in between."""
        p = self.prefix.encode()
        row = str(number).encode()
        last_column = self._last_column(body)
        out, last, tail = [], 0, []
        for col in sorted(cells):
            if col > last_column:
                tail.append(col)
                continue
            start = body.find(b"<" + p + b'c r="' + self._letter(col).encode() + row + b'"', last)
            if start < 0:
                return None
            _, end, cell_attrs, inner = next(elements(body, p + b"c", start))
            out += [body[last:start], self._replacement(number, col, cells[col], cell_attrs, inner, row_style)]
            last = end
        out.append(body[last:])
        out.append(self._tail(number, tail, cells, row_style).encode())
        return b"".join(out)

    def replaced_in_order(self, number: int, body: bytes, cells: dict[int, Any], row_style: int | None) -> bytes:
        """Every cell of the row read in order, new cells put where their column says."""
        p = self.prefix.encode()
        cols, k = sorted(cells), 0
        out, last, expected = [], 0, 1
        for cell_start, cell_end, cell_attrs, inner in elements(body, p + b"c"):
            found = _R_CELL.search(cell_attrs)
            col = self._column(found.group(1)) if found else expected
            expected = col + 1
            while k < len(cols) and cols[k] < col:
                out += [body[last:cell_start], self._cell(number, cols[k], cells[cols[k]], row_style).encode()]
                last, k = cell_start, k + 1
            if k < len(cols) and cols[k] == col:
                out += [body[last:cell_start], self._replacement(number, col, cells[col], cell_attrs, inner, row_style)]
                last, k = cell_end, k + 1
            if k == len(cols):
                break
        out.append(body[last:])
        out.append(self._tail(number, cols[k:], cells, row_style).encode())
        return b"".join(out)

    def _tail(self, number: int, cols: list[int], cells: dict[int, Any], row_style: int | None) -> str:
        """New cells after the row's last, in column order. In a row without a style of its own, of
        row edits given in stretches, each column's cells of the whole stretch are made at once
        (the first run's computed columns: ~20 a row) — each the XML `_cell` makes of it."""
        if row_style is not None or self._stretches is None:
            return "".join([self._cell(number, col, cells[col], row_style) for col in cols])
        stretch = self._stretches(number)
        if stretch is not self._stretch:
            self._stretch, self._made = stretch, {}
        made, out = self._made, []
        for col in cols:
            column = made.get(col)
            if column is None:
                column = made[col] = self._column_cells(col, stretch)
            out.append(column.get(number) or self._cell(number, col, cells[col], None))
        return "".join(out)

    def _column_cells(self, col: int, stretch: dict[int, dict[int, Any]]) -> dict[int, str]:
        """A column's new cells in the rows of a stretch (rows without a style of their own), by row;
        a row left out is made by `_cell` instead: no value there, a cell with a style of its own, a
        value other than a finite number, a date and time, or a short word."""
        existing = self.looks.column_styles.get(col, 0)
        numbers: dict[type, tuple[str, str, str]] = {}
        words: dict[str, str] = {}
        word_style = None
        head, overridden = f'<{self.prefix}c r="{self._letter(col)}', self._overridden_rows
        out: dict[int, str] = {}
        for row, cells in stretch.items():
            value = cells.get(col)
            kind = value.__class__
            if row in overridden or value is None:
                continue
            if (kind is float or kind is datetime) and (number := self._number_text(kind, value)) is not None:
                around = numbers.get(kind) or numbers.setdefault(kind, self._numbers_around(existing, col, None, value))
                out[row] = f"{around[0]}{row}{around[1]}{number}{around[2]}"
            elif kind is str and 0 < len(value) < 24 and not value.startswith(FORMULA_STARTS):
                tail = words.get(value)
                if tail is None:
                    if word_style is None:
                        word_style = self._word_style(existing, col, None, value)
                    tail = words[value] = self._word_tail(word_style, value)
                out[row] = f'{head}{row}"{tail}'
        return out

    # ------------------------------------------------------------ one cell

    def _replacement(self, number: int, col: int, value: Any, cell_attrs: bytes, inner: bytes,
                     row_style: int | None) -> bytes:
        """The new XML of an existing cell: its value replaced, its own format kept."""
        if inner and (b"f" in inner or b't="s"' in cell_attrs):
            self._note_replaced(cell_attrs, inner, value, (number, col) in self.looks.masked)
        old_style = _S.search(cell_attrs)
        return self._cell(number, col, value, row_style, int(old_style.group(1)) if old_style else 0).encode()

    def _note_replaced(self, attrs: bytes, inner: bytes, value: Any, masked: bool) -> None:
        """A formula overwritten (the calculation chain goes); a masked text's shared string (it
        must not survive in the string table)."""
        if b"<f" in inner or b":f" in inner:
            self.result.dropped_formula = True
        kind = _T.search(attrs)
        if masked and kind and kind.group(1) == b"s" and isinstance(value, str) and (v := _V.search(inner)):
            self.result.replaced_strings[int(v.group(1))] = value

    def _cell(self, row: int, col: int, value: Any, row_style: int | None, existing: int | None = None) -> str:
        if existing is None:   # a new cell takes its row's format, else its column's, as in Excel
            existing = row_style if row_style is not None else self.looks.column_styles.get(col, 0)
        override = self.looks.overrides.get((row, col)) if row in self._overridden_rows else None
        kind = type(value)
        if kind is float or kind is int or kind is datetime:
            # The computed columns' hours, counts and deadlines, ~20 cells a row on a first run:
            # the XML around the value is made once per column and style.
            number = self._number_text(kind, value)
            if number is not None:
                around = self._numbers_around(existing, col, override, value)
                return f"{around[0]}{row}{around[1]}{number}{around[2]}"
        letters = self._letter(col)
        if type(value) is str and 0 < len(value) < 24:
            # Short words (达标, 通过, 已超时…) fill whole columns: their XML after the reference is
            # made once.
            tail = self._word_tail(self._word_style(existing, col, override, value), value)
            return f'<{self.prefix}c r="{letters}{row}"{tail}'
        return cell_xml(f"{letters}{row}", value, self._word_style(existing, col, override, value), self.prefix,
                        self.date1904)

    def _numbers_around(self, existing: int, col: int, override: int | None, value: float | int | datetime
                        ) -> tuple[str, str, str]:
        key = (existing, col, override, type(value))
        around = self._around.get(key)
        if around is None:
            around = self._around[key] = self._number_around(
                col, self._style(existing, self.looks.formats.get(col), override, value))
        return around

    def _word_style(self, existing: int, col: int, override: int | None, value: Any) -> int:
        """The style of a cell that is not a number (its kind, and whether it is empty or looks
        like a formula, decide)."""
        key = (existing, col, override, type(value), value == "",
               type(value) is str and value.startswith(FORMULA_STARTS))
        style = self._styles_seen.get(key)
        if style is None:
            style = self._styles_seen[key] = self._style(existing, self.looks.formats.get(col), override, value)
        return style

    def _word_tail(self, style: int, value: str) -> str:
        tail = self._tails.get((style, value))
        if tail is None:
            tail = self._tails[(style, value)] = cell_xml("", value, style, self.prefix)[len(self.prefix) + 7:]
        return tail

    def _number_text(self, kind: type, value: float | int | datetime) -> str | None:
        """A number's or a date's text as `cell_xml` writes it; None for infinity (an empty cell)."""
        if kind is datetime:
            return number_text(serial(value, self.date1904))   # type: ignore[arg-type]
        if kind is float and not math.isfinite(value):   # type: ignore[arg-type]
            return None
        return number_text(value)   # type: ignore[arg-type]

    def _number_around(self, col: int, style: int) -> tuple[str, str, str]:
        """What `cell_xml` writes of a number cell before its row, between row and value, after the value."""
        p, s = self.prefix, f' s="{style}"' if style else ""
        return f'<{p}c r="{self._letter(col)}', f'"{s}><{p}v>', f"</{p}v></{p}c>"

    def _style(self, base: int, number_format: str | None, override: int | None, value: Any) -> int:
        if override is not None:
            return override
        if value is None or value == "":
            return base
        if type(value) is str and value.startswith(FORMULA_STARTS):
            base = self.styles.with_quote_prefix(base)
        if number_format:
            return self.styles.with_number_format(base, number_format)
        if isinstance(value, (datetime, date)) and not is_date_format(self.styles.format_code(base)):
            code = "yyyy-mm-dd hh:mm" if isinstance(value, datetime) else "yyyy-mm-dd"
            return self.styles.with_number_format(base, code)
        return base

    # ------------------------------------------------------------ references

    def _letter(self, col: int) -> str:
        return self._letters.get(col) or self._letters.setdefault(col, column_letter(col))

    def _column(self, letters: bytes) -> int:
        col = self._columns_seen.get(letters)
        if col is None:
            col = self._columns_seen[letters] = column_number(letters.decode())
        return col

    def _last_column(self, body: bytes) -> int:
        """The last cell's column, read from its tag."""
        start = body.rfind(b"<" + self.prefix.encode() + b"c ")
        if start < 0:
            return 0 if b"<" + self.prefix.encode() + b"c" not in body else _FAR
        found = _R_CELL.search(body, start, body.find(b">", start))
        return self._column(found.group(1)) if found else _FAR
