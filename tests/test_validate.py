"""`servicebook validate` on real files: what lands in 校验结果, which cells light up, what is
masked, and that nothing else a person typed changes."""

from __future__ import annotations

import re
from datetime import datetime

import openpyxl

from servicebook.edits import is_ours
from tests.support import lo
from tests.support.workbooks import (
    NOW,
    good_record,
    part_bytes,
    records_by_header,
    sheet_rows,
    team_workbook,
    write_rows,
)

MOBILE = re.compile(rb"(?<!\d)1[3-9]\d{9}(?!\d)")

MISTAKES = {
    # row: (changes, expected fragment of 校验结果)
    3: ({"priority": "緊急"}, "错误：J列「优先级」「緊急」不在下拉列表中，应为「紧急」（含繁体字）"),
    4: ({"type": " 投诉"}, "错误：I列「服务类型」「 投诉」不在下拉列表中，应为「投诉」（含多余空格）"),
    5: ({"tier": "ＶＩＰ"}, "错误：H列「客户等级」「ＶＩＰ」不在下拉列表中，应为「VIP」（含全角字符）"),
    6: ({"received_at": "2024/5/10 9:30"}, "提示：B列「提交时间」日期「2024/5/10 9:30」是以文本保存的"),
    7: ({"received_at": "2024年5月10日 9时30分"}, "提示：B列「提交时间」日期「2024年5月10日 9时30分」是以文本保存的"),
    8: ({"received_at": "上周三下午"}, "错误：B列「提交时间」无法识别的日期时间「上周三下午」"),
    9: ({"resolved_at": datetime(2024, 5, 9, 8, 0)}, "错误：U列「解决时间」「解决时间」早于「提交时间」"),
    10: ({"solution": None, "closed_at": None}, "错误：S列「解决方案」已关闭的记录需要填写解决方案"),
    11: ({"csat": 6}, "错误：W列「满意度」「6」无效，满意度只能填 1–5 的整数"),
    12: ({"phone": "1381234567"}, "错误：F列「联系电话」电话「13****4567」格式不正确"),
    13: ({"email": "wang@@qq.com"}, "错误：G列「电子邮箱」邮箱「wang@@qq.com」格式不正确"),
    14: ({"customer_name": None}, "错误：E列「客户名称」必填，不能为空"),
    15: ({"description": "客户身份证330106198803151234"}, "错误：L列「问题描述」疑似身份证号码"),
    16: ({"status": "已解决"},
         "提示：P列「处理状态」「已解决」按「已关闭」处理（同义词）；建议统一改为下拉列表中的「已关闭」"),
    17: ({"ticket_no": "CSF20240510000001"}, "错误：A列「记录编号」记录编号与第 18 行重复"),
    18: ({"ticket_no": "CSF20240510000001"}, "错误：A列「记录编号」记录编号与第 17 行重复"),
    19: ({"status": "处理中", "closed_at": datetime(2024, 5, 11)},
         "提示：V列「关闭时间」填写了关闭时间，但处理状态是「处理中」"),
    20: ({"received_at": datetime(2024, 6, 3, 9, 0), "accepted_at": None, "first_response_at": None,
          "resolved_at": None, "closed_at": None, "status": "待受理", "csat": None},
         "错误：B列「提交时间」2024-06-03 09:00 晚于当前时间"),
    21: ({"status": "处理中", "closed_at": None, "csat": 5},
         "提示：W列「满意度」处理状态是「处理中」，尚未关闭就已有满意度"),
    22: ({"status": "处理中", "closed_at": None, "csat": None, "assignee": None},
         "提示：N列「受理人」处理状态是「处理中」，但没有受理人"),
    23: ({"email": "用户@例子.中国"},
         "提示：G列「电子邮箱」邮箱「用户@例子.中国」的 @ 前含中文等非英文字符，邮件服务器无法投递"),
}


def _workbook(tmp_path):
    rows = [good_record(phone="13812345678")]  # row 2: valid, phone typed in full
    for row in range(3, 24):
        rows.append(good_record(**MISTAKES[row][0]))
    return team_workbook(tmp_path, rows)


def test_each_mistake_is_reported_in_its_row_naming_the_column(tmp_path, cli):
    path = _workbook(tmp_path)
    result = cli("validate", path, "--now", NOW.isoformat(sep=" "))
    assert result.code == 1, result.err
    rows = records_by_header(path)
    verdicts = {number: row["校验结果"] for number, row in enumerate(rows, start=2)}
    assert verdicts[2] == "通过"
    for row, (_, expected) in MISTAKES.items():
        assert expected in verdicts[row], (row, verdicts[row])
    assert "校验了 22 行" in result.out
    assert "[错误] 服务记录 第3行 J列「优先级」" in result.out


def test_json_summary(tmp_path, cli):
    path = _workbook(tmp_path)
    summary = cli("validate", path, "--json", "--now", NOW.isoformat(sep=" ")).json()
    assert summary["rows"] == 22
    assert summary["rows_with_errors"] == sum(1 for _, text in MISTAKES.values() if text.startswith("错误"))
    codes = {p["code"] for p in summary["problems"]}
    assert {"enum", "time_text", "time_bad", "order", "closed_needs_solution", "score", "phone", "email",
            "required", "id_number", "duplicate", "closed_time_open", "time_future", "csat_open",
            "no_assignee", "email_unsendable"} <= codes
    problem = next(p for p in summary["problems"] if p["code"] == "score")
    assert problem == {"sheet": "服务记录", "row": 11, "column": "W列「满意度」", "severity": "error",
                       "code": "score", "message": "「6」无效，满意度只能填 1–5 的整数", "key": "csat"}


def test_only_phones_change_and_no_unmasked_number_remains(tmp_path, cli):
    path = _workbook(tmp_path)
    write_rows(path, "customers", [{"customer_id": "U1", "name": "张伟", "phone": 13912345678}])
    before = {title: sheet_rows(path, title) for title in ("服务记录", "客户档案", "进度跟踪", "设置")}
    cli("validate", path, "--now", NOW.isoformat(sep=" "))
    after = {title: sheet_rows(path, title) for title in before}
    header = after["服务记录"][0]
    result_col, phone_col = header.index("校验结果"), header.index("联系电话")
    for title, rows in before.items():
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if title == "服务记录" and c in (result_col, phone_col) and r > 0:
                    continue
                if title == "客户档案" and after[title][0][c] == "电话" and r > 0:
                    continue
                assert after[title][r][c] == value, (title, r + 1, c + 1)
    assert after["服务记录"][1][phone_col] == "138****5678"
    assert after["服务记录"][11][phone_col] == "1381234567"   # ten digits: kept as typed until corrected
    assert after["客户档案"][1][after["客户档案"][0].index("电话")] == "139****5678"
    for name, data in part_bytes(path).items():
        assert not MOBILE.search(data), f"an unmasked mobile number remains in {name}"


def test_offending_cells_are_highlighted_by_rules_that_follow_the_result_column(tmp_path, cli):
    path = _workbook(tmp_path)
    cli("validate", path, "--now", NOW.isoformat(sep=" "))
    ws = openpyxl.load_workbook(path)["服务记录"]
    ours = {str(cf.sqref): [r.formula[0] for r in cf.rules] for cf in ws.conditional_formatting
            if any(is_ours(f) for r in cf.rules for f in r.formula)}
    assert 'SEARCH("错误：J列「优先级」"' in " ".join(ours["J2:J23"])
    assert 'SEARCH("提示：B列「提交时间」"' in " ".join(ours["B2:B23"])
    result_col = next(c.column_letter for c in ws[1] if c.value == "校验结果")
    assert f"{result_col}2:{result_col}23" in ours
    assert "C2:C23" not in ours  # 服务渠道 has no problem in this file


def test_rerun_replaces_its_own_rules_and_keeps_the_teams(tmp_path, cli):
    path = _workbook(tmp_path)
    wb = openpyxl.load_workbook(path)
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import PatternFill

    team_rule = CellIsRule(operator="equal", formula=['"投诉"'], fill=PatternFill(bgColor="FF0000", fill_type="solid"))
    wb["服务记录"].conditional_formatting.add("I2:I500", team_rule)
    wb.save(path)
    for _ in range(2):
        cli("validate", path, "--now", NOW.isoformat(sep=" "))
    ws = openpyxl.load_workbook(path)["服务记录"]
    formulas = [f for cf in ws.conditional_formatting for r in cf.rules for f in r.formula]
    assert formulas.count('"投诉"') == 1
    ours = [f for f in formulas if is_ours(f)]
    assert len(ours) == len(set(ours))


def test_a_clean_workbook_passes(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record(), good_record(priority="一般", type="咨询")])
    result = cli("validate", path, "--now", NOW.isoformat(sep=" "))
    assert result.code == 0, result.out
    assert [r["校验结果"] for r in records_by_header(path)] == ["通过", "通过"]


def test_libreoffice_reads_the_results(tmp_path, cli):
    path = _workbook(tmp_path)
    cli("validate", path, "--now", NOW.isoformat(sep=" "))
    sheets = lo.sheets_as_csv(path, tmp_path / "csv")
    records = sheets["服务记录"]
    header = records[0]
    assert records[1][header.index("校验结果")] == "通过"
    assert "「緊急」不在下拉列表中" in records[2][header.index("校验结果")]
    assert records[1][header.index("联系电话")] == "138****5678"


def test_a_time_settled_on_the_fast_path_is_what_the_full_check_returns_and_says_nothing():
    from datetime import UTC, date, timedelta

    from servicebook.definition import definition
    from servicebook.domain import validation

    now = datetime(2026, 11, 24, 10, 0)
    records = definition().sheet("records")
    values = [datetime(2026, 7, 26, 9, 27, 27, 370000), datetime(2026, 7, 26, 9, 27), now + timedelta(minutes=10),
              now + timedelta(minutes=11), now + timedelta(days=30), datetime(1899, 12, 31), datetime(2200, 1, 1),
              datetime(2026, 7, 26, tzinfo=UTC), date(2026, 7, 26), date(2027, 1, 1), date(1800, 1, 1)]
    settled = 0
    for key in ("received_at", "accepted_at", "due_at", "closed_at"):
        col = records.column(key)
        latest = datetime.max if key == "due_at" else now + validation.FUTURE_TOLERANCE
        for value in values:
            fast = validation._fine_time(value, latest, key)
            if fast is None:
                continue
            settled += 1
            recorder = validation._Recorder()
            assert validation._check_time(recorder, col, value, now) == fast, (key, value)
            assert recorder.adds == [], (key, value, recorder.adds)
    # in each column the three times up to now + 10 minutes, and the past date except in received_at
    # (where a date alone is a warning: no clock); in due_at the later times and the later date too
    assert settled == 3 + 4 + 7 + 4


def test_date_columns_read_at_once_give_the_problems_cell_by_cell_gives(monkeypatch):
    """A date column of plain datetimes is settled without visiting its cells; what validation says
    must be what it says when every cell is looked at: order to the second, empty cells as None or
    "", and a column with one cell in the future, out of range or typed as text looked at whole."""
    import random
    from datetime import timedelta

    from servicebook.definition import definition
    from servicebook.domain import validation
    from servicebook.domain.settings import read_vocabulary
    from servicebook.domain.table import build_table

    d = definition()
    records = d.sheet("records")
    vocab, _ = read_vocabulary(d, None)
    keys = [c.key for c in records.columns if not c.computed]
    header = [records.column(k).header for k in keys]
    now = datetime(2026, 11, 24, 10, 0)
    odd = ["", None, "   ", now + timedelta(hours=2), datetime(1899, 1, 1), "2026/11/1 9:30", 46230.5]
    rng = random.Random(7)
    read_at_once, compared = 0, 0
    for _ in range(150):
        rows = []
        for _ in range(12):
            base = datetime(2026, 11, 20, 9, 0, 0) + timedelta(seconds=rng.randrange(3))
            record = good_record()
            for key in ("received_at", "accepted_at", "first_response_at", "resolved_at", "closed_at", "due_at"):
                record[key] = base + timedelta(microseconds=rng.randrange(1_000_000), seconds=rng.randrange(2))
                if rng.random() < 0.04:
                    record[key] = rng.choice(odd)
            rows.append([record.get(k) for k in keys])
        table = build_table(records, "服务记录", [header, *rows])
        fast = validation.validate_records(table, vocab, now)
        read_at_once += sum(validation._times_at_once(table.column(k), datetime.max) is not None
                            for k in ("accepted_at", "resolved_at"))
        with monkeypatch.context() as patched:
            patched.setattr(validation, "_times_at_once", lambda values, latest: None)
            slow = validation.validate_records(table, vocab, now)
        assert [vars(p) for p in fast.problems] == [vars(p) for p in slow.problems]
        compared += len(slow.problems)
    assert (read_at_once, compared) == (226, 3524)   # both paths taken, with this seed, and much said


def test_text_cells_are_judged_for_error_values_and_invisible_characters_only():
    """In a text column only an error value or an invisible character is said (picked without
    judging every distinct text); a number spelled with stray spaces is the same record number."""
    from servicebook.definition import definition
    from servicebook.domain.settings import read_vocabulary
    from servicebook.domain.table import build_table
    from servicebook.domain.validation import validate_records

    d = definition()
    records = d.sheet("records")
    vocab, _ = read_vocabulary(d, None)
    keys = [c.key for c in records.columns if not c.computed]
    header = [records.column(k).header for k in keys]
    changes = [{"ticket_no": "T1", "customer_name": "#N/A"},
               {"ticket_no": " T1 ", "customer_name": "张\u200b伟"},
               {"ticket_no": "T3", "customer_name": 12345.0, "description": "第一行\n第二行"},
               {"ticket_no": "\u200b", "customer_name": "李娜"},
               {"ticket_no": "\u200b", "customer_name": "王芳"}]
    rows = [[good_record(**change).get(k) for k in keys] for change in changes]
    result = validate_records(build_table(records, "服务记录", [header, *rows]), vocab, NOW)

    said = [(p.row, p.key, p.code) for p in result.problems]
    assert said == [(2, "ticket_no", "duplicate"), (2, "customer_name", "error_value"),
                    (3, "ticket_no", "duplicate"), (3, "customer_name", "invisible"),
                    (5, "ticket_no", "invisible"), (5, "ticket_no", "duplicate"),
                    (6, "ticket_no", "invisible"), (6, "ticket_no", "duplicate")]


def test_a_judged_column_says_for_each_row_what_judging_that_cell_alone_says():
    """Each distinct value of a judged column is judged once, keyed by its type as well (1, 1.0,
    True and "1" are four values to a person) — a column of text and empty cells alone by its
    distinct texts at once: every row then gets what its own cell would get."""
    import random

    from servicebook.definition import definition
    from servicebook.domain import validation
    from servicebook.domain.settings import read_vocabulary
    from servicebook.domain.values import is_blank

    d = definition()
    vocab, _ = read_vocabulary(d, None)
    samples = {"csat": [5, 5.0, True, "5", "５", 6, "六", None, "", " "],
               "priority": ["紧急", "緊急", " 紧急", 1, 1.0, True, None, "", "#N/A"],
               "phone": ["13812345678", 13812345678.0, "138 1234 5678", "1381234567", "#N/A", None, True]}
    rng = random.Random(11)
    for key, options in samples.items():
        col = d.sheet("records").column(key)
        texts = [v for v in options if v is None or type(v) is str]   # a column of text and empty cells alone
        for values in ([rng.choice(options) for _ in range(40)], [rng.choice(texts) for _ in range(40)], texts):
            found: dict[int, list] = {}
            validation._check_column(col, values, vocab, NOW,
                                     lambda i, found=found: found.setdefault(i, validation._Recorder()))
            for index, value in enumerate(values):
                alone = validation._Recorder()
                if not is_blank(value):
                    validation._check_cell(alone, col, value, vocab, NOW)
                assert (found[index].adds if index in found else []) == alone.adds, (key, value)
