"""Validate + number beside a bare openpyxl load + save and a calamine read of the same file.

    python bench/foundation.py                 # 1k, 10k and 100k rows
    python bench/foundation.py --sizes 1000    # just one size
"""

from __future__ import annotations

import argparse

from harness import measure, report, save, workbook

BASELINES = ["openpyxl_load_save", "calamine_read"]
MEASURED = ["validate_number"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    rows = []
    for size in sizes:
        source = workbook(size)
        row = {"rows": size}
        for case in BASELINES + MEASURED:
            row[case] = measure(case, source)
            print(f"{size:>7} {case:<20} {row[case]['seconds']:8.2f} s {row[case]['peak_mb']:8.0f} MB", flush=True)
        rows.append(row)
    text = report("validate + number (servicebook run, foundation)", rows, BASELINES, MEASURED)
    print("\n" + text)
    print(f"\nsaved {save('foundation', rows, text)}")


if __name__ == "__main__":
    main()
