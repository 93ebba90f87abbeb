"""The lossless writer: after any command every part we do not own is byte-identical, inside the
parts we change everything we did not change stays, results equal the openpyxl path's, and
LibreOffice opens every result — for workbooks from openpyxl, XlsxWriter and LibreOffice."""

from __future__ import annotations

import io
import shutil
import struct
import zipfile
import zlib
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from lxml import etree

from servicebook.xlsx.file_writer import FileWriter
from servicebook.xlsx.parts.book import BookPart
from servicebook.xlsx.parts.package import Package
from tests.support import lo
from tests.support.reference_writer import openpyxl_engine
from tests.support.workbooks import part_bytes

NOW = "2024-06-03 09:00"
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADERS = ["记录编号", "提交时间", "服务渠道", "客户名称", "联系电话", "服务类型", "优先级", "问题描述", "处理状态",
           "满意度", "受理时间", "解决时间"]
# The parts a command may rewrite: the records sheet it edits, and the workbook's shared parts.
WORKBOOK_PARTS = {"xl/styles.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
                  "xl/sharedStrings.xml"}
VBA = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8


def _png(path: Path) -> Path:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff\x80\x00" * 8 for _ in range(8))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return path


def _rows():
    return [["", "2024-05-10 09:30", "电话", "张伟", "13812345678", "咨询", "一般", "问发票", "已关闭", 5,
             "2024-05-10 09:40", "2024-05-10 11:00"],
            ["", "2024-05-11 10:00", "邮件", "李娜", "13987654321", "投诉", "紧急", "快递破损", "处理中", None,
             "2024-05-11 10:05", None],
            ["", "2024-05-12 14:00", "在线", "王芳", "0755-12345678", "故障", "重要", "无法登录", "待受理", None,
             None, None],
            ["", "2024-05-13 15:00", "电话", "赵磊", "13800001111", "售后", "一般", "退货", "已关闭", 4,
             "2024-05-13 15:10", "2024-05-14 09:00"]]


def xlsxwriter_workbook(path: Path) -> Path:
    """Everything openpyxl cannot carry, and a macro project."""
    workbook = xlsxwriter.Workbook(str(path))
    ws = workbook.add_worksheet("服务记录")
    ws.write_row(0, 0, HEADERS)
    for index, row in enumerate(_rows(), start=1):
        for col, value in enumerate(row):
            if value is not None:
                ws.write(index, col, value)
    ws.insert_textbox("O2", "请按流程填写", {"width": 160, "height": 40})
    ws.add_sparkline("P2", {"range": "服务记录!J2:J5"})
    ws.conditional_format("J2:J5", {"type": "data_bar", "data_bar_2010": True})
    ws.write_comment("A1", "编号由工具生成", {"x_scale": 2, "color": "#FFCC99"})
    ws.insert_image("O6", str(_png(path.with_name("logo.png"))))
    chart = workbook.add_chart({"type": "column"})
    chart.add_series({"values": "=服务记录!$J$2:$J$5"})
    ws.insert_chart("O10", chart)
    notes = workbook.add_worksheet("备忘")
    notes.write("A1", "本表是团队自己的备忘，工具不得改动。")
    notes.data_validation("B2", {"validate": "list", "source": "=服务记录!$C$2:$C$5"})
    vba = path.with_name("vbaProject.bin")
    vba.write_bytes(VBA)
    workbook.add_vba_project(str(vba))
    workbook.close()
    return path


def openpyxl_workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "服务记录"
    ws.append(HEADERS)
    for row in _rows():
        ws.append(row)
    ws["N1"] = "团队自己的列"
    ws["N2"] = "=LEN(H2)"
    wb.create_sheet("备忘")["A1"] = "本表是团队自己的备忘"
    wb.save(path)
    return path


def libreoffice_workbook(path: Path) -> Path:
    """The XlsxWriter workbook without macros, opened and saved again by LibreOffice."""
    source = path.with_name("原件.xlsx")
    xlsxwriter_workbook(source)
    lo.convert([source], "xlsx:Calc MS Excel 2007 XML", path.parent / "lo")
    shutil.move(path.parent / "lo" / source.name, path)
    return path


PRODUCERS = {"xlsxwriter": ("客服工作簿.xlsm", xlsxwriter_workbook),
             "openpyxl": ("客服工作簿.xlsx", openpyxl_workbook),
             "libreoffice": ("客服工作簿.xlsx", libreoffice_workbook)}


def records_part(path: Path) -> str:
    package = Package(path)
    try:
        return BookPart(package).sheet_part("服务记录")
    finally:
        package.close()


def _c14n(element) -> bytes:
    return etree.tostring(element, method="c14n")


def _cells(sheet_xml: bytes) -> dict[str, bytes]:
    root = etree.fromstring(sheet_xml)
    return {c.get("r"): _c14n(c) for c in root.iter(f"{{{NS}}}c")}


def _children(sheet_xml: bytes, names: tuple[str, ...]) -> list[bytes]:
    root = etree.fromstring(sheet_xml)
    return [_c14n(child) for child in root if etree.QName(child).localname in names]


@pytest.mark.parametrize("producer", PRODUCERS)
def test_every_part_we_do_not_own_is_byte_identical_after_a_full_run(tmp_path, cli, producer):
    name, make = PRODUCERS[producer]
    path = make(tmp_path / name)
    before = part_bytes(path)
    sheet = records_part(path)
    result = cli("run", path, "--now", NOW, "--wait", "0")
    assert result.code == 0, result.err
    after = part_bytes(path)
    allowed = WORKBOOK_PARTS | {sheet, "xl/calcChain.xml"}
    changed = sorted(n for n in before if n not in allowed and after.get(n) != before[n])
    assert changed == [], f"changed or dropped: {changed}"
    assert set(before) - set(after) <= {"xl/calcChain.xml"}
    # Inside the records sheet: the drawing, comments, sparklines and 2010 formats (extLst) stay,
    # and so does every cell we did not write (the phone column is masked, 记录编号 filled).
    kept = ("drawing", "legacyDrawing", "extLst", "sheetViews", "sheetFormatPr", "pageMargins", "pageSetup")
    assert _children(after[sheet], kept) == _children(before[sheet], kept)
    old_cells, new_cells = _cells(before[sheet]), _cells(after[sheet])
    ours = {"A", "E"}
    for ref, xml in old_cells.items():
        if ref.rstrip("0123456789") not in ours:
            assert new_cells[ref] == xml, ref
    # No unmasked phone number anywhere in the package.
    assert not any(b"13812345678" in data for data in after.values())


@pytest.mark.parametrize("producer", PRODUCERS)
def test_libreoffice_opens_every_result(tmp_path, cli, producer):
    name, make = PRODUCERS[producer]
    path = make(tmp_path / name)
    assert cli("run", path, "--now", NOW, "--wait", "0").code == 0
    sheets = lo.sheets_as_csv(path, tmp_path / "csv")
    records = sheets["服务记录"]
    header = records[0]
    numbers = [row[header.index("记录编号")] for row in records[1:5]]
    assert numbers == ["CSF20240510000001", "CSF20240511000001", "CSF20240512000001", "CSF20240513000001"]
    assert [row[header.index("联系电话")] for row in records[1:3]] == ["138****5678", "139****4321"]
    assert "校验结果" in header and "解决SLA" in header
    assert "月报 2024-05" in sheets and any("受理量" in row for row in sheets["月报 2024-05"])
    if producer == "xlsxwriter":
        assert sheets["备忘"][0][0] == "本表是团队自己的备忘，工具不得改动。"


def test_the_macros_survive_byte_for_byte(tmp_path, cli):
    path = xlsxwriter_workbook(tmp_path / "客服工作簿.xlsm")
    assert cli("number", path, "--now", NOW).code == 0
    parts = part_bytes(path)
    assert parts["xl/vbaProject.bin"] == VBA
    assert b"macroEnabled" in parts["[Content_Types].xml"]


def test_a_second_run_replaces_its_own_colours_and_keeps_the_teams(tmp_path, cli):
    path = xlsxwriter_workbook(tmp_path / "客服工作簿.xlsm")
    rules = []
    for _ in range(2):
        assert cli("run", path, "--now", NOW, "--wait", "0").code == 0
        sheet = part_bytes(path)[records_part(path)]
        root = etree.fromstring(sheet)
        rules.append(sorted((r.getparent().get("sqref"), r.findtext(f"{{{NS}}}formula"))
                            for r in root.iter(f"{{{NS}}}cfRule")))
    assert rules[0] == rules[1]                                        # replaced, not added twice
    # 2 on 校验结果 itself, and one for each (severity, column) this workbook has a problem in: 4
    assert sum("servicebook:validate" in f for _, f in rules[1] if f) == 6
    assert b"dataBar" in sheet and b"x14:sparklineGroup" in sheet      # the team's own formats
    priorities = [r.get("priority") for r in root.iter(f"{{{NS}}}cfRule")]
    assert len(priorities) == len(set(priorities))


# ---------------------------------------------------------------- equal to the openpyxl path


def _rules(ws) -> set[tuple]:
    found = set()
    for formatting in ws.conditional_formatting:
        for rule in formatting.rules:
            fill, font = rule.dxf.fill, rule.dxf.font
            found.add((str(formatting.sqref), tuple(rule.formula or ()), bool(rule.stopIfTrue),
                       (fill.bgColor.rgb or "")[-6:], (font.color.rgb if font and font.color else "")[-6:]))
    return found


def _value(cell):
    value = cell.value
    if isinstance(value, datetime):
        return value.replace(microsecond=0)   # a serial number holds time to the millisecond
    if isinstance(value, float):
        return round(value, 9)
    return value


def test_results_equal_the_openpyxl_path_cell_by_cell(tmp_path, cli, monkeypatch):
    from servicebook.definition import definition
    from servicebook.demo.build import DemoSize, generate, write_demo

    ours, theirs = tmp_path / "ours" / "客服工作簿.xlsx", tmp_path / "theirs" / "客服工作簿.xlsx"
    ours.parent.mkdir()
    theirs.parent.mkdir()
    write_demo(ours, generate(datetime(2024, 6, 3, 9), DemoSize(records=400, customers=80), seed=7), definition())
    shutil.copy(ours, theirs)
    assert cli("run", ours, "--now", NOW, "--wait", "0").code == 1   # the demo's typing mistakes
    monkeypatch.setattr(FileWriter, "engine", staticmethod(openpyxl_engine))
    assert cli("run", theirs, "--now", NOW, "--wait", "0").code == 1
    a, b = openpyxl.load_workbook(ours), openpyxl.load_workbook(theirs)
    assert a.sheetnames == b.sheetnames
    for title in a.sheetnames:
        wa, wb = a[title], b[title]
        assert (wa.max_row, wa.max_column) == (wb.max_row, wb.max_column), title
        for row_a, row_b in zip(wa.iter_rows(), wb.iter_rows(), strict=True):
            for ca, cb in zip(row_a, row_b, strict=True):
                assert _value(ca) == _value(cb), (title, ca.coordinate, ca.value, cb.value)
                if ca.value is not None:
                    assert ca.is_date == cb.is_date, (title, ca.coordinate)
        assert _rules(wa) == _rules(wb), title
        assert wa.sheet_state == wb.sheet_state
        assert len(wa._charts) == len(wb._charts)
        assert wa.auto_filter.ref == wb.auto_filter.ref
    assert set(a.defined_names) == set(b.defined_names)


def test_a_run_on_a_workbook_with_shapes_no_longer_refuses(tmp_path, cli):
    path = xlsxwriter_workbook(tmp_path / "客服工作簿.xlsm")
    result = cli("number", path, "--now", NOW)
    assert result.code == 0, result.err
    with zipfile.ZipFile(path) as archive:
        drawing = archive.read("xl/drawings/drawing1.xml")
    assert "请按流程填写".encode() in drawing


def _deflated_bytes(path: Path) -> dict[str, bytes]:
    """Each member's bytes as they lie in the file, still compressed: read from its local header."""
    found = {}
    with zipfile.ZipFile(path) as archive, path.open("rb") as fh:
        for info in archive.infolist():
            fh.seek(info.header_offset)
            header = fh.read(30)
            name_length, extra_length = struct.unpack("<HH", header[26:30])
            fh.seek(name_length + extra_length, 1)
            found[info.filename] = fh.read(info.compress_size)
    return found


@pytest.mark.parametrize("producer", PRODUCERS)
def test_a_part_we_do_not_touch_keeps_its_compressed_bytes_and_the_file_stays_whole(tmp_path, cli, producer):
    """The save carries an untouched part over as it lies in the zip, compressed by whoever wrote
    it — not inflated and deflated again — and the result is a zip every reader takes."""
    name, make = PRODUCERS[producer]
    path = make(tmp_path / name)
    before = _deflated_bytes(path)
    sheet = records_part(path)
    assert cli("run", path, "--now", NOW, "--wait", "0").code == 0
    after = _deflated_bytes(path)
    untouched = sorted(n for n in before if n not in WORKBOOK_PARTS | {sheet, "xl/calcChain.xml"})
    assert untouched and [n for n in untouched if after[n] != before[n]] == []
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert {i.filename: i.compress_type for i in archive.infolist() if i.filename in untouched} == \
            {i.filename: i.compress_type for i in zipfile.ZipFile(make(tmp_path / ("again-" + name))).infolist()
             if i.filename in untouched}


class _Unseekable(io.RawIOBase):
    """A stream that cannot seek: zipfile then writes each member's sizes after its data."""

    def __init__(self, out: io.BytesIO):
        self.out = out

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return self.out.write(data)


def test_a_part_stored_uncompressed_or_streamed_with_a_data_descriptor_is_carried_over_as_it_lies(tmp_path, cli):
    """Some producers store parts without compression, or stream them with their sizes after the
    data: such parts are carried over with their bytes and their method, and the result is a zip
    every reader takes — LibreOffice opens it."""
    path = openpyxl_workbook(tmp_path / "客服工作簿.xlsx")
    with zipfile.ZipFile(path) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    streamed = io.BytesIO()
    with zipfile.ZipFile(_Unseekable(streamed), "w") as target:
        for info, data in members:
            kind = zipfile.ZIP_STORED if info.filename == "docProps/app.xml" else zipfile.ZIP_DEFLATED
            target.writestr(zipfile.ZipInfo(info.filename, date_time=info.date_time), data, compress_type=kind)
    path.write_bytes(streamed.getvalue())
    with zipfile.ZipFile(path) as source:
        assert source.getinfo("docProps/core.xml").flag_bits & 0x08   # its sizes follow its data
    before = _deflated_bytes(path)
    assert cli("run", path, "--now", NOW, "--wait", "0").code == 0
    after = _deflated_bytes(path)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert archive.getinfo("docProps/app.xml").compress_type == zipfile.ZIP_STORED
    assert (after["docProps/app.xml"], after["docProps/core.xml"]) == \
        (before["docProps/app.xml"], before["docProps/core.xml"])
    records = lo.sheets_as_csv(path, tmp_path / "csv")["服务记录"]
    assert [row[records[0].index("记录编号")] for row in records[1:3]] == ["CSF20240510000001", "CSF20240511000001"]


def test_a_large_part_deflated_in_chunks_side_by_side_reads_back_as_written(tmp_path, cli, monkeypatch):
    """Every sheet part larger than DEFLATE_CHUNK is deflated in chunks by several threads and the
    chunks joined into one stream: here in 64 KB chunks."""
    from servicebook.definition import definition
    from servicebook.demo.build import DemoSize, generate, write_demo
    from servicebook.xlsx.parts import package

    whole, chunked = tmp_path / "whole" / "客服工作簿.xlsx", tmp_path / "chunked" / "客服工作簿.xlsx"
    whole.parent.mkdir()
    chunked.parent.mkdir()
    write_demo(whole, generate(datetime(2024, 6, 3, 9), DemoSize(records=400, customers=80), seed=7), definition())
    shutil.copy(whole, chunked)
    assert cli("run", whole, "--now", NOW, "--wait", "0").code == 1
    monkeypatch.setattr(package, "DEFLATE_CHUNK", 64 << 10)
    monkeypatch.setattr(package.os, "cpu_count", lambda: 4)
    chunks = []
    monkeypatch.setattr(package, "_deflate_chunk", lambda chunk, deflate=package._deflate_chunk:
                        chunks.append(len(chunk)) or deflate(chunk))
    assert cli("run", chunked, "--now", NOW, "--wait", "0").code == 1
    assert len(chunks) > 20                                  # the records sheet alone is several chunks
    with zipfile.ZipFile(chunked) as archive:
        assert archive.testzip() is None
    expected, written = part_bytes(whole), part_bytes(chunked)
    assert sorted(written) == sorted(expected)
    assert [n for n in expected if n != "docProps/core.xml" and written[n] != expected[n]] == []
    records = lo.sheets_as_csv(chunked, tmp_path / "csv")["服务记录"]
    assert records[1][records[0].index("记录编号")].startswith("CSF")


def test_a_sheet_too_large_to_hold_is_read_through_in_blocks_and_written_the_same(tmp_path, cli, monkeypatch):
    """A sheet larger than STREAM_OVER (at 100,000 records, 170-230 MB of XML) is never held whole:
    read a block at a time as its rows are patched — where its rows lie known from the read of the
    file, or, for a part the run itself wrote since, found in one pass more. Here every sheet is,
    in blocks of 8 KB: a first run and a rerun a day later write the parts the whole-buffer path
    writes, the records read through once by each run's save."""
    from servicebook.definition import definition
    from servicebook.demo.build import DemoSize, generate, write_demo
    from servicebook.xlsx.parts import package, writer

    whole, streamed = tmp_path / "whole" / "客服工作簿.xlsx", tmp_path / "streamed" / "客服工作簿.xlsx"
    whole.parent.mkdir()
    streamed.parent.mkdir()
    write_demo(whole, generate(datetime(2024, 6, 3, 9), DemoSize(records=400, customers=80), seed=7), definition())
    shutil.copy(whole, streamed)
    for now in (NOW, "2024-06-04 10:00"):
        assert cli("run", whole, "--now", now, "--wait", "0").code == 1
    monkeypatch.setattr(writer, "STREAM_OVER", 0)
    monkeypatch.setattr(package, "STREAM_BLOCK", 8 << 10)
    blocks, passes = [], []
    monkeypatch.setattr(package.Package, "stream", lambda self, name, read=package.Package.stream:
                        (passes.append(name) or (blocks.append(name) or block for block in read(self, name))))
    # 客户关怀 is written again after the mail, over the run's own first write: that part is read
    # through once more to find its rows (the first run writes it in both saves, the rerun in the second).
    for now, care_passes in ((NOW, 1 + 2), ("2024-06-04 10:00", 2)):
        assert cli("run", streamed, "--now", now, "--wait", "0").code == 1
        assert (passes.count("xl/worksheets/sheet1.xml"), passes.count("xl/worksheets/sheet4.xml")) == (1, care_passes)
        passes.clear()
    assert blocks.count("xl/worksheets/sheet1.xml") > 2 * 50   # two runs, 50+ blocks each
    expected, written = part_bytes(whole), part_bytes(streamed)
    assert sorted(written) == sorted(expected)
    assert [n for n in expected if n != "docProps/core.xml" and written[n] != expected[n]] == []


@pytest.mark.parametrize("chunk", [4 << 20, 1000])   # one stream; chunks deflated side by side
def test_a_part_made_in_pieces_is_deflated_as_they_come_and_reads_back_as_made(tmp_path, monkeypatch, chunk):
    """A large sheet is never held whole: its pieces are deflated as they are made, before the
    package goes on to the next part."""
    from servicebook.xlsx.parts import package

    monkeypatch.setattr(package, "DEFLATE_CHUNK", chunk)
    monkeypatch.setattr(package.os, "cpu_count", lambda: 4)
    path, target = tmp_path / "原件.xlsx", tmp_path / "写出.xlsx"
    openpyxl.Workbook().save(path)
    pieces = [f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>'.encode() for n in range(1, 3000)]
    taken = []

    def made():
        for piece in pieces:
            taken.append(piece)
            yield memoryview(piece)

    written = Package(path)
    try:
        written.put_stream("xl/worksheets/sheet1.xml", made())
        assert len(taken) == len(pieces)                      # all taken at once, not at the save
        assert written.read("xl/worksheets/sheet1.xml") == b"".join(pieces)
        written.save(target)
    finally:
        written.close()
    with zipfile.ZipFile(target) as archive:
        assert archive.testzip() is None
        assert archive.read("xl/worksheets/sheet1.xml") == b"".join(pieces)
