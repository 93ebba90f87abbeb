"""Workbooks Excel itself wrote (tests/corpus/excel-written): a records sheet is added to each at
the XML level, so every byte Excel wrote stays, then the nightly run. Every part the run changed or
added validates against the ECMA-376 schemas and Excel's own rules, every cell a person filled is
as it was, and a second run grows nothing. A workbook whose structure is protected is refused
before any email, untouched."""

from __future__ import annotations

import posixpath
import shutil
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from tests.support import ooxml, runs
from tests.support.lo import convert

CORPUS = Path(__file__).resolve().parent / "corpus" / "excel-written"
BOOKS = sorted(CORPUS.glob("*.xlsx"))
NOW = "2024-06-03 09:00"
PROTECTED = {"Other__Protection__protectstructurewithpassword.xlsx",
             "Other__Protection__protectstructurewithoutpassword.xlsx"}
MAIN, REL = ooxml.MAIN, ooxml.REL
PKG = ooxml.PKG_REL
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
HEADER = ["记录编号", "提交时间", "服务渠道", "客户名称", "联系电话", "服务类型", "优先级", "问题描述", "处理状态",
          "受理时间", "首次响应时间", "解决时间"]
ROWS = [["", "2024-05-10 09:30", "电话", "张伟", "13812345678", "咨询", "一般", "问发票怎么开", "处理中",
         "2024-05-10 09:40", "2024-05-10 10:00", ""],
        ["", "2024-05-11 10:00", "邮件", "李娜", "13987654321", "投诉", "紧急", "快递破损", "待受理", "", "", ""],
        ["", "2024-05-28 14:00", "APP", "王芳", "0755-12345678", "故障", "重要", "无法登录", "处理中",
         "2024-05-28 14:05", "2024-05-28 15:00", ""]]


def _cell(ref: str, text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;")
    return f'<c r="{ref}" t="inlineStr"><is><t>{escaped}</t></is></c>' if text else ""


def _records_sheet() -> bytes:
    rows = []
    for number, values in enumerate([HEADER, *ROWS], start=1):
        cells = "".join(_cell(f"{chr(65 + i)}{number}", v) for i, v in enumerate(values))
        rows.append(f'<row r="{number}">{cells}</row>')
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}">'
            f'<sheetData>{"".join(rows)}</sheetData></worksheet>').encode()


def with_records(source: Path, target: Path) -> None:
    """`source` with a 服务记录 sheet added last; every other part's bytes as Excel wrote them."""
    with zipfile.ZipFile(source) as archive:
        items = [(info, archive.read(info.filename)) for info in archive.infolist()]
    parts = {info.filename: data for info, data in items}
    root_rels = etree.fromstring(parts["_rels/.rels"])
    book = next(r.get("Target").lstrip("/") for r in root_rels if r.get("Type").endswith("/officeDocument"))
    folder = posixpath.dirname(book)
    rels_name = posixpath.join(folder, "_rels", posixpath.basename(book) + ".rels")
    n = 1
    while f"{folder}/worksheets/sheet{n}.xml" in parts:
        n += 1
    sheet_part = f"{folder}/worksheets/sheet{n}.xml"
    rels = etree.fromstring(parts[rels_name])
    taken = {r.get("Id") for r in rels}
    rid = next(f"rId{i}" for i in range(1, 999) if f"rId{i}" not in taken)
    etree.SubElement(rels, f"{{{PKG}}}Relationship", Id=rid, Target=f"worksheets/sheet{n}.xml",
                     Type=f"{REL}/worksheet")
    workbook = etree.fromstring(parts[book])
    sheets = workbook.find(f"{{{MAIN}}}sheets")
    ids = [int(s.get("sheetId")) for s in sheets]
    etree.SubElement(sheets, f"{{{MAIN}}}sheet", {"name": "服务记录", "sheetId": str(max(ids) + 1),
                                                   f"{{{REL}}}id": rid})
    types = etree.fromstring(parts["[Content_Types].xml"])
    etree.SubElement(types, f"{{{CT}}}Override", PartName="/" + sheet_part,
                     ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml")
    changed = {book: etree.tostring(workbook, xml_declaration=True, encoding="UTF-8", standalone=True),
               rels_name: etree.tostring(rels, xml_declaration=True, encoding="UTF-8", standalone=True),
               "[Content_Types].xml": etree.tostring(types, xml_declaration=True, encoding="UTF-8", standalone=True)}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in items:
            out.writestr(info, changed.get(info.filename, data))
        out.writestr(sheet_part, _records_sheet())


def _their_cells(path: Path) -> dict[str, list[list[object]]]:
    """Every sheet Excel wrote, as values (the records sheet and the tool's own sheets aside)."""
    ours = {"服务记录", "编号记录", "状态历史", "邮件日志", "客户关怀"}
    found = {}
    for title in runs.python_calamine.CalamineWorkbook.from_path(str(path)).sheet_names:
        if title not in ours and not title.startswith("月报"):
            found[title] = runs.grid(path, title)
    return found


@pytest.mark.parametrize("source", BOOKS, ids=lambda p: p.stem[:60])
def test_a_run_on_a_workbook_excel_wrote(source, tmp_path, cli):
    path = tmp_path / "客服工作簿.xlsx"
    with_records(source, path)
    before = tmp_path / "before.xlsx"
    shutil.copy2(path, before)
    result = cli("run", path, "--now", NOW)
    if source.name in PROTECTED:
        refusal = ("无法运行：工作簿的结构受保护（审阅 → 保护工作簿），工具无法添加工作表「状态历史」「编号记录」"
                   "「月报 2024-05」。请先取消保护工作簿结构，或手工添加这些工作表后再运行。\n")
        assert (result.code, result.err) == (2, refusal)
        assert path.read_bytes() == before.read_bytes()
        return
    assert result.code == 0, result.out + result.err
    assert ooxml.package_errors(before, path) == []
    assert _their_cells(path) == _their_cells(before)
    records = runs.by_header(path, "服务记录")
    assert [r["记录编号"] for r in records] == ["CSF20240510000001", "CSF20240511000001", "CSF20240528000001"]
    assert [r["联系电话"] for r in records] == ["138****5678", "139****4321", "0755-****5678"]
    assert [r[h] for r in records for h in HEADER[1:4]] == [v for row in ROWS for v in row[1:4]]
    # A second run changes what time changes and grows nothing: same parts, same style counts.
    styles = zipfile.ZipFile(path).read("xl/styles.xml")
    assert cli("run", path, "--now", NOW).code == 0
    assert zipfile.ZipFile(path).read("xl/styles.xml") == styles


def test_differential_formats_are_recognised_after_another_program_rewrote_them(tmp_path, cli):
    """LibreOffice, like Excel, rewrites every style on save: the next run reuses its dxfs."""
    path = tmp_path / "客服工作簿.xlsx"
    with_records(CORPUS / "Other__AutoFilter__AutoFilterWithThousandsSeparator.xlsx", path)
    assert cli("run", path, "--now", NOW).code == 0
    convert([path], "xlsx", tmp_path / "resaved")
    resaved = tmp_path / "resaved" / path.name
    counts = []
    for _ in range(2):
        assert cli("run", resaved, "--now", NOW).code == 0
        dxfs = etree.fromstring(zipfile.ZipFile(resaved).read("xl/styles.xml")).find(f"{{{MAIN}}}dxfs")
        counts.append(int(dxfs.get("count")))
    assert counts[0] == counts[1]
