"""Checking a package the way Excel reads it (LibreOffice opens almost anything, so it proves little):

- every XML part new or changed validates against the ECMA-376 Transitional schemas, after the
  markup-compatibility processing a consumer does (elements and attributes of namespaces a part
  declares mc:Ignorable dropped, mc:AlternateContent replaced by its Fallback); content inside
  <extLst><ext> is open in the schema and left alone;
- Excel's rules beyond the schema: a Table's header cells equal its column names, Tables overlap
  neither each other nor merged cells, and sheet ids, table ids and table names are unique.
"""

from __future__ import annotations

import functools
import posixpath
import re
import zipfile
from pathlib import Path

import python_calamine
import xmlschema
from lxml import etree

SCHEMAS = Path(__file__).resolve().parents[1] / "ooxml"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
XML = "http://www.w3.org/XML/1998/namespace"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


@functools.cache
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMAS / "_all.xsd"))


def _understood() -> set[str]:
    return set(schema().maps.namespaces) | {XML, MC, ""}


def _namespace(name: str) -> str:
    return name[1:].split("}")[0] if name.startswith("{") else ""


def compatible(root: etree._Element) -> etree._Element:
    """What a consumer that knows only the schemas' namespaces reads of a part (ECMA-376 Part 3)."""
    understood = _understood()

    def walk(element: etree._Element, ignorable: frozenset[str]) -> None:
        declared = element.get(f"{{{MC}}}Ignorable")
        if declared:
            ignorable = ignorable | {element.nsmap.get(p) for p in declared.split() if element.nsmap.get(p)}
        for name in [n for n in element.attrib if n.startswith("{")]:
            namespace = _namespace(name)
            if namespace == MC or (namespace in ignorable and namespace not in understood) or name == f"{{{XML}}}space":
                del element.attrib[name]   # Excel writes xml:space on <t>, which sml.xsd does not declare
        if etree.QName(element).localname == "ext":
            return
        for child in list(element):
            if not isinstance(child.tag, str):
                continue
            namespace = _namespace(child.tag)
            if namespace == MC and etree.QName(child).localname == "AlternateContent":
                fallback = child.find(f"{{{MC}}}Fallback")
                index = element.index(child)
                element.remove(child)
                for offset, grandchild in enumerate(list(fallback) if fallback is not None else []):
                    element.insert(index + offset, grandchild)
                    walk(grandchild, ignorable)
            elif namespace in ignorable and namespace not in understood:
                element.remove(child)
            else:
                walk(child, ignorable)

    walk(root, frozenset())
    return root


def schema_errors(name: str, data: bytes, limit: int = 5) -> list[str]:
    """What Excel would object to in one part ([] when it validates, or is not a schema part)."""
    root = etree.fromstring(data)
    if root.tag not in schema().maps.elements:
        return []   # VML, custom XML, parts whose root no schema of the set declares
    errors = []
    for error in schema().iter_errors(compatible(root)):
        errors.append(f"{name} {error.path}: {(error.reason or str(error)).strip()[:300]}")
        if len(errors) >= limit:
            break
    return errors


def changed_parts(before: Path, after: Path) -> list[str]:
    with zipfile.ZipFile(before) as old, zipfile.ZipFile(after) as new:
        kept = set(old.namelist())
        return [n for n in new.namelist() if n.endswith((".xml", ".rels"))
                and (n not in kept or old.read(n) != new.read(n))]


def _rels(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    if rels not in archive.namelist():
        return {}
    root = etree.fromstring(archive.read(rels))
    return {r.get("Id"): posixpath.normpath(posixpath.join(folder, r.get("Target")))
            for r in root.iter(f"{{{PKG_REL}}}Relationship") if r.get("TargetMode") != "External"}


def _box(ref: str) -> tuple[int, int, int, int]:
    def cell(text: str) -> tuple[int, int]:
        letters, digits = re.fullmatch(r"\$?([A-Z]+)\$?(\d+)", text).groups()
        col = 0
        for ch in letters:
            col = col * 26 + ord(ch) - 64
        return int(digits), col

    first, _, last = ref.partition(":")
    (top, left), (bottom, right) = cell(first), cell(last or first)
    return top, left, bottom, right


def _overlap(a, b) -> bool:
    return not (b[1] > a[3] or b[3] < a[1] or b[0] > a[2] or b[2] < a[0])


def excel_rule_errors(path: Path) -> list[str]:
    """The rules Excel checks beyond the schema, on the whole package."""
    errors = []
    values = python_calamine.CalamineWorkbook.from_path(str(path))
    with zipfile.ZipFile(path) as archive:
        workbook = etree.fromstring(archive.read("xl/workbook.xml"))
        book_rels = _rels(archive, "xl/workbook.xml")
        sheets = list(workbook.iter(f"{{{MAIN}}}sheet"))
        ids = [s.get("sheetId") for s in sheets]
        if len(ids) != len(set(ids)):
            errors.append(f"sheet ids repeat: {ids}")
        table_ids, table_names = [], []
        for sheet in sheets:
            part = book_rels.get(sheet.get(f"{{{REL}}}id"), "")
            if not part.startswith("xl/worksheets/"):
                continue
            root = etree.fromstring(archive.read(part))
            merges = [_box(m.get("ref")) for m in root.iter(f"{{{MAIN}}}mergeCell")]
            grid = values.get_sheet_by_name(sheet.get("name")).to_python(skip_empty_area=False)
            boxes = []
            for table_part in root.iter(f"{{{MAIN}}}tablePart"):
                table = etree.fromstring(archive.read(_rels(archive, part)[table_part.get(f"{{{REL}}}id")]))
                table_ids.append(table.get("id"))
                table_names.append(table.get("name"))
                box = _box(table.get("ref"))
                names = [c.get("name") for c in table.iter(f"{{{MAIN}}}tableColumn")]
                if len(names) != box[3] - box[1] + 1:
                    errors.append(f"{table.get('name')}: {len(names)} columns for ref {table.get('ref')}")
                if table.get("headerRowCount", "1") != "0":
                    header = grid[box[0] - 1][box[1] - 1:box[3]] if box[0] <= len(grid) else []
                    shown = [str(v) for v in header] + [""] * (len(names) - len(header))
                    if shown != names:
                        errors.append(f"{table.get('name')}: header cells {shown} differ from columns {names}")
                for merge in merges:
                    if _overlap(box, merge):
                        errors.append(f"{table.get('name')} overlaps the merged range {merge}")
                for other in boxes:
                    if _overlap(box, other):
                        errors.append(f"{table.get('name')} overlaps another table")
                boxes.append(box)
        if len(table_ids) != len(set(table_ids)) or len(table_names) != len(set(table_names)):
            errors.append(f"table ids or names repeat: {table_ids} {table_names}")
    return errors


def package_errors(before: Path, after: Path) -> list[str]:
    """What Excel would repair in `after` that it would not in `before`: the errors of the parts
    that differ, less those the same part already had (an attribute Excel itself wrote out of
    range, say), and Excel's rules on the whole package."""
    errors = []
    with zipfile.ZipFile(after) as new, zipfile.ZipFile(before) as old:
        for name in changed_parts(before, after):
            had = set(schema_errors(name, old.read(name), limit=50)) if name in old.namelist() else set()
            errors += [e for e in schema_errors(name, new.read(name)) if e not in had]
    return errors + [e for e in excel_rule_errors(after) if e not in excel_rule_errors(before)]
