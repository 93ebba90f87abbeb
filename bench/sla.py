"""The SLA computation for every record on the working-hours clock, beside a calamine read of the
same file. The SLA case is timed after the workbook has been read: it is the computation
(settings, history, the clock over the data's span, every deadline, state, hour and escalation,
and the cell edits), not the reading.

    python bench/sla.py                 # 1k, 10k and 100k rows
"""

from __future__ import annotations

import argparse

from harness import measure, report, save, workbook

BASELINES = ["calamine_read"]
MEASURED = ["sla_working_hours"]


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
    text = report("SLA on the working-hours clock", rows, BASELINES, MEASURED)
    print("\n" + text)
    print(f"\nsaved {save('sla', rows, text)}")


if __name__ == "__main__":
    main()
