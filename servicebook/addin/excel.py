"""Whether Excel can be driven from here, and why not."""

from __future__ import annotations

import sys


def missing_excel() -> str | None:
    """None when xlwings can start Excel on this machine; otherwise the reason, in Chinese."""
    if sys.platform not in ("win32", "darwin"):
        return "Excel 不能在 Linux 上运行"
    try:
        import xlwings as xw

        app = xw.App(visible=False, add_book=False)
        app.quit()
    except Exception as error:   # xlwings raises platform-specific errors when Excel is absent
        return f"xlwings 无法启动 Excel：{error}"
    return None
