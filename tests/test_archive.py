"""An archive for closed years: `servicebook archive --before` moves closed records (with their
进度跟踪 and 状态历史 rows) into `<名称>-归档-<年>.xlsx`; nothing is lost (every cell of the moved
rows is in the archive, every row that stays is whole and in order, no gaps), no number is given
again, and the report and `history` read the archive: last year's figures and a customer's old
cases stay as they were."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import datetime

import openpyxl
import pytest

from servicebook.definition import definition
from servicebook.demo.build import DemoSize, generate, write_demo
from servicebook.domain.values import as_text
from tests.support import runs
from tests.support.workbooks import good_record, team_workbook

NOW = "2026-12-01 02:00"
LATER = "2026-12-01 03:00"
BEFORE = "2026-10-01"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "客服工作簿.xlsx"
    write_demo(path, generate(datetime(2026, 12, 1, 2), DemoSize(records=600, customers=150), seed=2024),
               definition())
    assert runs.run("run", path, NOW).returncode == 1   # the demo's typing mistakes: run says 1
    return path


@pytest.fixture
def book(demo, tmp_path):
    shutil.copy2(demo, tmp_path / demo.name)
    shutil.copytree(demo.with_name(demo.stem + ".servicebook"), tmp_path / (demo.stem + ".servicebook"))
    return tmp_path / demo.name


def _rows(path, title):
    """Each data row as (header -> shown text), in sheet order."""
    grid = runs.grid(path, title)
    header = [as_text(h) for h in grid[0]]
    return [{h: as_text(v) for h, v in zip(header, row, strict=False) if h} for row in grid[1:]
            if any(as_text(v) for v in row)]


def _archive(path, before=BEFORE):
    done = runs.run("archive", path, LATER, "--before", before, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _moves(record) -> bool:
    """Closed (已解决 is the typists' 已关闭) before the date."""
    return record["处理状态"] in ("已关闭", "已解决") and bool(record["关闭时间"]) and record["关闭时间"] < BEFORE


def _moved_tickets(records):
    return {r["记录编号"] for r in records if _moves(r)}


def test_nothing_is_lost_and_the_workbook_closes_up(book):
    records, progress, history = (_rows(book, t) for t in ("服务记录", "进度跟踪", "状态历史"))
    report = _archive(book)
    archive = book.with_name("客服工作簿-归档-2026.xlsx")
    moved = {r["记录编号"] for r in _rows(archive, "服务记录")}
    assert report["moved"]["records"] == len(_rows(archive, "服务记录")) > 100
    # Every cell of every moved row is in the archive, under its header.
    for title, before in (("服务记录", records), ("进度跟踪", progress), ("状态历史", history)):
        going = (r for r in before if (_moves(r) if title == "服务记录" else r["记录编号"] in moved))
        went = Counter(tuple(sorted((h, v) for h, v in r.items() if v)) for r in going)
        got = Counter(tuple(sorted((h, v) for h, v in r.items() if v)) for r in _rows(archive, title))
        key = {"服务记录": "records", "进度跟踪": "progress", "状态历史": "status_history"}[title]
        assert got == went and sum(went.values()) == report["moved"][key]
    # What stays is whole, in its order, with no gap.
    stay = [r for r in records if not _moves(r)]
    assert _rows(book, "服务记录") == stay
    grid = runs.grid(book, "服务记录")
    assert all(any(as_text(v) for v in row) for row in grid[1:len(stay) + 1])
    assert not any(as_text(v) for row in grid[len(stay) + 1:] for v in row)
    assert _rows(book, "进度跟踪") == [r for r in progress if r["记录编号"] not in moved]
    # The records moved are exactly the closed ones before the date (已解决 is the typists' 已关闭).
    assert moved == {n for n in _moved_tickets(records) if n}
    assert len(stay) + report["moved"]["records"] == len(records)


def test_the_report_over_the_archive_is_the_report_before_it(book):
    before = json.loads(runs.run("report", book, LATER, "--month", "2026-09", "--json").stdout)["current"]
    _archive(book)
    after = json.loads(runs.run("report", book, LATER, "--month", "2026-09", "--json").stdout)["current"]
    assert _rounded(after) == _rounded(before) and before["received"] > 100


def _rounded(value):
    """Figures as compared: means summed in another order differ in the 16th digit."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def test_history_finds_an_archived_case_and_numbers_are_never_given_again(book):
    records = _rows(book, "服务记录")
    _archive(book)
    archived = max(_moved_tickets(records))
    customer = next(r["客户编号"] for r in records if r["记录编号"] == archived)
    found = json.loads(runs.run("history", book, LATER, customer, "--json").stdout)["found"]
    mine = {r["ticket"]: r for r in found["records"]}
    assert mine[archived]["archived"] is True and mine[archived]["row"] is None
    # The memory beside the workbook lost: the workbook's own 编号记录 still knows the numbers.
    (book.with_name(book.stem + ".servicebook") / "state.sqlite").unlink()
    day = datetime.strptime(archived[3:11], "%Y%m%d").replace(hour=9)
    wb = openpyxl.load_workbook(book)
    ws = wb["服务记录"]
    header = {c.value: c.column for c in ws[1]}
    row = len(_rows(book, "服务记录")) + 2
    for key, value in good_record(received_at=day, status="待受理", closed_at=None, resolved_at=None).items():
        title = definition().sheet("records").column(key).header
        if title in header:
            ws.cell(row, header[title]).value = value
    wb.save(book)
    done = json.loads(runs.run("number", book, LATER, "--json").stdout)
    given = [n["ticket_no"] for n in done["numbered"]]
    same_day = [n for n in given if n[3:11] == archived[3:11]]
    assert same_day and all(int(n[11:]) > int(archived[11:]) for n in same_day)
    assert not set(given) & {r["记录编号"] for r in records}


def test_a_second_archive_adds_to_the_years_archive_and_moves_nothing_twice(book):
    first = _archive(book, "2026-09-01")
    second = _archive(book)
    archive = book.with_name("客服工作簿-归档-2026.xlsx")
    numbers = [r["记录编号"] for r in _rows(archive, "服务记录")]
    assert len(numbers) == first["moved"]["records"] + second["moved"]["records"]
    assert first["moved"]["records"] > 0 and second["moved"]["records"] > 0
    assert _archive(book)["moved"] == {}


def test_a_formula_in_the_records_stops_the_archive_and_changes_nothing(tmp_path):
    path = team_workbook(tmp_path, [good_record(ticket_no="CSF20240510000001"),
                                    good_record(ticket_no="CSF20240510000002")])
    wb = openpyxl.load_workbook(path)
    wb["服务记录"]["W3"] = "=W2+1"
    wb.save(path)
    before = path.read_bytes()
    done = runs.run("archive", path, LATER, "--before", "2025-01-01")
    assert done.returncode == 2
    assert "「服务记录」的 W3 是公式" in done.stderr
    assert path.read_bytes() == before and not path.with_name("客服工作簿-归档-2024.xlsx").exists()


def test_both_workbooks_stay_ones_excel_and_libreoffice_open(book, tmp_path):
    import zipfile

    from tests.support import lo
    from tests.support.ooxml import excel_rule_errors, schema_errors

    _archive(book)
    archive = book.with_name("客服工作簿-归档-2026.xlsx")
    for path in (book, archive):
        with zipfile.ZipFile(path) as package:
            errors = [e for name in package.namelist() if name.endswith(".xml")
                      for e in schema_errors(name, package.read(name))]
        assert errors == [] and excel_rule_errors(path) == [], path.name
    sheets = lo.sheets_as_csv(archive, tmp_path / "lo")
    assert len([r for r in sheets["服务记录"][1:] if any(r)]) == len(_rows(archive, "服务记录"))
