"""Patching one worksheet part in place.

The rows (sheetData, nearly all of a large sheet) are processed as text: a row without edits is
copied as it is, a row with edits has only its edited cells replaced or inserted. The rest of the
sheet (columns, filter, conditional formats, validations, extLst…) is small and is edited as XML,
keeping every element and attribute the tool does not own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from lxml import etree
from openpyxl.styles.numbers import is_date_format

from servicebook.edits import SheetEdits, is_ours, marked
from servicebook.sheets.style import FORMULA_STARTS, LAST_ROW, computed_prompt
from servicebook.text import t
from servicebook.xlsx.parts.cells import cell_xml, column_letter, column_number, split_ref
from servicebook.xlsx.parts.package import insert_in_order
from servicebook.xlsx.parts.styles import StyleSheet

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_Q = f"{{{NS}}}"
# CT_Worksheet's sequence: where each child goes.
_ORDER = ["sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
          "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
          "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
          "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
          "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
          "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems",
          "tableParts", "extLst"]

_SHEET_DATA = re.compile(rb"<((?:\w+:)?)sheetData\b[^>]*?(/>|>)")
_R_ROW = re.compile(rb'\br="(\d+)"')
_R_CELL = re.compile(rb'\br="([A-Z]+)\d+"')
_S = re.compile(rb'\bs="(\d+)"')
_T = re.compile(rb'\bt="(\w+)"')
_V = re.compile(rb"<(?:\w+:)?v>([^<]*)</")
_SPANS = re.compile(rb'\s+spans="[^"]*"')
_CUSTOM_FORMAT = re.compile(rb'\bcustomFormat="(1|true)"')


@dataclass
class PatchResult:
    data: list[bytes]           # the new part, in pieces (a large sheet is never joined in memory)
    replaced_strings: dict[int, str] = field(default_factory=dict)   # shared-string index -> the text that replaced it
    dropped_formula: bool = False


def elements(body: bytes, tag: bytes, start: int = 0):
    """(start, end, attributes, content) of each `tag` element in `body`, found with plain searches:
    several times faster than a regular expression over a sheet of a few hundred megabytes."""
    opening, closing = b"<" + tag, b"</" + tag + b">"
    width = len(opening)
    while (begin := body.find(opening, start)) >= 0:
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


class SheetPatcher:
    def __init__(self, data: bytes, styles: StyleSheet, date1904: bool):
        self.data, self.styles, self.date1904 = data, styles, date1904
        match = _SHEET_DATA.search(data)
        if not match:
            raise ValueError("no sheetData")
        self.prefix = match.group(1).decode()
        if match.group(2) == b"/>":
            self.head, self.body, self.tail = data[:match.start()], b"", data[match.end():]
        else:
            close = data.rfind(b"</" + match.group(1) + b"sheetData>")
            self.head, self.body = data[:match.start()], data[match.end():close]
            self.tail = data[close + len(b"</" + match.group(1) + b"sheetData>"):]
        self.root = etree.fromstring(self.head + f"<{self.prefix}sheetData/>".encode() + self.tail)
        self.col_styles = self._col_styles()
        self._columns_seen: dict[bytes, int] = {}
        self._styles_seen: dict[tuple, int] = {}
        self._letters: dict[int, str] = {}
        self._tails: dict[tuple[int, str], str] = {}
        self.formats: dict[int, str] = {}
        self.overrides: dict[tuple[int, int], int] = {}
        self.masked: set[tuple[int, int]] = set()

    # ------------------------------------------------------------ the whole sheet

    def patch(self, edits: SheetEdits) -> PatchResult:
        self.masked = edits.masked
        cells = self._cell_edits(edits)
        self._columns(edits)
        if edits.highlights:
            self._highlights(edits.highlights)
        self._dimension(cells)
        result = PatchResult([])
        body = self._rows(cells, result)
        skeleton = etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", standalone=True)
        marker = _SHEET_DATA.search(skeleton)
        result.data = [skeleton[:marker.start()], f"<{self.prefix}sheetData>".encode(), *body,
                       f"</{self.prefix}sheetData>".encode(), skeleton[marker.end():]]
        return result

    def _cell_edits(self, edits: SheetEdits) -> dict[int, dict[int, Any]]:
        """Values by row and column; number formats by column, our own looks by cell."""
        rows: dict[int, dict[int, Any]] = {}
        for (row, col), value in edits.cells.items():
            if row in rows:
                rows[row][col] = value
            else:
                rows[row] = {col: value}
        self.formats = edits.formats
        header = self.styles.header_xf() if edits.new_columns else 0
        for new in edits.new_columns:
            rows.setdefault(edits.header_row, {})[new.col] = new.header
            self.overrides[(edits.header_row, new.col)] = header
        return rows

    # ------------------------------------------------------------ rows, as text

    def _rows(self, edits: dict[int, dict[int, Any]], result: PatchResult) -> list[bytes]:
        out: list[bytes] = []
        pending = sorted(edits)
        next_pending, position, expected = 0, 0, 1
        body = self.body
        for start, end, attrs, inner in elements(body, self.prefix.encode() + b"row"):
            found = _R_ROW.search(attrs)
            number = int(found.group(1)) if found else expected
            expected = number + 1
            if next_pending < len(pending) and pending[next_pending] <= number:
                out.append(body[position:start])     # unchanged rows, copied as one slice
                position = start
            while next_pending < len(pending) and pending[next_pending] < number:
                out.append(self._new_row(pending[next_pending], edits[pending[next_pending]]))
                next_pending += 1
            if next_pending < len(pending) and pending[next_pending] == number:
                next_pending += 1
                out.append(self._patched_row(number, attrs, inner, edits[number], result))
                position = end
        out.append(body[position:])
        for number in pending[next_pending:]:
            out.append(self._new_row(number, edits[number]))
        return out

    def _new_row(self, number: int, cells: dict[int, Any]) -> bytes:
        p = self.prefix
        inner = "".join(self._cell(number, col, cells[col], None) for col in sorted(cells))
        return f'<{p}row r="{number}">{inner}</{p}row>'.encode() if inner else b""

    def _patched_row(self, number: int, attrs: bytes, body: bytes, cells: dict[int, Any],
                     result: PatchResult) -> bytes:
        p = self.prefix.encode()
        row_style = None
        if _CUSTOM_FORMAT.search(attrs) and (s := _S.search(attrs)):
            row_style = int(s.group(1))
        attrs = _SPANS.sub(b"", attrs)   # an optional hint that our new cells would contradict
        inner = self._replaced_directly(number, body, cells, row_style, result)
        if inner is None:
            inner = self._replaced_in_order(number, body, cells, row_style, result)
        return b"<" + p + b"row" + attrs + b">" + inner + b"</" + p + b"row>"

    def _replaced_directly(self, number: int, body: bytes, cells: dict[int, Any], row_style: int | None,
                           result: PatchResult) -> bytes | None:
        """Edits that fall on existing cells (found by their reference) or after the last cell — the
        computed columns at the right, on every run — made without reading the row's other cells;
        None when an edit needs a new cell in between."""
        p = self.prefix.encode()
        row = str(number).encode()
        last_column = self._last_column(body)
        out, last, tail = [], 0, []
        for col in sorted(cells):
            if col > last_column:
                tail.append(col)
                continue
            start = body.find(b"<" + p + b'c r="' + self._letter_bytes(col) + row + b'"', last)
            if start < 0:
                return None
            _, end, cell_attrs, inner = next(elements(body, p + b"c", start))
            out += [body[last:start], self._replacement(number, col, cells[col], cell_attrs, inner, row_style, result)]
            last = end
        out.append(body[last:])
        out += [self._cell(number, col, cells[col], row_style).encode() for col in tail]
        return b"".join(out)

    def _replaced_in_order(self, number: int, body: bytes, cells: dict[int, Any], row_style: int | None,
                           result: PatchResult) -> bytes:
        """Every cell of the row read in order, new cells put where their column says."""
        p = self.prefix.encode()
        cols, k = sorted(cells), 0
        out, last, expected, seen = [], 0, 1, self._columns_seen
        for cell_start, cell_end, cell_attrs, inner in elements(body, p + b"c"):
            found = _R_CELL.search(cell_attrs)
            letters = found.group(1) if found else None
            col = (seen.get(letters) or self._column(letters)) if letters else expected
            expected = col + 1
            while k < len(cols) and cols[k] < col:
                out += [body[last:cell_start], self._cell(number, cols[k], cells[cols[k]], row_style).encode()]
                last, k = cell_start, k + 1
            if k < len(cols) and cols[k] == col:
                out += [body[last:cell_start],
                        self._replacement(number, col, cells[col], cell_attrs, inner, row_style, result)]
                last, k = cell_end, k + 1
            if k == len(cols):
                break
        out.append(body[last:])
        out += [self._cell(number, col, cells[col], row_style).encode() for col in cols[k:]]
        return b"".join(out)

    def _replacement(self, number: int, col: int, value: Any, cell_attrs: bytes, inner: bytes,
                     row_style: int | None, result: PatchResult) -> bytes:
        """The new XML of an existing cell: its value replaced, its own format kept."""
        if inner and (b"f" in inner or b't="s"' in cell_attrs):
            self._note_replaced(cell_attrs, inner, value, result, (number, col) in self.masked)
        old_style = _S.search(cell_attrs)
        return self._cell(number, col, value, row_style, int(old_style.group(1)) if old_style else 0).encode()

    def _letter_bytes(self, col: int) -> bytes:
        letters = self._letters.get(col) or self._letters.setdefault(col, column_letter(col))
        return letters.encode()

    def _column(self, letters: bytes) -> int:
        col = self._columns_seen.get(letters)
        if col is None:
            col = self._columns_seen[letters] = column_number(letters.decode())
        return col

    def _last_column(self, body: bytes) -> int:
        """The last cell's column, read from its tag; a large number when it cannot be told cheaply."""
        start = body.rfind(b"<" + self.prefix.encode() + b"c ")
        if start < 0:
            return 0 if b"<" + self.prefix.encode() + b"c" not in body else 1 << 30
        found = _R_CELL.search(body, start, body.find(b">", start))
        return self._column(found.group(1)) if found else 1 << 30

    @staticmethod
    def _note_replaced(attrs: bytes, inner: bytes, value: Any, result: PatchResult, masked: bool) -> None:
        """A formula overwritten (the calculation chain goes); a masked text's shared string (it
        must not survive in the string table)."""
        if b"<f" in inner or b":f" in inner:
            result.dropped_formula = True
        kind = _T.search(attrs)
        if masked and kind and kind.group(1) == b"s" and isinstance(value, str) and (v := _V.search(inner)):
            result.replaced_strings[int(v.group(1))] = value

    def _cell(self, row: int, col: int, value: Any, row_style: int | None, existing: int | None = None) -> str:
        if existing is None:   # a new cell takes its row's format, else its column's, as in Excel
            existing = row_style if row_style is not None else self.col_styles.get(col, 0)
        letters = self._letters.get(col) or self._letters.setdefault(col, column_letter(col))
        override = self.overrides.get((row, col)) if self.overrides else None
        key = (existing, col, override, type(value), value == "",
               type(value) is str and value.startswith(FORMULA_STARTS))
        style = self._styles_seen.get(key)
        if style is None:
            style = self._styles_seen[key] = self._style(existing, self.formats.get(col), override, value)
        if type(value) is str and 0 < len(value) < 24:
            # Short words (达标, 通过, 已超时…) fill whole columns: their XML after the reference is
            # made once.
            tail = self._tails.get((style, value))
            if tail is None:
                tail = self._tails[(style, value)] = cell_xml("", value, style, self.prefix)[len(self.prefix) + 7:]
            return f'<{self.prefix}c r="{letters}{row}"{tail}'
        return cell_xml(f"{letters}{row}", value, style, self.prefix, self.date1904)

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

    # ------------------------------------------------------------ the rest, as XML

    def _child(self, name: str, create: bool = True) -> etree._Element | None:
        found = self.root.find(_Q + name)
        if found is not None or not create:
            return found
        return insert_in_order(self.root, etree.Element(_Q + name), _ORDER)

    def _col_styles(self) -> dict[int, int]:
        styles: dict[int, int] = {}
        cols = self._child("cols", create=False)
        for col in cols if cols is not None else ():
            if col.get("style"):
                for n in range(int(col.get("min")), min(int(col.get("max")), 300) + 1):
                    styles[n] = int(col.get("style"))
        return styles

    def _columns(self, edits: SheetEdits) -> None:
        for new in edits.new_columns:
            self._set_col(new.col, new.width or 14, new.hidden)
            self._add_prompt(f"{column_letter(new.col)}{edits.header_row + 1}:{column_letter(new.col)}{LAST_ROW}",
                             computed_prompt(new.help))
        if edits.new_columns and edits.excel_table is None:   # a Table keeps its own filter (tables.py)
            self._widen_filter(edits.header_row, max(n.col for n in edits.new_columns))

    def _set_col(self, n: int, width: float, hidden: bool) -> None:
        cols = self._child("cols")
        for col in list(cols):
            low, high = int(col.get("min")), int(col.get("max"))
            if low <= n <= high:
                index = cols.index(col)
                pieces = [(low, n - 1), (n + 1, high)]
                cols.remove(col)
                for offset, (a, b) in enumerate(p for p in pieces if p[0] <= p[1]):
                    clone = etree.fromstring(etree.tostring(col))
                    clone.set("min", str(a))
                    clone.set("max", str(b))
                    cols.insert(index + offset, clone)
                break
        element = etree.Element(_Q + "col", min=str(n), max=str(n), width=str(width), customWidth="1")
        if hidden:
            element.set("hidden", "1")
        position = next((i for i, c in enumerate(cols) if int(c.get("min")) > n), len(cols))
        cols.insert(position, element)

    def _add_prompt(self, sqref: str, prompt: str) -> None:
        validations = self._child("dataValidations")
        element = etree.SubElement(validations, _Q + "dataValidation", allowBlank="1", showInputMessage="1",
                                   promptTitle=t("template.computed_title"), prompt=prompt, sqref=sqref)
        element.set("showErrorMessage", "0")
        validations.set("count", str(len(validations)))

    def _widen_filter(self, header_row: int, col: int) -> None:
        """The sheet's filter, when it sits on the records' header, grows to the new columns."""
        auto = self._child("autoFilter", create=False)
        if auto is None or not auto.get("ref"):
            return
        start, _, end = auto.get("ref").partition(":")
        start_row, _ = split_ref(start)
        end_row, end_col = split_ref(end or start)
        if start_row == header_row and end_col < col:
            auto.set("ref", f"{start}:{column_letter(col)}{end_row}")

    def _highlights(self, highlights: dict) -> None:
        for formatting in self.root.findall(_Q + "conditionalFormatting"):
            for rule in formatting.findall(_Q + "cfRule"):
                formulas = [f.text or "" for f in rule.findall(_Q + "formula")]
                if any(is_ours(f, group) for f in formulas for group in highlights):
                    formatting.remove(rule)
            if not len(formatting.findall(_Q + "cfRule")):
                self.root.remove(formatting)
        priorities = [int(r.get("priority", "0")) for r in self.root.iter(_Q + "cfRule")]
        priority = max(priorities, default=0)
        added = []
        for group, rules in highlights.items():
            for highlight in rules:
                priority += 1
                formatting = etree.Element(_Q + "conditionalFormatting", sqref=highlight.ref)
                rule = etree.SubElement(formatting, _Q + "cfRule", type="expression",
                                        dxfId=str(self.styles.highlight_dxf(highlight.style)), priority=str(priority))
                if highlight.stop:
                    rule.set("stopIfTrue", "1")
                etree.SubElement(rule, _Q + "formula").text = marked(highlight.formula, group)
                added.append(formatting)
        existing = self.root.findall(_Q + "conditionalFormatting")
        anchor = existing[-1] if existing else None
        for formatting in added:
            if anchor is None:
                anchor = self._child("conditionalFormatting")
                anchor.getparent().replace(anchor, formatting)
            else:
                anchor.addnext(formatting)
            anchor = formatting

    def _dimension(self, cells: dict[int, dict[int, Any]]) -> None:
        dimension = self._child("dimension", create=False)
        if dimension is None or not cells:
            return
        start, _, end = (dimension.get("ref") or "A1").partition(":")
        end_row, end_col = split_ref(end or start)
        end_row = max(end_row, max(cells))
        end_col = max(end_col, max(max(c) for c in cells.values()))
        dimension.set("ref", f"{start}:{column_letter(end_col)}{end_row}")
