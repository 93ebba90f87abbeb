"""Safe writing: never clobber a workbook open in Excel, never leave it half-written, keep
backups, keep macros, and refuse to drop what openpyxl cannot carry unless told to."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile

import openpyxl
import pytest
import xlsxwriter

from servicebook.edits import Edits
from servicebook.errors import CannotRun
from servicebook.jobs.session import open_session
from servicebook.jobs.validate import validation_edits
from servicebook.sidecar import Sidecar
from servicebook.xlsx.parts.package import Package
from tests.support.workbooks import good_record, part_bytes, set_setting, team_workbook

NOW = "2024-05-31 18:00"


def _owner_file(path, user="Zhang Min"):
    ansi = user.encode("latin-1")
    data = bytes([len(ansi)]) + ansi
    data = data.ljust(54, b" ") + bytes([len(user), 0]) + user.encode("utf-16-le")
    lock = path.with_name("~$" + path.name)
    lock.write_bytes(data.ljust(165, b"\x00"))
    return lock


def test_a_workbook_open_in_excel_is_refused_and_left_byte_identical(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record(phone="13812345678")])
    _owner_file(path)
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    # `run` is the scheduler's command and waits for Excel to close; --wait 0 refuses at once.
    for command in (["validate"], ["number"], ["run", "--wait", "0"]):
        result = cli(*command, path, "--now", NOW)
        assert result.code == 2
        assert "正在 Excel 中打开（使用者：Zhang Min）" in result.err
        assert "~$客服工作簿.xlsx" in result.err
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime


def test_a_libreoffice_lock_is_refused_too(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record()])
    path.with_name(f".~lock.{path.name}#").write_text(",李娜,host,/home/lina,23.05.2024 10:00,", encoding="utf-8")
    result = cli("validate", path, "--now", NOW)
    assert result.code == 2 and "（使用者：李娜）" in result.err


def test_reading_is_allowed_while_excel_has_it_open(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record()])
    _owner_file(path)
    assert cli("check", path).code == 0


def test_a_sharing_violation_is_refused(tmp_path, cli, monkeypatch):
    path = team_workbook(tmp_path, [good_record()])
    before = path.read_bytes()
    real_open = os.open

    def windows_open(file, flags, *args, **kwargs):
        if str(file) == str(path) and flags & os.O_RDWR:
            raise PermissionError(13, "The process cannot access the file because it is being used by another process")
        return real_open(file, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", windows_open)
    result = cli("validate", path, "--now", NOW)
    assert result.code == 2 and "正被其他程序占用" in result.err
    assert path.read_bytes() == before


def test_an_exception_while_writing_leaves_the_original_intact(tmp_path, cli, monkeypatch):
    path = team_workbook(tmp_path, [good_record(phone="13812345678")])
    before = path.read_bytes()

    def broken_save(self, target):
        with open(target, "wb") as fh:
            fh.write(b"PK\x03\x04 half a workbook")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Package, "save", broken_save)
    monkeypatch.setenv("SERVICEBOOK_DEBUG", "")
    result = cli("validate", path, "--now", NOW)
    disk_full = "无法运行：磁盘空间已满，写入失败。工作簿未改动；请清理磁盘空间后重新运行。\n"
    assert (result.code, result.err) == (2, disk_full)
    assert path.read_bytes() == before
    # No temporary file left: beside the workbook only the tool's folder, holding only the writers' lock.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["客服工作簿.servicebook", "客服工作簿.xlsx"]
    assert [p.name for p in (tmp_path / "客服工作簿.servicebook").iterdir()] == ["run.lock"]


def _deflated_side_by_side(monkeypatch) -> None:
    """Parts of more than 1,000 bytes deflated in chunks side by side, as a large sheet is."""
    from servicebook.xlsx.parts import package

    monkeypatch.setattr(package, "DEFLATE_CHUNK", 1000)
    monkeypatch.setattr(package.os, "cpu_count", lambda: 4)


@pytest.mark.parametrize("member, large", [("xl/worksheets/sheet1.xml", False), ("xl/worksheets/sheet1.xml", True),
                                           ("docProps/app.xml", False)])
def test_a_damaged_byte_in_what_was_written_is_caught_before_the_original_is_replaced(tmp_path, cli, monkeypatch,
                                                                                     member, large):
    """The written copy is read back before it replaces anything: a part written afresh (the records
    sheet) by its CRC — or, deflated side by side like a large sheet and inflated again as it was
    made, byte for byte against what was made — a part carried over (docProps/app.xml) byte for
    byte against the original."""
    if large:
        _deflated_side_by_side(monkeypatch)
    path = team_workbook(tmp_path, [good_record(phone="13812345678")])
    before = path.read_bytes()
    write_to = Package._write_to

    def damaged(self, target):
        write_to(self, target)
        with zipfile.ZipFile(target) as archive:
            info = archive.getinfo(member)
        with open(target, "r+b") as fh:
            fh.seek(info.header_offset + 26)
            name_length, extra_length = int.from_bytes(fh.read(2), "little"), int.from_bytes(fh.read(2), "little")
            fh.seek(info.header_offset + 30 + name_length + extra_length + info.compress_size // 2)
            byte = fh.read(1)
            fh.seek(-1, 1)
            fh.write(bytes([byte[0] ^ 0x55]))

    monkeypatch.setattr(Package, "_write_to", damaged)
    result = cli("validate", path, "--now", NOW)
    assert result.code == 2
    assert result.err.strip() == f"无法运行：生成的文件校验失败，原文件未改动：{member}"   # the part named
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(".~servicebook-*"))


@pytest.mark.parametrize("damage", ["a byte changed", "cut short", "ended"])
def test_a_chunk_deflated_wrong_is_caught_as_it_is_made(tmp_path, cli, monkeypatch, damage):
    """A large part is inflated again as its chunks are deflated: a chunk that would not inflate to
    what it was made from (a byte changed, a chunk cut short, one that ends the stream early) stops
    the write, naming the part, before anything is replaced."""
    from servicebook.xlsx.parts import package

    _deflated_side_by_side(monkeypatch)
    path = team_workbook(tmp_path, [good_record(phone="13812345678") for _ in range(20)])
    before = path.read_bytes()
    deflate, made = package._deflate_chunk, []

    def wrong(chunk):
        deflated = deflate(chunk)
        made.append(deflated)
        if len(made) != 2:
            return deflated
        if damage == "a byte changed":
            return deflated[:10] + bytes([deflated[10] ^ 0x01]) + deflated[11:]
        if damage == "cut short":
            return deflated[:-6]
        final = package.zlib.compressobj(package.LEVEL, package.zlib.DEFLATED, -15)
        return final.compress(chunk) + final.flush()   # a last block in the middle of the stream

    monkeypatch.setattr(package, "_deflate_chunk", wrong)
    result = cli("validate", path, "--now", NOW)
    assert result.code == 2
    assert result.err.strip() == "无法运行：生成的文件校验失败，原文件未改动：xl/worksheets/sheet1.xml"
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(".~servicebook-*"))


def test_a_kill_during_the_write_leaves_the_original_intact(tmp_path):
    from datetime import datetime

    from servicebook.definition import definition
    from servicebook.demo.build import DemoSize, generate, write_demo

    path = tmp_path / "大工作簿.xlsx"
    write_demo(path, generate(datetime(2024, 5, 31, 18, 0), DemoSize(records=6000, customers=800), seed=1),
               definition())
    before = path.read_bytes()
    process = subprocess.Popen([sys.executable, "-m", "servicebook", "validate", str(path), "--now", NOW],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    seen_temp = None
    while time.monotonic() < deadline and process.poll() is None:
        temps = list(tmp_path.glob(".~servicebook-*"))
        if temps and temps[0].stat().st_size > 0:
            seen_temp = temps[0]
            os.kill(process.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    process.wait(timeout=30)
    assert seen_temp is not None, "the run finished before the test could kill it mid-write"
    assert path.read_bytes() == before
    assert zipfile.ZipFile(path).testzip() is None
    # The next run cleans up what the killed one left, and writes normally.
    done = subprocess.run([sys.executable, "-m", "servicebook", "number", str(path), "--now", NOW],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not list(tmp_path.glob(".~servicebook-*"))


def test_a_file_changed_while_the_command_ran_is_not_overwritten(tmp_path):
    path = team_workbook(tmp_path, [good_record(phone="13812345678")])
    session = open_session(path)
    edits = Edits()
    validation_edits(session, edits)
    wb = openpyxl.load_workbook(path)
    wb["服务记录"]["X2"] = "someone typed this meanwhile"
    wb.save(path)
    with pytest.raises(CannotRun, match="处理期间被修改"):
        session.save(edits)
    assert openpyxl.load_workbook(path)["服务记录"]["X2"].value == "someone typed this meanwhile"


def test_backups_keep_the_previous_versions_up_to_the_setting(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record(phone="13812345678")])
    set_setting(path, "备份保留份数", 2)
    versions = []
    for hour in (9, 10, 11):
        versions.append(path.read_bytes())
        wb = openpyxl.load_workbook(path)
        wb["服务记录"].append([None, f"2024-05-1{hour - 8} {hour}:00", "电话", None, "新客户", None, None,
                               "普通", "咨询", "一般", None, "问题", None, None, None, "待受理"])
        wb.save(path)
        versions[-1] = path.read_bytes()
        assert cli("number", path, "--now", NOW).code == 0
    backups = sorted(Sidecar(path).backups.iterdir())
    assert len(backups) == 2
    assert backups[-1].read_bytes() == versions[-1]
    assert backups[0].read_bytes() == versions[-2]


def _xlsm(path, vba: bytes):
    workbook = xlsxwriter.Workbook(str(path))
    ws = workbook.add_worksheet("服务记录")
    ws.write_row(0, 0, ["记录编号", "提交时间", "服务渠道", "客户名称", "服务类型", "优先级", "问题描述", "处理状态"])
    ws.write_row(1, 1, ["2024-05-10 09:30", "电话", "张伟", "咨询", "一般", "问发票", "待受理"])
    vba_file = path.with_name("vbaProject.bin")
    vba_file.write_bytes(vba)
    workbook.add_vba_project(str(vba_file))
    workbook.close()
    vba_file.unlink()


def test_an_xlsm_keeps_its_macros(tmp_path, cli):
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8  # an OLE header and a body
    path = tmp_path / "客服工作簿.xlsm"
    _xlsm(path, vba)
    result = cli("number", path, "--now", NOW)
    assert result.code == 0, result.err
    parts = part_bytes(path)
    assert parts["xl/vbaProject.bin"] == vba
    assert b"macroEnabled" in parts["[Content_Types].xml"]
    wb = openpyxl.load_workbook(path, keep_vba=True)
    assert wb["服务记录"]["A2"].value == "CSF20240510000001"
    wb.vba_archive.close()   # openpyxl's in-memory copy of the package, which it never closes


def test_a_rerun_that_changes_nothing_leaves_the_file_and_the_backups_alone(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record(ticket_no=None, status="处理中", closed_at=None, csat=None)])
    first = cli("run", path, "--now", "2024-05-12 10:00")
    assert first.code == 0, first.err
    backups = sorted(p.name for p in Sidecar(path).backups.iterdir())
    before, stamp = path.read_bytes(), path.stat().st_mtime_ns
    again = cli("run", path, "--now", "2024-05-12 10:00")
    assert again.code == 0, again.err
    assert "工作簿内容没有变化，文件未改写，也没有新增备份。" in again.out and "原文件已备份" not in again.out
    assert (path.read_bytes(), path.stat().st_mtime_ns) == (before, stamp)
    assert sorted(p.name for p in Sidecar(path).backups.iterdir()) == backups
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".~servicebook-")] == []
    wb = openpyxl.load_workbook(path)                            # a new case typed in, to be numbered
    records = wb["服务记录"]
    records.append([None, *[c.value for c in records[2][1:]]])
    wb.save(path)
    later = cli("run", path, "--now", "2024-05-12 10:00")
    assert later.code == 0 and "新编号 1 行" in later.out and "原文件已备份" in later.out
    assert path.read_bytes() != before and len(list(Sidecar(path).backups.iterdir())) == len(backups) + 1


def test_a_rerun_with_nothing_new_does_not_even_build_a_new_file(tmp_path, cli, monkeypatch):
    """Each cell edit the file already holds is left out, and the conditional formats the last
    write left in a file nobody saved since too: nothing is left, so no package is built."""
    from servicebook.xlsx import file_writer

    path = team_workbook(tmp_path, [good_record(ticket_no=None, status="处理中", closed_at=None, csat=None)])
    assert cli("run", path, "--now", "2024-05-12 10:00").code == 0
    built = []
    real = file_writer.FileWriter.write
    monkeypatch.setattr(file_writer.FileWriter, "write", lambda self, edits, backup=True: built.append(edits)
                        or real(self, edits, backup))
    again = cli("run", path, "--now", "2024-05-12 10:00")
    assert again.code == 0 and built == []
    wb = openpyxl.load_workbook(path)   # saved by another program: the rules are written again
    wb.save(path)
    later = cli("run", path, "--now", "2024-05-12 10:00")
    assert later.code == 0
    written = [title for edits in built for title, sheet in edits.sheets.items() if sheet.highlights]
    assert written == ["服务记录"]   # the one sheet with rows: its validation and SLA rules
    rules = openpyxl.load_workbook(path)["服务记录"].conditional_formatting
    assert any("servicebook:sla" in rule.formula[0] for rng in rules for rule in rng.rules)


def test_a_time_the_tool_wrote_at_midnight_reads_back_as_the_same_and_is_not_written_again(tmp_path):
    """The reader gives a date-time cell on midnight as a date; writing the same moment again
    would rewrite the file on every run (a deadline at 00:00 at 100k rows did)."""
    from datetime import datetime

    midnight = datetime(2024, 5, 13, 0, 0)
    path = team_workbook(tmp_path, [good_record(due_at=midnight), good_record(due_at=datetime(2024, 5, 13, 9, 0))])
    with open_session(path) as session:
        table = session.book.tables["records"]
        col = table.headers.columns["due_at"]
        assert type(table.get("due_at", 0)).__name__ == "date"    # what the reader gives
        edits = Edits()
        sheet = edits.sheet(table.title, table.headers.row)
        sheet.set(table.row_numbers[0], col, midnight)                        # the same moment: left out
        sheet.set(table.row_numbers[1], col, datetime(2024, 5, 13, 0, 0))    # another one: written
        assert session.save(edits) is not None
        assert list(edits.sheets[table.title].cells) == [(table.row_numbers[1], col)]
