"""The 客户历史 sheet: one customer's profile and records, rebuilt each time it is asked for."""

from __future__ import annotations

from openpyxl.styles import Alignment, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from servicebook import palette
from servicebook.domain.history import History
from servicebook.domain.values import mask_phone, phone_text
from servicebook.sheets.style import font, page_setup
from servicebook.text import t

COLUMNS = ("received", "ticket", "type", "priority", "status", "assignee", "csat", "tags")
WIDTHS = (17, 20, 8, 8, 9, 12, 8, 24)


def build_history_sheet(ws: Worksheet, history: History) -> None:
    customer, profile = history.customer, history.customer.profile
    none = t("history.none")
    ws.append([t("history.title", name=customer.name, customer_id=customer.customer_id or none,
                 tier=profile.get("tier") or none, preferred=history.preferred or none,
                 phone=mask_phone(phone_text(profile.get("phone"))) if profile.get("phone") else none)])
    ws.append([t("history.contact", contact=profile.get("contact") or none, notes=profile.get("notes") or none)])
    last = history.last_csat
    ws.append([t("history.summary", total=len(history.records), open=len(history.open),
                 last_csat=f"{last['csat']} 分（{last['ticket']}）" if last else none)])
    ws["A1"].font = font(bold=True, size=13, color=palette.TITLE_FONT)
    ws.append([])
    header = [t(f"history.column.{key}") for key in COLUMNS]
    ws.append(header)
    fill = PatternFill(fill_type="solid", start_color=palette.HEADER_FILL, end_color=palette.HEADER_FILL)
    for cell in ws[ws.max_row]:
        cell.font, cell.fill = font(bold=True, color=palette.HEADER_FONT), fill
        cell.alignment = Alignment(horizontal="center")
    for record in history.records:
        ws.append([record[key] for key in COLUMNS])
        ws.cell(row=ws.max_row, column=1).number_format = "yyyy-mm-dd hh:mm"
    for index, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[chr(64 + index)].width = width
    ws.freeze_panes = "A6"
    page_setup(ws, header_row=5)
