"""Everything of a worksheet but its rows, edited as XML: small, and every element and attribute
the tool does not own is kept. One method per element the tool edits; a child that is missing
is inserted where CT_Worksheet's sequence puts it."""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from servicebook.edits import Highlight, is_ours, marked
from servicebook.text import t
from servicebook.xlsx.parts.cells import column_letter, split_ref
from servicebook.xlsx.xml import WORKSHEET_ORDER, Q, insert_in_order

MAX_STYLED_COLUMNS = 300   # a <col> styling A:XFD is read for the columns a new cell can land in


class SheetXml:
    def __init__(self, root: etree._Element):
        self.root = root

    def child(self, name: str, create: bool = True) -> etree._Element | None:
        found = self.root.find(Q + name)
        if found is not None or not create:
            return found
        return insert_in_order(self.root, etree.Element(Q + name), WORKSHEET_ORDER)

    # ------------------------------------------------------------ <cols>

    def column_styles(self) -> dict[int, int]:
        """The style a new cell in each column takes when its row has none."""
        styles: dict[int, int] = {}
        cols = self.child("cols", create=False)
        for col in cols if cols is not None else ():
            if col.get("style"):
                for n in range(int(col.get("min")), min(int(col.get("max")), MAX_STYLED_COLUMNS) + 1):
                    styles[n] = int(col.get("style"))
        return styles

    def set_column(self, n: int, width: float, hidden: bool) -> None:
        """Column `n` gets its own <col>; a range that covered it is split around it."""
        cols = self.child("cols")
        for col in list(cols):
            low, high = int(col.get("min")), int(col.get("max"))
            if low <= n <= high:
                index = cols.index(col)
                cols.remove(col)
                for offset, (a, b) in enumerate(p for p in ((low, n - 1), (n + 1, high)) if p[0] <= p[1]):
                    clone = etree.fromstring(etree.tostring(col))
                    clone.set("min", str(a))
                    clone.set("max", str(b))
                    cols.insert(index + offset, clone)
                break
        element = etree.Element(Q + "col", min=str(n), max=str(n), width=str(width), customWidth="1")
        if hidden:
            element.set("hidden", "1")
        position = next((i for i, c in enumerate(cols) if int(c.get("min")) > n), len(cols))
        cols.insert(position, element)

    # ------------------------------------------------------------ <dataValidations>

    def add_prompt(self, sqref: str, prompt: str) -> None:
        """An input message (no rule) telling whoever selects the cells that the tool fills them."""
        validations = self.child("dataValidations")
        element = etree.SubElement(validations, Q + "dataValidation", allowBlank="1", showInputMessage="1",
                                   promptTitle=t("template.computed_title"), prompt=prompt, sqref=sqref)
        element.set("showErrorMessage", "0")
        validations.set("count", str(len(validations)))

    # ------------------------------------------------------------ <autoFilter>

    def widen_filter(self, header_row: int, col: int) -> None:
        """The sheet's filter, when it sits on the records' header, grows to column `col`."""
        auto = self.child("autoFilter", create=False)
        if auto is None or not auto.get("ref"):
            return
        start, _, end = auto.get("ref").partition(":")
        start_row, _ = split_ref(start)
        end_row, end_col = split_ref(end or start)
        if start_row == header_row and end_col < col:
            auto.set("ref", f"{start}:{column_letter(col)}{end_row}")

    # ------------------------------------------------------------ <conditionalFormatting>

    def replace_highlights(self, highlights: dict[str, list[Highlight]], dxf_for: Callable[[str], int]) -> None:
        """The tool's rules of each group replaced (the team's own rules stay), the new ones after
        every existing block and above them in priority order."""
        for formatting in self.root.findall(Q + "conditionalFormatting"):
            for rule in formatting.findall(Q + "cfRule"):
                formulas = [f.text or "" for f in rule.findall(Q + "formula")]
                if any(is_ours(f, group) for f in formulas for group in highlights):
                    formatting.remove(rule)
            if not len(formatting.findall(Q + "cfRule")):
                self.root.remove(formatting)
        priority = max((int(r.get("priority", "0")) for r in self.root.iter(Q + "cfRule")), default=0)
        added = []
        for group, rules in highlights.items():
            for highlight in rules:
                priority += 1
                formatting = etree.Element(Q + "conditionalFormatting", sqref=highlight.ref)
                rule = etree.SubElement(formatting, Q + "cfRule", type="expression",
                                        dxfId=str(dxf_for(highlight.style)), priority=str(priority))
                if highlight.stop:
                    rule.set("stopIfTrue", "1")
                etree.SubElement(rule, Q + "formula").text = marked(highlight.formula, group)
                added.append(formatting)
        existing = self.root.findall(Q + "conditionalFormatting")
        anchor = existing[-1] if existing else None
        for formatting in added:
            if anchor is None:
                anchor = self.child("conditionalFormatting")
                anchor.getparent().replace(anchor, formatting)
            else:
                anchor.addnext(formatting)
            anchor = formatting

    # ------------------------------------------------------------ <dimension>

    def grow_dimension(self, last_row: int, last_col: int) -> None:
        """The used range, when the sheet states one, reaches the last written cell."""
        dimension = self.child("dimension", create=False)
        if dimension is None:
            return
        start, _, end = (dimension.get("ref") or "A1").partition(":")
        end_row, end_col = split_ref(end or start)
        dimension.set("ref", f"{start}:{column_letter(max(end_col, last_col))}{max(end_row, last_row)}")
