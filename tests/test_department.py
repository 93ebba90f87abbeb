"""Beyond one workbook: the department report over three teams' workbooks (demos with different
seeds and settings, and record numbers that clash across teams) — every figure equals the sum, or
the weighted combination, of the teams' own reports, figure by figure, in the JSON and in the
saved sheet; and the quarterly 《客户关怀与售后分析报告》 against an independent computation."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest

from servicebook.definition import definition
from servicebook.demo.build import DemoSize, generate, write_demo
from servicebook.domain.values import as_text
from tests.support import runs
from tests.support.workbooks import set_setting

NOW = "2026-12-01 02:00"
MOMENT = datetime(2026, 12, 1, 2, 0)
TEAMS = {"华东": (11, "自然时间"), "华南": (12, "工作时间"), "华北": (13, "自然时间")}
MONTH = "2026-11"
# Averages and rates, each over its own base (how many records it counts).
WEIGHTED = ("avg_accept_hours", "first_response_overdue", "avg_handling_hours", "resolved_rate", "resolve_on_time",
            "first_contact_rate", "csat_avg", "csat_good", "csat_bad", "care_coverage", "care_on_time")
SUMMED = ("received", "csat_rated", "breaches", "follow_up")


@pytest.fixture(scope="module")
def teams(tmp_path_factory):
    folder = tmp_path_factory.mktemp("teams")
    paths = {}
    for name, (seed, clock) in TEAMS.items():
        path = folder / f"{name}.xlsx"
        write_demo(path, generate(MOMENT, DemoSize(records=500, customers=120), seed=seed), definition())
        set_setting(path, "团队名称", f"{name}客服组")
        set_setting(path, "计时方式", clock)
        assert runs.run("run", path, NOW).returncode == 1   # the demos carry typing mistakes: run says 1
        paths[name] = path
    return paths


def _report(*args) -> dict:
    done = runs.run("report", *args)
    assert done.returncode == 0, done.stderr
    import json
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def department(teams, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "客服中心汇总.xlsx"
    paths = list(teams.values())
    done = runs.run("report", paths[0], NOW, *map(str, paths[1:]), "--out", str(out), "--month", MONTH, "--json")
    assert done.returncode == 0, done.stderr
    import json
    own = {name: _report(path, NOW, "--month", MONTH, "--json")["current"] for name, path in teams.items()}
    return out, json.loads(done.stdout), own


def test_numbers_clash_across_the_teams(teams):
    numbers = Counter(as_text(r["记录编号"]) for path in teams.values() for r in runs.by_header(path, "服务记录"))
    assert sum(1 for n, count in numbers.items() if count > 1) > 100   # CSF+date+serial: every team starts at 000001


def test_every_department_figure_is_the_teams_figures_combined(department):
    _out, report, own = department
    together = report["current"]
    assert set(report["teams"]) == {f"{name}客服组" for name in TEAMS}
    for name, figures in report["teams"].items():   # the department's team column is the team's own report
        assert figures == own[name.removesuffix("客服组")], name
    for key in SUMMED:
        assert together[key] == sum(f[key] for f in own.values()), key
    for key in WEIGHTED:
        base = sum(f["bases"][key] for f in own.values())
        assert together["bases"][key] == base, key
        expected = sum(f[key] * f["bases"][key] for f in own.values() if f["bases"][key]) / base
        assert together[key] == pytest.approx(expected, rel=1e-12), key
    for key in ("by_type", "by_channel", "csat_counts"):
        combined = Counter()
        for figures in own.values():
            combined.update(figures[key])
        assert together[key] == {k: v for k, v in combined.items()}, key
    for priority, values in together["by_priority"].items():
        assert values["records"] == sum(f["by_priority"][priority]["records"] for f in own.values())


def test_the_saved_sheet_shows_each_team_beside_all_and_whose_records_are_listed(department):
    out, report, own = department
    grid = runs.grid(out, f"部门月报 {MONTH}")
    at = next(i for i, row in enumerate(grid) if as_text(row[0]).endswith("、各团队对比"))
    header = [as_text(v) for v in grid[at + 1]]
    assert header[:5] == ["指标", "全部", "华东客服组", "华南客服组", "华北客服组"]
    rows = {as_text(r[0]): r for r in grid[at + 2:at + 14]}
    assert rows["受理量"][1:5] == [report["current"]["received"], *(own[n]["received"] for n in TEAMS)]
    for label, key in (("解决率", "resolved_rate"), ("满意度均分（5 分制）", "csat_avg")):
        assert rows[label][1] == pytest.approx(report["current"][key])
        assert rows[label][2:5] == pytest.approx([own[n][key] for n in TEAMS])
    lists = [i for i, row in enumerate(grid) if "、超时记录" in as_text(row[0]) or "、专项改进" in as_text(row[0])]
    for start in lists:
        assert as_text(grid[start + 1][0]) == "团队" and as_text(grid[start + 1][1]) == "记录编号"
    breaches = grid[lists[0] + 2:lists[0] + 2 + report["current"]["breaches"]]
    by_number = Counter(as_text(r[1]) for r in breaches)
    clash = next(n for n, count in by_number.items() if count > 1 and
                 len({as_text(r[0]) for r in breaches if as_text(r[1]) == n}) > 1)
    assert clash   # the same number, told apart by its team
    notes = " ".join(as_text(r[0]) for r in grid)
    assert "华南客服组（时长按工作时间（工作日的工作时段）计算）" in notes and "华东客服组（时长按自然时间" in notes


def test_several_workbooks_need_an_out_file(teams):
    paths = list(teams.values())
    done = runs.run("report", paths[0], NOW, str(paths[1]))
    assert done.returncode == 2
    assert "给出多个工作簿时，请用 --out 指定汇总报表写到哪个文件" in done.stderr


# ------------------------------------------------------------------ the quarterly care report


def test_the_quarterly_care_report_agrees_with_an_independent_computation(tmp_path, cli):
    import pandas as pd

    from tests.test_report import key_figures
    from tests.test_report import section as _section

    assert cli("demo", "--dir", tmp_path, "--now", "2026-11-23 10:00", "--records", "1500").code == 0
    path = tmp_path / "客服工作簿-演示.xlsx"
    done = cli("report", path, "--quarter", "2026Q3", "--now", "2026-11-23 10:00")
    assert done.code == 0, done.err
    title = "季报 2026Q3"
    records = pd.read_excel(path, sheet_name="服务记录", engine="openpyxl")
    # Typed as 2026年8月12日 10时56分 by some agents: a time all the same.
    chinese = records["提交时间"].astype(str).str.replace(r"(\d+)年(\d+)月(\d+)日\s*(\d+)时(\d+)分",
                                                          r"\1-\2-\3 \4:\5", regex=True)
    received = pd.to_datetime(chinese, errors="coerce", format="mixed")
    quarter = records[(received >= "2026-07-01") & (received < "2026-10-01")]
    f = key_figures(path, title)
    assert f["受理量"][0] == len(quarter)
    judged = quarter["解决SLA"].isin(["达标", "超时后完成", "已超时"])
    assert f["问题解决及时率"][0] == pytest.approx((quarter["解决SLA"] == "达标").sum() / judged.sum())
    status = records["处理状态"].replace({"已解决": "已关闭"})
    closed_at = pd.to_datetime(records["关闭时间"], errors="coerce")

    def scores(start, end):
        closed = records[(closed_at >= start) & (closed_at < end) & (status == "已关闭")]
        values = pd.to_numeric(closed["满意度"], errors="coerce").dropna()
        return values[values.between(1, 5) & (values == values.round())]

    assert f["满意度均分（5 分制）"][0] == pytest.approx(scores("2026-07-01", "2026-10-01").mean())
    trend = _section(path, title, "月度趋势")
    months = [("2026-07", "2026-07-01", "2026-08-01"), ("2026-08", "2026-08-01", "2026-09-01"),
              ("2026-09", "2026-09-01", "2026-10-01")]
    assert [r["月份"] for r in trend] == [m for m, _, _ in months]
    for row, (_, start, end) in zip(trend, months, strict=True):
        assert row["受理量"] == ((received >= start) & (received < end)).sum()
        expected = scores(start, end)
        assert row["满意度均分"] == (pytest.approx(expected.mean()) if len(expected) else "—")
    care = pd.read_excel(path, sheet_name="客户关怀", engine="openpyxl")
    day = pd.to_datetime(care["关怀日期"], errors="coerce")
    in_quarter = care[(day >= "2026-07-01") & (day < "2026-10-01")]
    finished = pd.to_datetime(in_quarter["实际完成"], errors="coerce")
    by_reason = {r["关怀事由"]: (r["计划"], r["已完成"]) for r in _section(path, title, "关怀结果")}
    expected = {reason: (len(group), int(pd.to_datetime(group["实际完成"], errors="coerce").notna().sum()))
                for reason, group in in_quarter.groupby("关怀事由")}
    assert by_reason == expected and sum(p for p, _ in by_reason.values()) > 0
    planned, cared = set(in_quarter["客户编号"]), set(in_quarter.loc[finished.notna(), "客户编号"])
    assert f["客户关怀覆盖率"][0] == pytest.approx(len(cared & planned) / len(planned))
    follow_up = _section(path, title, "专项改进")
    assert len(follow_up) == (scores("2026-07-01", "2026-10-01") < 4).sum()
    assert "《客户关怀与售后分析报告》" in " ".join(str(v) for r in openpyxl_rows(path, title) for v in r if v)


def openpyxl_rows(path, title):
    import openpyxl
    return list(openpyxl.load_workbook(path)[title].iter_rows(values_only=True))


def test_the_first_run_of_a_quarter_builds_last_quarters_report_once(teams):
    import json

    import python_calamine
    path = teams["华东"]
    assert python_calamine.CalamineWorkbook.from_path(str(path)).sheet_names.count("季报 2026Q3") == 1
    again = runs.run("run", path, NOW, "--json")
    assert json.loads(again.stdout)["quarter_report"] is None   # built on the first run, not again
    assert python_calamine.CalamineWorkbook.from_path(str(path)).sheet_names.count("季报 2026Q3") == 1
