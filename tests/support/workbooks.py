"""Real workbooks for the tests: our own template filled with rows, and workbooks as other
producers (XlsxWriter, LibreOffice) write them."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl

from servicebook.definition import definition
from servicebook.jobs.init import init

NOW = datetime(2024, 5, 31, 18, 0)


def good_record(**changes: Any) -> dict[str, Any]:
    """A record that passes validation, by column key."""
    record = {
        "received_at": datetime(2024, 5, 10, 9, 30),
        "channel": "电话",
        "customer_id": "U20240001",
        "customer_name": "张伟",
        "phone": "138****5678",
        "email": "zhangwei@example.com",
        "tier": "普通",
        "type": "故障",
        "priority": "紧急",
        "description": "客户反映“APP无法登录”，经核实为系统版本过低。",
        "emotion": "焦急",
        "assignee": "C008 张敏",
        "department": "技术部",
        "status": "已关闭",
        "accepted_at": datetime(2024, 5, 10, 9, 45),
        "first_response_at": datetime(2024, 5, 10, 10, 0),
        "solution": "引导客户升级系统",
        "resolved_at": datetime(2024, 5, 10, 15, 0),
        "closed_at": datetime(2024, 5, 10, 18, 0),
        "csat": 5,
        "tags": "登录故障",
    }
    record.update(changes)
    return record


def header_columns(ws, header_row: int = 1) -> dict[str, int]:
    return {str(c.value).strip(): c.column for c in ws[header_row] if c.value is not None}


def write_rows(path: Path, sheet_key: str, rows: list[dict[str, Any]], first_row: int = 2) -> None:
    """Write rows (by column key) under the header of one of our sheets."""
    wb = openpyxl.load_workbook(path)
    sheet = definition().sheet(sheet_key)
    ws = wb[sheet.name]
    columns = header_columns(ws)
    for offset, row in enumerate(rows):
        for key, value in row.items():
            if key in {c.key for c in sheet.columns}:
                ws.cell(row=first_row + offset, column=columns[sheet.column(key).header], value=value)
    wb.save(path)


def team_workbook(folder: Path, records: list[dict[str, Any]], name: str = "客服工作簿.xlsx") -> Path:
    path = folder / name
    init(path)
    if records:
        write_rows(path, "records", records)
    return path


def set_setting(path: Path, label: str, value: Any) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["设置"]
    for row in ws.iter_rows(min_row=1):
        if row[1].value == label:
            row[2].value = value
            break
    else:
        raise KeyError(label)
    wb.save(path)


def sheet_rows(path: Path, title: str) -> list[list[Any]]:
    wb = openpyxl.load_workbook(path)
    return [list(r) for r in wb[title].iter_rows(values_only=True)]


def records_by_header(path: Path, title: str = "服务记录", header_row: int = 1) -> list[dict[str, Any]]:
    rows = sheet_rows(path, title)
    headers = rows[header_row - 1]
    return [dict(zip(headers, r, strict=False)) for r in rows[header_row:] if any(v is not None for v in r)]


def part_bytes(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
