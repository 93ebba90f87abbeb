"""Comparing what LibreOffice shows with what is stored, cell by cell."""

from __future__ import annotations

import math
from datetime import date, datetime, time
from pathlib import Path

import openpyxl


def as_libreoffice_text(value: object, number_format: str = "General") -> str:
    """How LibreOffice's CSV export (raw values, not as shown) writes a stored value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        shows_time = "h" in number_format.lower() or value.time() != time()
        return value.strftime("%Y-%m-%d %H:%M:%S") if shows_time else value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _close(text: str, value: float) -> bool:
    """Numbers compared as numbers; LibreOffice writes percent-formatted cells as "5%"."""
    try:
        seen = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        return False
    return math.isclose(seen, value, rel_tol=1e-12, abs_tol=1e-12)


def differences(path: Path, libreoffice: dict[str, list[list[str]]]) -> list[str]:
    """Cells whose LibreOffice reading differs from the stored value, for every sheet."""
    found = []
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        lo_rows = libreoffice.get(ws.title)
        if lo_rows is None:
            found.append(f"{ws.title}: LibreOffice did not export this sheet")
            continue
        for r, row in enumerate(ws.iter_rows()):
            for c, cell in enumerate(row):
                seen = lo_rows[r][c] if r < len(lo_rows) and c < len(lo_rows[r]) else ""
                expected = as_libreoffice_text(cell.value, cell.number_format)
                number = isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool)
                if number and _close(seen, cell.value):
                    continue   # LibreOffice writes 15 significant digits, Python up to 17
                if seen != expected:
                    found.append(f"{ws.title}!R{r + 1}C{c + 1}: stored {expected!r}, LibreOffice {seen!r}")
    return found
