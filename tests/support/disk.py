"""A folder on a disk that fills up: writing past a given number of free bytes fails with ENOSPC.

As root (CI, this machine) it is a real tmpfs, mounted by the test and filled with a filler file so
that exactly the free space asked for is left — every writer (zip, sqlite, logs) meets the full
disk. Where mounting is not allowed (or SB_DISK_COUNTED is set), the command runs under a wrapper (`python -m
tests.support.disk_limit`) that fails Python's own writes under the folder past the limit.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

SIZE = 256 << 20


def _can_mount() -> bool:
    if os.environ.get("SB_DISK_COUNTED") or os.geteuid() != 0 or not shutil.which("mount"):
        return False
    probe = Path(tempfile.mkdtemp(prefix="sb-mount-probe-"))
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(probe)], capture_output=True)
        if done.returncode != 0:
            return False
        subprocess.run(["umount", str(probe)], check=True)
        return True
    finally:
        probe.rmdir()


class Disk:
    def __init__(self, root: Path, real: bool):
        self.root, self.real = root, real
        self.limit: int | None = None

    def leave_free(self, free: int) -> None:
        """From now on, only `free` more bytes fit."""
        self.make_room()
        if self.real:
            stats = os.statvfs(self.root)
            available = stats.f_bavail * stats.f_frsize
            with (self.root / ".filler").open("wb") as fh:
                fh.truncate(0)
                fh.write(b"\0" * max(available - free, 0))
        else:
            self.limit = free

    def tighten(self, free: int) -> None:
        """On a real disk, mid-run: leave only `free` bytes from now on (a counted disk keeps its
        limit, which already counts every byte written since `leave_free`)."""
        if self.real:
            stats = os.statvfs(self.root)
            available = stats.f_bavail * stats.f_frsize
            with (self.root / ".filler-late").open("wb") as fh:
                fh.write(b"\0" * max(available - free, 0))

    def make_room(self) -> None:
        for name in (".filler", ".filler-late"):
            (self.root / name).unlink(missing_ok=True)
        self.limit = None

    def command(self, cmd: list[str]) -> tuple[list[str], dict]:
        """How to run `cmd` (a python -m servicebook … list) on this disk."""
        if self.real or self.limit is None:
            return cmd, {}
        return [sys.executable, "-m", "tests.support.disk_limit", *cmd[3:]], {
            "SB_DISK_ROOT": str(self.root), "SB_DISK_LIMIT": str(self.limit)}


@contextlib.contextmanager
def small_disk(base: Path) -> Iterator[Disk]:
    root = base / "disk"
    root.mkdir()
    real = _can_mount()
    if real:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(root)], check=True)
    try:
        yield Disk(root, real)
    finally:
        if real:
            subprocess.run(["umount", "-l", str(root)], check=False)
