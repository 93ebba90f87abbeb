"""Sheets the tool creates or owns whole (a new 邮件日志, the 月报 with its charts) are laid out by
the same openpyxl code as in a new workbook, in a scratch workbook, and their parts moved into
the team's package: styles re-indexed into the team's style sheet, text made inline, drawings and
charts copied under free names, defined names carried over. A report's lists (most of its cells)
are not openpyxl cells: their rows are made here, as the part writer makes cells, where openpyxl
left them empty."""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

from lxml import etree

from servicebook.definition import WorkbookDef
from servicebook.edits import Edits
from servicebook.xlsx.parts.book import BookPart
from servicebook.xlsx.parts.cells import cell_xml, column_letter, inline_string
from servicebook.xlsx.parts.package import Package, Rels, relative, rels_name, resolve
from servicebook.xlsx.parts.styles import StyleSheet
from servicebook.xlsx.xml import NS

if TYPE_CHECKING:
    from servicebook.sheets.report import ListedRows

_CELL = re.compile(rb"<c\b([^>]*?)(/>|>(.*?)</c>)", re.S)
_STYLE = re.compile(rb'(<(?:c|row)\b[^>]*?\bs=")(\d+)(")')
_COL_STYLE = re.compile(rb'(<col\b[^>]*?\bstyle=")(\d+)(")')
_DXF = re.compile(rb'(<cfRule\b[^>]*?\bdxfId=")(\d+)(")')
_SHARED = re.compile(rb'\s*\bt="s"')
_V = re.compile(rb"<v>(\d+)</v>")
_TAB_SELECTED = re.compile(rb'\s+tabSelected="(?:1|true)"')
_ROW_REF = re.compile(rb'<row r="(\d+)"')
SCRATCH = "servicebook-scratch"


def owned_titles(book: BookPart, edits: Edits) -> list[str]:
    present = set(book.titles())
    titles = [new.title for new in edits.new_sheets if new.title not in present]
    return titles + [built.title for built in edits.built_sheets if built.title not in titles]


def scratch_workbook(edits: Edits, titles: list[str], present: set[str], definition: WorkbookDef
                     ) -> tuple[bytes, dict[str, list[ListedRows]]]:
    """The sheets laid out in a workbook of their own, saved; and, by title, the rows each built
    sheet laid out apart from openpyxl's cells (its lists), for `Transplant` to put in."""
    # Laying out with openpyxl is loaded here, when a sheet is built: a save that patches the
    # team's sheets (every nightly run) never pays for it.
    import openpyxl

    from servicebook.sheets.edits import apply_sheet_edits
    from servicebook.sheets.style import text_only, use_team_font
    from servicebook.sheets.template import build_sheet

    wb = openpyxl.Workbook()
    use_team_font(wb)
    wb.active.title = SCRATCH   # openpyxl will not save a workbook whose only sheet is hidden (编号记录)
    for new in edits.new_sheets:
        if new.title not in present and new.title not in wb.sheetnames:
            build_sheet(wb, definition, new.sheet_key, new.title)
    listed: dict[str, list[ListedRows]] = {}
    for built in edits.built_sheets:
        if built.title in wb.sheetnames:
            wb.remove(wb[built.title])
        listed[built.title] = built.build(wb.create_sheet(built.title)) or []
    for title, sheet in edits.sheets.items():
        if title in titles:
            apply_sheet_edits(wb[title], sheet)
    for ws in wb.worksheets:
        text_only(ws)
    buffer = io.BytesIO()
    _ooxml_prefixes()
    wb.save(buffer)
    return buffer.getvalue(), listed


# The prefixes Excel writes for the namespaces of a chart. lxml keeps one process-wide table of
# prefixes, which openpyxl serialises with; exchangelib takes "a" there for Autodiscover (we never
# use it), after which openpyxl would write DrawingML as "ns0:" — valid XML, but not what Excel
# writes. Set before each save, since an EWS send may have come earlier in the same process.
OOXML_PREFIXES = {"a": "http://schemas.openxmlformats.org/drawingml/2006/main",
                  "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
                  "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}


def _ooxml_prefixes() -> None:
    for prefix, uri in OOXML_PREFIXES.items():
        etree.register_namespace(prefix, uri)


class Transplant:
    def __init__(self, package: Package, book: BookPart, styles: StyleSheet, scratch: bytes,
                 listed: dict[str, list[ListedRows]] | None = None):
        self.package, self.book, self.styles = package, book, styles
        self.listed = listed or {}
        self.source = Package(io.BytesIO(scratch))
        self.source_book = BookPart(self.source)
        self.source_styles = StyleSheet(self.source.read(self.source_book.styles_part))
        strings = self.source_book.strings_part
        self.strings = [("".join(si.itertext())) for si in etree.fromstring(self.source.read(strings))] \
            if strings else []

    def move_all(self) -> None:
        try:
            for index, title in enumerate(self.source_book.titles()):
                if title != SCRATCH:
                    self._move(index, title)
        finally:
            self.source.close()

    def _move(self, source_index: int, title: str) -> None:
        source_part = self.source_book.sheet_part(title)
        state = next(s.get("state") for s in self.source_book.root.iter(f"{{{NS}}}sheet") if s.get("name") == title)
        target_part = self.book.sheet_part(title)
        replaced = None
        if target_part is not None:
            replaced = self.book.index(title)
            self._remove_related(target_part)
            self.book.set_state(title, state)
            target_index = replaced
        else:
            target_part, target_index = self.book.add_sheet(title, state)
        rels = Rels(None)
        for rel in self.source.rels(source_part).items():
            if rel.get("TargetMode") == "External":
                continue
            copied = self._copy_tree(resolve(source_part, rel.get("Target")))
            rels.root.append(etree.fromstring(etree.tostring(rel)))
            rels.root[-1].set("Target", relative(target_part, copied))
        data = self._with_listed(self._restyle(self.source.read(source_part)), self.listed.get(title, []))
        self.package.put(target_part, data)
        if len(rels.items()):
            self.package.put_rels(target_part, rels)
        self.book.set_defined_names(self._names(source_index, target_index), replaced)

    def _names(self, source_index: int, target_index: int) -> list[tuple[str, str | None, str, dict]]:
        names = []
        for element in self.source_book.root.iter(f"{{{NS}}}definedName"):
            local = element.get("localSheetId")
            if local is not None and local != str(source_index):
                continue
            extra = {k: v for k, v in element.attrib.items() if k not in ("name", "localSheetId")}
            names.append((element.get("name"), None if local is None else str(target_index), element.text or "", extra))
        return names

    def _remove_related(self, part: str) -> None:
        """The parts only a replaced sheet of ours used (its drawing and charts)."""
        rels = self.package.rels(part)
        for rel in rels.items():
            if rel.get("TargetMode") != "External":
                target = resolve(part, rel.get("Target"))
                if self.package.exists(target):
                    self._remove_related(target)
                    self.package.remove(target)
        name = rels_name(part)
        if self.package.exists(name):
            self.package.remove(name)

    def _copy_tree(self, source_part: str) -> str:
        pattern = re.sub(r"\d*(\.\w+)$", r"{}\1", source_part)
        target = self.package.free_name(pattern)
        self.package.put(target, self.source.read(source_part), self.source.content_type(source_part))
        source_rels = self.source.rels(source_part)
        if len(source_rels.items()):
            rels = Rels(None)
            for rel in source_rels.items():
                copy = etree.fromstring(etree.tostring(rel))
                if rel.get("TargetMode") != "External":
                    copy.set("Target", relative(target, self._copy_tree(resolve(source_part, rel.get("Target")))))
                rels.root.append(copy)
            self.package.put_rels(target, rels)
        return target

    def _with_listed(self, data: bytes, lists: list[ListedRows]) -> bytes:
        """Each list's rows put in where openpyxl left them empty (under the list's header), made
        as the part writer makes cells, their styles brought into the team's style sheet."""
        imported: dict[int, int] = {}
        for rows in lists:
            if not rows.rows:
                continue
            start = _row_at(data, rows.first)
            end = _row_at(data, rows.last + 1, start)
            if b"<c " in data[start:end]:
                raise ValueError(f"cells under a list, rows {rows.first}-{rows.last}")
            made = []
            for offset, cells in enumerate(rows.rows):
                number = rows.first + offset
                for _, style in cells:
                    if style not in imported:
                        imported[style] = self.styles.import_xf(self.source_styles, style)
                made.append(f'<row r="{number}">' + "".join(
                    cell_xml(f"{column_letter(col)}{number}", value, imported[style])
                    for col, (value, style) in enumerate(cells, start=1)) + "</row>")
            data = data[:start] + "".join(made).encode() + data[end:]
        return data

    def _restyle(self, data: bytes) -> bytes:
        data = _TAB_SELECTED.sub(b"", data)   # only the team's own active sheet stays selected
        data = _CELL.sub(self._inline, data)
        xf = self._mapper(lambda n: self.styles.import_xf(self.source_styles, n))
        data = _COL_STYLE.sub(xf, _STYLE.sub(xf, data))
        return _DXF.sub(self._mapper(lambda n: self.styles.import_dxf(self.source_styles, n)), data)

    @staticmethod
    def _mapper(index_of):
        return lambda m: m.group(1) + str(index_of(int(m.group(2)))).encode() + m.group(3)

    def _inline(self, match: re.Match) -> bytes:
        attrs, inner = match.group(1), match.group(3) or b""
        if not _SHARED.search(attrs) or not (v := _V.search(inner)):
            return match.group(0)
        text = inline_string(self.strings[int(v.group(1))])
        return b"<c" + _SHARED.sub(b"", attrs) + b' t="inlineStr">' + text.encode() + b"</c>"


def _row_at(data: bytes, number: int, start: int = 0) -> int:
    """Where the row element numbered `number` starts in a sheet openpyxl wrote — or, without one,
    where it would go: at the next row's element, or at the end of the rows."""
    for found in _ROW_REF.finditer(data, start):
        if int(found.group(1)) >= number:
            return found.start()
    return data.index(b"</sheetData>", start)
