"""Validate + number beside a bare openpyxl load + save and a calamine read of the same file.

    python bench/foundation.py                 # 1k, 10k and 100k rows
    python bench/foundation.py --sizes 1000    # just one size
"""

from __future__ import annotations

from harness import main

BASELINES = ["openpyxl_load_save", "calamine_read"]
MEASURED = ["validate_number"]


if __name__ == "__main__":
    main('foundation', 'validate + number (servicebook run, foundation)', BASELINES, MEASURED, __doc__)
