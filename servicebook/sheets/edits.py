"""Applying an edit set to a workbook loaded with openpyxl."""

from __future__ import annotations

from datetime import date, datetime

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.styles.numbers import is_date_format
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from servicebook import palette
from servicebook.definition import WorkbookDef
from servicebook.edits import BuiltSheet, Edits, Highlight, SheetEdits, is_ours, marked
from servicebook.sheets.style import FORMULA_STARTS, add_computed_column
from servicebook.sheets.template import build_sheet


def apply_edits(wb: Workbook, edits: Edits, definition: WorkbookDef) -> None:
    for new in edits.new_sheets:
        if new.title not in wb.sheetnames:
            build_sheet(wb, definition, new.sheet_key, new.title)
    for title, sheet in edits.sheets.items():
        apply_sheet_edits(wb[title], sheet)
    for built in edits.built_sheets:
        rebuild_sheet(wb, built)


def apply_sheet_edits(ws: Worksheet, sheet: SheetEdits) -> None:
    for column in sheet.new_columns:
        add_computed_column(ws, sheet.header_row, column)
    for (row, col), value in sheet.cells.items():
        write_cell(ws, row, col, value, sheet.formats.get(col))
    if sheet.highlights:
        replace_highlights(ws, sheet.highlights)


def rebuild_sheet(wb: Workbook, built: BuiltSheet) -> Worksheet:
    """Replace a tool-owned sheet where it stands (or add it last) and lay it out afresh."""
    index = None
    if built.title in wb.sheetnames:
        index = wb.sheetnames.index(built.title)
        wb.remove(wb[built.title])
    ws = wb.create_sheet(built.title, index)
    built.lay_out(ws)
    return ws


def write_cell(ws: Worksheet, row: int, col: int, value: object, number_format: str | None) -> None:
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    date_format = is_date_format(cell.number_format)
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"  # text that only looks like a formula stays text
        cell.quotePrefix = True
    if number_format and value is not None:
        cell.number_format = number_format
    elif isinstance(value, (datetime, date)) and not date_format:
        # openpyxl would pick its own; both writers agree on ours
        cell.number_format = "yyyy-mm-dd hh:mm" if isinstance(value, datetime) else "yyyy-mm-dd"


def highlight_rule(highlight: Highlight, group: str) -> FormulaRule:
    fill, font = palette.HIGHLIGHTS[highlight.style]
    return FormulaRule(
        formula=[marked(highlight.formula, group)],
        fill=PatternFill(fill_type="solid", start_color=fill, end_color=fill, bgColor=fill),
        font=Font(color=font),
        stopIfTrue=highlight.stop,
    )


def replace_highlights(ws: Worksheet, highlights: dict[str, list[Highlight]]) -> None:
    """Drop the rules these jobs wrote before, keep everyone else's, add the new ones."""
    kept = ConditionalFormattingList()
    for formatting in ws.conditional_formatting:
        for rule in formatting.rules:
            if not any(is_ours(f, group) for f in (rule.formula or ()) for group in highlights):
                kept.add(str(formatting.sqref), rule)
    for group, rules in highlights.items():
        for highlight in rules:
            kept.add(highlight.ref, highlight_rule(highlight, group))
    ws.conditional_formatting = kept
