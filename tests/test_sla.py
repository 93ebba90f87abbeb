"""SLA per record: states, deadlines, pauses, reopened cases, missing times, per-tier limits,
escalation; then the job on real files, its columns, history, and colours as LibreOffice shows them."""

from __future__ import annotations

import html.parser
from datetime import datetime, timedelta

import openpyxl
import pytest

from servicebook.definition import definition
from servicebook.domain.clock import CalendarClock
from servicebook.domain.settings import default_settings, read_vocabulary
from servicebook.domain.sla import compute_sla
from servicebook.domain.sla_settings import read_sla_settings
from servicebook.domain.status_history import PROGRESS, StatusEvent, timelines
from servicebook.domain.table import build_table
from servicebook.edits import is_ours
from tests.support import lo
from tests.support.workbooks import good_record, records_by_header, set_setting, sheet_rows, team_workbook, write_rows

NOW = datetime(2024, 5, 12, 10, 0)


def _table(records):
    sheet = definition().sheet("records")
    headers = [c.header for c in sheet.columns]
    rows = [[r.get(c.key) for c in sheet.columns] for r in records]
    return build_table(sheet, sheet.name, [headers, *rows])


def _sla(records, now=NOW, events=(), pause=False, extra_rows=(), clock=None):
    vocab, _ = read_vocabulary(definition(), None)
    settings = default_settings(definition().settings)
    settings.values["pause_awaiting"] = pause
    settings.tables["sla_limits"] += [dict(row, __row__=None) for row in extra_rows]
    sla_settings, problems = read_sla_settings(settings, definition().settings, vocab)
    assert not problems
    return compute_sla(_table(records), vocab, sla_settings, lambda _a, _b: clock or CalendarClock(), now,
                       timelines(events), {}).rows


def open_case(**changes):
    base = dict(ticket_no="T1", received_at=datetime(2024, 5, 10, 9, 0), priority="紧急", type="咨询", tier="普通",
                status="处理中", accepted_at=datetime(2024, 5, 10, 9, 30), first_response_at=None,
                resolved_at=None, closed_at=None)
    base.update(changes)
    return base


def test_states_of_a_closed_case_on_time_and_late():
    on_time, = _sla([good_record(ticket_no="T1")])
    assert {m: o.state for m, o in on_time.metrics.items()} == {"accept": "met", "first_response": "met",
                                                               "resolve": "met"}
    assert on_time.metrics["first_response"].deadline == datetime(2024, 5, 10, 11, 30)
    assert on_time.response_hours == 0.5 and on_time.handling_hours == pytest.approx(5.25)
    late, = _sla([good_record(ticket_no="T1", first_response_at=datetime(2024, 5, 10, 12, 0))])
    assert late.metrics["first_response"].state == "late"
    assert not late.reasons  # a closed case needs nobody


def test_running_at_risk_breached_by_the_clock():
    case = open_case(received_at=datetime(2024, 5, 12, 8, 0), accepted_at=datetime(2024, 5, 12, 8, 10))
    states = [_sla([case], now=datetime(2024, 5, 12, h, m))[0].metrics["first_response"].state
              for h, m in ((8, 30), (9, 40), (10, 1))]
    assert states == ["running", "at_risk", "breached"]   # 2 h limit, at risk in its last 25 %


def test_at_risk_by_hours_left():
    vocab, _ = read_vocabulary(definition(), None)
    settings = default_settings(definition().settings)
    settings.values.update(risk_rule="hours", risk_hours=1)
    sla_settings, _ = read_sla_settings(settings, definition().settings, vocab)
    case = open_case(priority="重要", received_at=datetime(2024, 5, 11, 11, 0), accepted_at=None, status="待受理")
    row, = compute_sla(_table([case]), vocab, sla_settings, lambda _a, _b: CalendarClock(), NOW, {}, {}).rows
    assert row.metrics["first_response"].warn_at == datetime(2024, 5, 12, 10, 0)
    assert row.metrics["first_response"].state == "at_risk"


def test_pause_and_resume_shift_the_resolution_deadline():
    case = open_case(status="已关闭", accepted_at=datetime(2024, 5, 10, 9, 0),
                     first_response_at=datetime(2024, 5, 10, 9, 30), resolved_at=datetime(2024, 5, 12, 2, 0),
                     closed_at=datetime(2024, 5, 12, 9, 0))
    events = [StatusEvent("T1", "待确认", datetime(2024, 5, 10, 15, 0), PROGRESS),
              StatusEvent("T1", "处理中", datetime(2024, 5, 11, 9, 0), PROGRESS)]
    paused, = _sla([case], events=events, pause=True)
    # 6 h counted before the pause, 18 h left after it: due 05-12 03:00; handled in 41 h less 18 h paused.
    assert paused.metrics["resolve"].deadline == datetime(2024, 5, 12, 3, 0)
    assert paused.metrics["resolve"].state == "met"
    assert paused.handling_hours == pytest.approx(23)
    not_paused, = _sla([case], events=events, pause=False)
    assert not_paused.metrics["resolve"].state == "late"


def test_a_case_waiting_for_the_customer_is_paused_now():
    case = open_case(status="待确认", accepted_at=datetime(2024, 5, 11, 9, 0))
    events = [StatusEvent("T1", "待确认", datetime(2024, 5, 11, 20, 0), PROGRESS)]
    row, = _sla([case], events=events, pause=True)
    assert row.metrics["resolve"].state == "paused"
    assert row.metrics["resolve"].deadline == NOW + timedelta(hours=13)   # 11 h used, 13 h left from now
    assert row.metrics["resolve"].hours == pytest.approx(11)


def test_a_reopened_case_runs_again_less_its_paused_time():
    case = open_case(status="需跟进", accepted_at=datetime(2024, 5, 10, 9, 0), resolved_at=datetime(2024, 5, 10, 15, 0),
                     first_response_at=datetime(2024, 5, 10, 9, 30))
    events = [StatusEvent("T1", "待确认", datetime(2024, 5, 10, 15, 0), PROGRESS),
              StatusEvent("T1", "需跟进", datetime(2024, 5, 11, 10, 0), PROGRESS)]
    row, = _sla([case], events=events, pause=True)
    assert row.metrics["resolve"].state == "breached"
    assert row.metrics["resolve"].deadline == datetime(2024, 5, 12, 4, 0)
    assert row.metrics["resolve"].hours == pytest.approx(30)
    assert ("breached", {"metric": "resolve"}) in row.reasons


def test_missing_times_are_not_judged():
    no_received, = _sla([open_case(received_at=None)])
    assert "accept" not in no_received.metrics and "first_response" not in no_received.metrics
    closed_without_times, = _sla([good_record(ticket_no="T1", first_response_at=None, resolved_at=None,
                                              closed_at=None)])
    assert "first_response" not in closed_without_times.metrics
    assert "resolve" not in closed_without_times.metrics
    accepted_without_time, = _sla([open_case(accepted_at=None)])
    assert "accept" not in accepted_without_time.metrics
    assert accepted_without_time.metrics["resolve"].deadline == datetime(2024, 5, 11, 9, 0)  # from 提交


def test_limits_per_tier_and_type_from_settings():
    vip_row = {"priority": "紧急", "type": None, "tier": "VIP", "accept": 0.5, "first_response": 1,
               "resolve": None, "resolve_complex": None, "update": None}
    vip, regular, fault = _sla([open_case(tier="VIP"), open_case(), open_case(type="故障", first_response_at=NOW)],
                               extra_rows=[vip_row])
    assert vip.metrics["first_response"].deadline == datetime(2024, 5, 10, 10, 0)
    assert vip.metrics["resolve"].deadline == datetime(2024, 5, 11, 9, 30)       # inherited: 24 h
    assert regular.metrics["first_response"].deadline == datetime(2024, 5, 10, 11, 0)
    assert fault.metrics["update"].deadline == NOW + timedelta(hours=4)           # 故障: every 4 h


def test_escalation_reasons():
    rows = _sla([
        open_case(ticket_no="A", first_response_at=datetime(2024, 5, 10, 10, 0)),        # open 48 h after acceptance
        open_case(ticket_no="B", received_at=datetime(2024, 5, 12, 9, 0), accepted_at=datetime(2024, 5, 12, 9, 5),
                  type="投诉", escalation_flag="品牌风险", first_response_at=datetime(2024, 5, 12, 9, 30)),
        open_case(ticket_no="C", received_at=datetime(2024, 5, 12, 9, 0), accepted_at=datetime(2024, 5, 12, 9, 5),
                  escalation_flag="客户要求升级", first_response_at=datetime(2024, 5, 12, 9, 30)),
    ])
    assert [code for code, _ in rows[0].reasons] == ["breached", "breached", "unresolved"]
    assert rows[1].reasons == [("brand_risk", {})]
    assert rows[2].reasons == [("customer_request", {})]


# ---------------------------------------------------------------- the job on files


def test_sla_writes_deadlines_states_and_hours(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record(ticket_no="CSF20240510000001"),
                                    good_record(ticket_no="CSF20240510000002", status="处理中", closed_at=None,
                                                resolved_at=None, csat=None, first_response_at=None)])
    result = cli("sla", path, "--now", "2024-05-12 10:00")
    assert result.code == 0, result.err
    done, open_ = records_by_header(path)
    assert done["首响时限"] == datetime(2024, 5, 10, 11, 30) and done["首响SLA"] == "达标"
    assert done["响应时长(小时)"] == 0.5 and done["处理时长(小时)"] == 5.25
    assert open_["首响SLA"] == "已超时" and open_["解决SLA"] == "已超时"
    assert "首次响应已超时" in open_["升级原因"] and done["升级原因"] is None
    assert "需要主管立即处理的记录（1 条）" in result.out and "CSF20240510000002" in result.out
    escalations = cli("sla", path, "--now", "2024-05-12 10:00", "--json").json()["escalations"]
    assert [e["ticket"] for e in escalations] == ["CSF20240510000002"]
    ws = openpyxl.load_workbook(path)["服务记录"]
    header = {c.value: c.column_letter for c in ws[1]}
    assert ws.column_dimensions[header["首响预警"]].hidden
    rules = [f for cf in ws.conditional_formatting for r in cf.rules for f in r.formula if is_ours(f, "sla")]
    assert any("NOW()>" in f and f'${header["首响时限"]}2' in f for f in rules)
    # Each state its own colour on the state column: 超时后完成 is not the red of 已超时.
    state_col, words = header["首响SLA"], ("超时后完成", "已超时", "即将超时", "达标", "已暂停")
    fills = {}
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            formula = rule.formula[0] if rule.formula else ""
            if is_ours(formula, "sla") and str(cf.sqref).startswith(f"{state_col}2"):
                word = next((w for w in words if f'"{w}"' in formula), None)
                if word and word not in fills:
                    fills[word] = rule.dxf.fill.fgColor.rgb[-6:] if rule.dxf.fill.fgColor.rgb else \
                        rule.dxf.fill.bgColor.rgb[-6:]
    assert sorted(fills) == sorted(words)
    assert len(set(fills.values())) == 5, fills


def test_the_status_history_records_each_change_once(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record(ticket_no="T1", status="处理中", closed_at=None, csat=None)])
    cli("sla", path, "--now", "2024-05-12 10:00")
    cli("sla", path, "--now", "2024-05-12 11:00")
    assert sheet_rows(path, "状态历史")[1:] == [["T1", "处理中", datetime(2024, 5, 12, 10, 0)]]
    wb = openpyxl.load_workbook(path)
    wb["服务记录"]["P2"] = "待确认"
    wb.save(path)
    cli("sla", path, "--now", "2024-05-12 12:00")
    assert sheet_rows(path, "状态历史")[2] == ["T1", "待确认", datetime(2024, 5, 12, 12, 0)]


def test_pause_uses_the_progress_logs_time(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record(ticket_no="T1", status="待确认", resolved_at=None, closed_at=None,
                                                csat=None, solution=None)])
    set_setting(path, "待确认时暂停计时", "是")
    write_rows(path, "progress", [{"ticket_no": "T1", "at": datetime(2024, 5, 10, 15, 0), "note": "方案已发客户",
                                   "node_status": "已完成", "status_change": "待确认"}])
    cli("sla", path, "--now", "2024-05-12 10:00")
    row, = records_by_header(path)
    assert row["解决SLA"] == "已暂停"
    assert row["解决时限"] == datetime(2024, 5, 12, 10, 0) + timedelta(hours=24 - 5.25)


def test_working_hours_clock_from_settings_and_the_uncovered_year_warning(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record(ticket_no="T1", received_at=datetime(2026, 12, 31, 17, 0),
                                                accepted_at=None, first_response_at=None, resolved_at=None,
                                                closed_at=None, csat=None, status="待受理")])
    set_setting(path, "计时方式", "工作时间")
    for _ in range(2):  # on every run
        result = cli("sla", path, "--now", "2026-12-31 17:30")
        assert "2027 年的法定节假日尚未收录" in result.out and "周一至周五" in result.out
    row, = records_by_header(path)
    assert row["首响时限"] == datetime(2027, 1, 1, 10, 0)
    assert cli("sla", path, "--now", "2026-12-31 17:30", "--json").json()["warnings"]


def test_bad_sla_settings_name_their_cell(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record()])
    wb = openpyxl.load_workbook(path)
    ws = wb["设置"]
    col = next(c.column for c in ws[3] if c.value == "首次响应时限")
    ws.cell(row=4, column=col, value="两小时")
    wb.save(path)
    result = cli("sla", path, "--now", "2024-05-12 10:00")
    assert result.code == 2
    letter = openpyxl.utils.get_column_letter(col)
    assert f"设置 第4行 {letter}列「首次响应时限」：「两小时」无法使用" in result.err


class _Cells(html.parser.HTMLParser):
    """The cells of each sheet in LibreOffice's HTML export: (text, background colour)."""

    def __init__(self):
        super().__init__()
        self.sheets, self.row, self.cell, self.title, self.in_title = [], None, None, "", False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.sheets.append((self.title, []))
        elif tag == "tr":
            self.row = []
            self.sheets[-1][1].append(self.row)
        elif tag == "td":
            self.cell = [("", attrs.get("bgcolor"))]
            for _ in range(int(attrs.get("colspan", 1))):
                self.row.append(self.cell)
        elif tag == "em":
            self.in_title = True

    def handle_endtag(self, tag):
        if tag == "em":
            self.in_title = False

    def handle_data(self, data):
        if self.in_title:
            self.title = data
        elif self.cell is not None:
            text, colour = self.cell[0]
            self.cell[0] = (text + data, colour)


def libreoffice_colours(path, outdir, sheet="服务记录"):
    lo.convert([path], "html", outdir)
    parser = _Cells()
    parser.feed((outdir / f"{path.stem}.html").read_text(encoding="utf-8", errors="replace"))
    rows = dict(parser.sheets)[sheet]
    cells = [[(c[0][0].strip(), c[0][1]) for c in row] for row in rows]
    header = [text.strip() for text, _ in cells[0]]
    return [{h: cell for h, cell in zip(header, row, strict=False)} for row in cells[1:]]


def test_colours_in_libreoffice_follow_the_clock_after_the_run(tmp_path, cli):
    """Written at T0 as 进行中; opened later, Excel/LibreOffice recolour by NOW() with no Python."""
    now = datetime.now().replace(microsecond=0)
    t0 = now - timedelta(hours=3)
    rows = [
        # urgent (2 h): due 1.5 h before now; running at T0, breached when opened
        good_record(ticket_no="R", received_at=t0 - timedelta(minutes=30), status="待受理",
                    accepted_at=None, first_response_at=None, resolved_at=None, closed_at=None, csat=None),
        # important (24 h), at risk in its last hour: running at T0, at risk when opened
        good_record(ticket_no="A", priority="重要", received_at=now - timedelta(hours=23, minutes=30),
                    accepted_at=now - timedelta(hours=23), status="处理中", first_response_at=None,
                    resolved_at=None, closed_at=None, csat=None),
        good_record(ticket_no="G", received_at=now - timedelta(hours=5), accepted_at=now - timedelta(hours=5),
                    first_response_at=now - timedelta(hours=4, minutes=30), resolved_at=now - timedelta(hours=3),
                    closed_at=now - timedelta(hours=2)),
    ]
    path = team_workbook(tmp_path, rows)
    set_setting(path, "预警方式", "剩余小时数")
    set_setting(path, "预警小时数", 1.0)
    cli("sla", path, "--now", t0.strftime("%Y-%m-%d %H:%M:%S"))
    stored = {r["记录编号"]: r for r in records_by_header(path)}
    assert stored["R"]["首响SLA"] == "进行中" and stored["A"]["首响SLA"] == "进行中"
    shown = {r["记录编号"][0]: r for r in libreoffice_colours(path, tmp_path / "html")}
    red, amber, green = "#FFC7CE", "#FFEB9C", "#C6EFCE"
    assert shown["R"]["首响SLA"] == ("进行中", red)
    assert shown["R"]["首响时限"][1] == red
    assert shown["A"]["首响SLA"] == ("进行中", amber)
    assert shown["G"]["首响SLA"] == ("达标", green)
    assert shown["G"]["升级原因"][1] is None


def test_each_rows_time_limits_are_those_its_own_priority_type_tier_and_complexity_give():
    """The limits are looked up once per distinct combination and given to the rows by index: the
    same, row for row, as a lookup for each row (junk and empty cells among them)."""
    import random

    import numpy as np

    from servicebook.domain.sla import METRICS, _limits, _Words
    from servicebook.domain.values import as_text

    vocab, _ = read_vocabulary(definition(), None)
    settings = default_settings(definition().settings)
    sla_settings, _ = read_sla_settings(settings, definition().settings, vocab)
    words, rng = _Words(vocab), random.Random(5)
    choices = {"priority": ["紧急", "重要", "一般", " 紧急", "不急", None, 1],
               "type": ["咨询", "投诉", "故障", "", None], "tier": ["VIP", "普通", None, "金牌"],
               "complexity": ["复杂", "简单", None, 2.0]}
    records = [{key: rng.choice(values) for key, values in choices.items()} for _ in range(300)]
    table = _table(records)
    got = _limits(table, sla_settings, words)
    for i, record in enumerate(records):
        found = sla_settings.limits.limits(as_text(record["priority"]), as_text(record["type"]),
                                           as_text(record["tier"]) or words.regular)
        resolve = found.resolve_complex if as_text(record["complexity"]) == words.complex else found.resolve
        expected = (found.accept, found.first_response, resolve, found.update)
        assert [None if np.isnan(got[m][i]) else got[m][i] for m in METRICS] == list(expected), record
    assert all(len(got[m]) == 300 for m in METRICS) and _limits(_table([]), sla_settings, words)["accept"].shape == (0,)


def test_a_priority_of_1_and_one_of_true_are_two_words_to_the_limits():
    """Looked up once per distinct combination: 1, 1.0 and True are one key to Python, but a team
    whose priorities are numbers gets 1's limits for 1 and 1.0 only."""
    from dataclasses import replace

    from servicebook.domain.sla import _limits, _Words
    from servicebook.domain.sla_settings import Limits

    class ByPriority:
        def limits(self, priority, type_, tier):
            return Limits(accept={"1": 1.0, "True": 9.0}.get(priority))

    vocab, _ = read_vocabulary(definition(), None)
    settings, _ = read_sla_settings(default_settings(definition().settings), definition().settings, vocab)
    table = _table([{"priority": value} for value in (1, True, 1.0, "1", True)])
    got = _limits(table, replace(settings, limits=ByPriority()), _Words(vocab))
    assert got["accept"].tolist() == [1.0, 9.0, 1.0, 1.0, 9.0]
