"""Every job writes the same workbook whichever writer takes its edits: the saved file (the
command line, the nightly run), the workbook open in Excel (the ribbon, on the fake) and the
openpyxl reference all hold the same values, rules and visible sheets afterwards."""

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
from servicebook.xlsx.file_writer import FileWriter
from tests.support.fake_xlwings import FakeBook
from tests.support.reference_writer import ReferenceWriter

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


def _by_file(path: Path, job: tuple, writer: type = FileWriter) -> None:
    with open_session(path, now=NOW) as session:
        session.writer = writer(path, definition(), session.sidecar.backups, 2)
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
    paths = {kind: tmp_path / kind / demo.name for kind in ("reference", "file", "excel")}
    for path in paths.values():
        path.parent.mkdir()
        shutil.copy(demo, path)
    _by_file(paths["reference"], JOBS[name], ReferenceWriter)
    _by_file(paths["file"], JOBS[name])
    book = _by_excel(paths["excel"], JOBS[name])

    reference = _workbook_view(openpyxl.load_workbook(paths["reference"]))
    assert _workbook_view(openpyxl.load_workbook(paths["file"])) == reference
    assert _live_view(book) == reference
    before = {view[0]: view for view in _workbook_view(openpyxl.load_workbook(demo))}
    changed = [view[0] for view in reference if before.get(view[0]) != view]
    assert changed == EXPECTED_CHANGED[name]


def _workbook_view(wb) -> list[tuple]:
    """Per sheet, in order: its title, values, conditional-format formulas, whether it is shown."""
    return [(ws.title, _file_grid(ws), sorted(_file_rules(ws)), ws.sheet_state == "visible")
            for ws in wb.worksheets]


def _live_view(book: FakeBook) -> list[tuple]:
    return [(sheet.title, {key: _plain(value) for key, value in sheet.grid.items()},
             sorted(r.formula.removeprefix("=") for r in sheet.rules), sheet.visible_)
            for sheet in book.sheets.items]


# How many sheets each job changes on the demo: a job that wrote nothing would compare equal.
EXPECTED_CHANGED = {
    "validate": ["服务记录", "进度跟踪", "客户档案", "客户关怀"],   # 客户关怀: the care log's phones masked
    "number": ["服务记录", "编号记录"],
    "assign": ["服务记录"],
    "sla": ["服务记录", "状态历史"],
    "care": ["客户关怀", "编号记录"],
    "report": ["月报 2024-05"],
    "run": ["服务记录", "进度跟踪", "客户档案", "客户关怀", "状态历史", "编号记录"],
}
