"""Comparing what LibreOffice shows with what is stored, cell by cell."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import openpyxl


def as_libreoffice_text(value: object) -> str:
    """How LibreOffice's CSV export (raw values, not as shown) writes a stored value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") if value.time() != time() else value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def differences(path: Path, libreoffice: dict[str, list[list[str]]]) -> list[str]:
    """Cells whose LibreOffice reading differs from the stored value, for every sheet."""
    found = []
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        lo_rows = libreoffice.get(ws.title)
        if lo_rows is None:
            found.append(f"{ws.title}: LibreOffice did not export this sheet")
            continue
        for r, row in enumerate(ws.iter_rows(values_only=True)):
            for c, value in enumerate(row):
                seen = lo_rows[r][c] if r < len(lo_rows) and c < len(lo_rows[r]) else ""
                expected = as_libreoffice_text(value)
                if seen != expected:
                    found.append(f"{ws.title}!R{r + 1}C{c + 1}: stored {expected!r}, LibreOffice {seen!r}")
    return found
