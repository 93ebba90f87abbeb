"""A workbook as the domain sees it: which sheet is which, their tables, the settings, the
dropdown words and the remembered number counters. Built from grids an adapter supplies."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from servicebook.definition import SettingsDef, SheetDef, WorkbookDef
from servicebook.domain.headers import MIN_HEADER_MATCHES, find_headers, sheet_name_matches
from servicebook.domain.layout import SheetLayout
from servicebook.domain.problems import ERROR, WARNING, Problem
from servicebook.domain.settings import Settings, Vocabulary, read_settings, read_vocabulary
from servicebook.domain.suggest import canonical
from servicebook.domain.table import SheetTable, build_table, column_letter
from servicebook.domain.values import as_text, digits_only, is_blank
from servicebook.text import t

Grid = Sequence[Sequence[object]]
# fetch(title, nrows) -> the sheet's rows from A1; nrows None for all of them
Fetch = Callable[[str, int | None], Grid]


class Source(Protocol):
    """What an adapter offers the domain of a workbook: its sheets' values, which cells hold
    formulas (they are read by their cached values), and what else occupies each sheet."""

    titles: list[str]

    def fetch(self, title: str, nrows: int | None) -> Grid: ...

    def formulas(self, title: str) -> Mapping[tuple[int, int], str]: ...

    def layout(self, title: str) -> SheetLayout: ...

# A sheet found by its headers rather than its name needs this many known columns.
MIN_COLUMNS_BY_HEADERS = 3
# The sheets every command reads, in the order they are looked for.
DATA_SHEETS = ("records", "progress", "customers", "care", "roster", "mail_log", "status_history", "counters")


@dataclass
class Book:
    definition: WorkbookDef
    titles: list[str]
    tables: dict[str, SheetTable] = field(default_factory=dict)
    settings: Settings | None = None
    vocab: Vocabulary | None = None
    problems: list[Problem] = field(default_factory=list)
    settings_title: str | None = None
    lists_title: str | None = None

    def table(self, key: str) -> SheetTable | None:
        return self.tables.get(key)

    def title_for(self, key: str) -> str:
        """The sheet's title in this workbook, or the definition's name for a sheet to create."""
        table = self.tables.get(key)
        return table.title if table else self.definition.sheet(key).name

    @property
    def counters(self) -> dict[str, int]:
        table = self.tables.get("counters")
        if table is None:
            return {}
        counters: dict[str, int] = {}
        for prefix, serial in zip(table.column("prefix"), table.column("serial"), strict=True):
            text = as_text(serial)
            if not is_blank(prefix) and digits_only(text):
                counters[as_text(prefix)] = max(counters.get(as_text(prefix), 0), int(text))
        return counters


def _names(sheet: SheetDef | SettingsDef) -> tuple[str, ...]:
    """What a sheet of the definition is called: its name and the aliases teams give it."""
    return (sheet.name, *sheet.aliases)


def _by_name(titles: list[str], names: Sequence[str]) -> str | None:
    wanted = {canonical(n) for n in names}
    return next((title for title in titles if canonical(title) in wanted), None)


def team_aliases(settings: Settings, definition: WorkbookDef) -> dict[str, dict[str, list[str]]]:
    """sheet key -> column key -> the team's own headers for it (设置 → 表头别名)."""
    found: dict[str, dict[str, list[str]]] = {}
    for row in settings.table("header_aliases"):
        sheet_name, standard, alias = (as_text(row.get(k)) for k in ("sheet", "standard", "alias"))
        if not (standard and alias):
            continue
        for sheet in definition.sheets.values():
            if sheet_name and not sheet_name_matches(sheet_name, sheet):
                continue
            for col in sheet.columns:
                if canonical(standard) in (canonical(col.header), canonical(col.key)):
                    found.setdefault(sheet.key, {}).setdefault(col.key, []).append(alias)
    return found


def read_book_settings(definition: WorkbookDef, source: Source) -> tuple[str | None, Settings]:
    """The 设置 sheet's title (None: there is none) and the settings it holds."""
    title = _by_name(source.titles, _names(definition.settings))
    return title, read_settings(definition.settings, title, source.fetch(title, None) if title else [])


def read_whole(definition: WorkbookDef, titles: list[str]) -> list[str]:
    """The sheets `read_book` reads whole that it finds by their names (设置, 下拉列表 and each data
    sheet named as the definition names it): a reader may start on them before they are asked for."""
    names = [_names(definition.settings), (definition.lists_sheet_name,)]
    names += [_names(sheet) for sheet in map(definition.sheet, DATA_SHEETS)]
    found = (_by_name(titles, group) for group in names)
    return list(dict.fromkeys(title for title in found if title is not None))


def read_book(definition: WorkbookDef, source: Source) -> Book:
    titles, fetch = source.titles, source.fetch
    book = Book(definition, list(titles))
    book.settings_title, book.settings = read_book_settings(definition, source)
    book.problems.extend(book.settings.problems)
    book.lists_title = lists_title = _by_name(titles, (definition.lists_sheet_name,))
    book.vocab, list_problems = read_vocabulary(definition, fetch(lists_title, None) if lists_title else None)
    book.problems.extend(list_problems)
    aliases = team_aliases(book.settings, definition)
    claimed = {book.settings_title, lists_title}
    found: dict[str, str] = {}
    for key in DATA_SHEETS:
        title = _find_sheet(definition.sheet(key), titles, claimed, fetch, aliases.get(key, {}), definition)
        if title is not None:
            claimed.add(title)
            found[key] = title
    # The records, the largest sheet, are built last: a reader may still be reading them while the
    # other tables are built.
    built = {key: build_table(definition.sheet(key), title, fetch(title, None), aliases.get(key, {}),
                              formulas=source.formulas(title), layout=source.layout(title))
             for key, title in sorted(found.items(), key=lambda item: item[0] == "records")}
    for key in found:
        book.tables[key] = built[key]
        book.problems.extend(mapping_problems(built[key]))
    return book


def _known_elsewhere(title: str, sheet: SheetDef, definition: WorkbookDef) -> bool:
    """A sheet named as another of the definition's sheets (客户关怀 when looking for the records)."""
    others = [s for s in definition.sheets.values() if s.key != sheet.key]
    names = [n for s in others for n in _names(s)]
    names += [*_names(definition.settings), definition.lists_sheet_name]
    return _by_name([title], names) is not None


def _find_sheet(sheet: SheetDef, titles: list[str], claimed: set, fetch: Fetch,
                aliases: dict[str, list[str]], definition: WorkbookDef) -> str | None:
    named = _by_name([t for t in titles if t not in claimed], _names(sheet))
    if named or sheet.tool_owned:
        return named
    best, best_score = None, MIN_COLUMNS_BY_HEADERS - 1
    for title in titles:
        if title in claimed or _known_elsewhere(title, sheet, definition):
            continue
        score = len(find_headers(fetch(title, 20), sheet, aliases).columns)
        if score > best_score:
            best, best_score = title, score
    return best


def mapping_problems(table: SheetTable) -> list[Problem]:
    """Missing and doubled columns of a sheet, as `check` reports them."""
    problems = []
    if not table.headers.found:
        problems.append(Problem(table.title, None, None, ERROR, "no_header",
                                t("check.no_header", min=MIN_HEADER_MATCHES)))
        return problems
    for col in table.definition.columns:
        if col.required and not table.has(col.key):
            problems.append(Problem(table.title, table.headers.row, None, ERROR, "missing_required",
                                    t("check.required_absent", header=col.header), col.key))
    for key, index, text in table.headers.duplicates:
        problems.append(Problem(table.title, table.headers.row, f"{column_letter(index)}列「{text}」", WARNING,
                                "duplicate_header", t("check.duplicate_header", first=table.cell_name(key)), key))
    return problems
