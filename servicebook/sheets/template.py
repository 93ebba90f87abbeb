"""A new team workbook, built from the definition in `workbook/`."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from servicebook import palette
from servicebook.definition import SettingsDef, WorkbookDef
from servicebook.domain.settings import MAIN_HEADERS
from servicebook.sheets.style import font, lay_out_sheet, list_name, page_setup, style_header, use_team_font

# Sheets in the order a team reads them; tool-owned sheets follow the team's.
SHEET_ORDER = ("records", "progress", "customers", "care", "roster", "mail_log", "status_history")
HIDDEN_SHEETS = ("counters",)
SIDE_TABLE_GAP = 1
SETTINGS_FIRST_ROW = 4


SETTINGS, LISTS = "settings", "lists"


def sheet_keys_in_order() -> list[str]:
    """Every sheet `init` creates, by key, in tab order."""
    return [*SHEET_ORDER, SETTINGS, LISTS, *HIDDEN_SHEETS]


def default_title(definition: WorkbookDef, key: str) -> str:
    if key == SETTINGS:
        return definition.settings.name
    if key == LISTS:
        return definition.lists_sheet_name
    return definition.sheet(key).name


def build_sheet(wb: Workbook, definition: WorkbookDef, key: str, title: str) -> Worksheet:
    """Add one of the definition's sheets, laid out and filled with its defaults."""
    ws = wb.create_sheet(title)
    if key == SETTINGS:
        write_settings_sheet(ws, definition.settings)
        page_setup(ws, SETTINGS_FIRST_ROW - 1, last_column=len(MAIN_HEADERS))
    elif key == LISTS:
        write_lists_sheet(wb, ws, definition)
        page_setup(ws)
    else:
        lay_out_sheet(ws, definition.sheet(key))
        page_setup(ws, key_columns=max(1, definition.sheet(key).freeze_columns))
        if key in HIDDEN_SHEETS:
            ws.sheet_state = "hidden"
    return ws


def new_workbook(definition: WorkbookDef) -> Workbook:
    wb = Workbook()
    use_team_font(wb)
    wb.remove(wb.active)
    for key in sheet_keys_in_order():
        build_sheet(wb, definition, key, default_title(definition, key))
    wb.active = 0
    return wb


def write_lists_sheet(wb: Workbook, ws: Worksheet, definition: WorkbookDef) -> None:
    for index, lst in enumerate(definition.lists.values(), start=1):
        letter = get_column_letter(index)
        style_header(ws.cell(row=1, column=index, value=lst.name), "required")
        words = list(lst.values.values())
        for row, word in enumerate(words, start=2):
            ws.cell(row=row, column=index, value=word)
        ws.column_dimensions[letter].width = max(10, 2.2 * max(len(w) for w in words) + 2)
        ref = f"${letter}$2:${letter}${len(words) + 1}"
        quoted = ws.title.replace("'", "''")
        wb.defined_names[list_name(lst.key)] = DefinedName(list_name(lst.key), attr_text=f"'{quoted}'!{ref}")
    ws.freeze_panes = "A2"


def write_settings_sheet(ws: Worksheet, settings: SettingsDef) -> None:
    """Each table: title in row 1, what it is for in row 2, header in row 3, values below."""
    _table_heading(ws, 1, "基本设置", "主管可直接修改「值」一列；留空则使用默认值。", MAIN_HEADERS)
    for row, setting in enumerate(settings.settings, start=SETTINGS_FIRST_ROW):
        value = setting.choices.get(setting.default, setting.default) if setting.choices else setting.default
        if isinstance(value, bool):
            value = "是" if value else "否"
        ws.cell(row=row, column=1, value=setting.group)
        ws.cell(row=row, column=2, value=setting.label)
        ws.cell(row=row, column=3, value=value)
        ws.cell(row=row, column=4, value=setting.help).alignment = Alignment(wrap_text=True, vertical="top")
        if setting.choices:
            choices = ",".join(setting.choices.values())
            dv = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True, showErrorMessage=True)
            dv.add(f"C{row}")
            ws.add_data_validation(dv)
    for letter, width in zip("ABCD", (12, 22, 26, 60), strict=True):
        ws.column_dimensions[letter].width = width
    column = len(MAIN_HEADERS) + 1 + SIDE_TABLE_GAP
    for table in settings.tables:
        _table_heading(ws, column, table.title, table.help, [c.header for c in table.columns])
        for row, values in enumerate(table.rows, start=SETTINGS_FIRST_ROW):
            for offset, value in enumerate(values):
                ws.cell(row=row, column=column + offset, value=value)
        column += len(table.columns) + SIDE_TABLE_GAP
    ws.freeze_panes = f"A{SETTINGS_FIRST_ROW}"


def _table_heading(ws: Worksheet, column: int, title: str, help_text: str, headers) -> None:
    ws.cell(row=1, column=column, value=title).font = font(bold=True, size=12, color=palette.TITLE_FONT)
    ws.cell(row=2, column=column, value=help_text).font = font(italic=True, color="808080")
    for offset, header in enumerate(headers):
        style_header(ws.cell(row=3, column=column + offset, value=header), "required")
        if column > 1:
            ws.column_dimensions[get_column_letter(column + offset)].width = 16
