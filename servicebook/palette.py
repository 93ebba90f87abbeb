"""The tool's colours, shared by every writer so Excel, LibreOffice and the live add-in agree."""

from __future__ import annotations

# fill, font colour (RRGGBB)
HIGHLIGHTS: dict[str, tuple[str, str]] = {
    "error": ("FFC7CE", "9C0006"),     # a problem to fix
    "warning": ("FFEB9C", "9C5700"),   # worth a look
    "breach": ("FFC7CE", "9C0006"),    # SLA breached
    "risk": ("FFEB9C", "9C5700"),      # SLA at risk
    "late": ("F8CBAD", "833C0B"),      # SLA done, but after its deadline: not the red of a live breach
    "met": ("C6EFCE", "006100"),       # SLA met
    "paused": ("EDEDED", "595959"),    # SLA clock paused
}

# One font family for everything the tool writes: on every Windows since Vista, and LibreOffice
# maps it to its CJK sans (Noto Sans CJK), so titles never fall back to a serif beside sans text.
FONT_NAME, FONT_SIZE, FONT_CHARSET = "微软雅黑", 11, 134   # 134: GB2312, the charset Excel records for it

HEADER_FILL = "1F4E78"
HEADER_FONT = "FFFFFF"
OPTIONAL_HEADER_FILL = "2E75B6"
COMPUTED_HEADER_FILL = "D9D9D9"
COMPUTED_HEADER_FONT = "595959"
COMPUTED_BODY_FONT = "595959"
TITLE_FONT = "1F4E78"
