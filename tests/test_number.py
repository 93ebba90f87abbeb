"""`servicebook number`: unique, stable, never reused, in the pattern chosen in 设置."""

from __future__ import annotations

import random
import shutil
from datetime import datetime, timedelta

import openpyxl

from servicebook.sidecar import sidecar_dir
from tests.support.workbooks import good_record, records_by_header, set_setting, sheet_rows, team_workbook

NOW = "2024-05-31 18:00"


def numbers(path):
    return [r["记录编号"] for r in records_by_header(path)]


def test_numbers_follow_the_default_pattern_in_order_of_submission(tmp_path, cli):
    rows = [
        good_record(received_at=datetime(2024, 5, 10, 15, 0)),
        good_record(received_at=datetime(2024, 5, 10, 9, 0)),
        good_record(received_at=datetime(2024, 5, 11, 8, 0)),
        good_record(ticket_no="OLD-0001", received_at=datetime(2024, 5, 10, 8, 0)),
    ]
    path = team_workbook(tmp_path, rows)
    result = cli("number", path, "--now", NOW)
    assert result.code == 0, result.out + result.err
    assert numbers(path) == ["CSF20240510000002", "CSF20240510000001", "CSF20240511000001", "OLD-0001"]
    assert "新编号 3 行（已有编号 1 行，无法编号 0 行）" in result.out
    counters = sheet_rows(path, "编号记录")
    assert counters[1:] == [["CSF20240510", 2], ["CSF20240511", 1]]
    assert openpyxl.load_workbook(path)["编号记录"].sheet_state == "hidden"


def test_a_second_run_changes_nothing(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record(), good_record()])
    cli("number", path, "--now", NOW)
    before = path.read_bytes()
    result = cli("number", path, "--now", NOW)
    assert result.code == 0
    assert path.read_bytes() == before
    assert "新编号 0 行（已有编号 2 行" in result.out


def _delete_last_row_and_add_one(path, sheet_survives=True):
    wb = openpyxl.load_workbook(path)
    ws = wb["服务记录"]
    ws.delete_rows(ws.max_row)
    if not sheet_survives:
        del wb["编号记录"]
    wb.save(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["服务记录"]
    ws.cell(row=ws.max_row + 1, column=2, value=datetime(2024, 5, 10, 17, 0))
    for col, value in ((3, "电话"), (5, "李娜"), (9, "咨询"), (10, "一般"), (12, "问发票"), (16, "待受理")):
        ws.cell(row=ws.max_row, column=col, value=value)
    wb.save(path)


def test_a_deleted_rows_number_is_never_given_again(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record(received_at=datetime(2024, 5, 10, h, 0)) for h in (9, 10, 11)])
    cli("number", path, "--now", NOW)
    assert numbers(path)[-1] == "CSF20240510000003"
    _delete_last_row_and_add_one(path)
    cli("number", path, "--now", NOW)
    assert numbers(path) == ["CSF20240510000001", "CSF20240510000002", "CSF20240510000004"]


def test_the_counter_survives_the_hidden_sheet_being_deleted(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record(received_at=datetime(2024, 5, 10, h, 0)) for h in (9, 10, 11)])
    cli("number", path, "--now", NOW)
    _delete_last_row_and_add_one(path, sheet_survives=False)
    cli("number", path, "--now", NOW)
    assert numbers(path)[-1] == "CSF20240510000004"


def test_the_counter_survives_the_sidecar_being_lost(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record(received_at=datetime(2024, 5, 10, h, 0)) for h in (9, 10, 11)])
    cli("number", path, "--now", NOW)
    _delete_last_row_and_add_one(path)
    shutil.rmtree(sidecar_dir(path))
    cli("number", path, "--now", NOW)
    assert numbers(path)[-1] == "CSF20240510000004"


def test_type_letter_pattern_chosen_in_settings(tmp_path, cli):
    rows = [good_record(type="故障"), good_record(type="投诉"), good_record(type="故障"),
            good_record(type="咨询", received_at=datetime(2023, 12, 31, 23, 0))]
    path = team_workbook(tmp_path, rows)
    set_setting(path, "编号规则", "CS-年份-类型字母+流水号")
    assert cli("number", path, "--now", NOW).code == 0
    assert numbers(path) == ["CS-2024-G0001", "CS-2024-T0001", "CS-2024-G0002", "CS-2023-C0001"]


def test_monthly_pattern_widens_past_its_serial_width(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record(), good_record(received_at=datetime(2024, 6, 1, 9, 0))])
    set_setting(path, "编号规则", "年月+3位流水号")
    wb = openpyxl.load_workbook(path)
    wb["编号记录"].append(["202405", 999])
    wb.save(path)
    cli("number", path, "--now", "2024-06-02 09:00")
    assert numbers(path) == ["2024051000", "202406001"]


def test_rows_without_a_readable_date_get_a_message_not_a_number(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record(received_at="上周三"), good_record(received_at=None), good_record()])
    result = cli("number", path, "--now", NOW)
    assert result.code == 1
    assert numbers(path) == [None, None, "CSF20240510000001"]
    assert "服务记录 第2行 B列「提交时间」：提交时间「上周三」无法识别，未编号" in result.out
    assert "服务记录 第3行 B列「提交时间」：提交时间为空，未编号" in result.out


def test_many_rows_get_unique_numbers_and_the_counters_match(tmp_path, cli):
    rng = random.Random(7)
    start = datetime(2024, 5, 1)
    rows = [good_record(received_at=start + timedelta(minutes=rng.randrange(60 * 24 * 20))) for _ in range(400)]
    path = team_workbook(tmp_path, rows)
    cli("number", path, "--now", NOW)
    given = numbers(path)
    assert len(set(given)) == 400 and all(given)
    highest = {}
    for number in given:
        highest[number[:11]] = max(highest.get(number[:11], 0), int(number[11:]))
    assert {k: v for k, v in (r for r in sheet_rows(path, "编号记录")[1:])} == highest
    by_day = {}
    for row, number in zip(rows, given, strict=True):
        by_day.setdefault(number[:11], []).append((row["received_at"], int(number[11:])))
    for entries in by_day.values():
        assert [serial for _, serial in sorted(entries)] == list(range(1, len(entries) + 1))


def test_a_session_that_only_reads_gives_numbers_to_look_at_and_burns_none(tmp_path, cli):
    from servicebook.edits import Edits
    from servicebook.jobs.number import numbering_edits
    from servicebook.jobs.session import open_session
    from servicebook.sidecar import Sidecar

    path = team_workbook(tmp_path, [good_record(received_at=datetime(2024, 5, 10, 9, 0))])
    with open_session(path, now=datetime(2024, 5, 31, 18), writing=False) as session:
        looked = numbering_edits(session, Edits()).numbered
    assert [number for _, number in looked] == ["CSF20240510000001"]
    assert Sidecar(path).counters() == {}
    assert cli("number", path, "--now", NOW).code == 0
    assert numbers(path) == ["CSF20240510000001"]   # the number looked at is the one given
