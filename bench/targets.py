"""The five speed targets of issue 20, each case in a fresh process (the best of three for a case
under ten seconds; a case and its baseline under ten seconds measured in turn, the best of five
each), as ratios to baselines measured in the same run on the same file:

1. an unchanged rerun (again, at the first run's moment) / a calamine read       target <= 2
2. a day's changes (1 % edited, 0.5 % new, 20 progress) / a calamine read        target <= 3
3. the first full run, mail and report included       / openpyxl load + save   target <= 0.25
4. importing the ribbon's entry module                / importing xlwings      target <= 1.2
5. the first full run's peak memory                   / a calamine read's peak target <= 1.5

    python bench/targets.py                  # 1k, 10k and 100k rows
    python bench/targets.py --sizes 10000    # one size

The workbooks are the demo's, cached in the temp folder (what a run made, once per version of the
code); the first run's result with the folder beside it (ledger, counters) is what the reruns
start from, and "a day's changes" is made from it with openpyxl.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import random
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from harness import CACHE, NOW, ROOT, child_code, save, workbook

SHORT = 10.0
PAIRED = 5
TARGETS = {"unchanged_rerun": 2.0, "day_changes": 3.0, "first_run": 0.25, "ribbon_import": 1.2, "memory": 1.5}


def _sidecar(path: Path) -> Path:
    return path.with_name(path.stem + ".servicebook")


def _servicebook(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "servicebook", *args], check=False, capture_output=True,
                   cwd=ROOT.parent)


@functools.cache
def _code_digest() -> str:
    """The package's source: a workbook the first run left is only what this code would leave when
    this code made it (an older run leaves cells the rerun then rewrites, and times a write)."""
    digest = hashlib.sha256()
    for source in sorted((ROOT.parent / "servicebook").rglob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def _drop_stale(prefix: str) -> None:
    for folder in CACHE.glob(prefix + "*"):
        shutil.rmtree(folder)


def after_first_run(records: int) -> Path:
    """The demo after one `servicebook run` (its folder beside it), made once per version of the code."""
    path = CACHE / f"after-run-{records}-{_code_digest()}" / f"demo-{records}.xlsx"
    if not path.exists():
        _drop_stale(f"after-run-{records}-")
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(workbook(records), path)
        _servicebook("run", str(path), "--now", NOW)
    return path


def day_of_changes(records: int) -> Path:
    """After the first run, a day's typing: 1 % of the records edited (status, solution), 0.5 % new
    records, 20 progress entries — saved by openpyxl, as Excel would save the agents' work."""
    path = CACHE / f"day-{records}-{_code_digest()}" / f"demo-{records}.xlsx"
    if path.exists():
        return path
    _drop_stale(f"day-{records}-")
    import openpyxl

    source = after_first_run(records)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(_sidecar(source), _sidecar(path), dirs_exist_ok=True)
    wb = openpyxl.load_workbook(source)
    ws = wb["服务记录"]
    header = {c.value: c.column for c in ws[1]}
    rng = random.Random(2024)
    last = ws.max_row
    for row in rng.sample(range(2, last + 1), max(1, records // 100)):
        ws.cell(row, header["处理状态"]).value = "处理中"
        ws.cell(row, header["解决方案"]).value = "已联系客户，按流程处理"
    template = [c.value for c in ws[2]]
    for n in range(max(1, records // 200)):
        target = last + 1 + n
        for col, value in enumerate(template, start=1):
            if col in (header["记录编号"],) or ws.cell(1, col).value not in header or value is None:
                continue
            ws.cell(target, col).value = value
        ws.cell(target, header["记录编号"]).value = None
        ws.cell(target, header["处理状态"]).value = "待受理"
    progress = wb["进度跟踪"]
    numbers = [ws.cell(r, header["记录编号"]).value for r in range(2, 50)]
    base = progress.max_row
    moment = __import__("datetime").datetime.fromisoformat(NOW) + timedelta(hours=1)
    for n in range(20):
        for col, value in enumerate((numbers[n], moment, f"电话回访 {n}", "进行中", None, None, None, "张敏"), start=1):
            progress.cell(base + 1 + n, col).value = value
    wb.save(path)
    return path


def measure(case: str, source: Path) -> dict:
    """A case in a fresh process each time; one that takes under SHORT seconds is measured three
    times and its best kept (a start-up of 0.3 s is at the mercy of the machine's other work)."""
    first = measure_once(case, source)
    if first["seconds"] >= SHORT:
        return first
    runs = [first, measure_once(case, source), measure_once(case, source)]
    return min(runs, key=lambda r: r["seconds"])


def measure_pair(baseline: str, case: str, source: Path) -> tuple[dict, dict]:
    """A case and the baseline its ratio is taken against, on the same file. Under SHORT seconds
    they are measured in turn, PAIRED times each, and the best of each kept: this machine's speed
    drifts by half within minutes, and three runs of one then three of the other measured the drift
    (a read of the same file best of three 0.77 s, then 1.27 s ten minutes later)."""
    first_base, first_case = measure_once(baseline, source), measure_once(case, source)
    if max(first_base["seconds"], first_case["seconds"]) >= SHORT:
        return first_base, first_case
    bases, cases = [first_base], [first_case]
    for _ in range(PAIRED - 1):
        bases.append(measure_once(baseline, source))
        cases.append(measure_once(case, source))
    return min(bases, key=lambda r: r["seconds"]), min(cases, key=lambda r: r["seconds"])


def measure_once(case: str, source: Path) -> dict:
    """One case on a fresh copy of `source` and the folder beside it, in its own process."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / source.name
        shutil.copy2(source, copy)
        if _sidecar(source).is_dir():
            shutil.copytree(_sidecar(source), _sidecar(copy))
        done = subprocess.run([sys.executable, "-c", child_code(), case, str(copy)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{case} failed:\n{done.stderr}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def row_for(records: int) -> dict:
    fresh, after, day = workbook(records), after_first_run(records), day_of_changes(records)
    row = {"rows": records}
    for names, cases, source in ((("openpyxl",), ("openpyxl_load_save",), fresh),
                                 (("calamine",), ("calamine_read",), fresh),
                                 (("first_run",), ("full_run",), fresh),
                                 (("calamine_after", "unchanged_rerun"), ("calamine_read", "rerun_now"), after),
                                 (("calamine_day", "day_changes"), ("calamine_read", "rerun_next_day"), day),
                                 (("xlwings_import", "ribbon_import"), ("xlwings_import", "ribbon_import"), fresh)):
        measured = (measure(cases[0], source),) if len(cases) == 1 else measure_pair(*cases, source)
        for name, result in zip(names, measured, strict=True):
            row[name] = result
            print(f"{records:>7} {name:<16} {result['seconds']:8.2f} s {result['peak_mb']:8.0f} MB", flush=True)
    row["ratios"] = {
        "unchanged_rerun": row["unchanged_rerun"]["seconds"] / row["calamine_after"]["seconds"],
        "day_changes": row["day_changes"]["seconds"] / row["calamine_day"]["seconds"],
        "first_run": row["first_run"]["seconds"] / row["openpyxl"]["seconds"],
        "ribbon_import": row["ribbon_import"]["seconds"] / row["xlwings_import"]["seconds"],
        "memory": row["first_run"]["peak_mb"] / row["calamine"]["peak_mb"],
    }
    return row


def table(rows: list[dict]) -> str:
    lines = ["| rows | " + " | ".join(f"{k} (≤ {v:g})" for k, v in TARGETS.items()) + " |",
             "| ---: |" + " ---: |" * len(TARGETS)]
    for row in rows:
        cells = [f"{row['ratios'][k]:.2f} {'✓' if row['ratios'][k] <= v else '✗'}" for k, v in TARGETS.items()]
        lines.append(f"| {row['rows']:,} | " + " | ".join(cells) + " |")
    lines += ["", "| rows | openpyxl s | calamine s | first run s | rerun s | day's changes s | "
              "xlwings import s | ribbon import s | peak MB (calamine, first run) |",
              "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for row in rows:
        s = {k: row[k]["seconds"] for k in ("openpyxl", "calamine", "first_run", "unchanged_rerun", "day_changes",
                                            "xlwings_import", "ribbon_import")}
        lines.append(f"| {row['rows']:,} | " + " | ".join(f"{v:.2f}" for v in s.values())
                     + f" | {row['calamine']['peak_mb']:.0f}, {row['first_run']['peak_mb']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    rows = [row_for(int(size)) for size in parser.parse_args().sizes.split(",")]
    text = table(rows)
    print("\n" + text)
    print(f"\nsaved {save('targets', rows, text)}")


if __name__ == "__main__":
    main()
