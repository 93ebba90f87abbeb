"""Reading a worksheet's layout from its XML (everything but the rows) and its Excel Tables' parts:
merges, validations (2010 ones in extLst too), conditional formats the tool does not own, the
sheet's filter and protection, and each Table's range, header, totals and column names."""

from __future__ import annotations

from lxml import etree

from servicebook.domain.layout import Box, SheetLayout, TableInfo
from servicebook.edits import is_ours
from servicebook.xlsx.parts.package import Package, resolve
from servicebook.xlsx.xml import NS_REL, NS_XM, parse
from servicebook.xlsx.xml import Q as _Q


def _boxes(elements, attribute: str = "sqref") -> list[Box]:
    return [box for element in elements for box in Box.parse_all(element.get(attribute) or "")]


def _ext_boxes(root: etree._Element, local: str) -> list[Box]:
    """sqref of 2010 validations or formats kept in extLst (`local`: dataValidation / conditionalFormatting)."""
    found = []
    for element in root.iter(f"{{*}}{local}"):
        if element.tag.startswith(_Q):
            continue
        for sqref in element.iter(f"{{{NS_XM}}}sqref"):
            found += Box.parse_all(sqref.text or "")
    return found


def read_table(data: bytes, part: str) -> TableInfo | None:
    root = parse(data)
    box = Box.parse(root.get("ref") or "")
    if box is None:
        return None
    columns = tuple(c.get("name") or "" for c in root.iter(_Q + "tableColumn"))
    return TableInfo(root.get("displayName") or root.get("name") or "", box,
                     int(root.get("headerRowCount", "1")), int(root.get("totalsRowCount", "0")), columns, part)


def read_layout(package: Package, part: str, outside: bytes) -> SheetLayout:
    """`outside`: the worksheet part without its rows (see scan.SheetScan.outside)."""
    root = parse(outside)
    formats = []
    for formatting in root.iter(_Q + "conditionalFormatting"):
        rules = formatting.findall(_Q + "cfRule")
        theirs = [r for r in rules if not any(is_ours(f.text or "") for f in r.findall(_Q + "formula"))]
        if theirs or not rules:
            formats += Box.parse_all(formatting.get("sqref") or "")
    tables = []
    rels = package.rels(part)
    for table_part in root.iter(_Q + "tablePart"):
        rel = rels.by_id(table_part.get(f"{{{NS_REL}}}id"))
        if rel is None:
            continue
        target = resolve(part, rel.get("Target"))
        if package.exists(target) and (table := read_table(package.read(target), target)):
            tables.append(table)
    auto = root.find(_Q + "autoFilter")
    protection = root.find(_Q + "sheetProtection")
    return SheetLayout(
        merges=tuple(_boxes(root.iter(_Q + "mergeCell"), "ref")),
        validations=tuple(_boxes(root.iter(_Q + "dataValidation")) + _ext_boxes(root, "dataValidation")),
        formats=tuple(formats + _ext_boxes(root, "conditionalFormatting")),
        tables=tuple(tables),
        auto_filter=Box.parse(auto.get("ref") or "") if auto is not None else None,
        protected=protection is not None and protection.get("sheet") in ("1", "true"),
    )
