"""`servicebook addin build`: the .xlam from addin/ and macros/, made by Excel itself.

The VBA project can only be written by Excel (no library writes a vbaProject.bin whose macros
run), so Excel imports the modules through COM — xlwings' RunPython module with this add-in's
project name, and our callbacks — and saves the workbook as an add-in; the ribbon part is then
added to the saved package.
"""

from __future__ import annotations

import locale
import sys
import tempfile
from pathlib import Path

from servicebook.addin.excel import missing_excel
from servicebook.addin.install import PROJECT
from servicebook.errors import CannotRun
from servicebook.resources import data_dir
from servicebook.text import t
from servicebook.xlsx.parts.ribbon import add_ribbon

XL_OPEN_XML_ADDIN = 55


def modules() -> list[tuple[str, str]]:
    """(file name, VBA source) of every module the add-in holds."""
    import xlwings

    runner = (Path(xlwings.__file__).parent / "xlwings_custom_addin.bas").read_text(encoding="utf-8")
    runner = runner.replace('PROJECT_NAME As String = "myaddin"', f'PROJECT_NAME As String = "{PROJECT}"')
    ours = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(data_dir("macros").glob("*.bas"))]
    return [("xlwings.bas", runner), *ours]


def build(out_dir: Path) -> Path:
    reason = missing_excel()
    if reason:
        raise CannotRun(t("addin.no_excel", reason=reason, what="生成加载项"))
    if sys.platform != "win32":
        raise CannotRun(t("addin.build_needs_windows"))
    import xlwings as xw

    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{PROJECT}.xlam"
    with xw.App(visible=False, add_book=False) as app, tempfile.TemporaryDirectory() as scratch:
        book = app.books.add()
        try:
            components = book.api.VBProject.VBComponents
        except Exception as error:   # Excel refuses unless "trust access to the VBA project" is on
            raise CannotRun(t("addin.trust_vba")) from error
        for name, source in modules():
            # Excel imports .bas files in the ANSI code page (GBK on a Chinese Windows).
            module = Path(scratch) / name
            module.write_bytes(source.replace("\n", "\r\n").encode(locale.getpreferredencoding(False), "replace"))
            components.Import(str(module))
        book.api.SaveAs(str(target), FileFormat=XL_OPEN_XML_ADDIN)
        book.close()
    add_ribbon(target, data_dir("addin", packaged_as="ribbon") / "customUI14.xml")
    return target
