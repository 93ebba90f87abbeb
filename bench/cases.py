"""What the benchmarks time. Each function takes the path of a scratch copy of a workbook."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

NOW = datetime(2026, 11, 23, 10, 0)


def openpyxl_load_save(path: str) -> None:
    """Baseline: what any openpyxl-based tool pays to change one cell."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    wb.save(path)


def calamine_read(path: str) -> None:
    """Baseline: reading every sheet's values with python-calamine."""
    import python_calamine

    workbook = python_calamine.CalamineWorkbook.from_path(path)
    for name in workbook.sheet_names:
        workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)


def validate_number(path: str) -> None:
    """`servicebook run` as of the foundation: number, validate, one safe save."""
    from servicebook.jobs.run import run
    from servicebook.jobs.session import open_session

    run(open_session(Path(path), now=NOW))


def sla_working_hours(path: str) -> float:
    """The SLA computation on the working-hours clock, timed after the workbook has been read."""
    import time

    from servicebook.edits import Edits
    from servicebook.jobs.session import open_session
    from servicebook.jobs.sla import sla_edits

    session = open_session(Path(path), now=NOW, writing=False)
    session.settings.values["sla_clock"] = "working"
    start = time.perf_counter()
    sla_edits(session, Edits())
    return time.perf_counter() - start


def report_after_read(path: str) -> float:
    """The monthly report (the SLA it needs, every figure, the sheet with its charts laid out),
    timed after the workbook has been read; writing the file is the writer's cost, not the report's."""
    import time

    import openpyxl

    from servicebook.edits import Edits
    from servicebook.jobs.report import report_edits
    from servicebook.jobs.session import open_session
    from servicebook.sheets.edits import rebuild_sheet

    session = open_session(Path(path), now=NOW, writing=False)
    start = time.perf_counter()
    edits = Edits()
    report_edits(session, edits)
    rebuild_sheet(openpyxl.Workbook(), edits.built_sheets[0])
    return time.perf_counter() - start


def headless_run(path: str) -> None:
    """The nightly run's work on the rows, through the lossless writer: number, assign, validate,
    SLA, care plan and last month's report, one save. Mail is left out: its cost follows the
    number of emails due (a few on an ordinary night), not the number of rows."""
    from servicebook.batch import tune_for_batch
    from servicebook.edits import Edits
    from servicebook.jobs.pipeline import run_steps
    from servicebook.jobs.report import report_edits
    from servicebook.jobs.run import due_report
    from servicebook.jobs.session import open_session

    tune_for_batch()   # as servicebook's command line does
    session = open_session(Path(path), now=NOW)
    edits = Edits()
    steps = run_steps(session, edits)
    report_edits(session, edits, due_report(session), steps.sla.computed)
    session.save(edits)




def _run(path: str, now: str) -> None:
    """`servicebook run` as the scheduler calls it — the command line, with the imports it pays —
    every step, mail to the outbox, due reports (exit code 1: the demo has typing mistakes)."""
    import sys

    from servicebook.cli import main

    sys.argv = ["servicebook", "run", path, "--now", now]
    try:
        main()
    except SystemExit as done:
        if done.code not in (0, 1):
            raise


def full_run(path: str) -> None:
    """The first run on the demo: every phone to mask, every computed column to add, ~1,000 emails
    at 10k rows, last month's report."""
    _run(path, "2026-11-23 10:00")


def rerun_now(path: str) -> None:
    """The same run again, at the moment of the first, on the workbook it left: nothing to do."""
    _run(path, "2026-11-23 10:00")


def rerun_next_day(path: str) -> None:
    """The next night's run on a day's changes."""
    _run(path, "2026-11-24 10:00")


def xlwings_import(path: str) -> float:
    """Baseline: what any xlwings add-in pays before its first line runs."""
    import time

    start = time.perf_counter()
    import xlwings  # noqa: F401
    return time.perf_counter() - start


def ribbon_import(path: str) -> float:
    """What a ribbon button pays before it starts: the module RunPython imports."""
    import time

    start = time.perf_counter()
    from servicebook.addin import buttons  # noqa: F401
    return time.perf_counter() - start


CASES = {
    "openpyxl_load_save": openpyxl_load_save,
    "calamine_read": calamine_read,
    "validate_number": validate_number,
    "sla_working_hours": sla_working_hours,
    "report_after_read": report_after_read,
    "headless_run": headless_run,
    "full_run": full_run,
    "rerun_now": rerun_now,
    "rerun_next_day": rerun_next_day,
    "xlwings_import": xlwings_import,
    "ribbon_import": ribbon_import,
}
