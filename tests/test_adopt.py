"""Existing team workbooks adopted as they are: another sheet name, a title row, headers by
alias in any order, extra columns kept, blank rows tolerated, the team's own aliases."""

from __future__ import annotations

import csv
from datetime import datetime

import openpyxl
import xlsxwriter

from tests.support import lo
from tests.support.workbooks import sheet_rows

NOW = "2024-05-31 18:00"
HEADERS = ["反馈编号", "内部备注", "客户姓名/公司", "提交日期", "手机号", "反馈类型", "紧急程度", "问题内容",
           "状态", "处理人", "归档时间", "渠道", "区域", "解决方案"]
ROWS = {
    4: [None, "老客户", "杭州云帆科技有限公司", datetime(2024, 5, 10, 9, 30), "13812345678", "故障", "紧急",
        "系统登录不上", "已关闭", "C009 吴强", datetime(2024, 5, 10, 18, 0), "电话", "华东", "重置密码"],
    5: [None, None, "李娜", datetime(2024, 5, 11, 14, 0), "13900001111", "咨询", "一般", "发票怎么开",
        "处理中", "C002 李娜", None, "在线客服", "华南", None],
    7: [None, "VIP", "王芳", datetime(2024, 5, 12, 10, 0), "13700002222", "投訴", "重要", "物流太慢",
        "待受理", None, None, "APP", "华北", None],
}


def foreign_workbook(path, name_header="客户姓名/公司"):
    workbook = xlsxwriter.Workbook(str(path))
    ws = workbook.add_worksheet("2024年客户反馈")
    title = workbook.add_format({"bold": True, "font_size": 14})
    stamp = workbook.add_format({"num_format": "yyyy/m/d h:mm"})
    ws.merge_range(0, 0, 0, len(HEADERS) - 1, "杭州云帆科技 客户服务记录表", title)
    ws.write_row(2, 0, [name_header if h == "客户姓名/公司" else h for h in HEADERS])
    for row, values in ROWS.items():
        for col, value in enumerate(values):
            if isinstance(value, datetime):
                ws.write_datetime(row - 1, col, value, stamp)
            elif value is not None:
                ws.write(row - 1, col, value)
    workbook.add_worksheet("统计")  # a team's own sheet the tool must not mistake for records
    workbook.close()
    return path


def test_check_reports_how_the_workbook_is_read(tmp_path, cli):
    path = foreign_workbook(tmp_path / "旧工作簿.xlsx")
    result = cli("check", path)
    assert result.code == 0, result.out + result.err
    assert "「服务记录」→ 工作表「2024年客户反馈」，表头在第 3 行，3 行数据" in result.out
    assert "C列「客户姓名/公司」按「客户名称」处理" in result.out
    assert "其他列（保持不动）：B列「内部备注」、M列「区域」" in result.out
    mapping = cli("check", path, "--json").json()["sheets"][0]
    assert {c["key"]: c["column"] for c in mapping["columns"]}["received_at"] == "D"


def test_validate_and_number_write_beside_the_teams_columns_and_keep_them(tmp_path, cli):
    path = foreign_workbook(tmp_path / "旧工作簿.xlsx")
    before = sheet_rows(path, "2024年客户反馈")
    assert cli("validate", path, "--now", NOW).code == 1
    assert cli("number", path, "--now", NOW).code == 0
    after = sheet_rows(path, "2024年客户反馈")
    assert after[2][len(HEADERS)] == "校验结果"
    assert after[0][0] == "杭州云帆科技 客户服务记录表"
    extras = [HEADERS.index("内部备注"), HEADERS.index("区域"), HEADERS.index("问题内容")]
    for row in (3, 4, 6):
        for col in extras:
            assert after[row][col] == before[row][col]
    assert [after[r][0] for r in (3, 4, 6)] == ["CSF20240510000001", "CSF20240511000001", "CSF20240512000001"]
    assert after[3][len(HEADERS)] == "通过"
    assert "「投訴」不在下拉列表中，应为「投诉」（含繁体字）" in after[6][len(HEADERS)]
    assert after[5][len(HEADERS)] is None  # the blank row stays blank
    assert after[3][HEADERS.index("手机号")] == "138****5678"
    assert openpyxl.load_workbook(path).sheetnames == ["2024年客户反馈", "统计", "编号记录"]


def test_init_on_an_existing_workbook_adds_only_what_is_missing(tmp_path, cli):
    path = foreign_workbook(tmp_path / "旧工作簿.xlsx")
    before = sheet_rows(path, "2024年客户反馈")
    result = cli("init", path)
    assert result.code == 0, result.err
    assert "设置" in result.out and "下拉列表" in result.out
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:2] == ["2024年客户反馈", "统计"]
    assert {"进度跟踪", "客户档案", "客户关怀", "邮件日志", "设置", "下拉列表", "编号记录"} <= set(wb.sheetnames)
    assert "服务记录" not in wb.sheetnames  # the records sheet was recognised by its headers
    assert sheet_rows(path, "2024年客户反馈") == before
    assert "已有工具需要的全部工作表" in cli("init", path).out


def test_a_team_alias_added_in_settings_is_used_without_code(tmp_path, cli):
    path = foreign_workbook(tmp_path / "旧工作簿.xlsx", name_header="顾客")
    assert cli("check", path).code == 1
    assert "缺少必填列「客户名称」" in cli("check", path).out
    cli("init", path)
    wb = openpyxl.load_workbook(path)
    ws = wb["设置"]
    alias_col = next(c.column for c in ws[3] if c.value == "工作表")
    ws.cell(row=5, column=alias_col, value="服务记录")
    ws.cell(row=5, column=alias_col + 1, value="客户名称")
    ws.cell(row=5, column=alias_col + 2, value="顾客")
    wb.save(path)
    result = cli("check", path)
    assert result.code == 0, result.out
    assert "C列「顾客」按「客户名称」处理" in result.out


def test_a_workbook_written_by_libreoffice_is_adopted_and_validated(tmp_path, cli):
    source = tmp_path / "导出.csv"
    with source.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["记录编号", "提交时间", "服务渠道", "客户名称", "服务类型", "优先级", "问题描述", "处理状态",
                         "联系电话"])
        writer.writerow(["", "2024-05-10 09:30:00", "电话", "张伟", "咨询", "一般", "问发票", "待受理", "13812345678"])
        writer.writerow(["", "2024-05-10 10:30:00", "电话", "李娜", "咨询", "緊急", "问价格", "待受理", "13912345678"])
    lo.convert([source], "xlsx:Calc MS Excel 2007 XML", tmp_path, infilter=lo.CSV_UTF8_IN)
    path = tmp_path / "导出.xlsx"
    assert path.exists()
    assert cli("check", path).code == 0
    result = cli("validate", path, "--now", NOW)
    assert result.code == 1
    assert "「緊急」不在下拉列表中，应为「紧急」" in result.out
    rows = sheet_rows(path, openpyxl.load_workbook(path).sheetnames[0])
    assert rows[1][8] == "138****5678" and rows[1][-1] == "通过"
    assert cli("number", path, "--now", NOW).code == 0
    rows = sheet_rows(path, openpyxl.load_workbook(path).sheetnames[0])
    assert [rows[1][0], rows[2][0]] == ["CSF20240510000001", "CSF20240510000002"]


def test_check_puts_what_decides_first_and_the_optional_columns_behind_all(tmp_path, cli):
    path = foreign_workbook(tmp_path / "旧工作簿.xlsx", name_header="顾客")
    cli("init", path)                                      # adds 设置, with its 表头别名 table
    lines = cli("check", path).out.splitlines()
    required = next(i for i, line in enumerate(lines) if "缺少必填列「客户名称」" in line)
    assert lines[required].endswith("若本表用了别的列名，在 设置!AI5 这一行（「表头别名」表）填写："
                                    "服务记录 | 客户名称 | 本表的列名")
    behaviour = next(i for i, line in enumerate(lines) if line.strip().startswith("缺少「受理时间」列"))
    assert required < behaviour and "不会被当作超时" in lines[behaviour]
    assert not any("（可选）" in line for line in lines) and lines[-3].startswith("（可选列")
    everything = cli("check", path, "--all").out
    assert "没有「客户编号」列（可选）" in everything
