"""Writing the demo workbook: the team template filled with generated customers and cases.

Cases older than a few days carry numbers, as if earlier runs had numbered them; the newest
ones wait for `servicebook number`, as they would after a day of typing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from servicebook.definition import SheetDef, WorkbookDef, definition
from servicebook.demo.mistakes import add_mistakes
from servicebook.demo.people import AGENTS, OFF_DUTY, SUPERVISOR, TEAM_DOMAIN, make_customers
from servicebook.demo.records import Demo, make_care_history, make_records
from servicebook.domain.headers import HeaderMap
from servicebook.domain.numbering import assign_numbers
from servicebook.domain.table import SheetTable
from servicebook.sheets.style import NUMBER_FORMATS
from servicebook.sheets.template import new_workbook

UNNUMBERED_DAYS = 2
MISTAKE_ROWS = 40
DUPLICATE_NUMBERS = 2


@dataclass(frozen=True)
class DemoSize:
    records: int = 3000
    customers: int = 700
    days: int = 120


def generate(now: datetime, size: DemoSize, seed: int) -> Demo:
    rng = random.Random(seed)
    customers = make_customers(rng, size.customers, now.date())
    start = (now - timedelta(days=size.days)).replace(hour=0, minute=0, second=0, microsecond=0)
    demo = make_records(rng, customers, size.records, start, now)
    cutoff = now - timedelta(days=UNNUMBERED_DAYS)
    older = [r for r in demo.records if r["received_at"] < cutoff]
    demo.counters = _number(older)
    spoiled = add_mistakes(rng, older, MISTAKE_ROWS)
    clean = [r for i, r in enumerate(older) if i not in set(spoiled)]
    for source, target in zip(rng.sample(clean, DUPLICATE_NUMBERS), rng.sample(clean, DUPLICATE_NUMBERS), strict=True):
        if source is not target:
            target["ticket_no"] = source["ticket_no"]  # a row copied over another, number and all
    for entry in demo.progress:
        entry["ticket_no"] = entry.pop("record").get("ticket_no")
    demo.progress = [e for e in demo.progress if e["ticket_no"]]
    # Its own generator, so the records stay the same whether or not the care log is made.
    demo.care = make_care_history(random.Random(seed * 7919 + 1), demo.records, now)
    return demo


def _number(older: list[dict]) -> dict[str, int]:
    """Number the older cases with the tool's own rule, as earlier runs would have."""
    sheet = definition().sheet("records")
    table = SheetTable(sheet, sheet.name, HeaderMap(row=1, columns={"ticket_no": 1, "received_at": 2}),
                       row_numbers=list(range(2, len(older) + 2)),
                       values={"ticket_no": [None] * len(older), "received_at": [r["received_at"] for r in older]})
    result = assign_numbers(table, "csf_daily", {}, {})
    for index, number in result.assigned.items():
        older[index]["ticket_no"] = number
    return result.counters


def _write_rows(ws: Worksheet, sheet: SheetDef, rows: list[dict]) -> None:
    columns = list(sheet.template_columns)
    formats = {i: NUMBER_FORMATS.get(c.type) for i, c in enumerate(columns, start=1)}
    for r, row in enumerate(rows, start=2):
        for c, col in enumerate(columns, start=1):
            value = row.get(col.key)
            if value is None or value == "":
                continue
            cell = ws.cell(row=r, column=c, value=value)
            if formats[c] == "@" or (formats[c] and not isinstance(value, str)):
                cell.number_format = formats[c]
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"


def write_demo(path: Path, demo: Demo, definition: WorkbookDef) -> None:
    wb = new_workbook(definition)
    _write_rows(wb[definition.sheet("records").name], definition.sheet("records"), demo.records)
    _write_rows(wb[definition.sheet("progress").name], definition.sheet("progress"), demo.progress)
    customers = [vars(c) for c in demo.customers]
    _write_rows(wb[definition.sheet("customers").name], definition.sheet("customers"), customers)
    _write_rows(wb[definition.sheet("care").name], definition.sheet("care"), demo.care)
    ws = wb[definition.sheet("counters").name]
    for r, (prefix, serial) in enumerate(sorted(demo.counters.items()), start=2):
        ws.cell(row=r, column=1, value=prefix)
        ws.cell(row=r, column=2, value=serial)
    _write_rows(wb[definition.sheet("roster").name], definition.sheet("roster"), roster())
    supervisor = next(a for a in AGENTS if a[0] == SUPERVISOR)
    _set_settings(wb[definition.settings.name], definition, {
        "mail_from": f"service@{TEAM_DOMAIN}",
        "supervisor_name": supervisor[1],
        "supervisor_email": f"{supervisor[0].lower()}@{TEAM_DOMAIN}",
    })
    wb.save(path)


def roster() -> list[dict]:
    return [{"agent_id": agent_id, "name": name, "group": group, "senior": senior,
             "on_duty": "否" if agent_id in OFF_DUTY else "是", "email": f"{agent_id.lower()}@{TEAM_DOMAIN}"}
            for agent_id, name, group, senior in AGENTS]


def _set_settings(ws: Worksheet, definition: WorkbookDef, values: dict[str, object]) -> None:
    """Fill the demo's own values into the 设置 sheet, found by each setting's label."""
    labels = {definition.settings.setting(key).label: value for key, value in values.items()}
    for row in ws.iter_rows(min_row=1, max_col=3):
        if row[1].value in labels:
            row[2].value = labels[row[1].value]
