"""The team workbook's definition, loaded from the data files in `workbook/`."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from servicebook.resources import data_dir

COLUMN_TYPES = {"text", "longtext", "datetime", "date", "enum", "score", "phone", "email", "ticket", "hours"}


@dataclass(frozen=True)
class ColumnDef:
    key: str
    header: str
    type: str = "text"
    list: str | None = None
    aliases: tuple[str, ...] = ()
    required: bool = False
    computed: bool = False
    template: bool = True
    width: float | None = None
    help: str | None = None
    hidden: bool = False


@dataclass(frozen=True)
class SheetDef:
    key: str
    name: str
    columns: tuple[ColumnDef, ...]
    aliases: tuple[str, ...] = ()
    tool_owned: bool = False
    freeze_columns: int = 0

    def column(self, key: str) -> ColumnDef:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(f"{self.key} has no column {key!r}")

    @functools.cached_property
    def keys(self) -> frozenset[str]:
        return frozenset(c.key for c in self.columns)

    @property
    def template_columns(self) -> tuple[ColumnDef, ...]:
        return tuple(c for c in self.columns if c.template)


@dataclass(frozen=True)
class ListDef:
    key: str
    name: str
    values: dict[str, str]  # code -> word users see

    def word(self, code: str) -> str:
        return self.values[code]


@dataclass(frozen=True)
class SettingDef:
    key: str
    group: str
    label: str
    type: str
    default: Any
    help: str = ""
    choices: dict[str, str] = field(default_factory=dict)  # code -> label
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class TableColumn:
    key: str
    header: str


@dataclass(frozen=True)
class TableDef:
    key: str
    title: str
    columns: tuple[TableColumn, ...]
    rows: tuple[tuple[Any, ...], ...]
    help: str = ""


@dataclass(frozen=True)
class SettingsDef:
    name: str
    aliases: tuple[str, ...]
    settings: tuple[SettingDef, ...]
    tables: tuple[TableDef, ...]

    def setting(self, key: str) -> SettingDef:
        for s in self.settings:
            if s.key == key:
                return s
        raise KeyError(key)

    def transports(self) -> dict[str, str]:
        """Every way a message goes out, code -> the name 设置 shows: mail transports and robots."""
        return {**self.setting("mail_transport").choices, **self.setting("robot_kind").choices}

    def table(self, key: str) -> TableDef:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)


@dataclass(frozen=True)
class WorkbookDef:
    sheets: dict[str, SheetDef]
    lists: dict[str, ListDef]
    settings: SettingsDef
    lists_sheet_name: str = "下拉列表"
    state_sheet_name: str = "_servicebook"

    def sheet(self, key: str) -> SheetDef:
        return self.sheets[key]


def _load_toml(path: Path) -> dict:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _column(raw: dict, where: str) -> ColumnDef:
    col = ColumnDef(
        key=raw["key"],
        header=raw["header"],
        type=raw.get("type", "text"),
        list=raw.get("list"),
        aliases=tuple(raw.get("aliases", ())),
        required=raw.get("required", False),
        computed=raw.get("computed", False),
        template=raw.get("template", True),
        width=raw.get("width"),
        help=raw.get("help"),
        hidden=raw.get("hidden", False),
    )
    if col.type not in COLUMN_TYPES:
        raise ValueError(f"{where}: column {col.key} has unknown type {col.type!r}")
    if (col.type == "enum") != (col.list is not None):
        raise ValueError(f"{where}: column {col.key}: enum columns, and only they, name a list")
    return col


def _sheet(path: Path) -> SheetDef:
    raw = _load_toml(path)
    columns = tuple(_column(c, path.name) for c in raw["columns"])
    keys = [c.key for c in columns]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{path.name}: duplicate column keys")
    return SheetDef(
        key=raw["key"],
        name=raw["name"],
        columns=columns,
        aliases=tuple(raw.get("aliases", ())),
        tool_owned=raw.get("tool_owned", False),
        freeze_columns=raw.get("freeze_columns", 0),
    )


def _settings(raw: dict) -> SettingsDef:
    settings = tuple(
        SettingDef(
            key=s["key"],
            group=s["group"],
            label=s["label"],
            type=s["type"],
            default=s["default"],
            help=s.get("help", ""),
            choices=dict(s.get("choices", {})),
            min=s.get("min"),
            max=s.get("max"),
        )
        for s in raw.get("settings", ())
    )
    tables = tuple(
        TableDef(
            key=t["key"],
            title=t["title"],
            columns=tuple(TableColumn(c["key"], c["header"]) for c in t["columns"]),
            rows=tuple(tuple(r) for r in t.get("rows", ())),
            help=t.get("help", ""),
        )
        for t in raw.get("tables", ())
    )
    return SettingsDef(raw["name"], tuple(raw.get("aliases", ())), settings, tables)


def load_definition(folder: Path | None = None) -> WorkbookDef:
    folder = folder or data_dir("workbook")
    sheets: dict[str, SheetDef] = {}
    for path in sorted((folder / "sheets").glob("*.toml")):
        sheet = _sheet(path)
        sheets[sheet.key] = sheet
    lists = {
        key: ListDef(key, raw["name"], dict(raw["values"]))
        for key, raw in _load_toml(folder / "lists.toml").items()
    }
    for sheet in sheets.values():
        for col in sheet.columns:
            if col.list and col.list not in lists:
                raise ValueError(f"{sheet.key}.{col.key} names unknown list {col.list!r}")
    return WorkbookDef(sheets=sheets, lists=lists, settings=_settings(_load_toml(folder / "settings.toml")))


@cache
def definition() -> WorkbookDef:
    """The shipped definition (cached; it does not change while the program runs)."""
    return load_definition()
