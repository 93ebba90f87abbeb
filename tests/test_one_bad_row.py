"""One bad row never stops the night: whatever a cell holds — an implausible date, a value of an
unexpected type, junk of any kind — becomes that row's message and the run goes on."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import openpyxl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from servicebook.definition import definition
from servicebook.domain.table import SUMMARY_WORDS
from servicebook.domain.values import is_blank
from tests.support.workbooks import good_record, records_by_header, team_workbook

NOW = "2024-05-31 18:00"
RECORDS = definition().sheet("records")
TYPED = [c.key for c in RECORDS.template_columns if not c.computed]


def test_an_implausible_date_is_that_rows_message_and_the_others_are_numbered(tmp_path, cli):
    rows = [good_record(ticket_no=None), good_record(ticket_no=None, received_at="9999/12/31 23:59"),
            good_record(ticket_no=None, accepted_at=datetime(9999, 12, 31, 23, 59)), good_record(ticket_no=None)]
    path = team_workbook(tmp_path, rows)
    result = cli("run", path, "--now", NOW)
    assert result.code == 1, result.err
    found = records_by_header(path)
    assert [bool(r["记录编号"]) for r in found] == [True, False, True, True]
    assert "B列「提交时间」日期时间「9999/12/31 23:59」的年份不合理" in found[1]["校验结果"]
    assert "Q列「受理时间」日期时间「9999-12-31 23:59」的年份不合理" in found[2]["校验结果"]
    assert found[0]["校验结果"] == found[3]["校验结果"] == "通过"


def _storable(text: str) -> bool:
    return not ILLEGAL_CHARACTERS_RE.search(text)   # what a cell can hold at all


junk = st.one_of(
    st.none(),
    st.text(max_size=60).filter(_storable),
    st.sampled_from(["=1/0", "#N/A", "#DIV/0!", "9" * 5000, "1" * 19, "２０２４年５月１０日", "下午13:99",
                     "2024-02-30 10:00", "0000-00-00", "13812345678/13987654321", "\u200b", "已关闭\u200b"]),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(min_value=-1e300, max_value=1e300),   # past 1.8e308 a file holds no number (see test_faults)
    st.booleans(),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
    st.times(),
    st.timedeltas(min_value=timedelta(days=-3000), max_value=timedelta(days=3000)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({}, optional={key: junk for key in TYPED}), min_size=1, max_size=6))
@example(rows=[{"customer_name": "张三", "csat": "grandtotal"}])   # once failed this test's own count
def test_no_cell_stops_the_run(tmp_path_factory, cli, rows):
    folder = tmp_path_factory.mktemp("junk")
    # One row with a known error, so that exactly exit code 1 is right whatever the junk is.
    path = team_workbook(folder, [good_record(priority="不急不急"), *rows])
    result = cli("run", path, "--now", NOW)
    assert result.code == 1 and "内部错误" not in result.err, result.err
    # A row with 合计 or its kin in a cell is not a record, and the run says so; only for such a cell.
    summaries = {int(n) for n in re.findall(r"第 (\d+) 行未校验：不是记录，而是汇总行", result.out)}
    assert summaries <= {3 + i for i, row in enumerate(rows) if any(map(_says_total, row.values()))}, result.out
    # openpyxl stores text starting with "=" as a formula with no cached value: an empty cell.
    records = [row for i, row in enumerate(rows) if 3 + i not in summaries
               and any(not is_blank(v) and not str(v).startswith("=") for v in row.values())]
    checked = [r["校验结果"] for r in records_by_header(path) if r["校验结果"] is not None]
    assert "「不急不急」不在下拉列表中" in checked[0]
    assert len(checked) == 1 + len(records), checked    # every row that is a record got its verdict


def test_a_record_that_says_grand_total_is_said_at_the_run_not_dropped_in_silence(tmp_path, cli):
    # Found by the test above: hypothesis took "grandtotal" from the product's own words.
    path = team_workbook(tmp_path, [good_record(), {"customer_name": "张三", "csat": "grandtotal"}])
    result = cli("run", path, "--now", NOW)
    assert result.code == 0, result.err
    assert "第 3 行未校验：不是记录，而是汇总行（grandtotal）" in result.out
    assert [r["校验结果"] for r in records_by_header(path)] == ["通过", None]


def _says_total(value: object) -> bool:
    return isinstance(value, str) and any(word in "".join(value.split()).casefold() for word in SUMMARY_WORDS)


def test_an_excel_error_value_or_formula_in_a_typed_column_is_a_message(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record()])
    wb = openpyxl.load_workbook(path)
    ws = wb["服务记录"]
    ws["B2"] = "#N/A"
    ws["P2"] = time(9, 30)
    wb.save(path)
    result = cli("run", path, "--now", NOW)
    assert result.code == 1 and "内部错误" not in result.err, result.err
