"""What a user sees after a run, written down so that two versions of the code can be compared:
every cell value of every sheet of the demo workbook, and every email of the outbox (headers and
both parts). A refactoring must leave both identical.

    python -m tests.support.snapshot FOLDER            # run the demo there, print the snapshot's digest
    python -m tests.support.snapshot FOLDER --write F  # also write the snapshot as JSON to F
    python -m tests.support.snapshot --compare A B     # two snapshots: the differences, exit 1 if any
"""

from __future__ import annotations

import argparse
import email
import email.policy
import hashlib
import json
import re
import sys
from datetime import date, datetime, time
from pathlib import Path

import python_calamine

NOW = "2026-12-01 02:00"


def _plain(value: object) -> object:
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def snapshot(folder: Path) -> dict:
    workbook = folder / "客服工作簿-演示.xlsx"
    cells = {}
    book = python_calamine.CalamineWorkbook.from_path(str(workbook))
    for title in book.sheet_names:
        rows = book.get_sheet_by_name(title).to_python(skip_empty_area=False)
        cells[title] = [[_plain(v) for v in row] for row in rows]
    emails = {}
    for path in sorted((folder / "客服工作簿-演示.servicebook" / "outbox").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        headers = {k: re.sub(r'boundary="[^"]*"', "boundary", str(v)) for k, v in message.items()}   # random
        emails[path.name] = {"headers": headers,
                             "parts": [p.get_content() for p in message.walk() if not p.is_multipart()]}
    return {"cells": cells, "emails": emails}


def digest(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def differences(a: dict, b: dict) -> list[str]:
    found = []
    for title in sorted(set(a["cells"]) | set(b["cells"])):
        left, right = a["cells"].get(title), b["cells"].get(title)
        if left != right:
            if left is None or right is None:
                found.append(f"sheet {title}: only in one")
                continue
            for r, (x, y) in enumerate(zip(left, right, strict=False)):
                if x != y:
                    found.append(f"{title} row {r + 1}: {x} != {y}"[:300])
            if len(left) != len(right):
                found.append(f"{title}: {len(left)} rows != {len(right)}")
    for name in sorted(set(a["emails"]) | set(b["emails"])):
        if a["emails"].get(name) != b["emails"].get(name):
            found.append(f"email {name} differs")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?")
    parser.add_argument("--write")
    parser.add_argument("--compare", nargs=2)
    args = parser.parse_args()
    if args.compare:
        a, b = (json.loads(Path(p).read_text(encoding="utf-8")) for p in args.compare)
        found = differences(a, b)
        print("\n".join(found[:50]) or "identical")
        return 1 if found else 0
    import subprocess

    folder = Path(args.folder)
    subprocess.run([sys.executable, "-m", "servicebook", "demo", "--dir", str(folder), "--now", NOW],
                   check=True, capture_output=True)
    data = snapshot(folder)
    if args.write:
        Path(args.write).write_text(json.dumps(data, ensure_ascii=False, indent=0), encoding="utf-8")
    print(digest(data), len(data["emails"]), "emails")
    return 0


if __name__ == "__main__":
    sys.exit(main())
