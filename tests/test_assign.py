"""Assignment by the rules on a hand-made roster, the load balance on the demo, customer history
by every key, and the progress log's own rules."""

from __future__ import annotations

from datetime import datetime

import openpyxl
import pytest

from tests.support.workbooks import good_record, records_by_header, team_workbook, write_rows

NOW = "2024-05-31 18:00"
D = datetime
ROSTER = [
    dict(zip(("agent_id", "name", "group", "senior", "on_duty"), agent, strict=True),
         email=f"{agent[0].lower()}@example.com")
    for agent in (("C001", "张敏", "客服组", "是", "是"), ("C002", "李娜", "客服组", "否", "是"),
                  ("C003", "王磊", "客服组", "否", "否"), ("C009", "吴强", "技术组", "是", "是"),
                  ("C010", "郑凯", "技术组", "否", "是"), ("C012", "何慧", "客服主管", "是", "是"))
]


def new(ticket, type_, hour, tier="普通", priority="一般", **changes):
    fields = dict(ticket_no=ticket, type=type_, tier=tier, priority=priority, received_at=D(2024, 5, 31, hour),
                  status="待受理", assignee=None, department=None, accepted_at=None, first_response_at=None,
                  resolved_at=None, closed_at=None, csat=None, solution=None)
    return good_record(**{**fields, **changes})


def roster_workbook(tmp_path, records):
    path = team_workbook(tmp_path, records)
    write_rows(path, "roster", ROSTER)
    return path


def assignees(path):
    return {r["记录编号"]: r["受理人"] for r in records_by_header(path)}


def test_rules_route_by_type_vip_to_senior_least_loaded_and_skip_off_duty(tmp_path, cli):
    records = [
        good_record(ticket_no="OPEN", assignee="C002 李娜", status="处理中", closed_at=None, csat=None),  # C002 has 1
        new("F1", "故障", 9),              # 技术组, tie C009/C010 at 0 -> C009 (lowest 工号)
        new("F2", "故障", 10),             # -> C010 (C009 now has 1)
        new("T1", "投诉", 11),             # 投诉 -> 客服主管
        new("V1", "咨询", 12, tier="VIP"),  # VIP -> senior of 客服组: C001, although assigned first
        new("Q1", "咨询", 8),              # C001 1, C002 1, C003 off duty -> C001 (tie, lowest 工号)
        new("Q2", "咨询", 13),             # C001 2, C002 1 -> C002
        new("M1", "咨询", 7, assignee="C003 王磊"),   # a person's choice: kept
        new("X1", "咨询", 6, status="已关闭"),         # closed: not assigned
    ]
    path = roster_workbook(tmp_path, records)
    result = cli("assign", path, "--now", NOW)
    assert result.code == 0, result.out + result.err
    got = assignees(path)
    assert got == {"OPEN": "C002 李娜", "F1": "C009 吴强", "F2": "C010 郑凯", "T1": "C012 何慧", "V1": "C001 张敏",
                   "Q1": "C001 张敏", "Q2": "C002 李娜", "M1": "C003 王磊", "X1": None}
    departments = {r["记录编号"]: r["协作部门"] for r in records_by_header(path)}
    assert departments["F1"] == departments["F2"] == "技术部" and departments["Q1"] is None
    notes = {r["记录编号"]: r["分配记录"] for r in records_by_header(path)}
    assert notes["V1"].startswith("C001 张敏｜2024-05-31 18:00｜咨询→客服组，VIP→资深客服")
    assert notes["M1"] is None
    assert "V1｜咨询/一般 VIP → C001 张敏（咨询→客服组，VIP→资深客服，当前未结 0 件）" in result.out
    # A second run changes nothing: every open record has its 受理人.
    before = path.read_bytes()
    assert "分配了 0 条新记录" in cli("assign", path, "--now", NOW).out
    assert path.read_bytes() == before


def test_a_group_with_nobody_on_duty_goes_to_the_general_queue(tmp_path, cli):
    path = roster_workbook(tmp_path, [new("F1", "故障", 9)])
    wb = openpyxl.load_workbook(path)
    ws = wb["客服名单"]
    for row in ws.iter_rows(min_row=2):
        if row[2].value == "技术组":
            row[4].value = "否"
    wb.save(path)
    result = cli("assign", path, "--now", NOW)
    assert assignees(path)["F1"] == "C001 张敏"   # the least-loaded on duty anywhere, lowest 工号
    assert "技术组无人在岗，进入空闲队列" in result.out


def test_a_manual_reassignment_needs_its_reason(tmp_path, cli):
    path = roster_workbook(tmp_path, [new("Q1", "咨询", 9)])
    cli("assign", path, "--now", NOW)
    wb = openpyxl.load_workbook(path)
    ws = wb["服务记录"]
    header = {c.value: c.column for c in ws[1]}
    ws.cell(row=2, column=header["受理人"], value="C002 李娜")   # the supervisor reassigns
    wb.save(path)
    result = cli("validate", path, "--now", NOW)
    assert "受理人已由「C001 张敏」改为「C002 李娜」，请填写调整原因" in result.out
    wb = openpyxl.load_workbook(path)
    wb["服务记录"].cell(row=2, column=header["调整原因"], value="客户要求对接李娜")
    wb.save(path)
    assert "调整原因" not in cli("validate", path, "--now", NOW).out
    cli("assign", path, "--now", NOW)
    assert assignees(path)["Q1"] == "C002 李娜"


def test_assign_without_a_roster_says_what_to_do(tmp_path, cli):
    path = team_workbook(tmp_path, [new("Q1", "咨询", 9)])
    result = cli("assign", path, "--now", NOW)
    assert result.code == 2 and "客服名单" in result.err


def test_load_is_spread_within_one_case_in_each_group_on_the_demo(tmp_path, cli):
    assert cli("demo", "--dir", tmp_path, "--now", "2026-11-23 10:00").code == 0
    path = tmp_path / "客服工作簿-演示.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["服务记录"]
    header = {c.value: c.column for c in ws[1]}
    closed = ("已关闭", "已解决")   # the demo's typists sometimes write the documents' synonym
    for row in range(2, ws.max_row + 1):   # the open queue as it was typed, before anyone assigned it
        if ws.cell(row=row, column=header["处理状态"]).value not in closed:
            # (openpyxl's ws.cell(..., value=None) would leave the old value in place)
            ws.cell(row=row, column=header["受理人"]).value = None
            ws.cell(row=row, column=header["分配记录"]).value = None
    wb.save(path)
    assert cli("assign", path, "--now", "2026-11-23 10:00").code == 0
    roster = {r["工号"]: r for r in records_by_header(path, "客服名单")}
    loads = {agent: 0 for agent, r in roster.items() if r["在岗"] == "是"}
    for record in records_by_header(path):
        if record["处理状态"] not in closed:
            agent = record["受理人"].split()[0]
            assert roster[agent]["在岗"] == "是"
            loads[agent] += 1
    for group in {r["组别"] for r in roster.values()}:
        counts = [n for agent, n in loads.items() if roster[agent]["组别"] == group]
        assert max(counts) - min(counts) <= 1, (group, loads)
    assert sum(loads.values()) > 30


# ---------------------------------------------------------------- history


def history_workbook(tmp_path):
    records = [
        good_record(ticket_no="H1", customer_id="U1", customer_name="张伟", phone="13812345678",
                    received_at=D(2024, 3, 1, 9), closed_at=D(2024, 3, 1, 18), csat=4, tags="登录故障"),
        good_record(ticket_no="H2", customer_id="U1", customer_name="张伟", phone="13812345678",
                    received_at=D(2024, 5, 20, 9), closed_at=D(2024, 5, 20, 18), csat=2, tags="支付异常"),
        good_record(ticket_no="H3", customer_id="U1", customer_name="张伟", phone="138****5678",
                    received_at=D(2024, 5, 30, 9), status="处理中", closed_at=None, csat=None),
        good_record(ticket_no="H4", customer_id="U2", customer_name="张伟", phone="13900000000",
                    received_at=D(2024, 5, 1, 9)),
        good_record(ticket_no="H5", customer_id=None, customer_name="李娜", phone="13700001111",
                    received_at=D(2024, 5, 2, 9)),
    ]
    path = team_workbook(tmp_path, records)
    write_rows(path, "customers", [{"customer_id": "U1", "name": "张伟", "contact": "张伟", "salutation": "先生",
                                    "phone": "13812345678", "contact_pref": "邮件",
                                    "notes": "偏好工作日下午联系"}])
    return path


@pytest.mark.parametrize("query", ["U1", "u1", "13812345678", "138 1234 5678", "138****5678"])
def test_history_is_found_by_id_or_phone_masked_or_not(tmp_path, cli, query):
    path = history_workbook(tmp_path)
    found = cli("history", path, query, "--json").json()["found"]
    assert [r["ticket"] for r in found["records"]] == ["H3", "H2", "H1"]
    assert [r["ticket"] for r in found["open"]] == ["H3"]
    assert found["last_csat"]["ticket"] == "H2" and found["last_csat"]["csat"] == 2
    assert found["profile"]["contact_pref"] == "邮件"
    assert "phone" not in found["profile"]


def test_history_says_when_a_match_is_loose(tmp_path, cli):
    path = history_workbook(tmp_path)
    by_phone = cli("history", path, "13812345678", "--now", "2024-06-01 10:00")
    assert by_phone.code == 0 and by_phone.out.splitlines()[0] == (
        "注意：电话号码已脱敏，按前 3 位和后 4 位匹配「13812345678」，可能是号段相同的另一位客户，请核对姓名。")
    part = cli("history", path, "李")
    assert part.code == 0 and part.out.splitlines()[0] == "注意：没有名称完全是「李」的客户，以下是名称中包含它的客户。"
    exact = cli("history", path, "U1")
    assert exact.code == 0 and "注意" not in exact.out


def test_history_by_name_lists_candidates_when_two_share_it(tmp_path, cli):
    path = history_workbook(tmp_path)
    ambiguous = cli("history", path, "张伟")
    assert ambiguous.code == 1 and "对应多位客户" in ambiguous.out and "U1" in ambiguous.out and "U2" in ambiguous.out
    unique = cli("history", path, "李娜")
    assert unique.code == 0 and "H5" in unique.out
    assert cli("history", path, "王五").code == 1


def test_history_text_and_sheet(tmp_path, cli):
    path = history_workbook(tmp_path)
    result = cli("history", path, "U1", "--sheet")
    assert result.code == 0, result.err
    assert "偏好沟通：邮件" in result.out and "电话：138****5678" in result.out
    assert "最近一次满意度：2 分（H2）" in result.out and "已写入「客户历史」工作表" in result.out
    rows = [r for r in openpyxl.load_workbook(path)["客户历史"].iter_rows(values_only=True)]
    assert "张伟" in rows[0][0] and rows[4][:2] == ("提交时间", "记录编号")
    assert [r[1] for r in rows[5:]] == ["H3", "H2", "H1"]
    cli("history", path, "李娜", "--sheet")
    rows = [r for r in openpyxl.load_workbook(path)["客户历史"].iter_rows(values_only=True)]
    assert [r[1] for r in rows[5:]] == ["H5"]   # rebuilt, not appended


# ---------------------------------------------------------------- progress log rules


def test_progress_log_delays_need_reason_and_date_and_entries_need_a_record(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record(ticket_no="P1")])
    write_rows(path, "progress", [
        {"ticket_no": "P1", "at": D(2024, 5, 10, 11), "note": "已联系客户", "node_status": "已完成"},
        {"ticket_no": "P1", "at": D(2024, 5, 10, 12), "note": "等配件", "node_status": "延迟"},
        {"ticket_no": "P9", "at": D(2024, 5, 10, 13), "note": "已回电", "node_status": "已完成"},
        {"ticket_no": "P1", "at": D(2024, 5, 10, 14), "note": "延期", "node_status": "延迟",
         "delay_reason": "配件缺货", "new_due": D(2024, 5, 9)},
    ])
    result = cli("validate", path, "--now", NOW)
    assert result.code == 1
    verdicts = [r["校验结果"] for r in records_by_header(path, "进度跟踪")]
    assert verdicts[0] == "通过"
    assert "E列「延迟原因」节点状态为延迟，需要填写延迟原因" in verdicts[1]
    assert "F列「新时间节点」节点状态为延迟，需要填写新时间节点" in verdicts[1]
    assert "A列「记录编号」服务记录中没有记录编号「P9」" in verdicts[2]
    assert "「新时间节点」早于「时间」" in verdicts[3]
    assert "进度跟踪 第3行 E列「延迟原因」" in result.out
