"""Every fault of the machine or the file gets a clear Chinese answer and exit code 2, the file left
byte-identical — never 内部错误: read-only files and folders, a damaged state file (set aside and
rebuilt, so nothing is renumbered or resent), XML with a DTD, things that are not files, encrypted,
old-format and Strict workbooks, a cell Excel could not hold, a sheet too far-reaching to read."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import msoffcrypto.format.ooxml
import openpyxl
import pytest

from servicebook.sidecar import Sidecar
from tests.support import runs
from tests.support.mailbook import EXPECTED, NOW, mail_workbook
from tests.support.workbooks import good_record, records_by_header, team_workbook


def _refused(cli, path: Path, message: str, *command: str) -> None:
    """`validate` (a writer) and `check` (a reader) both refuse, saying `message`; nothing changes."""
    before = path.read_bytes() if path.is_file() else None
    for verb in (command or ("validate", "check")):
        extra = ["--now", NOW] if verb != "check" else []
        result = cli(verb, path, *extra)
        assert (result.code, result.err) == (2, f"无法运行：{message}\n"), (verb, result.err)
    if before is not None:
        assert path.read_bytes() == before


def _rewrite(path: Path, part: str, change) -> None:
    with zipfile.ZipFile(path) as source:
        items = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in items:
            target.writestr(info, change(data) if info.filename == part else data)


# ---------------------------------------------------------------- read-only


@contextlib.contextmanager
def read_only_file(path: Path):
    """As root, permission bits do not stop a write: the immutable flag does."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(path)], check=True)
    else:
        path.chmod(0o444)
    try:
        yield
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        else:
            path.chmod(0o644)


@contextlib.contextmanager
def read_only_folder(folder: Path):
    """As root, a read-only mount; otherwise a folder without write permission."""
    if os.geteuid() == 0:
        subprocess.run(["mount", "-o", "bind", str(folder), str(folder)], check=True)
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
    else:
        folder.chmod(0o555)
    try:
        yield
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(folder)], check=True)
        else:
            folder.chmod(0o755)


def test_a_read_only_file_is_said_to_be_read_only(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record(phone="13812345678")])
    with read_only_file(path):
        _refused(cli, path, "客服工作簿.xlsx 是只读文件，工具无法写入。"
                            "请在文件属性中取消「只读」，或把它复制到可写的文件夹后再运行。", "validate", "run")
        assert cli("check", path).code == 0     # reading is still allowed


def test_a_read_only_folder_is_said_to_be_read_only(tmp_path, cli):
    folder = tmp_path / "只读"
    folder.mkdir()
    path = team_workbook(folder, [good_record(phone="13812345678")])
    with read_only_folder(folder):
        _refused(cli, path, f"文件夹 {folder} 是只读的（或没有写入权限），工具无法在其中保存工作簿、备份和发送记录。"
                            "请换到可写的文件夹，或请管理员开放写入权限。", "validate", "run", "mail")
        assert cli("check", path).code == 0
    assert sorted(p.name for p in folder.iterdir()) == ["客服工作簿.xlsx"]   # nothing left beside it


# ---------------------------------------------------------------- the state beside the workbook


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_state_file_is_set_aside_and_rebuilt_so_nothing_is_resent_or_renumbered(tmp_path, cli, damage):
    path = mail_workbook(tmp_path)
    first = cli("run", path, "--now", NOW)
    assert first.code == 1, first.err                         # F's address is bad: one email cannot be made
    outbox = Sidecar(path).folder / "outbox"
    sent = sorted(p.name for p in outbox.glob("*.eml"))
    assert len(sent) == len(EXPECTED)
    numbers = [r["记录编号"] for r in records_by_header(path)]
    database = Sidecar(path).database
    with contextlib.suppress(FileNotFoundError):
        for suffix in ("-wal", "-shm"):
            Path(str(database) + suffix).unlink()
    data = database.read_bytes()
    database.write_bytes(b"this is not a database at all" * 100 if damage == "garbage" else data[: len(data) // 2])
    again = cli("run", path, "--now", NOW)
    assert again.code == 1, again.err
    assert re.search(r"! 工作簿旁的状态文件（编号计数和发送记录）已损坏，"
                     r"已移到 state\.sqlite\.damaged-\d{8}-\d{6} 保留，并按工作簿中的「编号记录」（\d+ 个编号前缀）"
                     rf"和「邮件日志」（{len(EXPECTED)} 封邮件）重建", again.err)
    assert sorted(p.name for p in outbox.glob("*.eml")) == sent           # nothing resent
    assert [r["记录编号"] for r in records_by_header(path)] == numbers     # nothing renumbered
    assert len(list(database.parent.glob("state.sqlite.damaged-*"))) == 1  # kept, never deleted


# ---------------------------------------------------------------- what is not a workbook we can read


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                  b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>')
EXTERNAL = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize(("part", "prolog"), [("xl/workbook.xml", BILLION_LAUGHS),
                                              ("xl/worksheets/sheet1.xml", EXTERNAL),
                                              ("[Content_Types].xml", EXTERNAL)])
def test_xml_with_a_dtd_in_any_part_is_refused_as_damaged(tmp_path, cli, part, prolog):
    path = team_workbook(tmp_path, [good_record()])
    _rewrite(path, part, lambda data: prolog + re.sub(rb"^<\?xml[^>]*\?>", b"", data))
    _refused(cli, path, f"{path} 已损坏或含有不安全的内容（部件 {part} 带有文档类型声明，Excel 保存的文件不会这样），"
                        "工具不读取它。请用 Excel 打开后另存一份再试。")


def _flip_a_byte(path: Path, part: str) -> None:
    """One byte of `part`'s compressed data changed, in the middle, as a failing disk or a cut-short
    copy leaves it; the zip's directory still describes the part as it was."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(part)
    data = bytearray(path.read_bytes())
    name_length, extra_length = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
    data[info.header_offset + 30 + name_length + extra_length + info.compress_size // 2] ^= 0x55
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("part", "sheet"), [("xl/worksheets/sheet1.xml", "服务记录"),   # read beside the rest
                                             ("xl/worksheets/sheet2.xml", "进度跟踪")])
def test_a_damaged_byte_inside_a_sheet_is_named_with_its_sheet(tmp_path, cli, part, sheet):
    """A byte changed deep inside a sheet (past what the first look at each part reads) is found
    by the zip's check while the sheet is read: said by the sheet's name, never 内部错误."""
    path = team_workbook(tmp_path, [good_record(description=f"第{n}条" * 50) for n in range(40)])
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo(part).compress_size > 1000
    _flip_a_byte(path, part)
    _refused(cli, path, f"{path} 已损坏：工作表「{sheet}」的数据无法读取（文件中的字节与记录的校验不符或无法解压），"
                        "工具不处理它。请用 Excel 打开（Excel 会尝试修复）后另存一份再试，或从备份恢复。",
             "validate", "check", "run")


@pytest.mark.parametrize("kind", ["folder", "fifo", "device"])
def test_something_named_xlsx_that_is_not_a_file_is_refused_at_once(tmp_path, cli, kind):
    path = tmp_path / "客服工作簿.xlsx"
    if kind == "folder":
        path.mkdir()
        message = f"{path} 是一个文件夹，不是 Excel 工作簿"
    elif kind == "fifo":
        os.mkfifo(path)
        message = f"{path} 不是普通文件（可能是设备或管道），不是 Excel 工作簿"
    else:
        path.symlink_to("/dev/zero")
        message = f"{path} 不是普通文件（可能是设备或管道），不是 Excel 工作簿"
    for verb in ("run", "validate", "check"):
        start = time.monotonic()
        done = runs.run(verb, path, NOW) if verb != "check" else subprocess.run(
            [sys.executable, "-m", "servicebook", "check", str(path)], capture_output=True, text=True, timeout=60)
        assert (done.returncode, done.stderr) == (2, f"无法运行：{message}\n")
        assert time.monotonic() - start < 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["客服工作簿.xlsx"]   # nothing created beside it


def test_an_encrypted_workbook_is_said_to_be_encrypted(tmp_path, cli):
    plain = team_workbook(tmp_path, [good_record()], name="明文.xlsx")
    path = tmp_path / "加密.xlsx"
    with plain.open("rb") as source, path.open("wb") as target:
        msoffcrypto.format.ooxml.OOXMLFile(source).encrypt("secret-123", target)
    _refused(cli, path, f"{path} 设置了打开密码（文件已加密），工具无法读取。请先在 Excel 中取消密码：文件 → 信息 → "
                        "保护工作簿 → 用密码进行加密，清空密码后保存。")


def test_an_old_format_file_renamed_xlsx_is_named_as_such(tmp_path, cli):
    path = tmp_path / "旧表.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096)
    _refused(cli, path, f"{path} 实际是旧版 Excel 97-2003（.xls）格式。"
                        "请在 Excel 中「另存为」Excel 工作簿（*.xlsx）后再运行。")


def test_a_strict_open_xml_workbook_is_named_as_such(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record()])
    _rewrite(path, "xl/workbook.xml", lambda data: data.replace(
        b"http://schemas.openxmlformats.org/spreadsheetml/2006/main", b"http://purl.oclc.org/ooxml/spreadsheetml/main"))
    _refused(cli, path, f"{path} 是「Strict Open XML 电子表格」格式，工具不支持。"
                        "请在 Excel 中「另存为」Excel 工作簿（*.xlsx）后再运行。", "validate", "check", "run")


# ---------------------------------------------------------------- cells and sheets Excel could not hold


def test_a_cell_longer_than_excel_allows_is_named(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record(), good_record(description="很长" * 20_000)])
    _refused(cli, path, "工作表「服务记录」的 L3 单元格的文字达到或超过 Excel 单元格的上限 32767 个字符，"
                        "超出的部分 Excel 无法保存，工具也不处理这样的文件（以免丢字）。"
                        "请把内容缩短（或分到多个单元格）后再运行。")


def test_a_number_past_what_excel_can_hold_is_named(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record(csat=5)])
    cell = next(c.coordinate for c in openpyxl.load_workbook(path)["服务记录"][1] if c.value == "满意度")
    score = f"{cell[:-1]}2".encode()
    _rewrite(path, "xl/worksheets/sheet1.xml",
             lambda data: re.sub(rb'(<c r="' + score + rb'"[^>]*>)<v>5</v>', rb"\1<v>1E+400</v>", data))
    _refused(cli, path, f"工作表「服务记录」的 {score.decode()} 单元格的数值超出 Excel 能保存的范围（约 ±1.8×10^308），"
                        "文件可能已损坏。请在 Excel 中检查并改正该单元格后再运行。")


def test_a_value_in_the_last_cell_of_a_sheet_is_a_message_not_an_abort(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record()])
    _rewrite(path, "xl/worksheets/sheet1.xml", lambda data: data.replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'))
    _refused(cli, path, "工作表「服务记录」的内容一直延伸到 XFD1048576 单元格（1048576 行 × 16384 列），"
                        "范围过大，无法读取。多半是远处有误输入的内容：在该工作表按 Ctrl+End 找到最后一个单元格，"
                        "删除多余的行和列后保存，再运行。", "validate", "check", "run")


def test_the_farthest_column_followed_in_one_pass_is_the_farthest_column():
    """Each search looks only past the farthest column yet: the result is the true farthest of
    every one- and two-letter reference, in any order, from any starting point."""
    import random

    from servicebook.domain.table import column_letter
    from servicebook.xlsx.scan import farthest_two_letters

    rng = random.Random(7)
    for _ in range(2000):
        columns = [rng.randint(1, 702) for _ in range(rng.randint(1, 12))]
        data = b"".join(b'<c r="%s%d" s="1"><v>1</v></c>' % (column_letter(c).encode(), rng.randint(1, 999))
                        for c in columns)
        start = rng.choice([0, rng.randint(0, 702)])
        assert farthest_two_letters(data, start) == max(start, *columns)
    # Each step from one column to the next, at the edges of one and two letters.
    for start, ref, farthest in ((0, "A", 1), (24, "Y", 25), (25, "Y", 25), (25, "Z", 26), (26, "AA", 27),
                                 (51, "AZ", 52), (52, "BA", 53), (701, "ZZ", 702), (702, "ZZ", 702)):
        assert farthest_two_letters(f'<c r="{ref}7">'.encode(), start) == farthest, (start, ref)


def test_following_the_columns_notices_a_reference_past_zz_wherever_it_is():
    """The same search says when a three-letter reference is there (the sheet's width is then found
    exactly by a second read), from any starting point, before or after the farthest two letters."""
    import random

    from servicebook.domain.table import column_letter
    from servicebook.xlsx.scan import follow_columns

    rng = random.Random(11)
    for _ in range(500):
        columns = [rng.randint(1, 702) for _ in range(rng.randint(1, 8))]
        cells = [b'<c r="%s%d"><v>1</v></c>' % (column_letter(c).encode(), rng.randint(1, 99)) for c in columns]
        far = rng.random() < 0.5
        if far:
            beyond = column_letter(rng.randint(703, 16384)).encode()
            cells.insert(rng.randint(0, len(cells)), b'<c r="%s3"><v>1</v></c>' % beyond)
        start = rng.choice([0, rng.randint(0, 702)])
        found, seen_far = follow_columns(b"".join(cells), start)
        assert seen_far == far
        if not far:
            assert found == max(start, *columns)


def _generated_sheet(rng, prefix: str) -> tuple[bytes, int, list[int]]:
    """A worksheet's XML with rows in order (some with attributes before r, some cells' text saying
    "row "), and the last row number and the columns its references name."""
    from servicebook.domain.table import column_letter

    rows, columns, number = [], [], 0
    for _ in range(rng.randint(0, 12)):
        number += rng.randint(1, 40_000)
        cells = []
        for _ in range(rng.randint(0, 4)):
            column = rng.choice([rng.randint(1, 60), rng.randint(1, 702), rng.randint(1, 16384)])
            columns.append(column)
            text = rng.choice(["", "throw row ", "arrow ", "row r=\"9\"", "普通", "row " * 9])
            cells.append(f'<{prefix}c r="{column_letter(column)}{number}" t="inlineStr"><{prefix}is><{prefix}t>{text}'
                         f'</{prefix}t></{prefix}is></{prefix}c>')
        attributes = rng.choice(["", ' spans="1:3"', ' ht="20" customHeight="1"'])
        rows.append(f'<{prefix}row{attributes} r="{number}">{"".join(cells)}</{prefix}row>')
    xml = (f'<?xml version="1.0"?><{prefix}worksheet xmlns{":" + prefix[:-1] if prefix else ""}="x"><{prefix}sheetData>'
           f'{"".join(rows)}</{prefix}sheetData></{prefix}worksheet>')
    return xml.encode(), number, columns


def test_the_extent_followed_as_bytes_go_by_is_the_extent_a_scan_finds(monkeypatch):
    """What the writer measures of a sheet as it writes it (its bytes in pieces of any size) is what
    a scan of the written part finds — and both are the true extent: the last row's number, and ZZ
    unless a reference lies past it or the rows are too many for ZZ columns of them, when the
    farthest column is exact."""
    import io
    import random

    from servicebook.xlsx import scan

    rng = random.Random(5)
    monkeypatch.setattr(scan, "TAIL", 600)   # more than a row tag; pieces and chunks far smaller than the default
    monkeypatch.setattr(scan, "MAX_CELLS", 702 * 100_000)
    for _ in range(400):
        xml, last_row, columns = _generated_sheet(rng, rng.choice(["", "x:"]))
        monkeypatch.setattr(scan, "CHUNK", rng.randint(1, 700))
        monkeypatch.setattr(scan, "FOLLOW_COLUMNS_FROM", rng.choice([0, 1 << 40]))
        rows = max(last_row, 1)
        far, farthest = any(c > 702 for c in columns), max(columns, default=1)
        truth = scan.Extent(rows, farthest if far or rows * 702 > scan.MAX_CELLS else 702)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("sheet.xml", xml)
        with zipfile.ZipFile(buffer) as archive:
            assert scan.sheet_extent(archive, "sheet.xml") == truth
        tracker, at = scan.ExtentTracker(), 0
        while at < len(xml):
            step = rng.randint(1, 900)
            tracker.feed(xml[at:at + step])
            at += step
        assert tracker.extent() == (None if far else truth)


@pytest.mark.parametrize("follow", [True, False])
def test_a_sheet_with_more_rows_than_zz_columns_can_hold_gets_its_exact_width(tmp_path, cli, monkeypatch, follow):
    """Past MAX_CELLS / 702 rows the exact farthest column is needed: a large part follows it in
    the first read, a small one reads the part again; both give the same width, and the run works."""
    from servicebook.xlsx import scan

    path = team_workbook(tmp_path, [good_record() for _ in range(30)])
    monkeypatch.setattr(scan, "MAX_CELLS", 31 * 702 - 1)   # 31 rows of ZZ would be too many
    monkeypatch.setattr(scan, "FOLLOW_COLUMNS_FROM", 0 if follow else 1 << 40)
    with zipfile.ZipFile(path) as archive:
        extent = scan.scan_sheet(archive, "xl/worksheets/sheet1.xml").extent
        header = openpyxl.load_workbook(path)["服务记录"].max_column
    assert (extent.rows, extent.columns) == (31, header)
    assert cli("validate", path, "--now", NOW).code == 0


def test_a_huge_or_wrong_dimension_is_ignored(tmp_path, cli):
    path = team_workbook(tmp_path, [good_record(ticket_no=None)])
    _rewrite(path, "xl/worksheets/sheet1.xml",
             lambda data: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', data))
    assert cli("run", path, "--now", NOW).code == 0
    assert records_by_header(path)[0]["记录编号"] == "CSF20240510000001"


# ---------------------------------------------------------------- schedules that run as printed


def cron_command(line: str) -> tuple[str, str]:
    """What cron does with a crontab line's command: `\\%` is a percent sign, the first other `%`
    ends the command and the rest is its standard input (crontab(5))."""
    command, stdin, escaped = [], None, False
    for ch in line.strip().split(" ", 5)[5]:
        if stdin is not None:
            stdin.append(ch)
        elif escaped:
            command.append(ch if ch == "%" else "\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "%":
            stdin = []
        else:
            command.append(ch)
    return "".join(command), "".join(stdin or [])


def test_a_workbook_path_with_percent_signs_runs_from_cron_and_systemd_as_printed(tmp_path, cli):
    folder = tmp_path / "完成率100%" / "%Y%m"
    folder.mkdir(parents=True)
    path = team_workbook(folder, [good_record(ticket_no=None)], name="客服%工作簿.xlsx")
    out = cli("schedule", path).out
    line = next(line for line in out.splitlines() if " -m servicebook run " in line and "* * *" in line)
    command, stdin = cron_command(line)
    assert stdin == ""
    done = subprocess.run(["/bin/sh", "-c", command], env={"PATH": "/usr/bin:/bin"}, timeout=600)
    assert done.returncode == 0
    assert records_by_header(path)[0]["记录编号"] == "CSF20240510000001"
    exec_start = next(line for line in out.splitlines() if line.startswith("ExecStart="))
    argv = shlex.split(exec_start.removeprefix("ExecStart=").replace("%%", "%"))   # systemd's own unescaping
    assert argv == [sys.executable, "-m", "servicebook", "run", str(path)]
    assert not re.search(r"(?<!%)%(?!%)", exec_start.replace("%%", ""))     # no lone % left for systemd

