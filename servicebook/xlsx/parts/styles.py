"""The workbook's style sheet, grown only by appending: a cell format with another number format,
the header styles, the highlight colours, and styles imported from sheets built elsewhere.
Existing entries keep their indices, so every cell that points at one keeps its look."""

from __future__ import annotations

import copy

from lxml import etree

from servicebook import palette
from servicebook.xlsx.xml import NS, STYLESHEET_ORDER, insert_in_order
from servicebook.xlsx.xml import Q as _Q

BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10,
                   "mm-dd-yy": 14, "h:mm": 20, "h:mm:ss": 21, "@": 49}
DATE_BUILTINS = set(range(14, 23)) | set(range(45, 48))


def _key(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n")


def _rgb(element: etree._Element | None) -> str | None:
    value = element.get("rgb") if element is not None else None
    return value[-6:].upper() if value else None


def _dxf_look(dxf: etree._Element) -> tuple[str | None, str | None] | None:
    """(font colour, fill colour) of a differential format that sets only those (and no border,
    number format, bold…), as RRGGBB; None for any other."""
    children = {etree.QName(c).localname: c for c in dxf if isinstance(c.tag, str)}
    if set(children) - {"font", "fill"}:
        return None
    font, fill = children.get("font"), children.get("fill")
    if font is not None and {etree.QName(c).localname for c in font if isinstance(c.tag, str)} - {"color"}:
        return None
    pattern = fill.find(_Q + "patternFill") if fill is not None else None
    if pattern is not None and pattern.get("patternType") not in (None, "solid"):
        return None
    colour = None
    if pattern is not None:   # a dxf's solid fill is its bgColor (Excel); some writers set fgColor only
        colour = _rgb(pattern.find(_Q + "bgColor")) or _rgb(pattern.find(_Q + "fgColor"))
    return (_rgb(font.find(_Q + "color")) if font is not None else None), colour


class StyleSheet:
    def __init__(self, data: bytes):
        self.root = etree.fromstring(data)
        self.changed = False
        self._indices: dict[tuple[str, bytes], int] = {}
        self._cache: dict[tuple, int] = {}

    # ------------------------------------------------------------ collections

    def _collection(self, name: str) -> etree._Element:
        found = self.root.find(_Q + name)
        if found is not None:
            return found
        return insert_in_order(self.root, etree.Element(_Q + name, count="0"), STYLESHEET_ORDER)

    def _add(self, name: str, element: etree._Element) -> int:
        """Index of an identical entry, or of `element` appended."""
        collection = self._collection(name)
        key = (name, _key(element))
        if key not in self._indices:
            for index, existing in enumerate(collection):
                self._indices.setdefault((name, _key(existing)), index)
        if key in self._indices:
            return self._indices[key]
        collection.append(element)
        collection.set("count", str(len(collection)))
        self._indices[key] = len(collection) - 1
        self.changed = True
        return len(collection) - 1

    def xf(self, index: int) -> etree._Element:
        xfs = self._collection("cellXfs")
        return xfs[index] if index < len(xfs) else xfs[0]

    # ------------------------------------------------------------ number formats

    def format_code(self, xf_index: int) -> str:
        fmt_id = int(self.xf(xf_index).get("numFmtId", "0"))
        for element in self._collection("numFmts"):
            if int(element.get("numFmtId")) == fmt_id:
                return element.get("formatCode")
        builtin = next((code for code, n in BUILTIN_FORMATS.items() if n == fmt_id), None)
        return builtin or ("yyyy-mm-dd" if fmt_id in DATE_BUILTINS else "General")

    def number_format_id(self, code: str) -> int:
        if code in BUILTIN_FORMATS:
            return BUILTIN_FORMATS[code]
        formats = self._collection("numFmts")
        for element in formats:
            if element.get("formatCode") == code:
                return int(element.get("numFmtId"))
        new_id = max([163, *(int(e.get("numFmtId")) for e in formats)]) + 1
        etree.SubElement(formats, _Q + "numFmt", numFmtId=str(new_id), formatCode=code)
        formats.set("count", str(len(formats)))
        self.changed = True
        return new_id

    def with_number_format(self, xf_index: int, code: str) -> int:
        """The cell format `xf_index` with number format `code` (an existing one when there is)."""
        key = ("fmt", xf_index, code)
        if key not in self._cache:
            xf = copy.deepcopy(self.xf(xf_index))
            fmt_id = self.number_format_id(code)
            if int(xf.get("numFmtId", "0")) == fmt_id:
                self._cache[key] = xf_index
            else:
                xf.set("numFmtId", str(fmt_id))
                xf.set("applyNumberFormat", "1")
                self._cache[key] = self._add("cellXfs", xf)
        return self._cache[key]

    def with_quote_prefix(self, xf_index: int) -> int:
        """The cell format `xf_index` with Excel's quote prefix: the cell's text stays text even
        when a person edits it (as typing '=… in Excel does)."""
        key = ("quote", xf_index)
        if key not in self._cache:
            xf = copy.deepcopy(self.xf(xf_index))
            if xf.get("quotePrefix") in ("1", "true"):
                self._cache[key] = xf_index
            else:
                xf.set("quotePrefix", "1")
                self._cache[key] = self._add("cellXfs", xf)
        return self._cache[key]

    # ------------------------------------------------------------ our own looks

    def header_xf(self, kind: str = "computed") -> int:
        """The computed-column header look (as xlsx/sheets.py's style_header draws it)."""
        key = ("header", kind)
        if key not in self._cache:
            fill_rgb, font_rgb = palette.COMPUTED_HEADER_FILL, palette.COMPUTED_HEADER_FONT
            font = etree.fromstring(f'<font xmlns="{NS}"><b/><i/><sz val="{palette.FONT_SIZE}"/>'
                                    f'<color rgb="FF{font_rgb}"/><name val="{palette.FONT_NAME}"/>'
                                    f'<charset val="{palette.FONT_CHARSET}"/></font>')
            fill = etree.fromstring(f'<fill xmlns="{NS}"><patternFill patternType="solid">'
                                    f'<fgColor rgb="FF{fill_rgb}"/><bgColor rgb="FF{fill_rgb}"/></patternFill></fill>')
            side = '<{0} style="thin"><color rgb="FFBFBFBF"/></{0}>'
            border = etree.fromstring(f'<border xmlns="{NS}">' + "".join(side.format(s) for s in
                                      ("left", "right", "top", "bottom")) + "<diagonal/></border>")
            ids = (self._add("fonts", font), self._add("fills", fill), self._add("borders", border))
            xf = etree.fromstring(
                f'<xf xmlns="{NS}" numFmtId="0" fontId="{ids[0]}" fillId="{ids[1]}" borderId="{ids[2]}" '
                f'xfId="0" applyFont="1" applyFill="1" applyBorder="1" '
                f'applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>')
            self._cache[key] = self._add("cellXfs", xf)
        return self._cache[key]

    def highlight_dxf(self, style: str) -> int:
        """A highlight's differential format: an existing one that looks the same (font and fill
        colour) is reused — Excel and LibreOffice rewrite dxfs in their own form on every save."""
        fill_rgb, font_rgb = palette.HIGHLIGHTS[style]
        key = ("dxf", style)
        if key not in self._cache:
            wanted = (font_rgb.upper(), fill_rgb.upper())
            dxfs = self._collection("dxfs")
            found = next((i for i, dxf in enumerate(dxfs) if _dxf_look(dxf) == wanted), None)
            if found is None:
                dxf = etree.fromstring(f'<dxf xmlns="{NS}"><font><color rgb="FF{font_rgb}"/></font><fill>'
                                       f'<patternFill patternType="solid"><fgColor rgb="FF{fill_rgb}"/>'
                                       f'<bgColor rgb="FF{fill_rgb}"/></patternFill></fill></dxf>')
                found = self._add("dxfs", dxf)
            self._cache[key] = found
        return self._cache[key]

    # ------------------------------------------------------------ styles of another workbook

    def import_xf(self, other: StyleSheet, index: int) -> int:
        key = ("import", id(other), index)
        if key not in self._cache:
            xf = copy.deepcopy(other.xf(index))
            for attribute, collection in (("fontId", "fonts"), ("fillId", "fills"), ("borderId", "borders")):
                source = other._collection(collection)
                n = int(xf.get(attribute, "0"))
                if n < len(source):
                    xf.set(attribute, str(self._add(collection, copy.deepcopy(source[n]))))
            fmt_id = int(xf.get("numFmtId", "0"))   # built-in formats (< 164) mean the same everywhere
            if fmt_id >= 164:
                xf.set("numFmtId", str(self.number_format_id(other.format_code(index))))
            xf.set("xfId", "0")
            self._cache[key] = self._add("cellXfs", xf)
        return self._cache[key]

    def import_dxf(self, other: StyleSheet, index: int) -> int:
        return self._add("dxfs", copy.deepcopy(other._collection("dxfs")[index]))

    def to_bytes(self) -> bytes:
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", standalone=True)
