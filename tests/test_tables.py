"""Records kept as an Excel Table (Ctrl+T): every column the tool adds becomes a column of the table,
so a sort or a filter in Excel keeps each row whole. Tables made by openpyxl and XlsxWriter —
plain, under a title row, with a totals row, with the team's own columns, beside a second table
and a merge — are run, then sorted by LibreOffice; each record's number and deadline must still
sit on its row. Nothing right of the table is covered; where the table cannot grow, a clear no."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from lxml import etree
from openpyxl.worksheet.table import Table, TableStyleInfo

from servicebook.domain.table import column_letter
from tests.support import lo, ooxml
from tests.support.workbooks import records_by_header

NOW = "2024-06-03 09:00"
MAIN = ooxml.MAIN
HEADER = ["记录编号", "提交时间", "服务渠道", "客户名称", "联系电话", "服务类型", "优先级", "问题描述", "处理状态",
          "受理时间", "首次响应时间", "解决时间"]
ROWS = [
    [None, "2024-05-31 09:30", "电话", "张伟", "138****5678", "咨询", "一般", "问发票", "处理中", "2024-05-31 09:40",
     "2024-05-31 10:00", None],
    [None, "2024-06-01 10:00", "邮件", "李娜", "139****4321", "投诉", "紧急", "快递破损", "处理中", "2024-06-01 10:05",
     None, None],
    [None, "2024-06-02 14:00", "APP", "王芳", "0755-****5678", "故障", "重要", "无法登录", "待受理", None, None, None],
    [None, "2024-06-02 15:00", "电话", "赵磊", "138****1111", "售后", "一般", "退货", "处理中", "2024-06-02 15:10",
     "2024-06-02 16:00", None],
]
EXTRA = "回访备注"    # a column of the team's own, inside the table


def openpyxl_table(path: Path, *, title: bool = False, extra: bool = False, neighbours: bool = False) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "服务记录"
    top = 1
    if title:
        ws["A1"] = "华东客服中心 服务记录"
        ws.merge_cells("A1:F1")
        top = 2
    header = [*HEADER, *([EXTRA] if extra else [])]
    ws.append([]) if title else None
    for offset, values in enumerate([header, *[[*r, *(["已回访"] if extra else [])] for r in ROWS]]):
        for col, value in enumerate(values, start=1):
            ws.cell(row=top + offset, column=col, value=value)
    ref = f"A{top}:{column_letter(len(header))}{top + len(ROWS)}"
    table = Table(displayName="记录表", ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    if neighbours:   # a second table and a merged note beside the records, far enough right to leave room
        ws["AH1"], ws["AI1"] = "区域", "负责人"
        for r, (area, owner) in enumerate((("华东", "何慧"), ("华南", "王磊")), start=2):
            ws.cell(row=r, column=34, value=area)
            ws.cell(row=r, column=35, value=owner)
        side = Table(displayName="区域表", ref="AH1:AI3")
        ws.add_table(side)
        ws["AK1"] = "说明：记录表由客服填写"
        ws.merge_cells("AK1:AM2")
    wb.save(path)
    return path


def xlsxwriter_table(path: Path, *, totals: bool = False) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    ws = workbook.add_worksheet("服务记录")
    columns = [{"header": h} for h in HEADER]
    if totals:
        columns[0]["total_string"] = "合计"
        columns[6]["total_function"] = "count"
    last = len(ROWS) + 1 + (1 if totals else 0)
    ws.add_table(f"A1:{column_letter(len(HEADER))}{last}", {"name": "记录表", "columns": columns,
                                                          "data": ROWS, "total_row": totals})
    workbook.close()
    return path


def _table(path: Path, name: str = "记录表") -> etree._Element:
    with zipfile.ZipFile(path) as archive:
        for part in archive.namelist():
            if part.startswith("xl/tables/"):
                root = etree.fromstring(archive.read(part))
                if root.get("displayName") == name:
                    return root
    raise AssertionError(f"no table {name}")


def _pairs(path: Path, header_row: int) -> dict[tuple, tuple]:
    """Each record, known by what a person typed, -> the number and deadline the tool gave it."""
    rows = records_by_header(path, header_row=header_row)
    return {(r["客户名称"], str(r["提交时间"])): (r["记录编号"], r["首响时限"], r["首响SLA"])
            for r in rows if r.get("客户名称") not in (None, "合计")}


CASES = {
    "plain": (lambda p: openpyxl_table(p), 1, 0),
    "under-a-title-row": (lambda p: openpyxl_table(p, title=True), 2, 0),
    "with-a-totals-row": (lambda p: xlsxwriter_table(p, totals=True), 1, 1),
    "with-the-teams-own-column": (lambda p: openpyxl_table(p, extra=True), 1, 0),
    "beside-a-second-table-and-a-merge": (lambda p: openpyxl_table(p, neighbours=True), 1, 0),
    "xlsxwriter-plain": (lambda p: xlsxwriter_table(p), 1, 0),
}


@pytest.mark.parametrize("case", CASES)
def test_the_tools_columns_join_the_table_and_rows_stay_whole_when_sorted(tmp_path, cli, case):
    make, header_row, totals = CASES[case]
    path = make(tmp_path / "客服工作簿.xlsx")
    before = tmp_path / "before.xlsx"
    before.write_bytes(path.read_bytes())
    assert cli("run", path, "--now", NOW).code == 0
    assert ooxml.package_errors(before, path) == []
    table = _table(path)
    headers = [c.get("name") for c in table.iter(f"{{{MAIN}}}tableColumn")]
    assert {"记录编号", "校验结果", "首响时限", "首响SLA", "解决时限"} <= set(headers)
    first, last = table.get("ref").split(":")
    bottom = int("".join(ch for ch in last if ch.isdigit()))
    assert table.find(f"{{{MAIN}}}autoFilter").get("ref") == f"{first}:{last[:-len(str(bottom))]}{bottom - totals}"
    assert bottom == header_row + len(ROWS) + totals            # the totals row is not a record, and stays
    given = _pairs(path, header_row)
    assert sorted(n for n, _, _ in given.values()) == ["CSF20240531000001", "CSF20240601000001",
                                                       "CSF20240602000001", "CSF20240602000002"]
    if case == "beside-a-second-table-and-a-merge":
        assert [c.get("name") for c in _table(path, "区域表").iter(f"{{{MAIN}}}tableColumn")] == ["区域", "负责人"]
        ws = openpyxl.load_workbook(path)["服务记录"]
        assert (ws["AH2"].value, ws["AK1"].value, [str(m) for m in ws.merged_cells.ranges]) == \
            ("华东", "说明：记录表由客服填写", ["AK1:AM2"])
    # A person sorts the table's rows by 客户名称, descending, as Excel sorts a table: only its cells move.
    data = f"A{header_row + 1}:{last[:-len(str(bottom))]}{bottom - totals}"
    sorted_path = tmp_path / "sorted.xlsx"
    lo.sort_rows(path, "服务记录", data, HEADER.index("客户名称"), sorted_path, ascending=False)
    names = [r["客户名称"] for r in records_by_header(sorted_path, header_row=header_row)][:len(ROWS)]
    assert names == sorted((r[3] for r in ROWS), reverse=True)   # the rows did move
    assert _pairs(sorted_path, header_row) == given               # and each kept its number and deadline


def test_a_table_with_the_teams_things_right_of_it_is_a_clear_no(tmp_path, cli):
    path = openpyxl_table(tmp_path / "客服工作簿.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["服务记录"]
    ws["N2"], ws["O2"] = "区域", "负责人"    # a side table two columns right of the records
    wb.save(path)
    before = path.read_bytes()
    result = cli("run", path, "--now", NOW)
    refusal = ("无法运行：「服务记录」的服务记录在 Excel 表格「记录表」中，工具要把自己的列加进这个表格"
               "（这样排序、筛选时每行保持完整），但表格右侧的 N 列已有内容（数值、合并单元格、其他表格、"
               "数据验证或条件格式）。请在表格右侧留出空列（或把那里的内容移走）后再运行。\n")
    assert (result.code, result.err) == (2, refusal)
    assert path.read_bytes() == before


def test_columns_go_past_a_side_table_and_a_merged_note_and_never_over_them(tmp_path, cli):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "服务记录"
    for offset, values in enumerate([HEADER, *ROWS]):
        for col, value in enumerate(values, start=1):
            ws.cell(row=1 + offset, column=col, value=value)
    ws["N2"], ws["O2"], ws["N3"], ws["O3"] = "区域", "负责人", "华东", "何慧"   # a side table after a gap
    ws["Q6"] = "说明：客服填写 A–L 列"
    ws.merge_cells("Q6:R7")
    path = tmp_path / "客服工作簿.xlsx"
    wb.save(path)
    assert cli("run", path, "--now", NOW).code == 0
    ws = openpyxl.load_workbook(path)["服务记录"]
    added = {c.column_letter for c in ws[1] if c.value and c.column > len(HEADER)}
    assert "M" in added and added.isdisjoint({"N", "O", "Q", "R"}), sorted(added)
    assert [ws[ref].value for ref in ("N1", "O1", "N2", "O2", "N3", "O3", "Q6")] == \
        [None, None, "区域", "负责人", "华东", "何慧", "说明：客服填写 A–L 列"]
    assert [str(m) for m in ws.merged_cells.ranges] == ["Q6:R7"]
