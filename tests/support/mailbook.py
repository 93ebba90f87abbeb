"""A workbook whose records call for every kind of email, at a known moment."""

from __future__ import annotations

from datetime import datetime

import openpyxl

from tests.support.workbooks import good_record, set_setting, team_workbook, write_rows

NOW = "2024-05-31 18:00"
SENDER = "service@service.example.com"
SUPERVISOR = "hehui@service.example.com"

# What the rules send at NOW: one customer email per record, for the stage it is at (A: accepted,
# a progress note and a plan since the last run — the plan; B: closed — the survey; E: awaiting
# confirmation — the 确认函), and the team's digests (D's escalation, A's time-limit alert).
EXPECTED = {
    ("solution", "A"), ("sla_digest", "A"),
    ("survey", "B"),
    ("acknowledgement", "D"), ("escalation_digest", "D"),
    ("confirmation", "E"),
}
RECIPIENTS = {"A": "zhangwei@example.com", "B": "oyna@example.com", "D": "lina@example.com",
              "E": "chen@example.com"}


def open_case(ticket, **changes):
    base = dict(ticket_no=ticket, status="处理中", closed_at=None, resolved_at=None, csat=None, solution=None)
    base.update(changes)
    return good_record(**base)


def mail_workbook(folder, **settings):
    records = [
        open_case("A", received_at=datetime(2024, 5, 31, 9, 0), accepted_at=datetime(2024, 5, 31, 9, 10),
                  first_response_at=datetime(2024, 5, 31, 9, 40), solution="远程重置密码并更新客户端",
                  due_at=datetime(2024, 6, 1, 12, 0), email=RECIPIENTS["A"], customer_id="U1", type="故障",
                  description="客户反映“APP无法登录<script>alert('x')</script>”，经核实为系统版本过低。"),
        good_record(ticket_no="B", received_at=datetime(2024, 5, 30, 10, 0), accepted_at=datetime(2024, 5, 30, 10, 5),
                    first_response_at=datetime(2024, 5, 30, 10, 30), resolved_at=datetime(2024, 5, 31, 14, 0),
                    closed_at=datetime(2024, 5, 31, 15, 0), csat=None, email=RECIPIENTS["B"], customer_id="U2",
                    customer_name="欧阳娜", type="咨询", priority="一般"),
        good_record(ticket_no="C", received_at=datetime(2024, 4, 1, 9, 0), accepted_at=datetime(2024, 4, 1, 9, 5),
                    first_response_at=datetime(2024, 4, 1, 9, 20), resolved_at=datetime(2024, 4, 1, 12, 0),
                    closed_at=datetime(2024, 4, 1, 13, 0), email="old@example.com"),
        open_case("D", received_at=datetime(2024, 5, 31, 16, 0), accepted_at=datetime(2024, 5, 31, 16, 5),
                  first_response_at=datetime(2024, 5, 31, 16, 30), email=RECIPIENTS["D"], type="投诉",
                  customer_name="李娜\r\nBcc: evil@example.com", escalation_flag="品牌风险", assignee="C001 王芳"),
        open_case("E", status="待确认", received_at=datetime(2024, 5, 31, 8, 0),
                  accepted_at=datetime(2024, 5, 31, 8, 10),
                  first_response_at=datetime(2024, 5, 31, 8, 30), resolved_at=datetime(2024, 5, 31, 17, 0),
                  solution="更换配件", email=RECIPIENTS["E"], customer_name="陈先生公司", type="售后",
                  priority="重要"),
        open_case("F", received_at=datetime(2024, 5, 31, 10, 0), accepted_at=datetime(2024, 5, 31, 10, 5),
                  first_response_at=datetime(2024, 5, 31, 10, 20), email="bad@@example.com", priority="一般",
                  type="咨询"),
    ]
    path = team_workbook(folder, records)
    write_rows(path, "customers", [
        {"customer_id": "U1", "name": "张伟", "contact": "张伟", "salutation": "先生"},
        {"customer_id": "U2", "name": "欧阳娜", "contact": "欧阳娜", "salutation": "女士"},
    ])
    write_rows(path, "roster", [
        {"agent_id": "C008", "name": "张敏", "group": "技术组", "senior": "是", "on_duty": "是",
         "email": "c008@service.example.com"},
        {"agent_id": "C001", "name": "王芳", "group": "客服组", "senior": "否", "on_duty": "是",
         "email": "c001@service.example.com"},
    ])
    write_rows(path, "progress", [
        {"ticket_no": "A", "at": datetime(2024, 5, 31, 15, 0), "note": "已同步技术部排查", "node_status": "延迟",
         "delay_reason": "等待客户提供日志", "new_due": datetime(2024, 6, 2, 12, 0), "author": "张敏"},
    ])
    values = {"发件人邮箱": SENDER, "主管邮箱": SUPERVISOR, "主管姓名": "何慧", **settings}
    wb = openpyxl.load_workbook(path)
    wb.save(path)
    for label, value in values.items():
        set_setting(path, label, value)
    return path
