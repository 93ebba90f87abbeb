"""`servicebook selftest`: on a machine with Excel, every button's entry point on a copy of the demo
workbook opened in Excel, each result checked in the live workbook."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from servicebook.addin import buttons
from servicebook.addin.excel import missing_excel
from servicebook.errors import CannotRun
from servicebook.text import t


def _header_values(book: Any, title: str, header: str) -> list[Any]:
    grid = book.sheets[title].used_range.options(ndim=2).value
    col = grid[0].index(header)
    return [row[col] for row in grid[1:]]


def _titles(book: Any) -> list[str]:
    return [s.name for s in book.sheets]


CHECKS: list[tuple[str, Callable[[Any], bool]]] = [
    ("number", lambda b: all(_header_values(b, "服务记录", "记录编号"))),
    ("validate", lambda b: all(_header_values(b, "服务记录", "校验结果"))),
    ("sla", lambda b: "解决SLA" in b.sheets["服务记录"].used_range.options(ndim=2).value[0]),
    ("care", lambda b: len(_header_values(b, "客户关怀", "关怀编号")) > 0),
    ("report", lambda b: any(title.startswith("月报 ") for title in _titles(b))),
    ("mail_preview", lambda b: True),
]


def run_checks(book: Any) -> list[tuple[str, bool, str]]:
    """Press each button on `book` (live or fake) and check what it left in the workbook."""
    results = []
    for name, check in CHECKS:
        alerts_before = len(getattr(book.app, "alerts", []))
        try:
            buttons.ENTRY_POINTS[name](book)
            ok = check(book)
            detail = "" if ok else t("addin.selftest_fail")
        except Exception as error:   # a self-test reports every failure, it never stops at one
            ok, detail = False, f"{type(error).__name__}: {error}"
        alerts = getattr(book.app, "alerts", [])[alerts_before:]
        if any(a.get("mode") == "critical" for a in alerts):
            ok, detail = False, alerts[-1]["prompt"]
        results.append((name, ok, detail))
    return results


def selftest() -> list[tuple[str, bool, str]]:
    reason = missing_excel()
    if reason:
        raise CannotRun(t("addin.no_excel", reason=reason, what="自检"))
    import xlwings as xw

    from servicebook.definition import definition
    from servicebook.demo.build import DemoSize, generate, write_demo

    with tempfile.TemporaryDirectory() as folder, xw.App(visible=False, add_book=False) as app:
        path = Path(folder) / "自检-客服工作簿.xlsx"
        write_demo(path, generate(datetime.now().replace(microsecond=0), DemoSize(records=300, customers=60), seed=1),
                   definition())
        app.display_alerts = False
        book = app.books.open(str(path))
        app.alert = lambda *a, **k: "ok"   # no one is there to press OK during a self-test
        try:
            return run_checks(book)
        finally:
            book.close()
