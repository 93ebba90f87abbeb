"""`servicebook demo`: a realistic workbook, every step run on it, and LibreOffice reads it all."""

from __future__ import annotations

from datetime import datetime

from tests.support import lo
from tests.support.compare import differences
from tests.support.workbooks import records_by_header

NOW = "2026-11-23 10:00"


def test_the_demo_builds_a_realistic_workbook_and_runs_every_step(tmp_path, cli):
    result = cli("demo", "--dir", tmp_path, "--now", NOW)
    assert result.code == 0, result.err
    path = tmp_path / "客服工作簿-演示.xlsx"
    assert str(path) in result.out and "【编号】" in result.out and "【校验】" in result.out
    records = records_by_header(path)
    assert 2900 <= len(records) <= 3000
    received = [r["提交时间"] for r in records if isinstance(r["提交时间"], datetime)]
    assert (max(received) - min(received)).days >= 90
    assert max(received) <= datetime(2026, 11, 23, 10, 0)
    assert len({r["处理状态"] for r in records}) >= 5
    assert len({r["服务类型"].strip() for r in records}) == 8  # the demo plants stray spaces too
    assert len({r["受理人"] for r in records}) >= 10
    verdicts = [r["校验结果"] for r in records]
    assert verdicts.count("通过") > 2500
    assert 30 <= sum(v.startswith("错误") for v in verdicts) <= 80
    assert all(r["记录编号"] for r in records if r["提交时间"] not in ("上周三下午",))
    numbers = [r["记录编号"] for r in records if r["记录编号"]]
    assert len(numbers) - len(set(numbers)) == 2  # the copied-over rows the demo plants
    # Every phone masked, but the ten-digit ones the demo plants: kept as typed (to be corrected), flagged.
    unmasked = [r for r in records if "****" not in str(r["联系电话"])]
    assert unmasked and all(len(str(r["联系电话"])) == 10 and "「联系电话」电话" in r["校验结果"] for r in unmasked)


def test_libreoffice_reads_every_cell_of_the_demo_as_stored(tmp_path, cli):
    cli("demo", "--dir", tmp_path, "--now", NOW, "--records", "300")
    path = tmp_path / "客服工作簿-演示.xlsx"
    assert differences(path, lo.sheets_as_csv(path, tmp_path / "csv")) == []


def test_running_the_demo_again_starts_clean(tmp_path, cli):
    for _ in range(2):
        assert cli("demo", "--dir", tmp_path, "--now", NOW, "--records", "200").code == 0
    backups = list((tmp_path / "客服工作簿-演示.servicebook" / "backups").iterdir())
    assert len(backups) == 1
