"""LibreOffice (headless) as a real spreadsheet application that opens what we write."""

from __future__ import annotations

import atexit
import csv
import functools
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

CSV_ALL_SHEETS = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


@functools.cache
def _profiles() -> Path:
    """LibreOffice profiles of this test run alone: two runs on one machine never share one."""
    folder = Path(tempfile.mkdtemp(prefix=f"servicebook-lo-{os.getpid()}-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    assert found, "LibreOffice is required for these tests: apt-get install libreoffice-calc-nogui"
    return found


CSV_UTF8_IN = "Text - txt - csv (StarCalc):44,34,76,1,,0,false,true"  # UTF-8, detect dates and numbers


def convert(paths: list[Path], target: str, outdir: Path, recalc: bool = False, infilter: str | None = None) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    profile = _profiles() / ("recalc" if recalc else "plain")
    if recalc:
        _always_recalculate(profile)
    command = [soffice(), "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
               *([f"--infilter={infilter}"] if infilter else []),
               "--convert-to", target, "--outdir", str(outdir), *map(str, paths)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def _always_recalculate(profile: Path) -> None:
    """Make LibreOffice recompute every formula on load (it trusts cached values otherwise)."""
    registry = profile / "user" / "registrymodifications.xcu"
    if registry.exists():
        return
    registry.parent.mkdir(parents=True, exist_ok=True)
    registry.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        '<item oor:path="/org.openoffice.Office.Calc/Formula/Load">'
        '<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>\n'
        "</oor:items>\n",
        encoding="utf-8",
    )


def sheets_as_csv(path: Path, outdir: Path, recalc: bool = False) -> dict[str, list[list[str]]]:
    """Every sheet of a workbook as LibreOffice reads it: sheet title -> rows of text."""
    convert([path], CSV_ALL_SHEETS, outdir, recalc=recalc)
    sheets = {}
    for produced in outdir.glob(f"{path.stem}-*.csv"):
        title = produced.stem[len(path.stem) + 1:]
        with produced.open(encoding="utf-8", newline="") as fh:
            sheets[title] = list(csv.reader(fh))
    assert sheets, f"LibreOffice produced no CSV for {path}"
    return sheets


def pdf_to_png(pdf: Path, outdir: Path, first: int = 1, last: int = 1, dpi: int = 80) -> Path:
    """Render PDF pages with poppler's pdftoppm; returns the first page's PNG."""
    tool = shutil.which("pdftoppm")
    assert tool, "poppler is required for these tests: apt-get install poppler-utils"
    outdir.mkdir(parents=True, exist_ok=True)
    prefix = outdir / pdf.stem
    subprocess.run([tool, "-r", str(dpi), "-png", "-f", str(first), "-l", str(last), str(pdf), str(prefix)],
                   check=True, timeout=120)
    pages = sorted(outdir.glob(f"{pdf.stem}-*.png"))
    assert pages, f"pdftoppm produced nothing for {pdf}"
    return pages[0]


# ---------------------------------------------------------------- sorting, as a person does in Calc

_SORT_MACRO = """Sub SortRange
  Dim load(0) As New com.sun.star.beans.PropertyValue
  load(0).Name = "Hidden"
  load(0).Value = True
  doc = StarDesktop.loadComponentFromURL(ConvertToURL(Environ("SB_SORT_FILE")), "_blank", 0, load())
  sheet = doc.Sheets.getByName(Environ("SB_SORT_SHEET"))
  rng = sheet.getCellRangeByName(Environ("SB_SORT_RANGE"))
  Dim field(0) As New com.sun.star.table.TableSortField
  field(0).Field = CInt(Environ("SB_SORT_COLUMN"))
  field(0).IsAscending = Environ("SB_SORT_ASCENDING") = "1"
  Dim desc(0) As New com.sun.star.beans.PropertyValue
  desc(0).Name = "SortFields"
  desc(0).Value = field()
  rng.sort(desc())
  Dim store(0) As New com.sun.star.beans.PropertyValue
  store(0).Name = "FilterName"
  store(0).Value = "Calc MS Excel 2007 XML"
  doc.storeToURL(ConvertToURL(Environ("SB_SORT_OUT")), store())
  doc.close(True)
End Sub
"""


@functools.cache
def _sorting_profile() -> Path:
    """A profile whose Standard Basic library holds the sort macro (LibreOffice writes its default
    library on first start, so it is started once before the macro goes in)."""
    profile = _profiles() / "sort"
    scratch = _profiles() / "sort-init"
    scratch.mkdir(parents=True, exist_ok=True)
    (scratch / "empty.csv").write_text("x\n", encoding="utf-8")
    subprocess.run([soffice(), "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
                    "--convert-to", "xlsx", "--outdir", str(scratch), str(scratch / "empty.csv")],
                   capture_output=True, timeout=300, check=True)
    module = profile / "user" / "basic" / "Standard" / "Module1.xba"
    module.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE script:module PUBLIC '
                      '"-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">\n<script:module '
                      'xmlns:script="http://openoffice.org/2000/script" script:name="Module1" '
                      f'script:language="StarBasic">{escape(_SORT_MACRO)}</script:module>\n', encoding="utf-8")
    return profile


def sort_rows(path: Path, sheet: str, ref: str, column: int, out: Path, ascending: bool = True) -> None:
    """Sort the cells of `ref` on `sheet` by its `column`-th column (0-based) in LibreOffice Calc,
    as a person selecting a Table's rows and sorting them does, and save the result as `out`."""
    env = {**os.environ, "SB_SORT_FILE": str(path), "SB_SORT_SHEET": sheet, "SB_SORT_RANGE": ref,
           "SB_SORT_COLUMN": str(column), "SB_SORT_ASCENDING": "1" if ascending else "0", "SB_SORT_OUT": str(out)}
    profile = _sorting_profile()
    done = subprocess.run([soffice(), "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
                           "macro:///Standard.Module1.SortRange"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and out.exists(), done.stderr


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page of a PDF, laid out as printed (poppler's pdfinfo and pdftotext)."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    return [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), "-layout", str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout for n in range(1, count + 1)]
