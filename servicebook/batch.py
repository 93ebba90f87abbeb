"""Interpreter settings for a batch run over a whole workbook."""

from __future__ import annotations

import gc

# A run holds every cell of the workbook as long-lived Python objects (hundreds of thousands of
# rows); with the default thresholds the collector rescans all of them thousands of times while
# the jobs allocate their results. Fewer, larger collections: measured 8 s less at 100k rows. At a
# million objects between young collections a run's own work makes none at all (what a run makes
# is data, not cycles: the peak the same, 614–624 MB against 620 MB at 100k), where 100,000 made 15
# of 7–20 ms each at 100k records (0.28 s) and 2 at 10k (0.035 s).
THRESHOLDS = (1_000_000, 50, 1000)


def tune_for_batch() -> None:
    gc.set_threshold(*THRESHOLDS)
