"""Every job writes the same workbook whichever writer takes its edits: the saved file (the
command line, the nightly run) or the workbook open in Excel (the ribbon, on the fake)."""

from __future__ import annotations

import shutil
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest

from servicebook.addin.buttons import LiveSession
from servicebook.addin.live import LiveBook, LiveWriter
from servicebook.definition import definition
from servicebook.demo.build import DemoSize, generate, write_demo
from servicebook.domain.report import month
from servicebook.jobs.assign import assignment_edits
from servicebook.jobs.care import care_edits
from servicebook.jobs.number import numbering_edits
from servicebook.jobs.pipeline import run_steps
from servicebook.jobs.report import report_edits
from servicebook.jobs.session import open_session
from servicebook.jobs.sla import sla_edits
from servicebook.jobs.validate import validation_edits
from tests.support.fake_xlwings import FakeBook

NOW = datetime(2024, 6, 3, 9, 0)


def _all_steps(session, edits):
    return run_steps(session, edits)


JOBS = {
    "validate": (validation_edits,),
    "number": (numbering_edits,),
    "assign": (assignment_edits,),
    "sla": (sla_edits,),
    "care": (care_edits,),
    "report": (report_edits, month("2024-05")),
    "run": (_all_steps,),
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "客服工作簿.xlsx"
    write_demo(path, generate(datetime(2024, 6, 3, 9), DemoSize(records=240, customers=60), seed=11), definition())
    return path


def _by_file(path: Path, job: tuple) -> None:
    with open_session(path, now=NOW) as session:
        session.apply(*job)


def _by_excel(path: Path, job: tuple) -> FakeBook:
    book = FakeBook.from_file(path)
    live = LiveBook(book)
    session = LiveSession(path, live.read(definition()), NOW, LiveWriter(live, definition()), live=live)
    session.apply(*job)
    return book


def _plain(value):
    if isinstance(value, datetime):
        return value.replace(microsecond=0)
    if isinstance(value, date):
        return datetime.combine(value, time())   # Excel holds no dates, only date-times
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, str) and value.startswith("'"):
        return value[1:]   # Excel's text prefix: what the file writer marks with quotePrefix
    return value


def _file_grid(ws) -> dict[tuple[int, int], object]:
    return {(c.row, c.column): _plain(c.value) for row in ws.iter_rows() for c in row
            if c.value is not None and c.value != ""}


def _file_rules(ws) -> list[str]:
    return sorted(f for cf in ws.conditional_formatting for rule in cf.rules for f in rule.formula or ())


@pytest.mark.parametrize("name", list(JOBS))
def test_the_file_and_excel_hold_the_same_after_each_job(tmp_path, demo, name):
    by_file, by_excel = tmp_path / "file" / demo.name, tmp_path / "excel" / demo.name
    for path in (by_file, by_excel):
        path.parent.mkdir()
        shutil.copy(demo, path)
    _by_file(by_file, JOBS[name])
    book = _by_excel(by_excel, JOBS[name])

    saved = openpyxl.load_workbook(by_file)
    assert [s.title for s in book.sheets.items] == saved.sheetnames
    changed = []
    before = openpyxl.load_workbook(demo)
    for sheet in book.sheets.items:
        ws = saved[sheet.title]
        live = {key: _plain(value) for key, value in sheet.grid.items()}
        assert live == _file_grid(ws), sheet.title
        assert sorted("=" + f if not f.startswith("=") else f for f in (r.formula for r in sheet.rules)) == \
            sorted("=" + f for f in _file_rules(ws)), sheet.title
        assert sheet.visible_ == (ws.sheet_state == "visible"), sheet.title
        if sheet.title not in before.sheetnames or _file_grid(before[sheet.title]) != live:
            changed.append(sheet.title)
    assert changed == EXPECTED_CHANGED[name]


# How many sheets each job changes on the demo: a job that wrote nothing would compare equal.
EXPECTED_CHANGED = {
    "validate": ["服务记录", "进度跟踪", "客户档案"],
    "number": ["服务记录", "编号记录"],
    "assign": ["服务记录"],
    "sla": ["服务记录", "状态历史"],
    "care": ["客户关怀", "编号记录"],
    "report": ["月报 2024-05"],
    "run": ["服务记录", "进度跟踪", "客户档案", "客户关怀", "状态历史", "编号记录"],
}
