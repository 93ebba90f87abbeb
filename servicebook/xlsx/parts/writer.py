"""Writing an edit set into a copy of a workbook package, part by part.

Only the parts the edits concern are rewritten: the edited sheets, the style sheet when a new
format is needed, the workbook part when a sheet is added, and the sheets the tool owns. Every
other part — drawings, comments, VBA, slicers, the team's other sheets — is copied unchanged.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path

from lxml import etree

from servicebook.definition import WorkbookDef
from servicebook.edits import Edits
from servicebook.errors import CannotRun
from servicebook.text import t
from servicebook.xlsx.parts.book import BookPart
from servicebook.xlsx.parts.package import NotAsMade, Package
from servicebook.xlsx.parts.sheet import SheetPatcher
from servicebook.xlsx.parts.styles import StyleSheet
from servicebook.xlsx.parts.tables import grow_table
from servicebook.xlsx.parts.transplant import Transplant, owned_titles, scratch_workbook
from servicebook.xlsx.scan import ExtentTracker, KnownExtent, KnownRows
from servicebook.xlsx.xml import NS, parse

STREAM_OVER = 32 << 20


def write_edits(source: Path, target: Path, edits: Edits, definition: WorkbookDef,
                known_rows: Mapping[str, KnownRows] | None = None) -> dict[str, KnownExtent]:
    """Write `source` with `edits` into `target`, which the package reads back. Returns the extent
    of each sheet it patched (by part), measured as it was written: what the next read of the file
    need not measure again. `known_rows`: where the rows of parts lie, found as the file was read."""
    package = Package(source)
    try:
        book = BookPart(package)
        if not book.styles_part:
            raise CannotRun(t("save.no_styles", name=source.name))
        styles = StyleSheet(package.read(book.styles_part))
        owned = owned_titles(book, edits)
        added = [title for title in owned if book.sheet_part(title) is None]
        if added and book.structure_locked:
            raise CannotRun(t("layout.workbook_protected", sheets="」「".join(added)))
        replaced_strings: dict[int, str] = {}
        extents: dict[str, KnownExtent] = {}
        dropped_formula = False
        for title, sheet in edits.sheets.items():
            if title in owned:
                continue
            part = book.sheet_part(title)
            tracker = ExtentTracker.for_size(package.size(part))   # its source's size: about the size written
            result = _patcher(package, part, styles, book.date1904, (known_rows or {}).get(part)).patch(sheet)
            try:
                package.put_stream(part, result.data, tracker.feed)   # the part as read goes, before the next is read
            except NotAsMade as error:
                raise CannotRun(t("save.corrupt", error=str(error))) from error
            if (extent := tracker.extent()) is not None:
                extents[part] = KnownExtent(*package.checksum(part), extent)
            table = sheet.excel_table
            if table is not None and table.part and (sheet.new_columns or sheet.table_rows_through):
                package.put(table.part, grow_table(package.read(table.part), sheet))
            replaced_strings.update(result.replaced_strings)
            dropped_formula |= result.dropped_formula
        if owned:
            scratch, listed = scratch_workbook(edits, owned, set(book.titles()), definition)
            Transplant(package, book, styles, scratch, listed).move_all()
        if dropped_formula:
            book.drop_calc_chain()
        if replaced_strings and book.strings_part:
            _scrub_masked_phones(package, book.strings_part, replaced_strings)
        if styles.changed:
            package.put(book.styles_part, styles.to_bytes())
        book.save()
        try:
            package.save(target)
        except zipfile.BadZipFile as error:
            raise CannotRun(t("save.corrupt", error=str(error))) from error
        return extents
    finally:
        package.close()


def _patcher(package: Package, part: str, styles: StyleSheet, date1904: bool,
             known: KnownRows | None) -> SheetPatcher:
    """A sheet larger than `STREAM_OVER` is read through a few megabytes at a time, never held whole
    (at 100,000 records its XML is 170-230 MB: held, it was the run's peak) — twice, unless where
    its rows lie is `known` from the read of these very bytes; a smaller one is read once into one
    buffer (inflating twice would cost a day's rerun more than it saves)."""
    if package.size(part) > STREAM_OVER:
        if known is not None and (part in package.changed or not known.fits(package.zip.getinfo(part))):
            known = None   # the part is not the one read
        return SheetPatcher.streamed(lambda: package.stream(part), styles, date1904, known)
    return SheetPatcher(package.read_large(part), styles, date1904)


def _scrub_masked_phones(package: Package, part: str, replaced: dict[int, str]) -> None:
    """A text masked in its cell must not live on in the shared string table: the entry another
    cell may still point at is masked the same way."""
    root = parse(package.read(part))
    items = list(root)
    changed = False
    for index, new in replaced.items():
        if index >= len(items):
            continue
        item = items[index]
        if "".join(item.itertext()) != new:
            for child in list(item):
                item.remove(child)
            etree.SubElement(item, f"{{{NS}}}t").text = new
            changed = True
    if changed:
        package.put(part, etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))
