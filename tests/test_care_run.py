"""The care plan, care emails, and the scheduled nightly run: a month of runs with the clock
injected, one run at a time, waiting for Excel, logging, and the scheduler's entries."""

from __future__ import annotations

import email
import email.policy
import os
import re
import shlex
import stat
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from filelock import FileLock

from servicebook.domain.care import parse_festival_date
from servicebook.sidecar import Sidecar
from tests.support.workbooks import good_record, records_by_header, set_setting, team_workbook, write_rows

D = datetime


def customers(**changes):
    base = [
        {"customer_id": "N1", "name": "张伟", "contact": "张伟", "salutation": "先生", "tier": "普通",
         "phone": "13812345678", "email": "zhangwei@example.com", "contact_pref": "邮件",
         "first_purchase": D(2024, 9, 5)},
        {"customer_id": "L1", "name": "杭州云帆科技有限公司", "contact": "欧阳娜", "salutation": "女士", "tier": "VIP",
         "phone": "13900001111", "email": "oyna@example.com", "contact_pref": "邮件",
         "first_purchase": D(2023, 1, 10), "birthday": D(1990, 9, 20)},
        {"customer_id": "P1", "name": "李娜", "contact": "李娜", "salutation": "女士", "tier": "普通",
         "phone": "13700002222", "email": "lina@example.com", "contact_pref": "电话",
         "first_purchase": D(2024, 6, 1)},
    ]
    return base


def care_workbook(tmp_path, records=(), **settings):
    path = team_workbook(tmp_path, list(records))
    write_rows(path, "customers", customers())
    for label, value in settings.items():
        set_setting(path, label, value)
    return path


def care_rows(path):
    return records_by_header(path, "客户关怀")


def planned(path):
    return {(r["客户编号"], r["计划来源"]) for r in care_rows(path) if r["计划来源"]}


# ---------------------------------------------------------------- the plan


def test_the_plan_follows_the_documents_rules(tmp_path, cli):
    path = care_workbook(tmp_path)
    result = cli("care", path, "--now", "2024-09-05 02:00")
    assert result.code == 0, result.err
    assert planned(path) == {
        ("N1", "首次回访"), ("N1", "二次跟进"),                       # bought 09-05
        ("N1", "中秋2024"), ("L1", "中秋2024"), ("P1", "中秋2024"),   # 中秋 2024-09-17, all customers
        ("L1", "季度回访2024Q3"),                                     # a customer since 2023
        ("L1", "生日2024"),                                           # 09-20, within 30 days
    }
    rows = {(r["客户编号"], r["计划来源"]): r for r in care_rows(path)}
    first = rows[("N1", "首次回访")]
    assert (first["关怀日期"], first["预计完成"]) == (D(2024, 9, 6), D(2024, 9, 8))
    assert (first["关怀事由"], first["方式"], first["状态"]) == ("首次回访", "邮件", "待处理")
    assert first["联系方式"] == "138****5678" and first["关怀编号"].startswith("GH202409")
    festival = rows[("P1", "中秋2024")]
    assert (festival["关怀日期"], festival["预计完成"], festival["方式"]) == (D(2024, 9, 12), D(2024, 9, 14), "电话")
    assert rows[("L1", "季度回访2024Q3")]["预计完成"] == D(2024, 9, 30)
    numbers = [r["关怀编号"] for r in care_rows(path)]
    assert len(set(numbers)) == len(numbers) == 7
    assert "新增关怀计划 7 条" in result.out


def test_the_plan_never_repeats_and_respects_care_logged_by_hand(tmp_path, cli):
    path = care_workbook(tmp_path)
    write_rows(path, "care", [{"customer_id": "N1", "care_date": D(2024, 9, 5), "reason": "首次回访",
                               "method": "电话", "status": "已解决", "done": D(2024, 9, 5)}])
    for _ in range(3):
        cli("care", path, "--now", "2024-09-05 02:00")
    keys = [(r["客户编号"], r["计划来源"]) for r in care_rows(path) if r["计划来源"]]
    assert len(keys) == len(set(keys))
    assert ("N1", "首次回访") not in keys and ("N1", "二次跟进") in keys


def test_vip_only_festival_care_and_lunar_dates_in_years_the_holiday_library_lacks(tmp_path, cli):
    path = care_workbook(tmp_path, 节日关怀对象="仅VIP客户")
    wb = openpyxl.load_workbook(path)
    ws = wb["设置"]
    column = next(c.column for c in ws[3] if c.value == "节日")
    ws.cell(row=6, column=column, value="端午")
    ws.cell(row=6, column=column + 1, value="农历五月初五")
    ws.cell(row=6, column=column + 2, value=5)
    ws.cell(row=6, column=column + 3, value=3)
    wb.save(path)
    cli("care", path, "--now", "2027-01-10 02:00")
    rows = {(r["客户编号"], r["计划来源"]): r for r in care_rows(path)}
    assert ("L1", "春节2027") in rows and ("N1", "春节2027") not in rows          # VIP only
    assert rows[("L1", "春节2027")]["关怀日期"] == D(2027, 2, 1)                  # 春节 2027-02-06
    cli("care", path, "--now", "2027-05-20 02:00")
    assert {(r["客户编号"], r["计划来源"]): r for r in care_rows(path)}[("L1", "端午2027")]["关怀日期"] == D(2027, 6, 4)


@pytest.mark.parametrize(("text", "parsed"), [("农历1-1", (True, 1, 1)), ("农历正月初一", (True, 1, 1)),
                                               ("农历八月十五", (True, 8, 15)), ("农历腊月廿三", (True, 12, 23)),
                                               ("10-1", (False, 10, 1)), ("10月1日", (False, 10, 1))])
def test_festival_dates_as_teams_write_them(text, parsed):
    assert parse_festival_date(text) == parsed


def test_a_bad_festival_date_names_its_cell(tmp_path, cli):
    path = care_workbook(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["设置"]
    column = next(c.column for c in ws[3] if c.value == "日期")
    ws.cell(row=4, column=column, value="正月")
    wb.save(path)
    result = cli("care", path, "--now", "2024-09-05 02:00")
    assert result.code == 2 and "「正月」不是可用的节日日期" in result.err


def test_care_emails_go_through_templates_and_the_ledger_once(tmp_path, cli):
    path = care_workbook(tmp_path)
    cli("run", path, "--now", "2024-09-06 02:00")
    outbox = Sidecar(path).folder / "outbox"
    messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in outbox.glob("*.eml")]
    care = {m["To"].addresses[0].addr_spec: m for m in messages if "感谢" in m["Subject"] or "季度" in m["Subject"]}
    assert set(care) == {"zhangwei@example.com", "oyna@example.com"}   # P1 prefers the phone
    text = care["zhangwei@example.com"].get_body(("plain",)).get_content()
    assert text.startswith("张先生，您好") and "感谢您选择我们" in care["zhangwei@example.com"]["Subject"]
    assert care["oyna@example.com"].get_body(("plain",)).get_content().startswith("欧阳女士，您好")
    rows = {(r["客户编号"], r["计划来源"]): r for r in care_rows(path)}
    assert rows[("N1", "首次回访")]["状态"] == "处理中" and "已生成关怀邮件" in rows[("N1", "首次回访")]["沟通摘要"]
    assert rows[("P1", "中秋2024")]["状态"] == "待处理"
    count = len(list(outbox.glob("*.eml")))
    cli("run", path, "--now", "2024-09-06 03:00")
    assert len(list(outbox.glob("*.eml"))) == count


# ---------------------------------------------------------------- a month of nightly runs


def day_records(day: date, count: int) -> list[dict]:
    """What agents typed during a day: cases received and closed that day."""
    found = []
    for n in range(count):
        received = D(day.year, day.month, day.day, 9 + 3 * n)
        found.append(good_record(received_at=received, accepted_at=received + timedelta(minutes=10),
                                 first_response_at=received + timedelta(minutes=40),
                                 resolved_at=received + timedelta(hours=2), closed_at=received + timedelta(hours=3),
                                 csat=5 if n % 2 else None, customer_id="N1" if n % 2 else "P1",
                                 email="zhangwei@example.com" if n % 2 else "lina@example.com", type="咨询",
                                 priority="一般"))
    return found


def append_rows(path, rows):
    wb = openpyxl.load_workbook(path)
    ws = wb["服务记录"]
    header = {c.value: c.column for c in ws[1]}
    from servicebook.definition import definition

    columns = {c.key: header[c.header] for c in definition().sheet("records").columns if c.header in header}
    last = max((r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=columns["received_at"]).value),
               default=1)
    for offset, row in enumerate(rows, start=1):
        for key, value in row.items():
            if key in columns and value is not None:
                ws.cell(row=last + offset, column=columns[key], value=value)
    wb.save(path)


def test_a_month_of_nightly_runs(tmp_path, cli):
    path = care_workbook(tmp_path)
    write_rows(path, "roster", [{"agent_id": "C008", "name": "张敏", "group": "客服组", "senior": "是",
                                 "on_duty": "是", "email": "c008@example.com"}])
    day = date(2024, 9, 1)
    september = 0
    while day <= date(2024, 10, 2):
        if day.month == 9 and day.day > 1:
            rows = day_records(day - timedelta(days=1), 2)   # yesterday's cases, typed in before tonight's run
            september += len(rows)
            append_rows(path, rows)
        result = cli("run", path, "--now", f"{day:%Y-%m-%d} 02:00", "--wait", "0")
        assert result.code == 0, (day, result.err)
        day += timedelta(days=1)
    assert planned(path) >= {("N1", "首次回访"), ("N1", "二次跟进"), ("L1", "生日2024"), ("L1", "季度回访2024Q3"),
                             ("L1", "季度回访2024Q4"), ("N1", "中秋2024"), ("L1", "中秋2024"), ("P1", "中秋2024")}
    keys = [(r["客户编号"], r["计划来源"]) for r in care_rows(path) if r["计划来源"]]
    assert len(keys) == len(set(keys))
    # Every email in the outbox once: one file per ledger entry, no Message-ID twice.
    outbox = list((Sidecar(path).folder / "outbox").glob("*.eml"))
    ids = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["Message-ID"] for p in outbox]
    assert len(ids) == len(set(ids)) == len(records_by_header(path, "邮件日志"))
    care_mail = [r for r in records_by_header(path, "邮件日志") if r["模板"] == "关怀"]
    assert {r["收件人"] for r in care_mail} == {"zhangwei@example.com", "oyna@example.com"}
    assert len({(r["收件人"], r["主题"]) for r in care_mail}) == len(care_mail)
    surveys = [r for r in records_by_header(path, "邮件日志") if r["模板"] == "满意度调查"]
    assert len(surveys) == september // 2            # the unrated half, each asked once
    wb = openpyxl.load_workbook(path)
    assert "月报 2024-09" in wb.sheetnames and "月报 2024-08" not in wb.sheetnames   # August: no records
    report = {row[0]: row[1] for row in wb["月报 2024-09"].iter_rows(values_only=True) if row[0]}
    assert report["受理量"] == september
    log = (Sidecar(path).folder / "logs" / "servicebook.log").read_text(encoding="utf-8")
    assert log.count("运行结束") == 32 and "【关怀】" in log


# ---------------------------------------------------------------- one at a time, and Excel


LOCKED = "无法运行：另一个 servicebook 命令正在处理 客服工作簿.xlsx（例如每晚的定时运行），本次不运行。请稍后再试。\n"
WRITERS = [["run"], ["mail"], ["care"], ["report"], ["validate"], ["number"], ["assign"], ["sla"], ["init"],
           ["history", "N1", "--sheet"]]


@pytest.mark.parametrize("command", WRITERS, ids=lambda c: c[0])
def test_every_writer_is_refused_while_another_holds_the_lock(tmp_path, cli, command):
    path = care_workbook(tmp_path)
    Sidecar(path).folder.mkdir(exist_ok=True)
    before = path.read_bytes()
    with FileLock(str(Sidecar(path).folder / "run.lock")):
        now = ["--now", "2024-09-05 02:00"] if command[0] not in ("init", "history") else []
        result = cli(command[0], path, *command[1:], *now)
    assert (result.code, result.err) == (2, LOCKED)
    assert path.read_bytes() == before
    assert not (Sidecar(path).folder / "state.sqlite").exists()


def test_readers_are_not_refused_while_a_writer_holds_the_lock(tmp_path, cli):
    path = care_workbook(tmp_path, [good_record(ticket_no="CSF20240901000001", customer_id="N1")])
    Sidecar(path).folder.mkdir(exist_ok=True)
    with FileLock(str(Sidecar(path).folder / "run.lock")):
        assert cli("check", path).code == 0
        assert cli("history", path, "N1").code == 0
        assert cli("mail", path, "--preview", "--now", "2024-09-05 02:00").code == 0


def test_two_real_runs_started_together_never_overlap(tmp_path):
    from servicebook.definition import definition
    from servicebook.demo.build import DemoSize, generate, write_demo

    path = tmp_path / "大工作簿.xlsx"
    write_demo(path, generate(D(2024, 9, 5, 2), DemoSize(records=4000, customers=600), seed=3), definition())
    command = [sys.executable, "-m", "servicebook", "run", str(path), "--now", "2024-09-05 02:00", "--wait", "0"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = Sidecar(path).folder / "logs" / "servicebook.log"
    deadline = time.monotonic() + 120
    # The first run logs its start only once it holds the lock; start the second then.
    while not (log.exists() and "开始运行" in log.read_text(encoding="utf-8")):
        assert first.poll() is None and time.monotonic() < deadline, "the first run never started"
        time.sleep(0.05)
    second = subprocess.run(command, capture_output=True, text=True, timeout=300)
    _out, err = first.communicate(timeout=600)
    assert first.returncode == 1, err   # the demo has typing mistakes
    assert second.returncode == 2 and "另一个 servicebook 命令正在处理 大工作簿.xlsx" in second.stderr


def owner_file(path):
    lock = path.with_name("~$" + path.name)
    lock.write_bytes(b"\x05Admin".ljust(165, b"\x00"))
    return lock


def test_a_run_while_excel_has_the_workbook_open_gives_up_after_waiting(tmp_path, cli):
    path = care_workbook(tmp_path)
    owner_file(path)
    before = path.read_bytes()
    started = time.monotonic()
    result = cli("run", path, "--now", "2024-09-05 02:00", "--wait", "0.02")
    assert result.code == 2 and "等待了 0.02 分钟，工作簿仍被占用" in result.err
    assert 1.0 <= time.monotonic() - started < 3.0       # the 1.2 s asked for, in half-second checks
    assert result.err.count("正在等待工作簿关闭") == 1      # said once: well within the 5-minute reminder
    assert path.read_bytes() == before
    log = (Sidecar(path).folder / "logs" / "servicebook.log").read_text(encoding="utf-8")
    assert "仍被占用" in log


def test_a_run_proceeds_once_excel_closes_the_workbook(tmp_path, cli):
    path = care_workbook(tmp_path)
    lock = owner_file(path)
    threading.Timer(1.5, lock.unlink).start()
    result = cli("run", path, "--now", "2024-09-05 02:00", "--wait", "1")
    assert result.code == 0, result.err
    assert planned(path)
    said = [line for line in result.err.splitlines() if "等待" in line or "已关闭" in line]
    assert said == [f"正在等待工作簿关闭（已等 0 分钟，最多再等 1 分钟）：{path.name} 正在 Excel 中打开"
                    f"（使用者：Admin）（发现锁文件 {lock.name}）。请先在 Excel 中保存并关闭；"
                    "如果 Excel 已经关闭，可删除该锁文件后重试。",
                    "工作簿已关闭，开始处理。"]
    logged = (Sidecar(path).folder / "logs" / "servicebook.log").read_text(encoding="utf-8")
    assert said[0] in logged and said[1] in logged


def test_log_times_are_in_the_team_zone(tmp_path, cli):
    path = care_workbook(tmp_path)
    set_setting(path, "时区", "America/New_York")
    assert cli("run", path, "--now", "2024-09-05 02:00").code == 0
    first = (Sidecar(path).folder / "logs" / "servicebook.log").read_text(encoding="utf-8").splitlines()[0]
    logged = datetime.strptime(first[:19], "%Y-%m-%d %H:%M:%S")
    there = datetime.now(ZoneInfo("America/New_York")).replace(tzinfo=None)
    assert abs((there - logged).total_seconds()) < 120, (first, there)


# ---------------------------------------------------------------- the scheduler


def test_schedule_prints_every_entry(tmp_path, cli):
    path = care_workbook(tmp_path)
    result = cli("schedule", path, "--time", "01:30")
    assert result.code == 0
    assert "schtasks /Create /F /SC DAILY /ST 01:30 /TN" in result.out
    assert f'/TR "\\"{sys.executable}\\" -m servicebook run \\"{path}\\""' in result.out
    assert f"30 1 * * * {shlex.quote(sys.executable)} -m servicebook run {shlex.quote(str(path))}" in result.out
    assert "OnCalendar=*-*-* 01:30:00" in result.out and "ExecStart=" in result.out
    assert cli("schedule", path, "--time", "25:00").code == 2


def test_schedule_install_writes_the_crontab_once(tmp_path, cli, monkeypatch):
    path = care_workbook(tmp_path)
    store = tmp_path / "crontab.txt"
    store.write_text("15 3 * * * backup.sh\n", encoding="utf-8")
    fake = tmp_path / "bin" / "crontab"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\nif [ "$1" = "-l" ]; then cat "{store}"; else cat > "{store}"; fi\n',
                    encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    for _ in range(2):
        assert cli("schedule", path, "--install").code == 0
    lines = store.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "15 3 * * * backup.sh"
    assert len([line for line in lines if "servicebook run" in line]) == 1


def test_the_cron_line_runs_as_cron_would_run_it(tmp_path, cli):
    path = care_workbook(tmp_path)
    out = cli("schedule", path).out
    line = next(line for line in out.splitlines() if " -m servicebook run " in line and "* * *" in line)
    command = line.strip().split(" ", 5)[5]             # what cron hands to /bin/sh
    done = subprocess.run(["/bin/sh", "-c", command], env={"PATH": "/usr/bin:/bin"}, timeout=600)
    assert done.returncode == 0
    cron_out = (Sidecar(path).folder / "logs" / "cron.out").read_text(encoding="utf-8")
    assert "【编号】" in cron_out and "【关怀】" in cron_out     # the run's summary, kept by the redirect
    assert "运行结束" in (Sidecar(path).folder / "logs" / "servicebook.log").read_text(encoding="utf-8")


def test_systemd_unit_names_are_ascii_and_differ_per_workbook(tmp_path, cli):
    first = care_workbook(tmp_path)
    other = tmp_path / "二组" / first.name
    other.parent.mkdir()
    other.write_bytes(first.read_bytes())
    names = [re.search(r"--- (\S+)\.service", cli("schedule", p).out).group(1) for p in (first, other)]
    assert names[0] != names[1] and all(re.fullmatch(r"servicebook-[A-Za-z0-9_-]+", n) for n in names)


def test_a_lunar_30th_in_a_year_whose_month_has_29_days_is_that_months_last_day(tmp_path, cli):
    """农历八月三十 exists in 2024 and not in 2026; 除夕 (腊月三十) falls on 腊月廿九 in most years:
    the care plan takes the month's last day instead of stopping the nightly run (and a festival on
    2-29, accepted when the settings are checked against 2024, is on 2-28 in a common year)."""
    from lunardate import LunarDate

    from servicebook.domain.care import Festival

    assert Festival("除夕", True, 12, 30, 5, 3).on(2026) == LunarDate(2026, 12, 29).to_solar_date()
    assert Festival("除夕", True, 12, 30, 5, 3).on(2029) == LunarDate(2029, 12, 30).to_solar_date()
    assert Festival("闰日", False, 2, 29, 5, 3).on(2026) == date(2026, 2, 28)   # as a birthday on 2-29
    assert Festival("闰日", False, 2, 29, 5, 3).on(2028) == date(2028, 2, 29)
    path = care_workbook(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["设置"]
    column = next(c.column for c in ws[3] if c.value == "日期")
    ws.cell(row=5, column=column, value="农历8-30")   # 中秋 moved to a 30th, for the test
    wb.save(path)
    result = cli("care", path, "--now", "2026-10-05 02:00")   # 农历八月廿九 2026 is 10-09
    assert result.code == 0, result.err
    festival = {(r["客户编号"], r["计划来源"], r["关怀日期"]) for r in care_rows(path)
                if "中秋" in (r["计划来源"] or "")}
    assert festival == {(c, "中秋2026", datetime(2026, 10, 4)) for c in ("N1", "L1", "P1")}   # as openpyxl reads a date
