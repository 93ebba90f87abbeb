"""An Excel Table's part grown to hold the tool's new columns and appended rows: its range, its
columns (named as their header cells, as Excel requires) and its own filter. So sorting or
filtering the table in Excel moves the tool's cells with their rows."""

from __future__ import annotations

from lxml import etree

from servicebook.domain.layout import Box
from servicebook.domain.table import column_letter
from servicebook.edits import SheetEdits
from servicebook.xlsx.xml import Q, parse


def _ref(box: Box) -> str:
    return f"{column_letter(box.left)}{box.top}:{column_letter(box.right)}{box.bottom}"


def grow_table(data: bytes, edits: SheetEdits) -> bytes:
    root = parse(data)
    box = Box.parse(root.get("ref") or "")
    if box is None:
        return data
    new = sorted((n for n in edits.new_columns if n.col > box.right), key=lambda n: n.col)
    right = max([box.right, *(n.col for n in new)])
    bottom = max(box.bottom, edits.table_rows_through or 0)
    grown = Box(box.top, box.left, bottom, right)
    root.set("ref", _ref(grown))
    columns = root.find(Q + "tableColumns")
    if columns is not None and new:
        next_id = max([0, *(int(c.get("id", "0")) for c in columns)]) + 1
        taken = {c.get("name") for c in columns}
        for offset, column in enumerate(new):
            name, n = column.header, 2
            while name in taken:   # a table's column names are unique (the header cell shows the same)
                name, n = f"{column.header}{n}", n + 1
            taken.add(name)
            etree.SubElement(columns, Q + "tableColumn", id=str(next_id + offset), name=name)
        columns.set("count", str(len(columns)))
    auto = root.find(Q + "autoFilter")
    if auto is not None:
        totals = int(root.get("totalsRowCount", "0"))
        auto.set("ref", _ref(Box(grown.top, grown.left, grown.bottom - totals, grown.right)))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
