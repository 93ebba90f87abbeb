"""Laying out a sheet from its definition with openpyxl: styled header, widths, frozen header,
filter, number formats and the validation that gives every enumerated column its dropdown."""

from __future__ import annotations

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from servicebook import palette
from servicebook.definition import ColumnDef, SheetDef
from servicebook.edits import NewColumn
from servicebook.sheets.conventions import FORMULA_STARTS, LAST_ROW, computed_prompt
from servicebook.text import t

FIRST_VALID_DATE = 36526  # 2000-01-01 as an Excel serial

NUMBER_FORMATS = {
    "datetime": "yyyy-mm-dd hh:mm",
    "date": "yyyy-mm-dd",
    "phone": "@",
    "ticket": "@",
    "score": "0",
    "hours": "0.0",
}

_THIN = Side(style="thin", color="BFBFBF")
HEADER_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)


def text_only(ws: Worksheet) -> None:
    """Every cell of a sheet laid out from data stays text: nothing the tool copies into a sheet
    (a tag, a customer's name, a status someone typed) is ever a live formula or a DDE link."""
    # The cells there are, not iter_rows: that makes a cell of every empty place in the sheet's
    # range (a report's lists are rows without cells until the part writer puts them in).
    for cell in ws._cells.values():
        if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS)):
            cell.data_type = "s"
            cell.quotePrefix = True


def list_name(list_key: str) -> str:
    """The defined name a dropdown refers to (ASCII: Excel keeps such validations standard)."""
    return f"list_{list_key}"


def style_header(cell, kind: str) -> None:
    """kind: required, optional or computed."""
    fill, looks = {
        "required": (palette.HEADER_FILL, font(bold=True, color=palette.HEADER_FONT)),
        "optional": (palette.OPTIONAL_HEADER_FILL, font(bold=True, color=palette.HEADER_FONT)),
        "computed": (palette.COMPUTED_HEADER_FILL, font(bold=True, italic=True, color=palette.COMPUTED_HEADER_FONT)),
    }[kind]
    cell.fill = PatternFill(fill_type="solid", start_color=fill, end_color=fill)
    cell.font = looks
    cell.alignment = HEADER_ALIGN
    cell.border = HEADER_BORDER


def _header_kind(col: ColumnDef) -> str:
    if col.computed:
        return "computed"
    return "required" if col.required else "optional"


def _validation(col: ColumnDef, ref: str) -> DataValidation | None:
    """One validation per column: its dropdown or type check, and its input message."""
    if col.computed:
        dv = DataValidation(showInputMessage=True, promptTitle=t("template.computed_title"),
                            prompt=computed_prompt(col.help))
    elif col.type == "enum":
        dv = DataValidation(type="list", formula1=list_name(col.list or ""), allow_blank=True,
                            errorStyle="warning", showErrorMessage=True,
                            errorTitle=col.header, error=t("template.pick_from_list"))
    elif col.type == "score":
        dv = DataValidation(type="whole", operator="between", formula1="1", formula2="5", allow_blank=True,
                            showErrorMessage=True, errorTitle=col.header, error=t("template.score_range"))
    elif col.type in ("datetime", "date"):
        dv = DataValidation(type="date", operator="greaterThanOrEqual", formula1=str(FIRST_VALID_DATE),
                            allow_blank=True, errorStyle="warning", showErrorMessage=True,
                            errorTitle=col.header, error=t(f"template.{col.type}_expected"))
    elif col.help:
        dv = DataValidation(allow_blank=True)
    else:
        return None
    if col.help and not col.computed:
        dv.showInputMessage = True
        dv.promptTitle = col.header
        dv.prompt = col.help
    dv.add(ref)
    return dv


def lay_out_sheet(ws: Worksheet, sheet: SheetDef, columns: list[ColumnDef] | None = None) -> None:
    """Header, widths, formats, dropdowns, frozen header and filter for an empty sheet."""
    columns = columns or list(sheet.template_columns)
    for index, col in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=1, column=index, value=col.header)
        style_header(cell, _header_kind(col))
        dim = ws.column_dimensions[letter]
        dim.width = col.width or 12
        if col.type in NUMBER_FORMATS:
            dim.number_format = NUMBER_FORMATS[col.type]
        if col.hidden:
            dim.hidden = True
        dv = _validation(col, f"{letter}2:{letter}{LAST_ROW}")
        if dv is not None:
            ws.add_data_validation(dv)
    ws.row_dimensions[1].height = 30
    ws.freeze_panes = ws.cell(row=2, column=sheet.freeze_columns + 1)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}1"


def add_computed_column(ws: Worksheet, header_row: int, new: NewColumn) -> None:
    """A computed column appended to an existing sheet: marked header and an input message."""
    letter = get_column_letter(new.col)
    cell = ws.cell(row=header_row, column=new.col, value=new.header)
    style_header(cell, "computed")
    ws.column_dimensions[letter].width = new.width or 14
    if new.hidden:
        ws.column_dimensions[letter].hidden = True
    dv = DataValidation(showInputMessage=True, promptTitle=t("template.computed_title"),
                        prompt=computed_prompt(new.help))
    dv.add(f"{letter}{header_row + 1}:{letter}{LAST_ROW}")
    ws.add_data_validation(dv)
    if ws.auto_filter.ref:
        _widen_filter(ws, new.col)


def _widen_filter(ws: Worksheet, col: int) -> None:
    start, _, end = ws.auto_filter.ref.partition(":")
    end = end or start
    last_letter = "".join(ch for ch in end if ch.isalpha())
    last_row = end[len(last_letter):]
    if column_index_from_string(last_letter) < col:
        ws.auto_filter.ref = f"{start}:{get_column_letter(col)}{last_row}"


# Column widths (in characters) that still print legibly fitted to one A4 page across: about 145
# fit landscape at full size, so 260 still prints at over half size.
PORTRAIT_WIDTH, LANDSCAPE_WIDTH = 100, 260
PAGE_FOOTER = "第 &P 页，共 &N 页"


def page_setup(ws: Worksheet, header_row: int = 1, last_column: int | None = None, key_columns: int = 1) -> None:
    """How a sheet the tool creates prints: A4, the header row on every page, page numbers at the
    foot; fitted to the page width when its columns allow it legibly (portrait, else landscape).
    A sheet wider than that (服务记录's 40-odd columns) prints at full size across pages, a
    record's columns on consecutive pages, its first `key_columns` (记录编号) on each.
    `last_column`: print only up to it (设置's main table, not the side tables)."""
    last = last_column or ws.max_column
    widths = sum((ws.column_dimensions[get_column_letter(c)].width or 8.43)
                 for c in range(1, last + 1) if not ws.column_dimensions[get_column_letter(c)].hidden)
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait" if widths <= PORTRAIT_WIDTH else "landscape"
    if widths <= LANDSCAPE_WIDTH:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    else:
        ws.page_setup.pageOrder = "overThenDown"
        ws.print_title_cols = f"A:{get_column_letter(key_columns)}"
    if last_column:
        ws.print_area = f"A1:{get_column_letter(last_column)}{max(ws.max_row, header_row + 1)}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.oddFooter.center.text = PAGE_FOOTER


def font(size: float = palette.FONT_SIZE, **looks) -> Font:
    """The tool's font (palette.FONT_NAME) with the given looks (bold, italic, color)."""
    return Font(name=palette.FONT_NAME, size=size, charset=palette.FONT_CHARSET, **looks)


def use_team_font(wb) -> None:
    """A new workbook's default font (cells with no font of their own) is the tool's."""
    from openpyxl.utils.indexed_list import IndexedList

    wb._fonts = IndexedList([font(family=2)])   # openpyxl keeps the default as its first font
    wb._named_styles["Normal"].font = font(family=2)
