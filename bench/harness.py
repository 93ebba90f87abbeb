"""Benchmark harness: workbooks of a given size, each measurement in a fresh process.

Every case runs in its own interpreter so that its time and peak memory are its own, and every
result is reported as a ratio to baselines measured in the same run on the same file.
"""

from __future__ import annotations

import compileall
import functools
import json
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent
CACHE = Path(tempfile.gettempdir()) / "servicebook-bench"
NOW = "2026-11-23 10:00"

CHILD = r"""
import json, resource, sys, time
sys.path[:0] = [{root!r}, {package_root!r}]  # the cases, and the servicebook beside them
from cases import CASES
case, path = sys.argv[1], sys.argv[2]
start = time.perf_counter()
own = CASES[case](path)  # a case may time itself, leaving out its setup
elapsed = own if own is not None else time.perf_counter() - start
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:  # this process's own peak: ru_maxrss can carry the parent's from before the exec
    with open("/proc/self/status") as status:
        peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    pass
print(json.dumps({{"seconds": elapsed, "peak_mb": peak_kb / 1024}}))
"""


@functools.cache
def child_code() -> str:
    """The code each case's process runs, with the package compiled to bytecode first: an installed
    copy has it (pip compiles on install), and where PYTHONDONTWRITEBYTECODE is set every case would
    otherwise pay for compiling every module of ours (~0.14 s here) and none of the libraries'.
    Compiled once per bench run."""
    compileall.compile_dir(ROOT.parent / "servicebook", quiet=1)
    return CHILD.format(root=str(ROOT), package_root=str(ROOT.parent))


def workbook(records: int) -> Path:
    """The demo workbook with `records` rows, generated once and cached."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"demo-{records}.xlsx"
    if not path.exists():
        from servicebook.definition import definition
        from servicebook.demo.build import DemoSize, generate, write_demo

        size = DemoSize(records=records, customers=max(50, records // 4))
        write_demo(path, generate(datetime.fromisoformat(NOW), size, seed=2024), definition())
    return path


def measure(case: str, source: Path) -> dict:
    """Run one case on a fresh copy of `source` in its own process."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / source.name
        shutil.copy2(source, copy)
        done = subprocess.run([sys.executable, "-c", child_code(), case, str(copy)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{case} failed:\n{done.stderr}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def report(title: str, rows: list[dict], baselines: list[str], measured: list[str]) -> str:
    lines = [f"## {title}", "", "| rows | " + " | ".join(f"{c} s" for c in baselines + measured)
             + " | " + " | ".join(f"{m} / {b}" for m in measured for b in baselines) + " | peak MB (" +
             ", ".join(baselines + measured) + ") |",
             "|" + " --- |" * (1 + len(baselines) + len(measured) * (1 + len(baselines)) + 1)]
    for row in rows:
        seconds = [f"{row[c]['seconds']:.2f}" for c in baselines + measured]
        ratios = [f"{row[m]['seconds'] / row[b]['seconds']:.2f}" for m in measured for b in baselines]
        peaks = ", ".join(f"{row[c]['peak_mb']:.0f}" for c in baselines + measured)
        lines.append(f"| {row['rows']:,} | " + " | ".join(seconds + ratios) + f" | {peaks} |")
    return "\n".join(lines)


def save(name: str, rows: list[dict], text: str) -> Path:
    out = ROOT / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    (out / f"{name}-{stamp}.md").write_text(text + "\n", encoding="utf-8")
    target = out / f"{name}-{stamp}.json"
    target.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return target


def main(name: str, title: str, baselines: list[str], measured: list[str], doc: str) -> None:
    """Measure `baselines` and `measured` at each size given on the command line; print and save."""
    import argparse

    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    rows = []
    for size in (int(s) for s in parser.parse_args().sizes.split(",")):
        source = workbook(size)
        row = {"rows": size}
        for case in baselines + measured:
            row[case] = measure(case, source)
            print(f"{size:>7} {case:<20} {row[case]['seconds']:8.2f} s {row[case]['peak_mb']:8.0f} MB", flush=True)
        rows.append(row)
    text = report(title, rows, baselines, measured)
    print("\n" + text)
    print(f"\nsaved {save(name, rows, text)}")
