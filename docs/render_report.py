"""Render the demo's monthly report to a PNG for the README, through LibreOffice.

    python docs/render_report.py            # writes docs/report-example.png

Needs LibreOffice (soffice) and poppler (pdftoppm). The demo is built for a fixed date so the
picture is reproducible.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

import openpyxl

from servicebook.jobs.demo import demo

HERE = Path(__file__).resolve().parent


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        result = demo(work, now=datetime(2026, 11, 23, 10, 0))
        wb = openpyxl.load_workbook(result.path)
        for name in wb.sheetnames:
            if name != result.run.report.title:
                del wb[name]
        single = work / "report.xlsx"
        wb.save(single)
        profile = (work / "profile").as_uri()
        subprocess.run(["soffice", "--headless", f"-env:UserInstallation={profile}", "--convert-to", "pdf",
                        "--outdir", str(work), str(single)], check=True, capture_output=True, timeout=300)
        subprocess.run(["pdftoppm", "-r", "110", "-png", "-f", "1", "-l", "1", "-singlefile", str(work / "report.pdf"),
                        str(work / "page")], check=True, timeout=120)
        shutil.copy(work / "page.png", HERE / "report-example.png")
    print(HERE / "report-example.png")


if __name__ == "__main__":
    main()
