"""Team workbooks as people keep them: a formula or an error value where the tool would write, summary
rows under the data, a missing time column, another known sheet but no records sheet, the
headers and status words teams really use — nothing overwritten, nothing counted that is not a
record, nothing "breached" for want of a column."""

from __future__ import annotations

from datetime import datetime

import openpyxl
import xlsxwriter

from tests.support.workbooks import good_record, records_by_header, team_workbook, write_rows

NOW = "2024-06-03 09:00"
D = datetime


def _plain(path, header, rows, title="服务记录"):
    """A workbook as a team makes it by hand (XlsxWriter, no template): one sheet, `header` and rows;
    a value starting with '=' is written as a formula with `cached` as its value."""
    workbook = xlsxwriter.Workbook(str(path))
    ws = workbook.add_worksheet(title)
    stamp = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    ws.write_row(0, 0, header)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values):
            if isinstance(value, tuple):
                ws.write_formula(r, c, value[0], None, value[1])
            elif isinstance(value, datetime):
                ws.write_datetime(r, c, value, stamp)
            elif value is not None:
                ws.write(r, c, value)
    workbook.close()
    return path


HEADER = ["记录编号", "提交时间", "服务渠道", "客户名称", "服务类型", "优先级", "问题描述", "处理状态", "受理时间",
          "首次响应时间", "解决时间", "关闭时间", "解决方案", "满意度"]


def _row(number, received, name, status="处理中", accepted=None, first=None, resolved=None, closed=None,
         solution=None, csat=None):
    return [number, received, "电话", name, "咨询", "一般", "问发票", status, accepted, first, resolved, closed,
            solution, csat]


def test_a_formula_or_an_error_in_the_record_number_is_never_replaced(tmp_path, cli):
    path = _plain(tmp_path / "客服工作簿.xlsx", HEADER, [
        _row(("=\"T-\"&ROW()", "T-2"), D(2024, 6, 1, 9), "张伟"),     # a formula with a cached number
        _row(("=IF(D3=\"\",\"\",\"\")", ""), D(2024, 6, 1, 10), "李娜"),  # a formula that gives nothing yet
        _row(("=1/0", "#DIV/0!"), D(2024, 6, 1, 11), "王芳"),          # an error value
        _row(None, D(2024, 6, 1, 12), "赵磊"),
    ])
    result = cli("run", path, "--now", NOW)
    assert result.code == 1, result.err
    ws = openpyxl.load_workbook(path)["服务记录"]
    assert [ws[f"A{r}"].value for r in (2, 3, 4)] == ['="T-"&ROW()', '=IF(D3="","","")', "=1/0"]
    assert ws["A5"].value == "CSF20240601000001"                     # only the empty cell got a number
    verdicts = {r["客户名称"]: r["校验结果"] for r in records_by_header(path)}
    assert "记录编号是一个公式，结果为空；工具不会覆盖公式" in verdicts["李娜"]
    assert verdicts["张伟"] == verdicts["赵磊"] == "通过"
    assert "#DIV/0!" in verdicts["王芳"]


def test_summary_rows_under_the_data_are_not_records(tmp_path, cli):
    rows = [_row(None, D(2024, 6, 1, 9 + i), name) for i, name in enumerate(("张伟", "李娜", "王芳"))]
    rows.append([None, None, None, "合计", None, None, None, None, None, None, None, None, None, ("=SUM(N2:N4)", 0)])
    rows.append([None, None, None, None, None, None, None, None, None, None, None, None, None,
                 ("=SUBTOTAL(101,N2:N4)", 0)])
    path = _plain(tmp_path / "客服工作簿.xlsx", HEADER, rows)
    assert cli("run", path, "--now", NOW).code == 0
    ws = openpyxl.load_workbook(path)["服务记录"]
    assert [ws[f"A{r}"].value for r in range(2, 7)] == ["CSF20240601000001", "CSF20240601000002",
                                                        "CSF20240601000003", None, None]
    result_col = next(c.column for c in ws[1] if c.value == "校验结果")
    assert [ws.cell(row=r, column=result_col).value for r in range(2, 7)] == ["通过", "通过", "通过", None, None]
    assert (ws["D5"].value, ws["N5"].value, ws["N6"].value) == ("合计", "=SUM(N2:N4)", "=SUBTOTAL(101,N2:N4)")
    out = cli("check", path).out
    assert "第 5 行不是记录：汇总行（合计）" in out and "第 6 行不是记录：汇总行（=SUBTOTAL(101,N2:N4)）" in out


def test_a_missing_time_column_is_not_computed_never_breached(tmp_path, cli):
    header = [h for h in HEADER if h != "首次响应时间"]
    rows = [[v for h, v in zip(HEADER, _row(None, D(2024, 5, 20, 9 + i), f"客户{i}", accepted=D(2024, 5, 20, 10 + i),
                                                     resolved=D(2024, 5, 21, 9), closed=D(2024, 5, 21, 10),
                                                     status="已关闭", solution="已解答", csat=5), strict=True)
             if h != "首次响应时间"] for i in range(3)]
    path = _plain(tmp_path / "客服工作簿.xlsx", header, rows)
    result = cli("run", path, "--now", NOW, "--json")
    assert result.code == 0, result.err
    report = result.json()
    assert report["sla"]["not_computed"] == {"first_response": ["首次响应时间"], "update": ["首次响应时间"]}
    assert report["sla"]["escalations"] == [] and set(report["sla"]["counts"]) == {"accept", "resolve"}
    ws = openpyxl.load_workbook(path)["服务记录"]
    added = [c.value for c in ws[1] if c.column > len(header)]
    assert "首响SLA" not in added and "首响时限" not in added and "受理SLA" in added
    monthly = openpyxl.load_workbook(path)["月报 2024-05"]
    row = next(r for r in monthly.iter_rows(values_only=True) if r[0] == "首次响应超时率")
    reason = "未计算：工作簿中没有「首次响应时间」列（可在「设置 → 表头别名」登记本团队的列名）"
    assert (row[1], row[6]) == ("—", reason)
    assert "缺少「首次响应时间」列：首次响应、进度更新、首次响应超时率不计算" in cli("check", path).out


def test_resolved_time_left_empty_is_blank_and_closing_time_stands_in_only_without_the_column(tmp_path, cli):
    closed = dict(status="已关闭", accepted=D(2024, 6, 1, 9, 30), first=D(2024, 6, 1, 9, 40), closed=D(2024, 6, 2, 9),
                  solution="已处理", csat=5)
    with_column = _plain(tmp_path / "有解决时间.xlsx", HEADER, [_row(None, D(2024, 6, 1, 9), "张伟", **closed)])
    assert cli("sla", with_column, "--now", NOW).code == 0
    assert records_by_header(with_column)[0]["解决SLA"] is None          # cannot be judged: left blank
    header = [h for h in HEADER if h != "解决时间"]
    values = [v for h, v in zip(HEADER, _row(None, D(2024, 6, 1, 9), "张伟", **closed), strict=True) if h != "解决时间"]
    without = _plain(tmp_path / "无解决时间.xlsx", header, [values])
    assert cli("sla", without, "--now", NOW).code == 0
    assert records_by_header(without)[0]["解决SLA"] == "达标"             # 关闭时间 stood for it


def test_another_known_sheet_is_never_taken_for_the_records(tmp_path, cli):
    path = _plain(tmp_path / "客服工作簿.xlsx", ["客户编号", "客户名称", "联系方式", "关怀日期", "关怀事由", "状态"],
                  [["C1", "张伟", "138****5678", D(2024, 6, 1), "首次回访", "待处理"]], title="客户关怀")
    before = path.read_bytes()
    result = cli("run", path, "--now", NOW)
    assert result.code == 2 and "找不到服务记录：没有名为 服务记录、客户服务记录" in result.err, result.err
    assert "其他已知工作表如「客户关怀」不会被当作服务记录" in result.err
    assert path.read_bytes() == before


def test_headers_and_status_words_teams_use_are_understood(tmp_path, cli):
    header = ["反馈编号", "反馈日期", "渠道", "客户姓名", "客户电话", "问题类型", "紧急程度", "问题内容", "处理进度",
              "受理日期", "首次回复时间", "处理结果"]
    rows = [[None, D(2024, 6, 2, 9), "电话", "张伟", "13812345678", "咨询", "一般", "问发票", "待处理",
             None, None, None]]
    path = _plain(tmp_path / "客服工作簿.xlsx", header, rows)
    result = cli("run", path, "--now", NOW, "--json")
    assert result.code == 0, result.err
    row = records_by_header(path)[0]
    assert (row["反馈编号"], row["客户电话"]) == ("CSF20240602000001", "138****5678")
    synonym = "提示：I列「处理进度」「待处理」按「待受理」处理（同义词）；建议统一改为下拉列表中的「待受理」"
    assert row["校验结果"] == synonym
    assert row["受理SLA"] == "已超时"     # 待处理 is 待受理: the acceptance clock runs


def test_a_hand_typed_care_number_is_never_given_again_and_a_first_record_stands_for_the_purchase(tmp_path, cli):
    record = good_record(customer_id="N1", received_at=D(2024, 6, 1, 9), accepted_at=D(2024, 6, 1, 9, 10),
                         first_response_at=D(2024, 6, 1, 9, 20), resolved_at=D(2024, 6, 1, 12),
                         closed_at=D(2024, 6, 1, 13))
    path = team_workbook(tmp_path, [record])
    write_rows(path, "customers", [{"customer_id": "N1", "name": "张伟", "contact": "张伟", "contact_pref": "电话"}])
    write_rows(path, "care", [{"care_no": "GH202406001", "customer_id": "X9", "care_date": D(2024, 6, 2),
                               "reason": "问题反馈", "method": "电话", "status": "已解决"}])
    assert cli("care", path, "--now", NOW).code == 0
    care = records_by_header(path, "客户关怀")
    planned = {r["计划来源"]: r["关怀编号"] for r in care if r["计划来源"]}
    # Planned from the first record (06-01): the numbers after the one a person typed.
    assert planned == {"首次回访": "GH202406002", "二次跟进": "GH202406003"}
    assert [r["关怀编号"] for r in care].count("GH202406001") == 1
