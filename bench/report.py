"""The monthly report for workbooks of 1k, 10k and 100k records, as a ratio to a calamine read of
the same file. The report case is timed after the workbook has been read: the SLA it needs,
every figure for the month and the one before, and the sheet laid out with its charts.

    python bench/report.py
"""

from __future__ import annotations

import argparse

from harness import measure, report, save, workbook

BASELINES = ["calamine_read"]
MEASURED = ["report_after_read"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    rows = []
    for size in (int(s) for s in parser.parse_args().sizes.split(",")):
        source = workbook(size)
        row = {"rows": size}
        for case in BASELINES + MEASURED:
            row[case] = measure(case, source)
            print(f"{size:>7} {case:<20} {row[case]['seconds']:8.2f} s {row[case]['peak_mb']:8.0f} MB", flush=True)
        rows.append(row)
    text = report("monthly report", rows, BASELINES, MEASURED)
    print("\n" + text)
    print(f"\nsaved {save('report', rows, text)}")


if __name__ == "__main__":
    main()
