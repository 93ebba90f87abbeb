"""The hidden 编号记录 sheet: the highest serial ever given per number prefix, written once per
save from the counters every step raised (record numbers, care numbers)."""

from __future__ import annotations

from servicebook.domain.book import Book
from servicebook.domain.values import as_text
from servicebook.edits import Edits, NewSheet


def counter_edits(book: Book, counters: dict[str, int], edits: Edits) -> None:
    """Write the raised counters into the hidden 编号记录 sheet, creating it when missing."""
    remembered = book.counters
    changed = {k: v for k, v in counters.items() if remembered.get(k, 0) < v}
    if not changed:
        return
    table = book.table("counters")
    if table is None or not table.headers.found:
        title = book.definition.sheet("counters").name if table is None else table.title
        if table is None:
            edits.new_sheets.append(NewSheet(title, "counters"))
        else:
            columns = book.definition.sheet("counters").columns
            edits.sheet(title).cells.update({(1, i): c.header for i, c in enumerate(columns, start=1)})
        rows, next_row, prefix_col, serial_col = {}, 2, 1, 2
    else:
        title = table.title
        rows = {as_text(p): table.row_numbers[i] for i, p in enumerate(table.column("prefix"))}
        next_row = edits.rows_for(table, sum(1 for p in changed if p not in rows))
        prefix_col, serial_col = table.column_index("prefix"), table.column_index("serial")
    sheet = edits.sheet(title)
    for prefix, serial in sorted(changed.items()):
        row = rows.get(prefix)
        if row is None:
            row, next_row = next_row, next_row + 1
            sheet.set(row, prefix_col, prefix)
        sheet.set(row, serial_col, serial)
