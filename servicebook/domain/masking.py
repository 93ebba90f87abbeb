"""Phone numbers are kept masked (138****5678): the only change the tool makes to typed cells."""

from __future__ import annotations

from servicebook.domain.table import SheetTable
from servicebook.domain.values import is_blank, mask_phone, phone_text


def phones_to_mask(table: SheetTable) -> dict[tuple[str, int], str]:
    """(column key, row index) -> the masked text to write, for every phone still readable.

    A number stored as a spreadsheet number is rewritten as masked text even when it is too short
    to be a phone: once it is text, Excel no longer shows it as 1.38E+10.
    """
    changes: dict[tuple[str, int], str] = {}
    for col in table.definition.columns:
        if col.type != "phone" or not table.has(col.key):
            continue
        for index, value in enumerate(table.column(col.key)):
            if is_blank(value) or table.is_formula(col.key, index):   # a formula is the team's, not ours
                continue
            text = phone_text(value)
            masked = mask_phone(text)
            if masked != text or not isinstance(value, str):
                changes[(col.key, index)] = masked
    return changes
