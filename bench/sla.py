"""The SLA computation for every record on the working-hours clock, beside a calamine read of the
same file. The SLA case is timed after the workbook has been read: it is the computation
(settings, history, the clock over the data's span, every deadline, state, hour and escalation,
and the cell edits), not the reading.

    python bench/sla.py                 # 1k, 10k and 100k rows
"""

from __future__ import annotations

from harness import main

BASELINES = ["calamine_read"]
MEASURED = ["sla_working_hours"]


if __name__ == "__main__":
    main('sla', 'SLA on the working-hours clock', BASELINES, MEASURED, __doc__)
