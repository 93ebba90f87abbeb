"""Each message taken exactly once: a real `servicebook intake` (and `run`, whose first step it is)
on a 3,000-record demo with 40 messages waiting, killed with SIGKILL at many moments — while
reading, during the save, while the messages move to 已处理 — then run again, leaves every
message in the workbook exactly once (a record, or a 进度跟踪 entry), none lost, every one moved,
and every cell a person typed intact."""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest

from servicebook.definition import definition
from servicebook.demo.build import DemoSize, generate, write_demo
from servicebook.domain.values import as_text
from tests.support import inbox as mails
from tests.support import runs

NOW = "2026-12-01 02:00"
MOMENT = datetime(2026, 12, 1, 2, 0)
NEW, REPLIES = 30, 10


def _inbox(path: Path) -> Path:
    return path.with_name(path.stem + ".servicebook") / "inbox"


def _messages(demo: Path) -> dict[str, bytes]:
    """30 new cases and 10 replies (by the number in the subject, from the record's own address)."""
    records = [r for r in runs.by_header(demo, "服务记录") if as_text(r.get("记录编号")) and
               "@" in as_text(r.get("电子邮箱"))][:REPLIES]
    found = {f"new-{n:02d}.eml": mails.plain(f"customer{n}@example.com", f"咨询 {n}", f"第 {n} 个问题。",
                                             datetime(2026, 11, 30, 20, n), f"<new-{n}@example.com>")
             for n in range(NEW)}
    for n, record in enumerate(records):
        found[f"reply-{n:02d}.eml"] = mails.plain(as_text(record["电子邮箱"]), f"回复：记录 {record['记录编号']}",
                                                  f"补充说明 {n}。", datetime(2026, 11, 30, 21, n),
                                                  f"<reply-{n}@example.com>")
    assert len(found) == NEW + REPLIES
    return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "客服工作簿.xlsx"
    write_demo(path, generate(MOMENT, DemoSize(records=3000, customers=700), seed=2024), definition())
    return path


def _copy(demo: Path, folder: Path, messages: dict[str, bytes]) -> Path:
    """A copy with its inbox filled and nothing else beside it (no state from an earlier attempt)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    path = folder / demo.name
    shutil.copy2(demo, path)
    mails.drop(_inbox(path), messages)
    return path


def _taken(path: Path) -> Counter:
    """Each message identity the workbook holds, and how often."""
    found = Counter()
    for title in ("服务记录", "进度跟踪"):
        found.update(as_text(r.get("来信标识")) for r in runs.by_header(path, title) if as_text(r.get("来信标识")))
    return found


def _moved(count: int) -> runs.Moment:
    def moment(watch: runs.Watch) -> bool:
        done = _inbox(watch.path) / "已处理"
        try:
            return sum(1 for _ in os.scandir(done)) >= count
        except FileNotFoundError:
            return False
    return moment


@pytest.fixture(scope="module")
def clean(demo, tmp_path_factory):
    messages = _messages(demo)
    path = _copy(demo, tmp_path_factory.mktemp("clean"), messages)
    start = time.monotonic()
    done = runs.run("intake", path, NOW)
    assert done.returncode == 0, done.stderr
    expected = Counter({f"<{k}@example.com>": 1 for k in [*(f"new-{n}" for n in range(NEW)),
                                                          *(f"reply-{n}" for n in range(REPLIES))]})
    assert _taken(path) == expected
    # What a person typed, as one clean intake leaves it (a reply to a closed case reopens it: 需跟进).
    after = runs.typed_cells(path)
    typed = {key: after.get(key) for key in runs.typed_cells(demo)}
    return messages, expected, time.monotonic() - start, typed


def _wrong_after(path: Path, verb: str, expected: Counter, typed: dict, messages: dict) -> list[str]:
    wrong = []
    again = runs.run(verb, path, NOW)
    if again.returncode not in ((0,) if verb == "intake" else (1,)):   # the demo has typing mistakes: run says 1
        wrong.append(f"the rerun exited {again.returncode}: {again.stderr[-300:]}")
    taken = _taken(path)
    if taken != expected:
        wrong.append(f"twice: {[k for k, v in taken.items() if v > 1][:3]}, lost: {list(expected - taken)[:3]}")
    left = sorted(p.name for p in _inbox(path).iterdir() if p.is_file())
    moved = sorted(p.name for p in (_inbox(path) / "已处理").iterdir())
    if left or moved != sorted(messages):
        wrong.append(f"left in the inbox {left[:3]}, moved {len(moved)} of {len(messages)}")
    now = runs.typed_cells(path)
    lost = [key for key, value in typed.items() if now.get(key) != value]
    if lost:
        wrong.append(f"{len(lost)} typed cells changed or lost, e.g. {lost[:3]}")
    return wrong


@pytest.mark.parametrize("verb", ["intake", "run"])
def test_killed_at_any_moment_and_run_again_each_message_is_taken_once(demo, clean, tmp_path, verb):
    messages, expected, seconds, typed = clean
    moments = {f"after-{f:.2f}": f for f in (0.05, 0.15, 0.25, 0.35, 0.45)}
    moments |= {"save-begins": runs.saving(1), "save-half-written": runs.saving(1, 300_000),
                "save-done": runs.saved(1), "first-moved": _moved(2), "half-moved": _moved(21)}

    def case(name: str) -> tuple[str, list[str]]:
        path = runs.kill_case(lambda: _copy(demo, tmp_path / name, messages), verb, NOW, moments[name], seconds)
        if path is None:
            return name, ["the command finished before this moment came"]
        return name, _wrong_after(path, verb, expected, typed, messages)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(pool.map(case, moments))
    assert {name: wrong for name, wrong in results.items() if wrong} == {}
