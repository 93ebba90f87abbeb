"""`servicebook init`: the team workbook looks and behaves like a professional template, in
openpyxl's reading and in LibreOffice's."""

from __future__ import annotations

import re
import zipfile
from datetime import datetime

import openpyxl

from servicebook.definition import definition
from servicebook.domain.settings import ROW, default_settings
from servicebook.jobs.session import open_session
from tests.support import lo


def test_every_sheet_is_created_in_order(tmp_path, cli):
    path = tmp_path / "客服工作簿.xlsx"
    result = cli("init", path)
    assert result.code == 0 and "已新建工作簿" in result.out
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["服务记录", "进度跟踪", "客户档案", "客户关怀", "客服名单", "邮件日志", "状态历史", "设置",
                             "下拉列表", "编号记录"]
    assert wb["编号记录"].sheet_state == "hidden"
    assert all(wb[n].sheet_state == "visible" for n in wb.sheetnames[:-1])


def test_init_never_overwrites(tmp_path, cli):
    path = tmp_path / "客服工作簿.xlsx"
    cli("init", path)
    before = path.read_bytes()
    assert cli("init", path).code == 0
    assert path.read_bytes() == before
    assert cli("init", tmp_path / "笔记.txt").code == 2


def test_records_sheet_has_header_freeze_filter_dropdowns_and_formats(tmp_path, cli):
    path = tmp_path / "客服工作簿.xlsx"
    cli("init", path)
    wb = openpyxl.load_workbook(path)
    ws = wb["服务记录"]
    sheet = definition().sheet("records")
    columns = list(sheet.template_columns)
    assert [c.value for c in ws[1]] == [c.header for c in columns]
    assert ws.freeze_panes == "B2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(row=1, column=len(columns)).column_letter}1"
    validations = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
    for index, col in enumerate(columns, start=1):
        letter = ws.cell(row=1, column=index).column_letter
        assert ws.column_dimensions[letter].width == col.width
        dv = validations.get(f"{letter}2")
        if col.type == "enum":
            assert dv.type == "list" and dv.formula1 == f"list_{col.list}", col.key
            name = wb.defined_names[dv.formula1]
            (title, ref), = name.destinations
            words = [c.value for row in wb[title][ref.replace("$", "")] for c in row]
            assert words == list(definition().lists[col.list].values.values())
        elif col.type == "score":
            assert (dv.type, dv.formula1, dv.formula2) == ("whole", "1", "5")
        elif col.type == "datetime" and not col.computed:
            assert dv.type == "date"
        if col.type == "datetime":
            assert ws.column_dimensions[letter].number_format == "yyyy-mm-dd hh:mm"
        if col.computed:
            assert dv.prompt and "请勿手工修改" in dv.prompt and dv.prompt.count("请勿") == 1
            assert ws.cell(row=1, column=index).fill.start_color.rgb.endswith("D9D9D9")
            assert ws.cell(row=1, column=index).font.italic
    assert ws.cell(row=1, column=2).font.bold


def test_settings_sheet_reads_back_as_the_defaults(tmp_path, cli):
    path = tmp_path / "客服工作簿.xlsx"
    cli("init", path)
    book = open_session(path, writing=False).book
    defaults = default_settings(definition().settings)
    assert book.settings.values == defaults.values

    def without_rows(tables):
        return {k: [{c: v for c, v in row.items() if c != ROW} for row in rows] for k, rows in tables.items()}

    assert without_rows(book.settings.tables) == without_rows(defaults.tables)
    assert book.settings.tables["type_letters"][0][ROW] == 4
    assert not book.problems


def test_libreoffice_opens_the_template_with_its_dropdowns(tmp_path, cli):
    path = tmp_path / "客服工作簿.xlsx"
    cli("init", path)
    sheets = lo.sheets_as_csv(path, tmp_path / "csv")
    assert sheets["服务记录"][0][:3] == ["记录编号", "提交时间", "服务渠道"]
    assert sheets["下拉列表"][1][0] == "电话"
    assert sheets["设置"][3][1:3] == ["团队名称", "客户服务中心"]
    lo.convert([path], "ods", tmp_path / "ods")
    with zipfile.ZipFile(tmp_path / "ods" / "客服工作簿.ods") as ods:
        content = ods.read("content.xml").decode("utf-8")
    in_list = set(re.findall(r"cell-content-is-in-list\((list_\w+)\)", content))
    expected = {f"list_{c.list}" for s in definition().sheets.values() for c in s.columns if c.list and c.template}
    assert expected <= in_list



def test_every_sheet_the_tool_creates_prints_on_a4_legibly(tmp_path, cli):
    path = tmp_path / "客服工作簿.xlsx"
    assert cli("init", path).code == 0
    wb = openpyxl.load_workbook(path)
    wide = {"服务记录"}     # 40-odd columns: full size across pages, not shrunk to one
    for ws in wb.worksheets:
        assert (ws.page_setup.paperSize, ws.oddFooter.center.text) == (9, "第 &P 页，共 &N 页"), ws.title
        assert ws.print_title_rows == ("$3:$3" if ws.title == "设置" else "$1:$1"), ws.title
        fitted = (ws.sheet_properties.pageSetUpPr.fitToPage, ws.page_setup.fitToWidth, ws.page_setup.fitToHeight)
        assert fitted == ((None, None, None) if ws.title in wide else (True, 1, 0)), (ws.title, fitted)
    records = wb["服务记录"]
    assert (records.page_setup.orientation, records.page_setup.pageOrder, records.print_title_cols) == \
        ("landscape", "overThenDown", "$A:$A")
    assert wb["客服名单"].page_setup.orientation == "portrait"
    assert wb["设置"].print_area == f"'设置'!$A$1:$D${wb['设置'].max_row}"     # the main table, not the side ones


def test_the_roster_prints_on_one_page(tmp_path, cli):
    path = tmp_path / "客服工作簿.xlsx"
    assert cli("init", path).code == 0
    wb = openpyxl.load_workbook(path)
    roster = wb["客服名单"]
    for n in range(1, 13):
        roster.append([f"C{n:03d}", f"客服{n}", "技术组", "是", "是", f"c{n:03d}@service.example.com"])
    for ws in [ws for ws in wb.worksheets if ws.title != "客服名单"]:
        wb.remove(ws)
    only = tmp_path / "roster.xlsx"
    wb.save(only)
    lo.convert([only], "pdf", tmp_path / "pdf")
    assert len(lo.pdf_pages(tmp_path / "pdf" / "roster.pdf")) == 1


def test_a_sheet_added_to_a_teams_workbook_brings_its_page_setup(tmp_path, cli):
    path = tmp_path / "客服工作簿.xlsx"
    assert cli("init", path).code == 0
    wb = openpyxl.load_workbook(path)
    wb.remove(wb["邮件日志"])
    wb.save(path)
    assert cli("init", path).code == 0                       # adds what is missing, through the part writer
    log = openpyxl.load_workbook(path)["邮件日志"]
    assert (log.page_setup.paperSize, log.page_setup.fitToWidth, log.print_title_rows) == (9, 1, "$1:$1")


def test_one_font_family_throughout(tmp_path, cli):
    path = tmp_path / "客服工作簿.xlsx"
    assert cli("init", path).code == 0
    styles = zipfile.ZipFile(path).read("xl/styles.xml").decode()
    fonts = re.search(r"<fonts\b.*?</fonts>", styles, re.S).group(0)
    names = re.findall(r'<name val="([^"]+)"', fonts)
    assert len(names) == fonts.count("<font>") + fonts.count("<font ") and set(names) == {"微软雅黑"}


def test_columns_are_wide_enough_for_the_demos_names_and_addresses(tmp_path):
    from servicebook.cli.chinese import display_width
    from servicebook.demo.build import DemoSize, generate, write_demo
    from tests.support import runs

    path = tmp_path / "演示.xlsx"
    write_demo(path, generate(datetime(2026, 12, 1, 2), DemoSize(records=600, customers=200), seed=3), definition())
    wb = openpyxl.load_workbook(path)
    wide = (("服务记录", ("客户名称", "电子邮箱")), ("客户档案", ("名称", "邮箱")), ("客服名单", ("邮箱",)))
    for title, headers in wide:
        letters = {c.value: c.column_letter for c in wb[title][1]}
        for header in headers:
            longest = max(display_width(str(row.get(header) or "")) for row in runs.by_header(path, title))
            assert wb[title].column_dimensions[letters[header]].width >= longest, (title, header, longest)
