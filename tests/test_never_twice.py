"""Never twice: a real `servicebook run` (or `mail`) on a 3,000-record demo, killed with SIGKILL at
many moments — while reading, during each save, while the emails go out — then run again, gives
exactly the emails of one clean run, each naming a record the saved workbook holds; the workbook
is always the old or a new version, and no cell a person typed is lost. The same after a full
disk, and for two writers started together."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from servicebook.definition import definition
from servicebook.demo.build import DemoSize, generate, write_demo
from tests.support import runs
from tests.support.disk import small_disk

NOW = "2026-12-01 02:00"
MOMENT = datetime(2026, 12, 1, 2, 0)
LOCKED = "另一个 servicebook 命令正在处理 客服工作簿.xlsx"


@dataclass
class Clean:
    """One clean run of a command on a copy of the workbook: what every interrupted one must end as."""

    code: int
    emails: Counter
    files: int
    seconds: float
    typed: dict


def _copy(source: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    shutil.copy2(source, target)
    return target


def _fresh_copy(source: Path, folder: Path) -> Path:
    """A copy with nothing beside it: no outbox or state left by an earlier attempt."""
    shutil.rmtree(folder, ignore_errors=True)
    return _copy(source, folder)


def _clean(source: Path, folder: Path, verb: str, code: int) -> Clean:
    path = _copy(source, folder)
    start = time.monotonic()
    done = runs.run(verb, path, NOW)
    seconds = time.monotonic() - start
    assert done.returncode == code and "内部错误" not in done.stderr, done.stderr   # the reference itself
    return Clean(done.returncode, runs.outbox_emails(path), runs.outbox_files(path), seconds,
                 runs.typed_cells(source))


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "客服工作簿.xlsx"
    write_demo(path, generate(MOMENT, DemoSize(records=3000, customers=700), seed=2024), definition())
    return path


@pytest.fixture(scope="module")
def clean_run(demo, tmp_path_factory) -> Clean:
    clean = _clean(demo, tmp_path_factory.mktemp("clean-run"), "run", 1)   # the demo has typing mistakes
    assert clean.files > 100, clean.emails    # ~150: internal alerts come as digests
    return clean


@pytest.fixture(scope="module")
def numbered(demo, tmp_path_factory) -> Path:
    """The demo after every step but mail: what `servicebook mail` is run on."""
    path = _copy(demo, tmp_path_factory.mktemp("numbered"))
    for verb in ("number", "assign", "care"):
        assert runs.run(verb, path, NOW).returncode == 0
    shutil.rmtree(path.with_name(path.stem + ".servicebook") / "backups")
    return path


@pytest.fixture(scope="module")
def clean_mail(numbered, tmp_path_factory) -> Clean:
    return _clean(numbered, tmp_path_factory.mktemp("clean-mail"), "mail", 0)


def _after_interruption(path: Path, before: bytes, verb: str, clean: Clean) -> list[str]:
    """What is wrong once the interrupted command is followed by one more run (empty: nothing)."""
    wrong = []
    if path.read_bytes() != before and not runs.intact(path):
        wrong.append("the workbook is neither the old version nor a whole new one")
    again = runs.run(verb, path, NOW)
    if again.returncode != clean.code:
        wrong.append(f"the rerun exited {again.returncode}: {again.stderr[-300:]}")
    found = runs.outbox_emails(path)
    if found != clean.emails:
        extra, missing = found - clean.emails, clean.emails - found
        wrong.append(f"emails differ from one clean run: {sum(extra.values())} extra {list(extra)[:3]}, "
                     f"{sum(missing.values())} missing {list(missing)[:3]}")
    typed = runs.typed_cells(path)
    lost = [key for key, value in clean.typed.items() if typed.get(key) != value]
    if lost:
        wrong.append(f"{len(lost)} typed cells changed or lost, e.g. {lost[:3]}")
    return wrong


def _kill_everywhere(source: Path, base: Path, verb: str, clean: Clean, moments: dict) -> None:
    """Each moment is an event to watch for, or a fraction of the way through the run."""
    before = source.read_bytes()

    def case(name: str) -> tuple[str, list[str]]:
        path = runs.kill_case(lambda: _fresh_copy(source, base / name), verb, NOW, moments[name], clean.seconds)
        if path is None:
            return name, ["the command finished before this moment came"]
        return name, _after_interruption(path, before, verb, clean)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(pool.map(case, moments))
    failures = {name: wrong for name, wrong in results.items() if wrong}
    assert failures == {}, failures


def test_a_run_killed_at_any_moment_and_run_again_sends_each_email_once(demo, clean_run, tmp_path):
    total = clean_run.files
    moments = {f"after-{f:.2f}-of-the-run": f for f in
               (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)}
    moments |= {
        "first-save-begins": runs.saving(1), "first-save-half-written": runs.saving(1, 300_000),
        "first-save-done": runs.saved(1),
        "first-email": runs.emails(1), "a-third-of-the-emails": runs.emails(total // 3),
        "two-thirds-of-the-emails": runs.emails(2 * total // 3), "last-email": runs.emails(total),
        "log-save-begins": runs.saving(2), "log-save-half-written": runs.saving(2, 300_000),
        "log-save-done": runs.saved(2),
    }
    assert len(moments) >= 20
    _kill_everywhere(demo, tmp_path, "run", clean_run, moments)


def test_mail_killed_at_any_moment_and_run_again_sends_each_email_once(numbered, clean_mail, tmp_path):
    total = clean_mail.files
    moments = {f"after-{f:.2f}-of-mail": f for f in (0.3, 0.5, 0.7, 0.9)}
    moments |= {"first-email": runs.emails(1), "half-the-emails": runs.emails(total // 2),
                "last-email": runs.emails(total), "log-save-begins": runs.saving(1), "log-save-done": runs.saved(1)}
    _kill_everywhere(numbered, tmp_path, "mail", clean_mail, moments)


def test_two_writers_started_together_send_each_email_once(demo, clean_run, tmp_path):
    path = _copy(demo, tmp_path)
    started = [subprocess.Popen(runs.command(verb, path, NOW), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, cwd=runs.REPO) for verb in ("run", "mail")]
    outcomes = [(p.wait(timeout=600), p.communicate()[1]) for p in started]
    refused = [err for code, err in outcomes if code == 2]
    assert len(refused) == 1 and LOCKED in refused[0], outcomes
    assert runs.run("run", path, NOW).returncode == clean_run.code
    assert runs.outbox_emails(path) == clean_run.emails


# ---------------------------------------------------------------- a full disk


def _sizes(demo: Path, folder: Path) -> dict[str, int]:
    """What a clean run writes, measured: the saved workbook, its backup, the outbox, the ledger."""
    path = _copy(demo, folder)
    runs.run("run", path, NOW)
    side = path.with_name(path.stem + ".servicebook")
    block = 4096
    rounded = lambda n: -(-n // block) * block  # noqa: E731
    return {"workbook": rounded(path.stat().st_size), "original": rounded(demo.stat().st_size),
            "outbox": sum(rounded(p.stat().st_size) for p in (side / "outbox").iterdir()),
            "state": sum(rounded(p.stat().st_size) for p in side.glob("state.sqlite*"))}


@pytest.mark.parametrize("where", ["first-save", "outbox", "log-save"])
def test_a_full_disk_at_any_step_then_room_again_sends_each_email_once(demo, clean_run, tmp_path, where):
    sizes = _sizes(demo, tmp_path / "measure")
    margin = 256 << 10
    with small_disk(tmp_path) as disk:
        # The first save needs room for the new version and the backup at once; once it replaces the
        # old version, a real disk has that room back (a counted one does not). Free space that runs
        # out during the first save, part-way through the emails, or at the 邮件日志 save:
        phase_one = sizes["workbook"] + sizes["original"] + sizes["state"] + margin
        freed = sizes["original"] if disk.real else 0
        free = {"first-save": sizes["workbook"] // 2,
                "outbox": phase_one + (0 if disk.real else sizes["outbox"] // 2),
                "log-save": phase_one - freed + sizes["outbox"]}[where]
        path = _copy(demo, disk.root)
        before = path.read_bytes()
        disk.leave_free(free)
        cmd, env = disk.command(runs.command("run", path, NOW))
        if where == "outbox":   # once the first save is in, room for half the emails
            code, stderr = runs.pause_at(cmd, path, runs.saved(1), lambda: disk.tighten(sizes["outbox"] // 2), env)
        else:
            full = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=runs.REPO,
                                  env={**os.environ, **env})
            code, stderr = full.returncode, full.stderr
        if where == "first-save":
            assert (code, path.read_bytes() == before) == (2, True), stderr
            assert "磁盘空间已满" in stderr and "内部错误" not in stderr
            assert runs.outbox_emails(path) == Counter()
        elif where == "outbox":   # the run stops at the full disk; what is not out goes next time
            assert code == 2 and "磁盘空间已满" in stderr and "内部错误" not in stderr, stderr
            runs.outbox_emails(path, settled=False)   # every file one the ledger knows
            assert 0 < runs.outbox_files(path) < clean_run.files
        else:
            assert code == 1 and "「邮件日志」未能写入工作簿" in stderr, stderr
            assert runs.outbox_emails(path) == clean_run.emails
        disk.make_room()
        assert runs.run("run", path, NOW).returncode == clean_run.code
        assert runs.outbox_emails(path) == clean_run.emails
        log = runs.by_header(path, "邮件日志")
        assert len(log) == clean_run.files
        typed = runs.typed_cells(path)
        assert all(typed.get(k) == v for k, v in clean_run.typed.items())
