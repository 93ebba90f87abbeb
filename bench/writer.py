"""The full headless run through the lossless writer beside a bare openpyxl load + save.

    python bench/writer.py                 # 1k, 10k and 100k rows
    python bench/writer.py --sizes 1000    # just one size
"""

from __future__ import annotations

from harness import main

BASELINES = ["openpyxl_load_save"]
MEASURED = ["headless_run"]


if __name__ == "__main__":
    main("writer", "full headless run, lossless writer (number, assign, validate, SLA, care, report)",
         BASELINES, MEASURED, __doc__)
