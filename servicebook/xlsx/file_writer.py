"""Edits into the saved workbook file, safely: never while someone has it open, never over a
change made since it was read, always through a checked temporary copy with a backup kept."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from servicebook.definition import WorkbookDef
from servicebook.edits import Edits
from servicebook.errors import CannotRun
from servicebook.text import t
from servicebook.xlsx.lock import ensure_not_open
from servicebook.xlsx.parts.writer import write_edits
from servicebook.xlsx.save import replace_atomically
from servicebook.xlsx.scan import KnownExtent, KnownRows


def fingerprint(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


class FileWriter:
    """One command's writes into one file, read at `fingerprint`. `engine` turns the file and an
    edit set into the new file: the lossless part writer (tests compare it with openpyxl's)."""

    engine = staticmethod(write_edits)

    def __init__(self, path: Path, definition: WorkbookDef, backups: Path, keep: int):
        self.path = path
        self.definition = definition
        self.backups = backups
        self.keep = keep
        self.fingerprint = fingerprint(path)
        self.changed = False   # whether any write so far replaced the file (an identical result does not)
        self.extents: dict[str, KnownExtent] = {}   # of the sheets the last write patched, by part
        self.known_rows: dict[str, KnownRows] = {}   # where the rows lie in the file as read, by part

    def write(self, edits: Edits, backup: bool = True) -> Path | None:
        """Returns the backup of the previous version (None when `backup` is False)."""
        ensure_not_open(self.path)
        if fingerprint(self.path) != self.fingerprint:
            raise CannotRun(t("save.changed_meanwhile", name=self.path.name))
        self.extents = {}
        saved = replace_atomically(self.path, partial(self._write, edits), self.backups, self.keep if backup else 0)
        now = fingerprint(self.path)
        self.changed = self.changed or now != self.fingerprint
        self.fingerprint = now
        return saved

    def _write(self, edits: Edits, target: Path) -> bool:
        """True: the engine read back what it wrote (the part writer does; the tests' openpyxl one not)."""
        extents = self.engine(self.path, target, edits=edits, definition=self.definition, known_rows=self.known_rows)
        self.extents = extents or {}
        return extents is not None
