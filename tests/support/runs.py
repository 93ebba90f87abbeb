"""Real `servicebook` processes killed at chosen moments, and what a user would check afterwards:
the emails in the outbox (each once, each naming a record the workbook holds), and every cell a
person typed still there."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import python_calamine

from servicebook.definition import definition
from servicebook.domain.values import as_text, mask_phone, phone_text

REPO = Path(__file__).resolve().parents[2]
POLL = 0.0005


def command(verb: str, path: Path, now: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "servicebook", verb, str(path), "--now", now, *extra]


def run(verb: str, path: Path, now: str, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command(verb, path, now, *extra), capture_output=True, text=True, timeout=600,
                          cwd=REPO, env={**os.environ, **(env or {})})


# ---------------------------------------------------------------- moments to kill at


@dataclass
class Watch:
    """What a running command has done so far, seen from outside."""

    path: Path
    started: float
    temps_seen: int = 0
    replaced: int = 0
    _temp: str | None = None
    _stamp: int = 0

    @property
    def outbox(self) -> Path:
        return self.path.with_name(self.path.stem + ".servicebook") / "outbox"

    def look(self) -> None:
        temps = [e.name for e in os.scandir(self.path.parent) if e.name.startswith(".~servicebook-")]
        temp = temps[0] if temps else None
        if temp and temp != self._temp:
            self.temps_seen += 1
        self._temp = temp
        stamp = self.path.stat().st_mtime_ns
        if stamp != self._stamp:
            self.replaced += self._stamp != 0
            self._stamp = stamp

    def temp_size(self) -> int:
        if not self._temp:
            return 0
        try:
            return (self.path.parent / self._temp).stat().st_size
        except FileNotFoundError:
            return 0

    def emails(self) -> int:
        try:
            return sum(1 for e in os.scandir(self.outbox) if e.name.endswith(".eml"))
        except FileNotFoundError:
            return 0


Moment = Callable[[Watch], bool]


def after(seconds: float) -> Moment:
    return lambda w: time.monotonic() - w.started >= seconds


def saving(nth: int, at_least: int = 1) -> Moment:
    """While the nth save's temporary file exists and holds at least `at_least` bytes."""
    return lambda w: w.temps_seen >= nth and w._temp is not None and w.temp_size() >= at_least


def saved(nth: int) -> Moment:
    return lambda w: w.replaced >= nth


def emails(count: int) -> Moment:
    return lambda w: w.emails() >= count


def kill_at(cmd: list[str], path: Path, moment: Moment, timeout: float = 300) -> bool:
    """Start `cmd`, SIGKILL it at `moment`; True when it was killed (False: it finished first)."""
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    watch = Watch(path, time.monotonic(), _stamp=path.stat().st_mtime_ns)
    deadline = watch.started + timeout
    killed = False
    while process.poll() is None and time.monotonic() < deadline:
        watch.look()
        if moment(watch):
            os.kill(process.pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(POLL)
    process.wait(timeout=60)
    return killed


def kill_part_way(fresh: Callable[[], Path], verb: str, now: str, fraction: float, seconds: float,
                  attempts: int = 3) -> Path | None:
    """Kill `verb` on a fresh copy (from `fresh()`) `fraction` of the way through a run that takes
    `seconds`; the copy it was killed on, or None. A run that finishes first shows this machine is
    faster right now: its own time becomes the measure for the next attempt, so the kill still comes
    that fraction of the way through rather than being skipped."""
    for _ in range(attempts):
        path = fresh()
        start = time.monotonic()
        if kill_at(command(verb, path, now), path, after(fraction * seconds)):
            return path
        seconds = time.monotonic() - start
    return None


def kill_case(fresh: Callable[[], Path], verb: str, now: str, moment: Moment | float, seconds: float) -> Path | None:
    """Kill `verb` at `moment` (an event to watch for, or a fraction of the way through a run that
    takes `seconds`) on a fresh copy; the copy it was killed on, or None if it finished first."""
    if isinstance(moment, float):
        return kill_part_way(fresh, verb, now, moment, seconds)
    path = fresh()
    return path if kill_at(command(verb, path, now), path, moment) else None


def pause_at(cmd: list[str], path: Path, moment: Moment, action: Callable[[], None],
             env: dict | None = None) -> tuple[int, str]:
    """Start `cmd`, stop it (SIGSTOP) at `moment`, do `action`, let it go on; its exit code and
    stderr. The moment must come: the command is expected to pass it."""
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO,
                               env={**os.environ, **(env or {})})
    watch = Watch(path, time.monotonic(), _stamp=path.stat().st_mtime_ns)
    while process.poll() is None:
        watch.look()
        if moment(watch):
            os.kill(process.pid, signal.SIGSTOP)
            try:
                action()
            finally:
                os.kill(process.pid, signal.SIGCONT)
            break
        time.sleep(POLL)
    _, stderr = process.communicate(timeout=600)
    return process.returncode, stderr


# ---------------------------------------------------------------- what a user checks


def grid(path: Path, title: str) -> list[list[object]]:
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    if title not in workbook.sheet_names:
        return []
    return workbook.get_sheet_by_name(title).to_python(skip_empty_area=False)


def by_header(path: Path, title: str) -> list[dict[str, object]]:
    rows = grid(path, title)
    if not rows:
        return []
    header = [as_text(h) for h in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:] if any(as_text(v) for v in row)]


def record_keys(path: Path) -> dict[str, tuple]:
    """Each number an email may name -> what identifies its record whatever number it got:
    the case's submission and customer, or the care row's customer and plan."""
    keys = {}
    for row in by_header(path, "服务记录"):
        if as_text(row.get("记录编号")):
            keys[as_text(row["记录编号"])] = ("服务记录", as_text(row.get("提交时间")), as_text(row.get("客户名称")),
                                             as_text(row.get("问题描述"))[:40])
    for row in by_header(path, "客户关怀"):
        if as_text(row.get("关怀编号")):
            keys[as_text(row["关怀编号"])] = ("客户关怀", as_text(row.get("客户编号")), as_text(row.get("计划来源")))
    return keys


def outbox_emails(path: Path, settled: bool = True) -> Counter:
    """The outbox as (type, recipient, record) — every .eml file one ledger entry (a digest one
    entry for each record it covers), every ledger
    number one the workbook holds (a number it does not hold shows as a missing key). `settled`
    False: right after a run that stopped, whose last files the ledger may still list as sending."""
    folder = path.with_name(path.stem + ".servicebook")
    files = sorted(p.name for p in (folder / "outbox").glob("*.eml")) if (folder / "outbox").is_dir() else []
    ledger = []
    if (folder / "state.sqlite").exists():
        with sqlite3.connect(folder / "state.sqlite") as db:
            ledger = db.execute("SELECT ticket, template, recipient, location, state FROM mail "
                                "WHERE location != ''").fetchall()
    by_file = {location: (ticket, template, recipient, state)
               for ticket, template, recipient, location, state in ledger}
    assert set(files) <= set(by_file), set(files) - set(by_file)   # no file the ledger does not know
    keys = record_keys(path)
    found = Counter()
    for name in files:
        ticket, template, recipient, state = by_file[name]
        assert state == "draft" or (not settled and state == "sending"), (name, state)
        for each in ticket.split("、"):   # a digest counts once for every record it covers
            found[(template, recipient, keys.get(each, ("not in the workbook", each)))] += 1
    return found


def outbox_files(path: Path) -> int:
    outbox = path.with_name(path.stem + ".servicebook") / "outbox"
    return sum(1 for _ in outbox.glob("*.eml")) if outbox.is_dir() else 0


def typed_cells(path: Path) -> dict[tuple[str, int, str], object]:
    """Every non-empty cell a person types (the definition's input columns) of the team's sheets,
    phones as the tool would show them masked."""
    found = {}
    for key in ("records", "progress", "customers"):
        sheet = definition().sheet(key)
        phones = {c.header for c in sheet.columns if c.type == "phone"}
        typed = {c.header for c in sheet.columns if not c.computed}
        rows = grid(path, sheet.name)
        header = [as_text(h) for h in rows[0]] if rows else []
        for number, row in enumerate(rows[1:], start=2):
            for name, value in zip(header, row, strict=False):
                if name in typed and as_text(value):
                    found[(sheet.name, number, name)] = mask_phone(phone_text(value)) if name in phones else value
    return found


def intact(path: Path) -> bool:
    with zipfile.ZipFile(path) as archive:
        return archive.testzip() is None
