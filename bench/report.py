"""The monthly report for workbooks of 1k, 10k and 100k records, as a ratio to a calamine read of
the same file. The report case is timed after the workbook has been read: the SLA it needs,
every figure for the month and the one before, and the sheet laid out with its charts.

    python bench/report.py
"""

from __future__ import annotations

from harness import main

BASELINES = ["calamine_read"]
MEASURED = ["report_after_read"]


if __name__ == "__main__":
    main('report', 'monthly report', BASELINES, MEASURED, __doc__)
