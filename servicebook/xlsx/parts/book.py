"""The workbook part: which sheet lives in which part, defined names, the date system."""

from __future__ import annotations

from lxml import etree

from servicebook.xlsx.parts.package import Package, relative, resolve
from servicebook.xlsx.xml import (
    CT_WORKSHEET,
    REL_CALC_CHAIN,
    REL_OFFICE_DOCUMENT,
    REL_SHARED_STRINGS,
    REL_STYLES,
    REL_WORKSHEET,
    WORKBOOK_ORDER,
    insert_in_order,
)
from servicebook.xlsx.xml import R_ID as _R_ID
from servicebook.xlsx.xml import Q as _Q


class BookPart:
    def __init__(self, package: Package):
        self.package = package
        root_rels = package.rels("")
        office = next(r for r in root_rels.by_type(REL_OFFICE_DOCUMENT))
        self.part = resolve("", office.get("Target"))
        self.root = etree.fromstring(package.read(self.part))
        self.rels = package.rels(self.part)
        self.changed = False
        pr = self.root.find(_Q + "workbookPr")
        self.date1904 = pr is not None and pr.get("date1904") in ("1", "true")

    def _sheets(self) -> etree._Element:
        return self.root.find(_Q + "sheets")

    def titles(self) -> list[str]:
        return [s.get("name") for s in self._sheets()]

    def sheet_part(self, title: str) -> str | None:
        for sheet in self._sheets():
            if sheet.get("name") == title:
                rel = self.rels.by_id(sheet.get(_R_ID))
                return resolve(self.part, rel.get("Target")) if rel is not None else None
        return None

    def related(self, rel_type: str) -> str | None:
        found = self.rels.by_type(rel_type)
        return resolve(self.part, found[0].get("Target")) if found else None

    @property
    def styles_part(self) -> str | None:
        return self.related(REL_STYLES)

    @property
    def strings_part(self) -> str | None:
        return self.related(REL_SHARED_STRINGS)

    def drop_calc_chain(self) -> None:
        """Excel rebuilds the calculation chain; a stale one makes it repair the file."""
        for rel in self.rels.by_type(REL_CALC_CHAIN):
            self.package.remove(resolve(self.part, rel.get("Target")))
            self.rels.remove(rel)
            self.changed = True

    @property
    def structure_locked(self) -> bool:
        """审阅 → 保护工作簿: the team does not want sheets added or removed."""
        protection = self.root.find(_Q + "workbookProtection")
        return protection is not None and protection.get("lockStructure") in ("1", "true")

    def add_sheet(self, title: str, state: str | None) -> tuple[str, int]:
        """A new worksheet part, last in the tab order: (part name, sheet index)."""
        part = self.package.free_name("xl/worksheets/sheet{}.xml")
        rid = self.rels.add(REL_WORKSHEET, relative(self.part, part))
        sheets = self._sheets()
        sheet_id = max([0, *(int(s.get("sheetId")) for s in sheets)]) + 1
        element = etree.SubElement(sheets, _Q + "sheet", name=title, sheetId=str(sheet_id))
        if state:
            element.set("state", state)
        element.set(_R_ID, rid)
        self.package.set_content_type(part, CT_WORKSHEET)
        self.changed = True
        return part, len(sheets) - 1

    def set_state(self, title: str, state: str | None) -> None:
        for sheet in self._sheets():
            if sheet.get("name") == title and sheet.get("state") != state:
                if state:
                    sheet.set("state", state)
                else:
                    sheet.attrib.pop("state", None)
                self.changed = True

    def index(self, title: str) -> int:
        return self.titles().index(title)

    def set_defined_names(self, names: list[tuple[str, str | None, str, dict]], replaced_sheet: int | None) -> None:
        """(name, localSheetId, formula, other attributes): replacing names of the same name and scope,
        and every name scoped to a sheet that was replaced."""
        container = self.root.find(_Q + "definedNames")
        if container is None and not names:
            return
        if container is None:
            container = insert_in_order(self.root, etree.Element(_Q + "definedNames"), WORKBOOK_ORDER)
        replaced = {(name, local) for name, local, _, _ in names}
        for element in list(container):
            scope = element.get("localSheetId")
            of_replaced_sheet = replaced_sheet is not None and scope == str(replaced_sheet)
            if (element.get("name"), scope) in replaced or of_replaced_sheet:
                container.remove(element)
        for name, local, formula, extra in names:
            element = etree.SubElement(container, _Q + "definedName", name=name)
            if local is not None:
                element.set("localSheetId", local)
            for key, value in extra.items():
                element.set(key, value)
            element.text = formula
        self.changed = True

    def save(self) -> None:
        if self.changed:
            self.package.put(self.part, etree.tostring(self.root, xml_declaration=True, encoding="UTF-8",
                                                       standalone=True))
            self.package.put_rels(self.part, self.rels)
