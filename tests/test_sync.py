"""A database for company scale: `servicebook sync` copies every record, progress entry, care row,
status change and mail-log row into SQLite (the default, beside the workbook) or a real PostgreSQL
started by the tests — keyed by team and row, rerun-safe, deletions marked, one transaction (a
sync killed at any moment leaves the database as it was before, or as after)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from datetime import datetime

import openpyxl
import psycopg
import pytest

from servicebook.definition import definition
from servicebook.demo.build import DemoSize, generate, write_demo
from servicebook.domain.values import as_text
from tests.support import runs
from tests.support.postgres import PASSWORD, USER, postgres
from tests.support.workbooks import set_setting

NOW = "2026-12-01 02:00"
MOMENT = datetime(2026, 12, 1, 2, 0)
TABLES = ("records", "progress", "care", "status_history", "mail_log")


def _demo(folder, records=600, seed=2024, name="客服工作簿.xlsx"):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    write_demo(path, generate(MOMENT, DemoSize(records=records, customers=records // 4), seed=seed), definition())
    assert runs.run("run", path, NOW).returncode == 1   # the demo's typing mistakes: run says 1
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return _demo(tmp_path_factory.mktemp("demo"))


def _copy(source, folder):
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, folder / source.name)
    shutil.copytree(source.with_name(source.stem + ".servicebook"), folder / (source.stem + ".servicebook"))
    return folder / source.name


def _sync(path, *extra, env=None) -> dict:
    done = runs.run("sync", path, NOW, "--json", *extra, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _sqlite(path):
    return path.with_name(path.stem + ".servicebook") / "servicebook.sqlite"


def _snapshot(connect) -> dict:
    with connect() as db:
        return {table: sorted(db.execute(f"SELECT team, row_key, row_digest, deleted FROM {table}").fetchall())
                for table in TABLES}


def test_every_row_goes_in_once_and_a_rerun_changes_nothing(demo, tmp_path):
    path = _copy(demo, tmp_path)
    first = _sync(path)
    numbered = [r for r in runs.by_header(path, "服务记录") if as_text(r.get("记录编号"))]
    assert first["tables"]["records"] == {"inserted": len(numbered), "updated": 0, "deleted": 0, "unchanged": 0}
    assert first["tables"]["progress"]["inserted"] == len(runs.by_header(path, "进度跟踪"))
    assert first["tables"]["mail_log"]["inserted"] == len(runs.by_header(path, "邮件日志"))
    with sqlite3.connect(_sqlite(path)) as db:
        stored = {key: (status, received) for key, status, received in
                  db.execute("SELECT row_key, status, received_at FROM records WHERE team = '客户服务中心'")}
    sample = numbered[:50]
    for row in sample:
        status, received = stored[as_text(row["记录编号"])]
        assert status == as_text(row["处理状态"])
        if isinstance(row["提交时间"], datetime):
            assert datetime.fromisoformat(received) == row["提交时间"].replace(microsecond=0)
    again = _sync(path)
    assert all(c["inserted"] == c["updated"] == c["deleted"] == 0 for c in again["tables"].values())
    assert again["tables"]["records"]["unchanged"] == len(numbered)


def test_changes_deletions_and_new_rows_reach_the_database(demo, tmp_path):
    path = _copy(demo, tmp_path)
    _sync(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["服务记录"]
    header = {c.value: c.column for c in ws[1]}
    changed, removed = as_text(ws.cell(2, header["记录编号"]).value), as_text(ws.cell(3, header["记录编号"]).value)
    ws.cell(2, header["处理状态"]).value = "需跟进"
    ws.delete_rows(3)
    wb.save(path)
    done = _sync(path)
    assert done["tables"]["records"]["updated"] == 1 and done["tables"]["records"]["deleted"] == 1
    assert done["tables"]["records"]["inserted"] == 0
    with sqlite3.connect(_sqlite(path)) as db:
        found = db.execute("SELECT status, deleted FROM records WHERE row_key = ?", (changed,)).fetchone()
        assert found == ("需跟进", 0)
        deleted, at = db.execute("SELECT deleted, deleted_at FROM records WHERE row_key = ?", (removed,)).fetchone()
        assert deleted == 1 and at.startswith("2026-12-01 02:00")
        runs_logged = db.execute("SELECT inserted, updated, deleted FROM sync_runs ORDER BY id").fetchall()
    assert runs_logged[-1] == (0, 1, 1)


def _a_days_changes(path) -> None:
    """Many statuses changed, a few rows gone: a sync with a lot to write."""
    wb = openpyxl.load_workbook(path)
    ws = wb["服务记录"]
    status = next(c.column for c in ws[1] if c.value == "处理状态")
    for row in range(2, 1500):
        ws.cell(row, status).value = "处理中"
    ws.delete_rows(1600, 20)
    wb.save(path)


def test_a_sync_killed_at_any_moment_leaves_the_database_before_or_after(tmp_path_factory, tmp_path):
    source = _demo(tmp_path_factory.mktemp("big"), records=3000)
    path = _copy(source, tmp_path / "base")
    _sync(path)
    before = _snapshot(lambda: sqlite3.connect(_sqlite(path)))
    _a_days_changes(path)
    clean = _copy(path, tmp_path / "clean")
    start = time.monotonic()
    _sync(clean)
    seconds = time.monotonic() - start
    after = _snapshot(lambda: sqlite3.connect(_sqlite(clean)))
    assert after != before
    results = {}
    for fraction in (0.3, 0.5, 0.7, 0.8, 0.9, 0.95):
        case = _copy(path, tmp_path / f"kill-{fraction}")
        runs.kill_at(runs.command("sync", case, NOW), case, runs.after(fraction * seconds))
        state = _snapshot(lambda case=case: sqlite3.connect(_sqlite(case)))
        results[fraction] = "before" if state == before else "after" if state == after else "neither"
    assert "neither" not in results.values(), results
    assert "before" in results.values(), results   # some kills did come mid-sync


@pytest.fixture(scope="module")
def server():
    with postgres() as pg:
        yield pg


def test_two_teams_sync_into_postgresql_side_by_side(demo, server, tmp_path):
    east = _copy(demo, tmp_path / "east")
    south = _demo(tmp_path / "south", records=300, seed=7)
    set_setting(east, "团队名称", "华东")
    set_setting(south, "团队名称", "华南")
    env = {"SERVICEBOOK_DB_PASSWORD": PASSWORD}
    for path in (east, south):
        set_setting(path, "数据库地址", server.url)
        first = _sync(path, env=env)
        assert first["database"] == server.url.replace("postgresql://", "postgresql+psycopg://").replace(
            f"{USER}@", f"{USER}:***@")   # the password came from the environment, and is not shown
        assert PASSWORD not in json.dumps(first)
    assert _sync(east, env=env)["tables"]["records"]["inserted"] == 0
    with psycopg.connect(host="127.0.0.1", port=server.port, user=USER, password=PASSWORD, dbname="postgres") as db:
        counts = dict(db.execute("SELECT team, count(*) FROM records GROUP BY team").fetchall())
        clash = db.execute("SELECT count(*) FROM records a JOIN records b ON a.row_key = b.row_key "
                           "WHERE a.team = '华东' AND b.team = '华南'").fetchone()[0]
        received = db.execute("SELECT data_type FROM information_schema.columns "
                              "WHERE table_name = 'records' AND column_name = 'received_at'").fetchone()[0]
    assert counts == {"华东": sum(1 for r in runs.by_header(east, "服务记录") if as_text(r.get("记录编号"))),
                      "华南": sum(1 for r in runs.by_header(south, "服务记录") if as_text(r.get("记录编号")))}
    assert clash > 0   # the same numbers in both teams, kept apart by team
    assert received == "timestamp without time zone"


def test_the_nightly_run_syncs_last_when_the_settings_say_so(demo, server, tmp_path):
    path = _copy(demo, tmp_path)
    set_setting(path, "数据库同步", "是")
    set_setting(path, "数据库地址", server.url)
    done = runs.run("run", path, NOW, "--json", env={"SERVICEBOOK_DB_PASSWORD": PASSWORD})
    assert done.returncode == 1, done.stderr
    synced = json.loads(done.stdout)["sync"]
    assert synced["tables"]["records"]["unchanged"] + synced["tables"]["records"]["inserted"] == \
        sum(1 for r in runs.by_header(path, "服务记录") if as_text(r.get("记录编号")))
    wrong = runs.run("run", path, NOW, "--json", env={"SERVICEBOOK_DB_PASSWORD": "wrong"})
    assert wrong.returncode == 1
    assert "数据库同步失败（工作簿和邮件不受影响，下次运行再同步）" in wrong.stderr
    assert json.loads(wrong.stdout)["sync"] is None


def test_a_sync_to_postgresql_killed_at_any_moment_leaves_it_before_or_after(tmp_path_factory, tmp_path, server,
                                                                              monkeypatch):
    monkeypatch.setenv("SERVICEBOOK_DB_PASSWORD", PASSWORD)   # the killed processes inherit it
    env = {}
    source = _demo(tmp_path_factory.mktemp("pg-big"), records=3000)
    base = _copy(source, tmp_path / "base")
    changed = _copy(source, tmp_path / "changed")
    _a_days_changes(changed)

    def database(name: str) -> str:
        with psycopg.connect(host="127.0.0.1", port=server.port, user=USER, password=PASSWORD, dbname="postgres",
                             autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        url = server.url.rsplit("/", 1)[0] + f"/{name}"
        _sync(base, "--db", url, env=env)   # the database as last night's sync left it
        return url

    def snapshot(url: str) -> dict:
        name = url.rsplit("/", 1)[1]
        return _snapshot(lambda: psycopg.connect(host="127.0.0.1", port=server.port, user=USER, password=PASSWORD,
                                                 dbname=name))

    clean = database("clean")
    before = snapshot(clean)
    start = time.monotonic()
    _sync(changed, "--db", clean, env=env)
    seconds = time.monotonic() - start
    after = snapshot(clean)
    assert after != before
    results = {}
    for n, fraction in enumerate((0.3, 0.5, 0.7, 0.8, 0.9, 0.95)):
        url = database(f"kill{n}")
        case = _copy(changed, tmp_path / f"kill-{n}")
        runs.kill_at(runs.command("sync", case, NOW, "--db", url), case, runs.after(fraction * seconds))
        state = snapshot(url)
        results[fraction] = "before" if state == before else "after" if state == after else "neither"
    assert "neither" not in results.values(), results
    assert "before" in results.values(), results   # some kills did come mid-sync
