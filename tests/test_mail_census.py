"""What the customers and the team receive, counted as a user would count it: the demo's first
nightly run, then a month of nightly runs while agents work the cases in the workbook between
them. Per record and run at most one customer email; no promise earlier than the moment it is
sent; no placeholder text; the supervisor one 升级汇总 per run, each agent at most one 时效提醒汇总."""

from __future__ import annotations

import email
import email.policy
import random
import re
import sqlite3
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from servicebook.definition import definition
from servicebook.demo.build import DemoSize, generate, write_demo
from servicebook.domain.mail_rules import CUSTOMER_TEMPLATES
from tests.support import runs

START = datetime(2026, 12, 1, 2, 0)
NIGHTS = 30
# A date and time a customer email promises: "在 … 前给您答复", "调整为 …", "仍为 …", "预计完成时间：…".
PROMISE = re.compile(r"(?:在 |调整为 |仍为 |预计完成时间：)(\d{4})年(\d{1,2})月(\d{1,2})日 (\d{1,2}):(\d{2})")
PLACEHOLDER = re.compile(r"\bNone\b|\bnan\b|\bNaT\b|\{\{|\}\}|\{%|（）")


def _settings_value(path: Path, label: str) -> str:
    for row in runs.grid(path, "设置"):
        if len(row) > 2 and str(row[1]).strip() == label:   # 分组 | 设置项 | 值
            return str(row[2]).strip()
    raise AssertionError(f"设置 has no {label}")


def _drafts(path: Path) -> list[dict]:
    """Every draft in the outbox with what the ledger says of it, in order."""
    side = path.with_name(path.stem + ".servicebook")
    with sqlite3.connect(side / "state.sqlite") as db:
        rows = db.execute("SELECT location, ticket, template, recipient, updated_at FROM mail "
                          "WHERE location != '' AND state = 'draft' ORDER BY location").fetchall()
    drafts = []
    for location, ticket, template, recipient, updated in rows:
        message = email.message_from_bytes((side / "outbox" / location).read_bytes(), policy=email.policy.default)
        drafts.append({"file": location, "ticket": ticket, "template": template, "recipient": recipient,
                       "at": updated, "text": message.get_body(("plain",)).get_content(), "unsent": message["X-Unsent"],
                       "headers": " ".join(f"{k}: {v}" for k, v in message.items())})
    return drafts


def _problems(drafts: list[dict], now: datetime, supervisor: str) -> list[str]:
    """Everything wrong with one run's drafts (empty: nothing)."""
    wrong = []
    customer = Counter(d["ticket"] for d in drafts if d["template"] in CUSTOMER_TEMPLATES and d["template"] != "care")
    wrong += [f"{ticket}: {n} customer emails in one run" for ticket, n in customer.items() if n > 1]
    digests = Counter((d["template"], d["recipient"]) for d in drafts if d["template"].endswith("_digest"))
    wrong += [f"{key}: {n} digests in one run" for key, n in digests.items() if n > 1]
    wrong += [f"{d['file']}: escalation digest to {d['recipient']}" for d in drafts
              if d["template"] == "escalation_digest" and d["recipient"] != supervisor]
    for d in drafts:
        for y, mo, day, h, mi in PROMISE.findall(d["text"]):
            if datetime(int(y), int(mo), int(day), int(h), int(mi)) < now:
                wrong.append(f"{d['file']}: promises {y}-{mo}-{day} {h}:{mi}, sent {now}")
        if found := PLACEHOLDER.search(d["text"]):
            wrong.append(f"{d['file']}: shows {found.group(0)!r}")
        if "servicebook" in (d["text"] + d["headers"]).lower() or d["unsent"] != "1":
            wrong.append(f"{d['file']}: names the tool, or is not a draft")
    return wrong


class Agents:
    """The team between two runs, typing into the saved workbook: new cases as customers call,
    accepting new cases, solving open ones, closing those the customer confirmed. Cases flagged
    for escalation stay open."""

    NEW_PER_DAY = 4
    COPIED = ("服务渠道", "客户编号", "客户名称", "电子邮箱", "客户等级", "服务类型", "优先级", "问题复杂度",
              "问题描述", "客户情绪")

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def work(self, path: Path, day: datetime) -> None:
        book = openpyxl.load_workbook(path)
        sheet = book["服务记录"]
        column = {cell.value: cell.column for cell in sheet[1] if cell.value}
        for row in range(2, sheet.max_row + 1):
            self.advance(lambda name, r=row: sheet.cell(r, column[name]), day)
        for _ in range(self.NEW_PER_DAY):
            self.new_case(sheet, column, day)
        book.save(path)

    def new_case(self, sheet, column: dict, day: datetime) -> None:
        """A customer of an earlier case comes back with a problem like one seen before."""
        like, row = self.rng.randint(2, sheet.max_row), sheet.max_row + 1
        for name in self.COPIED:
            sheet.cell(row, column[name]).value = sheet.cell(like, column[name]).value
        sheet.cell(row, column["联系电话"]).value = f"138{self.rng.randint(0, 99_999_999):08d}"
        sheet.cell(row, column["提交时间"]).value = day.replace(hour=self.rng.randint(8, 20),
                                                              minute=self.rng.randint(0, 59))
        sheet.cell(row, column["处理状态"]).value = "待受理"

    def advance(self, cell, day: datetime) -> None:
        status = cell("处理状态").value
        if cell("升级标记").value or not cell("记录编号").value or self.rng.random() < 0.5:
            return
        at = day.replace(hour=self.rng.randint(9, 17), minute=self.rng.choice((0, 15, 30, 45)))
        if status == "待受理":   # accepted today, answered on a later day: the notice has a promise to keep
            cell("处理状态").value, cell("受理时间").value = "处理中", at
            cell("预计完成时间").value = at + timedelta(days=3)
        elif status in ("处理中", "需跟进") and not cell("首次响应时间").value:
            cell("首次响应时间").value = at
        elif status in ("处理中", "需跟进"):
            cell("处理状态").value, cell("解决时间").value = "待确认", at
            cell("解决方案").value = cell("解决方案").value or "已远程协助客户完成设置"
        elif status == "待确认":
            cell("处理状态").value, cell("关闭时间").value = "已关闭", at


@pytest.fixture(scope="module")
def month(tmp_path_factory) -> tuple[Path, dict[int, list[dict]]]:
    """The demo after its first run and NIGHTS more, agents working each day: the drafts of each run."""
    path = tmp_path_factory.mktemp("census") / "客服工作簿.xlsx"
    write_demo(path, generate(START, DemoSize(records=600, customers=200, days=60), seed=11), definition())
    agents, seen, nights = Agents(seed=5), set(), {}
    for night in range(NIGHTS + 1):
        now = START + timedelta(days=night)
        if night:
            agents.work(path, now - timedelta(days=1))
        done = runs.run("run", path, now.strftime("%Y-%m-%d %H:%M"))
        assert done.returncode == 1 and "内部错误" not in done.stderr, done.stderr   # 1: the demo has typos
        drafts = _drafts(path)
        nights[night] = [d for d in drafts if d["file"] not in seen]
        seen |= {d["file"] for d in drafts}
    return path, nights


def test_the_first_night_sends_one_email_per_case_and_one_digest_per_person(month):
    path, nights = month
    first = nights[0]
    supervisor = _settings_value(path, "主管邮箱")
    assert _problems(first, START, supervisor) == []
    kinds = Counter(d["template"] for d in first)
    assert kinds["escalation_digest"] == 1
    assert kinds["acknowledgement"] + kinds["solution"] + kinds["confirmation"] + kinds["survey"] + \
        kinds["progress"] == len({d["ticket"] for d in first if d["template"] in CUSTOMER_TEMPLATES
                                  and d["template"] != "care"})
    assert "escalation" not in kinds and "sla_reminder" not in kinds      # the team gets digests


def test_a_month_of_nightly_runs_keeps_every_promise(month):
    path, nights = month
    supervisor = _settings_value(path, "主管邮箱")
    wrong = {night: found for night, drafts in nights.items()
             if (found := _problems(drafts, START + timedelta(days=night), supervisor))}
    assert wrong == {}
    # Each stage's email once in the whole month: the cases moved, and none was told twice.
    once = Counter((d["ticket"], d["template"]) for drafts in nights.values() for d in drafts
                   if d["template"] in ("acknowledgement", "confirmation", "survey"))
    assert [key for key, n in once.items() if n > 1] == []
    # New cases came every day, some of them escalations: the supervisor had one digest each night.
    escalations = {night: sum(d["template"] == "escalation_digest" for d in drafts) for night, drafts in nights.items()}
    assert escalations == dict.fromkeys(range(NIGHTS + 1), 1)
