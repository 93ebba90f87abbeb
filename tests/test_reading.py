"""The sheets a run reads whole are read side by side (the records beside the rest, each reader
with its own calamine workbook and zip file): the grids are the very ones read one by one, a sheet
that cannot be read says so when it is asked for — and only then — and nothing is left open."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import openpyxl
import pytest

import servicebook.xlsx.read as read
from servicebook.definition import definition
from servicebook.domain.book import read_whole
from servicebook.errors import CannotRun
from tests.support.workbooks import good_record, team_workbook


def _workbook(tmp_path: Path, far_sheet: str | None = None) -> Path:
    path = team_workbook(tmp_path, [good_record(), good_record()])
    wb = openpyxl.load_workbook(path)
    for title in ("进度跟踪", "客户档案", "备用"):
        ws = wb[title] if title in wb.sheetnames else wb.create_sheet(title)
        ws.append(["x", 1, "=1+1", "#N/A"])
        ws.cell(ws.max_row, 4).data_type = "e"
    if far_sheet:
        wb[far_sheet]["XFD1048576"] = "误输入"
    wb.save(path)
    return path


def _grids(path: Path, titles: list[str], side_by_side: bool) -> dict[str, object]:
    source = read.CalamineSource(path)
    try:
        if side_by_side:
            source.prefetch(titles)
            assert len(source._pending) == len(titles)   # the readers did start
        return {title: source.fetch(title, None) for title in titles}
    finally:
        source.close()


@pytest.fixture(autouse=True)
def _two_cores(monkeypatch):
    monkeypatch.setattr(read.os, "cpu_count", lambda: 2)   # side by side on any machine


def _open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_side_by_side_reads_the_same_grids(tmp_path):
    path = _workbook(tmp_path)
    titles = read_whole(definition(), read.CalamineSource(path).titles)
    assert "备用" not in titles and {"服务记录", "进度跟踪", "客户档案", "设置"} <= set(titles)
    before = _open_files()
    assert _grids(path, titles, True) == _grids(path, titles, False)
    assert _open_files() == before


def test_a_sheet_too_large_to_read_says_so_when_asked_for_and_not_before(tmp_path):
    path = _workbook(tmp_path, far_sheet="客户档案")
    before = _open_files()
    source = read.CalamineSource(path)
    try:
        source.prefetch(["服务记录", "客户档案", "进度跟踪"])
        assert source.fetch("服务记录", None)[0][0] == "记录编号"
        with pytest.raises(CannotRun) as refused:
            source.fetch("客户档案", None)
        assert "工作表「客户档案」的内容一直延伸到 XFD1048576 单元格" in refused.value.message
    finally:
        source.close()                     # 进度跟踪 was read and never asked for
    assert _open_files() == before         # every reader's zip file closed with the source


def _largest_records(tmp_path: Path, far: bool = False) -> Path:
    """A workbook whose records are its largest sheet, with a formula and an error value among them."""
    path = team_workbook(tmp_path, [good_record() for _ in range(200)])
    wb = openpyxl.load_workbook(path)
    ws = wb["服务记录"]
    ws["X5"] = "=1+1"
    ws["Y7"] = "#N/A"
    ws["Y7"].data_type = "e"
    if far:
        ws["XFD1048576"] = "误输入"
    wb.save(path)
    return path


def test_the_largest_sheet_read_beside_its_scan_gives_what_one_read_gives(tmp_path):
    """The largest sheet's reader checks only its extent before calamine starts; its formulas, error
    cells and layout come from the other reader — the same as when the sheet is read alone."""
    path = _largest_records(tmp_path)
    titles = read_whole(definition(), read.CalamineSource(path).titles)

    def seen(side_by_side: bool) -> tuple:
        source = read.CalamineSource(path)
        try:
            if side_by_side:
                source.prefetch(titles)
                assert "服务记录" in source._specials   # found beside the read, not by it
            grid = source.fetch("服务记录", None)
            return grid, source.formulas("服务记录"), source._scan("服务记录")
        finally:
            source.close()

    grid, formulas, scan = seen(True)
    assert (grid[6][24], formulas) == ("#N/A", {(5, 24): "1+1"})
    assert (scan.extent.rows, scan.extent.columns) == (201, 702)
    assert (grid, formulas, scan) == seen(False)


def test_the_largest_sheet_too_large_to_read_is_refused_before_calamine_reads_it(tmp_path):
    path = _largest_records(tmp_path, far=True)
    before = _open_files()
    source = read.CalamineSource(path)
    try:
        source.prefetch(["服务记录", "客户档案", "进度跟踪"])
        with pytest.raises(CannotRun) as refused:
            source.fetch("服务记录", None)
        assert "工作表「服务记录」的内容一直延伸到 XFD1048576 单元格" in refused.value.message
        assert source.fetch("客户档案", None)[0][0] == "客户编号"
    finally:
        source.close()
    assert _open_files() == before


def test_a_source_closed_while_its_largest_sheet_is_read_closes_at_once(tmp_path):
    """Closed before anything is fetched: the largest sheet's reader, waiting for its formula and
    error cells, stops waiting; nothing hangs, nothing stays open."""
    import threading

    path = _largest_records(tmp_path)
    before = _open_files()
    for _ in range(10):
        source = read.CalamineSource(path)
        source.prefetch(["服务记录", "客户档案", "进度跟踪"])
        closing = threading.Thread(target=source.close)
        closing.start()
        closing.join(timeout=30)
        assert not closing.is_alive()
    assert _open_files() == before


# ---------------------------------------------------------------- sheets the tool wrote, measured as written


def _measured(monkeypatch) -> list[str]:
    """The parts read through to measure how far their cells reach, as they are measured."""
    from servicebook.xlsx import scan

    measured, real = [], scan._scan

    def counting(archive, part, *, extent, specials):
        if extent:
            measured.append(part)
        return real(archive, part, extent=extent, specials=specials)

    monkeypatch.setattr(scan, "_scan", counting)
    return measured


def _seen(path: Path, known, side_by_side: bool) -> tuple:
    source = read.CalamineSource(path, known)
    try:
        if side_by_side:
            source.prefetch(["服务记录", "进度跟踪", "客户档案"])
        grids = {title: source.fetch(title, None) for title in ("服务记录", "进度跟踪")}
        return grids, {title: source._scan(title) for title in grids}
    finally:
        source.close()


def _run(cli, path: Path) -> None:
    from tests.support.workbooks import NOW

    assert cli("run", path, "--now", NOW.isoformat(sep=" ")).code == 0


def test_the_extents_the_writer_keeps_are_those_of_the_parts_it_wrote(tmp_path, cli):
    """After a run, the state database holds, for each sheet the writer patched, the CRC-32 and size
    the file's directory gives for that part and the extent a scan of it finds."""
    from servicebook.sidecar import Sidecar
    from servicebook.xlsx.scan import sheet_extent

    path = team_workbook(tmp_path, [good_record() for _ in range(30)] + [good_record(ticket_no=None)])
    _run(cli, path)
    kept = Sidecar(path).extents()
    with zipfile.ZipFile(path) as archive:
        assert "xl/worksheets/sheet1.xml" in kept
        for part, (crc, size, rows, columns) in kept.items():
            info = archive.getinfo(part)
            assert (crc, size) == (info.CRC, info.file_size)
            extent = sheet_extent(archive, part)
            assert (rows, columns) == (extent.rows, extent.columns)
    assert kept["xl/worksheets/sheet1.xml"][2:] == (32, 702)   # the header and 31 records


@pytest.mark.parametrize("side_by_side", [True, False])
def test_a_sheet_the_tool_wrote_is_not_measured_again_until_someone_saves_it(tmp_path, cli, monkeypatch, side_by_side):
    """The next read of a sheet the tool wrote, unchanged since, takes its extent from the state
    database instead of inflating the sheet first — the grids, formulas and error cells are the
    same. Once the file is saved by something else (openpyxl here, Excel at a desk), the part
    differs from what was written and is measured again."""
    from servicebook.jobs.session import known_extents
    from servicebook.sidecar import Sidecar

    path = team_workbook(tmp_path, [good_record() for _ in range(30)] + [good_record(ticket_no=None)])
    _run(cli, path)
    known = known_extents(Sidecar(path))
    measured = _measured(monkeypatch)
    assert _seen(path, known, side_by_side) == _seen(path, None, side_by_side)
    assert measured.count("xl/worksheets/sheet1.xml") == 1   # by the read without them only

    openpyxl.load_workbook(path).save(path)
    measured.clear()
    _seen(path, known, side_by_side)
    assert measured.count("xl/worksheets/sheet1.xml") == 1


def test_a_far_cell_typed_into_a_sheet_the_tool_wrote_is_still_refused(tmp_path, cli):
    """The extent kept for a part is used only while the part's CRC-32 and size are the written
    ones: a cell added at XFD1048576 makes it another part, measured and refused before calamine
    would try to hold the sheet."""
    import re

    from servicebook.sidecar import Sidecar

    path = team_workbook(tmp_path, [good_record() for _ in range(30)])
    _run(cli, path)
    assert "xl/worksheets/sheet1.xml" in Sidecar(path).extents()
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts["xl/worksheets/sheet1.xml"] = re.sub(
        rb"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
        parts["xl/worksheets/sheet1.xml"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    result = cli("validate", path, "--now", "2024-05-31 18:00")
    assert result.code == 2
    assert "工作表「服务记录」的内容一直延伸到 XFD1048576 单元格" in result.err


@pytest.mark.parametrize("follow", [True, False])
def test_a_sheet_too_long_for_zz_columns_is_kept_with_its_exact_width_or_measured_again(tmp_path, cli, monkeypatch,
                                                                                      follow):
    """Past MAX_CELLS / 702 rows a sheet's exact farthest column is needed: the writer follows it
    in a part as large as a scan would follow it in, and keeps it; in a smaller part it keeps
    nothing, and the next read measures the sheet as before."""
    from servicebook.sidecar import Sidecar
    from servicebook.xlsx import scan

    path = team_workbook(tmp_path, [good_record() for _ in range(30)])
    monkeypatch.setattr(scan, "MAX_CELLS", 31 * 702 - 1)   # 31 rows of ZZ would be too many
    monkeypatch.setattr(scan, "FOLLOW_COLUMNS_FROM", 0 if follow else 1 << 40)
    _run(cli, path)
    kept = Sidecar(path).extents().get("xl/worksheets/sheet1.xml")
    with zipfile.ZipFile(path) as archive:
        extent = scan.sheet_extent(archive, "xl/worksheets/sheet1.xml")
    assert (extent.rows, extent.columns) == (31, openpyxl.load_workbook(path)["服务记录"].max_column)
    if follow:
        assert kept[2:] == (extent.rows, extent.columns)
    else:
        assert kept is None


CORPUS = Path(__file__).resolve().parent / "corpus" / "excel-written"


def _as_read_whole(path: Path) -> dict[str, list[list[object]]]:
    import python_calamine

    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    grids = {}
    for title in workbook.sheet_names:
        try:
            grids[title] = workbook.get_sheet_by_name(title).to_python(skip_empty_area=False)
        except python_calamine.CalamineError:
            continue
    return grids


def _typed(grid: list[list[object]]) -> list[list[tuple[type, object]]]:
    return [[(type(v), v) for v in cells] for cells in grid]


@pytest.mark.parametrize("path", [*sorted(CORPUS.glob("*.xlsx")), "demo"], ids=lambda p: getattr(p, "name", p))
def test_a_long_sheet_read_a_row_at_a_time_gives_the_grid_read_whole(path, tmp_path, monkeypatch):
    """Sheets Excel wrote (some starting right of column A or below row 1), and the demo: every
    value and its type as `to_python` gives them, with the texts of a column shared."""
    if path == "demo":
        from datetime import datetime

        from servicebook.demo.build import DemoSize, generate, write_demo

        path = tmp_path / "客服工作簿.xlsx"
        write_demo(path, generate(datetime(2024, 6, 3, 9), DemoSize(records=120, customers=40), seed=1), definition())
    monkeypatch.setattr(read, "SHARE_FROM_ROWS", 1)
    monkeypatch.setattr(read, "SHARED_FROM", 7)   # shared from the first seven rows: the rest are looked up
    import python_calamine

    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    for title, whole in _as_read_whole(path).items():
        assert _typed(read._grid(workbook, title)) == _typed(whole), title


def test_a_column_of_few_words_is_one_object_per_word_and_numbers_stay_numbers(tmp_path, monkeypatch):
    """1, 1.0 and True are equal keys: a column holding them among its words keeps each as read."""
    import python_calamine

    path = tmp_path / "词.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    for n in range(60):
        ws.append([("处理中", "已解决", "待受理")[n % 3], (1, True, "是", 2.5)[n % 4], f"客户{n}"])
    wb.save(path)
    monkeypatch.setattr(read, "SHARE_FROM_ROWS", 50)
    monkeypatch.setattr(read, "SHARED_FROM", 12)
    grid = read._grid(python_calamine.CalamineWorkbook.from_path(str(path)), "Sheet")
    words, mixed, names = zip(*grid, strict=True)
    assert len({id(v) for v in words}) == 3 and len(words) == 60
    assert [(type(v), v) for v in mixed] == [(float, 1.0), (bool, True), (str, "是"), (float, 2.5)] * 15
    assert len({id(v) for v in names}) == 60


@pytest.mark.parametrize("chunk", [1 << 20, 4096])   # as read; the rows' end many chunks on
def test_where_the_rows_lie_is_found_by_the_read_as_the_writer_would_find_it(tmp_path, monkeypatch, chunk):
    """The scan before a read finds where each sheet's rows lie and the XML around them — what the
    part writer otherwise reads a large part through once more to find: the same for every sheet
    of the Excel-written workbooks and the demo; none for a sheet with no rows (`<sheetData/>`)."""
    import re
    from datetime import datetime

    from servicebook.demo.build import DemoSize, generate, write_demo
    from servicebook.xlsx import scan
    from servicebook.xlsx.parts.package import Package
    from servicebook.xlsx.parts.sheet import _surroundings

    demo = tmp_path / "客服工作簿.xlsx"
    write_demo(demo, generate(datetime(2024, 6, 3, 9), DemoSize(records=300, customers=60), seed=3), definition())
    monkeypatch.setattr(scan, "CHUNK", chunk)
    found = absent = 0
    for path in [*sorted(CORPUS.glob("*.xlsx")), demo]:
        package = Package(path)
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not re.fullmatch(r"xl/worksheets/[^/]+\.xml", info.filename):
                    continue
                data = archive.read(info)
                prefix, head, tail, rows = _surroundings([data])
                for measured in (scan.scan_sheet(archive, info.filename), scan.sheet_specials(archive, info.filename)):
                    known = scan.KnownRows.of(measured, info)
                    if known is None:
                        assert rows[0] == rows[1], (path.name, info.filename)
                        absent += 1
                        continue
                    assert (known.prefix, known.outside, (known.start, known.end)) == \
                        (prefix, scan.without_rows(prefix, head, tail), rows), (path.name, info.filename)
                    assert (known.crc, known.size) == (info.CRC, info.file_size)
                    found += 1
        package.close()
    assert (found, absent) == (2 * 70, 2 * 14)   # 84 sheets, 14 with no rows; two scans of each
