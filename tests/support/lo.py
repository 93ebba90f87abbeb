"""LibreOffice (headless) as a real spreadsheet application that opens what we write."""

from __future__ import annotations

import csv
import shutil
import subprocess
import tempfile
from pathlib import Path

CSV_ALL_SHEETS = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
_PROFILE = Path(tempfile.gettempdir()) / "servicebook-tests-lo-profile"


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    assert found, "LibreOffice is required for these tests: apt-get install libreoffice-calc-nogui"
    return found


CSV_UTF8_IN = "Text - txt - csv (StarCalc):44,34,76,1,,0,false,true"  # UTF-8, detect dates and numbers


def convert(paths: list[Path], target: str, outdir: Path, recalc: bool = False, infilter: str | None = None) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    profile = _PROFILE.with_name(_PROFILE.name + ("-recalc" if recalc else ""))
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
