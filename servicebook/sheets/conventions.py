"""What every writer of a sheet agrees on, without openpyxl: Excel's last row, the first
characters that make a typed text a formula, and what a computed column says when selected.
(The part writer imports these on every save; openpyxl is loaded only when a sheet is laid out.)"""

from __future__ import annotations

from servicebook.text import t

LAST_ROW = 1048576
# A text beginning so is a formula (or becomes one when a person edits the cell): the tool's text is
# stored as text, with Excel's quote prefix, whatever it begins with.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def computed_prompt(help_text: str | None) -> str:
    """What a computed column says when a cell is selected: what it holds, and not to type there."""
    return f"{help_text}{t('template.do_not_type')}" if help_text else t("template.computed_prompt")
