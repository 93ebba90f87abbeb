"""The 设置 and 下拉列表 sheets read into plain settings: defaults where a cell is empty or
the sheet is missing, and a problem naming the cell where a value cannot be used."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from servicebook.definition import SettingDef, SettingsDef, TableDef, WorkbookDef
from servicebook.domain.problems import ERROR, WARNING, Problem
from servicebook.domain.suggest import canonical, suggest
from servicebook.domain.table import column_letter
from servicebook.domain.values import as_text, check_email, is_blank, normalize_text
from servicebook.text import t

Grid = Sequence[Sequence[object]]

MAIN_HEADERS = ("类别", "设置项", "值", "说明")
ROW = "__row__"   # the spreadsheet row of a side-table row


@dataclass
class Settings:
    values: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]]    # each row also carries ROW: its spreadsheet row
    problems: list[Problem] = field(default_factory=list)
    title: str = ""                              # the 设置 sheet's name in this workbook
    table_letters: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> column -> letter
    table_rows: dict[str, int] = field(default_factory=dict)    # table -> its header row on the sheet

    def where(self, table: str, column: str, header: str) -> str:
        """How a message names a column of a side table: "M列「受理时限」"."""
        letter = self.table_letters.get(table, {}).get(column, "?")
        return f"{letter}列「{header}」"

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def table(self, key: str) -> list[dict[str, Any]]:
        return self.tables[key]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


@dataclass(frozen=True)
class Vocabulary:
    """The words each dropdown list allows, as this workbook has them."""

    definition: WorkbookDef
    allowed: dict[str, list[str]]
    _standard: dict[tuple[str, str], str] = field(default_factory=dict, compare=False, repr=False)

    def word(self, list_key: str, code: str) -> str:
        return self.definition.lists[list_key].word(code)

    def words(self, list_key: str) -> list[str]:
        return self.allowed[list_key]

    def standard(self, list_key: str, text: str) -> str:
        """The allowed word `text` means when it is that word typed differently (spaces, full-width,
        traditional characters, case) or one of the documents' synonyms (待处理 for 待受理); else
        `text` itself. What the rules compute with; validation still asks for the list's word."""
        if not text or text in self.allowed[list_key]:
            return text
        key = (list_key, text)
        if key not in self._standard:
            hint = suggest(text, self.allowed[list_key])
            self._standard[key] = hint.value if hint and "similar" not in hint.reasons else text
        return self._standard[key]

    def standard_column(self, list_key: str, values: Sequence[object]) -> list[str]:
        """`standard` of each cell of a column as its text, each distinct value understood once
        (the same few words fill a status column; 1 and True are told apart)."""
        seen: dict[object, str] = {}
        out = []
        for value in values:
            key = value if type(value) is str else (type(value), value)
            word = seen.get(key)
            if word is None:
                word = seen[key] = self.standard(list_key, as_text(value))
            out.append(word)
        return out


# ---------------------------------------------------------------- locating tables in a grid


def _cell(grid: Grid, row: int, col: int) -> object:
    if row < len(grid) and col < len(grid[row]):
        return grid[row][col]
    return None


def find_table(grid: Grid, headers: Sequence[str]) -> tuple[int, int] | None:
    """(row, col), 0-based, of the first cell of a run of cells reading `headers`."""
    wanted = [canonical(h) for h in headers]
    for r, cells in enumerate(grid):
        texts = [canonical(c) if isinstance(c, str) else None for c in cells]
        for c in range(len(texts) - len(wanted) + 1):
            if texts[c : c + len(wanted)] == wanted:
                return r, c
    return None


def read_table(grid: Grid, headers: Sequence[str]) -> tuple[int, int, list[list[object]]] | None:
    """The rows under a table's header, up to the first row that is blank across it."""
    found = find_table(grid, headers)
    if found is None:
        return None
    top, left = found
    rows = []
    for r in range(top + 1, len(grid)):
        cells = [_cell(grid, r, left + i) for i in range(len(headers))]
        if all(is_blank(v) for v in cells):
            break
        rows.append(cells)
    return top, left, rows


# ---------------------------------------------------------------- values


class _Bad(ValueError):
    pass


def _parse_value(setting: SettingDef, raw: object) -> Any:
    if setting.type == "text":
        return as_text(raw)
    if setting.type == "int":
        try:
            number = float(normalize_text(as_text(raw)))
        except ValueError:
            raise _Bad(t("settings.not_a_number")) from None
        if not number.is_integer():
            raise _Bad(t("settings.not_an_integer"))
        return _in_range(setting, int(number))
    if setting.type == "number":
        try:
            return _in_range(setting, float(normalize_text(as_text(raw))))
        except ValueError:
            raise _Bad(t("settings.not_a_number")) from None
    if setting.type == "choice":
        text = canonical(as_text(raw))
        for code, label in setting.choices.items():
            if text in (canonical(code), canonical(label)):
                return code
        raise _Bad(t("settings.bad_choice", choices="、".join(setting.choices.values())))
    if setting.type == "timezone":
        name = as_text(raw)
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise _Bad(t("settings.bad_timezone")) from None
        return name
    if setting.type == "email":
        text = as_text(raw)
        if text and not check_email(text).valid:
            raise _Bad(t("settings.bad_email"))
        return text
    if setting.type == "periods":
        return parse_periods(as_text(raw))
    if setting.type == "bool":
        text = canonical(as_text(raw))
        if text in ("是", "yes", "true", "1", "开", "启用"):
            return True
        if text in ("否", "no", "false", "0", "关", "停用"):
            return False
        raise _Bad(t("settings.bad_bool"))
    raise ValueError(f"unknown setting type {setting.type}")


def _in_range(setting: SettingDef, number: float) -> float:
    if not math.isfinite(number):
        raise _Bad(t("settings.not_a_number"))
    if setting.min is not None and number < setting.min:
        raise _Bad(t("settings.too_small", min=setting.min))
    if setting.max is not None and number > setting.max:
        raise _Bad(t("settings.too_large", max=setting.max))
    return number


_PERIOD = re.compile(r"^(\d{1,2})[:：](\d{2})\s*[-~～至到]\s*(\d{1,2})[:：](\d{2})$")


def parse_periods(text: str) -> list[tuple[int, int]]:
    """"09:00-12:00, 13:00-18:00" -> [(32400, 43200), (46800, 64800)] seconds of the day."""
    periods = []
    for part in re.split(r"[,，;；、]", normalize_text(text)):
        part = part.strip()
        if not part:
            continue
        match = _PERIOD.match(part)
        if not match:
            raise _Bad(t("settings.bad_time_range"))
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
        if not (0 <= start < end <= 86400) or m1 > 59 or m2 > 59:
            raise _Bad(t("settings.bad_time_range"))
        periods.append((start, end))
    periods.sort()
    if not periods or any(a[1] > b[0] for a, b in itertools.pairwise(periods)):
        raise _Bad(t("settings.bad_time_range"))
    return periods


def default_value(setting: SettingDef) -> Any:
    return _parse_value(setting, setting.default) if setting.type == "periods" else setting.default


# ---------------------------------------------------------------- reading the sheets


def default_settings(definition: SettingsDef) -> Settings:
    values = {s.key: default_value(s) for s in definition.settings}
    tables = {tbl.key: [{**{c.key: None if is_blank(v) else v for c, v in zip(tbl.columns, row, strict=True)},
                         ROW: None} for row in tbl.rows] for tbl in definition.tables}
    return Settings(values, tables, title=definition.name)


def read_settings(definition: SettingsDef, sheet_title: str | None, grid: Grid) -> Settings:
    """Settings from the 设置 sheet's grid; `sheet_title` None means the sheet is missing."""
    settings = default_settings(definition)
    settings.title = sheet_title or definition.name
    if sheet_title is None:
        settings.problems.append(Problem(definition.name, None, None, WARNING, "settings_missing",
                                         t("settings.sheet_missing")))
        return settings
    _read_main(definition, sheet_title, grid, settings)
    for table in definition.tables:
        _read_side_table(table, sheet_title, grid, settings)
    return settings


def _read_main(definition: SettingsDef, title: str, grid: Grid, settings: Settings) -> None:
    found = read_table(grid, MAIN_HEADERS[1:3])
    if found is None:
        settings.problems.append(Problem(title, None, None, WARNING, "settings_table_missing",
                                         t("settings.main_missing")))
        return
    top, left, rows = found
    by_label = {canonical(s.label): s for s in definition.settings}
    value_col = column_letter(left + 2)
    for offset, (label, raw) in enumerate(rows):
        row = top + 2 + offset
        setting = by_label.get(canonical(as_text(label)))
        where = f"{value_col}列「值」"
        if setting is None:
            if not is_blank(label):
                settings.problems.append(Problem(title, row, f"{column_letter(left + 1)}列「设置项」", WARNING,
                                                 "unknown_setting", t("settings.unknown", label=as_text(label))))
            continue
        if is_blank(raw):
            continue
        try:
            settings.values[setting.key] = _parse_value(setting, raw)
        except _Bad as bad:
            message = t("settings.bad_value", label=setting.label, value=as_text(raw), why=str(bad))
            settings.problems.append(Problem(title, row, where, ERROR, "bad_setting", message))


def _read_side_table(table: TableDef, title: str, grid: Grid, settings: Settings) -> None:
    found = read_table(grid, [c.header for c in table.columns])
    if found is None:
        settings.problems.append(Problem(title, None, None, WARNING, "settings_table_missing",
                                         t("settings.table_missing", table=table.title)))
        return
    top, left, rows = found
    keys = [c.key for c in table.columns]
    settings.table_letters[table.key] = {key: column_letter(left + 1 + i) for i, key in enumerate(keys)}
    settings.table_rows[table.key] = top + 1
    settings.tables[table.key] = [
        {**dict(zip(keys, (None if is_blank(v) else v for v in row), strict=True)), ROW: top + 2 + offset}
        for offset, row in enumerate(rows)
    ]


def read_vocabulary(definition: WorkbookDef, grid: Grid | None) -> tuple[Vocabulary, list[Problem]]:
    """Dropdown words from the 下拉列表 sheet where it has a list, else from the definition."""
    allowed = {key: list(lst.values.values()) for key, lst in definition.lists.items()}
    problems: list[Problem] = []
    if not grid:
        return Vocabulary(definition, allowed), problems
    header = [canonical(c) if isinstance(c, str) else None for c in grid[0]]
    for key, lst in definition.lists.items():
        if canonical(lst.name) not in header:
            continue
        col = header.index(canonical(lst.name))
        words = [as_text(r[col]) for r in grid[1:] if col < len(r) and not is_blank(r[col])]
        for word in lst.values.values():
            if word not in words:
                where = f"{column_letter(col + 1)}列「{lst.name}」"
                problems.append(Problem(definition.lists_sheet_name, None, where, WARNING, "list_word_missing",
                                        t("lists.word_missing", word=word)))
                words.append(word)
        allowed[key] = words
    return Vocabulary(definition, allowed), problems
