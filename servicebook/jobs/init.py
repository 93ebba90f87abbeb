"""`servicebook init`: a new team workbook, or the tool's missing sheets added to an existing one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from servicebook.definition import definition
from servicebook.domain.book import Book
from servicebook.edits import Edits, NewSheet
from servicebook.errors import CannotRun
from servicebook.jobs.session import open_session
from servicebook.sheets.template import LISTS, SETTINGS, default_title, new_workbook, sheet_keys_in_order
from servicebook.sidecar import Sidecar
from servicebook.text import t
from servicebook.xlsx.read import SUFFIXES
from servicebook.xlsx.save import replace_atomically


@dataclass
class InitReport:
    path: Path
    created: bool
    added: list[str]


def _present(book: Book, key: str) -> bool:
    if key == SETTINGS:
        return book.settings_title is not None
    if key == LISTS:
        return book.lists_title is not None
    return book.table(key) is not None


def missing_sheets(book: Book, edits: Edits) -> list[str]:
    """Add the definition's sheets this workbook lacks; existing sheets are left as they are."""
    added = []
    for key in sheet_keys_in_order():
        if not _present(book, key):
            title = default_title(book.definition, key)
            if title in book.titles:
                continue  # a sheet of that name exists but is not ours: leave it alone
            edits.new_sheets.append(NewSheet(title, key))
            added.append(title)
    return added


def init(path: Path) -> InitReport:
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise CannotRun(t("init.bad_suffix", path=str(path)))
    if not path.parent.exists():
        raise CannotRun(t("open.no_folder", path=str(path.parent)))
    if path.exists():
        with open_session(path) as session:
            edits = Edits()
            added = missing_sheets(session.book, edits)
            session.save(edits)
        return InitReport(path, False, added)
    if path.suffix.lower() == ".xlsm":
        raise CannotRun(t("init.no_xlsm"))
    wb = new_workbook(definition())
    replace_atomically(path, wb.save, Sidecar(path).backups, keep=1)
    return InitReport(path, True, list(wb.sheetnames))
