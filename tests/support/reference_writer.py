"""The reference every writer is compared with: openpyxl loads the file, the edits are laid out
on its worksheets (servicebook.sheets.edits, the layout the live writer also uses for new
sheets) and openpyxl saves it. It loses what openpyxl cannot keep (shapes, slicers), so it is
a reference for values, formats and rules, never a writer for users."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from servicebook.sheets.edits import apply_edits
from servicebook.xlsx.file_writer import FileWriter


def openpyxl_engine(source: Path, target: Path, edits, definition, known_rows=None) -> None:
    """`known_rows` (where the part writer finds rows) means nothing to openpyxl."""
    wb = openpyxl.load_workbook(source)
    apply_edits(wb, edits, definition)
    wb.save(target)


class ReferenceWriter(FileWriter):
    engine = staticmethod(openpyxl_engine)
