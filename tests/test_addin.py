"""The Excel add-in, tested at its boundary (no Excel runs here): the ribbon against Microsoft's
schema, the VBA callbacks against the ribbon and the Python they call, and every button through a
faithful fake of the xlwings objects — its results cell by cell, and its number of calls to
Excel at 100 and at 10,000 rows."""

from __future__ import annotations

import importlib
import re
import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
import xmlschema
from lxml import etree

from servicebook.addin import buttons
from servicebook.addin.install import config_lines, write_config
from servicebook.sidecar import Sidecar
from servicebook.xlsx.parts.ribbon import add_ribbon
from tests.support import lo
from tests.support.fake_xlwings import FakeBook
from tests.support.workbooks import good_record, records_by_header, set_setting, team_workbook

ROOT = Path(__file__).resolve().parents[1]
RIBBON = ROOT / "addin" / "customUI14.xml"
SCHEMAS = ROOT / "addin" / "schemas"
MACROS = ROOT / "macros"
NOW = "2024-06-03 09:00"


# ---------------------------------------------------------------- ribbon and VBA


def test_the_ribbon_is_valid_customui():
    schema = xmlschema.XMLSchema(str(SCHEMAS / "customUI14.xsd"))
    schema.validate(str(RIBBON))
    tree = etree.fromstring(RIBBON.read_bytes())
    labels = [b.get("label") for b in tree.iter("{http://schemas.microsoft.com/office/2009/07/customui}button")]
    for wanted in ("校验", "编号", "SLA 着色", "发送邮件", "预览邮件", "生成月报", "一键处理", "设置", "帮助",
                   "客户历史", "分配"):
        assert wanted in labels


def test_a_broken_ribbon_is_caught_by_the_schema(tmp_path):
    broken = tmp_path / "customUI14.xml"
    broken.write_text(RIBBON.read_text(encoding="utf-8").replace('size="large"', 'size="huge"', 1), encoding="utf-8")
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        xmlschema.XMLSchema(str(SCHEMAS / "customUI14.xsd")).validate(str(broken))


def _vba_subs() -> dict[str, str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in MACROS.glob("*.bas"))
    return {m.group(1): m.group(2) for m in re.finditer(r"Public Sub (\w+)\(([^)]*)\)", text)}


def test_every_ribbon_action_has_its_callback_with_excels_signature():
    ribbon = RIBBON.read_text(encoding="utf-8")
    subs = _vba_subs()
    actions = set(re.findall(r'onAction="(\w+)"', ribbon))
    assert actions and all(subs.get(a) == "control As IRibbonControl" for a in actions), (actions, subs)
    on_load = re.search(r'onLoad="(\w+)"', ribbon).group(1)
    assert subs[on_load] == "ribbon As IRibbonUI"


def test_every_python_target_the_macros_name_exists_and_can_be_called():
    text = "\n".join(p.read_text(encoding="utf-8") for p in MACROS.glob("*.bas"))
    targets = re.findall(r'RunPython "from ([\w.]+) import (\w+); \2\.(\w+)\(\)"', text)
    assert len(targets) == len(re.findall(r"^\s+RunPython ", text, re.M)) == len(buttons.ENTRY_POINTS)
    for package, module, function in targets:
        entry = getattr(importlib.import_module(f"{package}.{module}"), function)
        assert callable(entry) and entry is buttons.ENTRY_POINTS[function]


# ---------------------------------------------------------------- the buttons, on a fake Excel


def demo_book(tmp_path: Path, records: int) -> Path:
    from servicebook.definition import definition
    from servicebook.demo.build import DemoSize, generate, write_demo

    path = tmp_path / f"客服工作簿-{records}.xlsx"
    write_demo(path, generate(datetime(2024, 6, 3, 9), DemoSize(records=records, customers=max(40, records // 4)),
                              seed=5), definition())
    return path


@pytest.fixture
def frozen_now(monkeypatch):
    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2024, 6, 3, 9, 0, tzinfo=tz)

    monkeypatch.setattr(buttons, "datetime", Frozen)


def test_validate_writes_what_the_command_line_writes(tmp_path, cli, frozen_now):
    path = demo_book(tmp_path, 300)
    book = FakeBook.from_file(path)
    buttons.validate(book)
    assert book.app.alerts[-1]["mode"] == "info" and "校验了" in book.app.alerts[-1]["prompt"]
    assert cli("validate", path, "--now", NOW).code == 1   # the demo has typing mistakes
    assert book.column("服务记录", "校验结果") == [r["校验结果"] for r in records_by_header(path)]
    assert book.column("服务记录", "联系电话") == [r["联系电话"] for r in records_by_header(path)]
    assert sorted(r.formula for r in book.sheets["服务记录"].rules) == file_rules(path)
    buttons.validate(book)                       # a second press replaces its own rules, as a rerun does
    assert cli("validate", path, "--now", NOW).code == 1   # the demo has typing mistakes
    assert sorted(r.formula for r in book.sheets["服务记录"].rules) == file_rules(path)


def file_rules(path: Path) -> list[str]:
    ws = openpyxl.load_workbook(path)["服务记录"]
    return sorted(f for cf in ws.conditional_formatting for rule in cf.rules for f in rule.formula or ())


@pytest.mark.parametrize("press", ["validate", "number", "sla", "run_all"])
def test_calls_to_excel_do_not_grow_with_the_rows(tmp_path, press, frozen_now):
    counts = {}
    for records in (100, 10_000):
        book = FakeBook.from_file(demo_book(tmp_path, records))
        getattr(buttons, press)(book)
        assert book.app.alerts[-1]["mode"] == "info", book.app.alerts[-1]
        counts[records] = book.calls.total
    assert counts[10_000] <= counts[100] * 1.05 + 10, counts


def test_screen_updating_and_calculation_are_off_while_writing_and_restored(tmp_path, frozen_now):
    book = FakeBook.from_file(demo_book(tmp_path, 100))
    buttons.sla(book)
    assert book.app.state["screen_updating"] is True and book.app.state["calculation"] == "automatic"
    assert book.app.state["enable_events"] is True and book.app.state["status_bar"] is False
    assert any("正在SLA 着色" in str(s) for s in book.app.status_history)


def test_bad_settings_come_back_as_a_chinese_message_box(tmp_path, frozen_now):
    path = team_workbook(tmp_path, [good_record()])
    set_setting(path, "计时方式", "按心情")
    book = FakeBook.from_file(path)
    buttons.validate(book)                       # no exception reaches Excel
    alert = book.app.alerts[-1]
    assert alert["mode"] == "critical" and "设置" in alert["prompt"] and "按心情" in alert["prompt"]


def test_an_unexpected_error_is_a_message_and_a_log_not_a_traceback(tmp_path, frozen_now, monkeypatch):
    path = team_workbook(tmp_path, [good_record()])
    book = FakeBook.from_file(path)
    monkeypatch.setattr("servicebook.jobs.validate.validation_edits", lambda *a: 1 / 0)
    buttons.validate(book)
    assert book.app.alerts[-1]["mode"] == "critical" and "内部错误" in book.app.alerts[-1]["prompt"]
    assert "ZeroDivisionError" in (Sidecar(path).folder / "logs" / "addin.log").read_text(encoding="utf-8")


def test_send_asks_first_and_cancel_sends_nothing(tmp_path, frozen_now):
    path = team_workbook(tmp_path, [good_record(ticket_no="CSF20240510000001", email="zhang@example.com", csat=None,
                                                closed_at=datetime(2024, 6, 3, 6, 0),
                                                resolved_at=datetime(2024, 6, 3, 5, 0))])
    book = FakeBook.from_file(path, answer="cancel")
    buttons.mail_send(book)
    confirm = [a for a in book.app.alerts if a["buttons"] == "ok_cancel"]
    assert confirm and "确定发送" in confirm[0]["prompt"], book.app.alerts
    assert not list((Sidecar(path).folder / "outbox").glob("*.eml"))
    object.__setattr__(book.app, "answer", "ok")   # the user presses 确定 this time
    buttons.mail_send(book)
    assert len(list((Sidecar(path).folder / "outbox").glob("*.eml"))) == 1   # the survey of the one closed case
    assert "邮件日志" in [s.title for s in book.sheets.items]


def _new_case(tmp_path):
    """A record typed in Excel a moment ago and accepted: it has no number yet, and its 受理通知 is due."""
    return team_workbook(tmp_path, [good_record(ticket_no=None, email="zhang@example.com", status="处理中",
                                                received_at=datetime(2024, 6, 3, 8, 30),
                                                accepted_at=datetime(2024, 6, 3, 8, 40),
                                                first_response_at=datetime(2024, 6, 3, 8, 50),
                                                resolved_at=None, closed_at=None, csat=None)])


def test_send_saves_the_numbers_it_gives_before_any_email_goes_out(tmp_path, frozen_now):
    path = _new_case(tmp_path)
    book = FakeBook.from_file(path)
    buttons.mail_send(book)
    saved = records_by_header(path)[0]["记录编号"]
    assert saved == "CSF20240603000001"                    # in the file on disk, not only in Excel
    emails = sorted(p.name for p in (Sidecar(path).folder / "outbox").glob("*.eml"))
    assert emails == [f"0001-受理通知-{saved}.eml"]
    assert book.calls["Book.save"] == 1


def test_send_with_a_workbook_excel_cannot_save_sends_nothing(tmp_path, frozen_now):
    path = _new_case(tmp_path)
    book = FakeBook.from_file(path)
    book.save_error = PermissionError("文件为只读")
    buttons.mail_send(book)
    alert = book.app.alerts[-1]
    assert alert["mode"] == "info" and alert["prompt"].startswith("工作簿未能保存（PermissionError: 文件为只读）")
    assert not list((Sidecar(path).folder / "outbox").glob("*.eml"))
    assert records_by_header(path)[0]["记录编号"] is None   # the file still holds no number, and no email names one


def test_report_and_history_buttons(tmp_path, frozen_now):
    book = FakeBook.from_file(demo_book(tmp_path, 300))
    buttons.report(book)
    assert "月报 2024-05" in [s.title for s in book.sheets.items]
    report = next(s for s in book.sheets.items if s.title == "月报 2024-05")
    assert "受理量" in report.grid.values()
    book.selected_row = 5
    buttons.history(book)
    assert book.app.alerts[-1]["mode"] == "info" and "客户" in book.app.alerts[-1]["prompt"]
    history = next(s for s in book.sheets.items if s.title == "客户历史")
    customer = book.column("服务记录", "客户编号")[5 - 2]
    assert f"（{customer}）" in history.grid[(1, 1)] and book.active == "客户历史"


# ---------------------------------------------------------------- build, install, self-test


def test_without_excel_build_and_selftest_say_so(cli):
    for command in (["addin", "build"], ["selftest"]):
        result = cli(*command)
        assert result.code == 2 and "没有可用的 Excel" in result.err


def test_install_writes_the_config_runpython_reads(tmp_path):
    lines = config_lines("win32", interpreter=r"C:\sb\.venv\Scripts\pythonw.exe", pythonpath=r"C:\sb",
                         conda=None)
    assert lines == ['"INTERPRETER_WIN","C:\\sb\\.venv\\Scripts\\pythonw.exe"', '"PYTHONPATH","C:\\sb"']
    conda = config_lines("win32", interpreter=None, pythonpath="", conda=(r"C:\Miniconda3", "sb"))
    assert '"CONDA PATH","C:\\Miniconda3"' in conda and '"CONDA ENV","sb"' in conda
    assert not any("INTERPRETER" in line for line in conda)     # conda: leave the interpreter empty
    target = write_config(tmp_path, "darwin", interpreter="/Users/li/sb/.venv/bin/python", pythonpath="", conda=None)
    assert target.name == "servicebook.conf"
    assert target.read_text(encoding="utf-8").splitlines() == ['"INTERPRETER_MAC","/Users/li/sb/.venv/bin/python"']


def test_the_ribbon_part_is_added_to_a_macro_workbook(tmp_path):
    import xlsxwriter

    path = tmp_path / "servicebook.xlsm"
    workbook = xlsxwriter.Workbook(str(path))
    workbook.add_worksheet("说明").write("A1", "客服助手")
    vba = tmp_path / "vbaProject.bin"
    vba.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    workbook.add_vba_project(str(vba))
    workbook.close()
    before = {n: zipfile.ZipFile(path).read(n) for n in zipfile.ZipFile(path).namelist()}
    add_ribbon(path, RIBBON)
    with zipfile.ZipFile(path) as archive:
        assert archive.read("customUI/customUI14.xml") == RIBBON.read_bytes()
        rels = archive.read("_rels/.rels").decode()
        assert 'Type="http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"' in rels
        assert 'Target="customUI/customUI14.xml"' in rels
        assert archive.read("xl/vbaProject.bin") == before["xl/vbaProject.bin"]
    add_ribbon(path, RIBBON)                                      # again: replaced, not doubled
    assert zipfile.ZipFile(path).read("_rels/.rels").decode().count("ui/extensibility") == 1
    copy = tmp_path / "copy.xlsm"
    shutil.copy(path, copy)
    assert lo.sheets_as_csv(copy, tmp_path / "csv")["说明"][0][0] == "客服助手"


def test_the_self_tests_checks_pass_on_the_fake(tmp_path, frozen_now):
    from servicebook.addin.selftest import run_checks

    results = run_checks(FakeBook.from_file(demo_book(tmp_path, 300)))
    assert [name for name, ok, _ in results if not ok] == [], results
    assert [name for name, _, _ in results] == ["number", "validate", "sla", "care", "report", "mail_preview"]


def test_the_fake_offers_only_what_xlwings_has():
    """A call the adapter makes must exist in xlwings, or the fake would hide the mistake."""
    import xlwings.main as xm

    from tests.support import fake_xlwings as fx

    test_only = {"calls", "column", "from_file", "active", "selected_row", "selected_sheet", "save_error", "title",
                 "grid", "formats", "styles", "widths", "rules", "merged", "visible_", "items", "sheet", "ref", "rng",
                 "hit", "total"}
    pairs = [(fx.FakeRange, xm.Range), (fx.FakeSheet, xm.Sheet), (fx.FakeBook, xm.Book), (fx.FakeSheets, xm.Sheets),
             (fx.FakeRules, xm.ConditionalFormats), (fx.FakeRule, xm.ConditionalFormat), (fx.FakeFont, xm.Font)]
    for fake, real in pairs:
        names = {n for n in dir(fake) if not n.startswith("_")} | set(getattr(fake, "__dataclass_fields__", {}))
        missing = sorted(n for n in names - test_only if not hasattr(real, n))
        assert missing == [], (fake.__name__, missing)
    app = fx.FakeApp(fx.Calls())
    assert all(hasattr(xm.App, name) for name in [*app.state, "alert"])
