"""Replacing a workbook on disk without ever leaving it half-written.

The new version is written to a temporary file in the same folder, checked, and moved over the
old one in a single rename; the old version is kept as a timestamped backup first.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from servicebook.errors import CannotRun, WorkbookBusy
from servicebook.text import t
from servicebook.xlsx.lock import ensure_not_open

TEMP_PREFIX = ".~servicebook-"


def temp_path(path: Path) -> Path:
    return path.with_name(f"{TEMP_PREFIX}{os.getpid()}-{path.name}")


def remove_stale_temps(path: Path) -> None:
    """Temporary files left by a run that was killed while writing."""
    for leftover in path.parent.glob(f"{TEMP_PREFIX}*-{path.name}"):
        pid = leftover.name[len(TEMP_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            leftover.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def backup(path: Path, folder: Path, keep: int) -> Path:
    """Copy the current version aside, then prune all but the newest `keep` copies. A copy cut
    short (a full disk) is removed, never left looking like a backup."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{path.stem}-{stamp}{path.suffix}"
    partial = target.with_name(TEMP_PREFIX + target.name)
    try:
        shutil.copy2(path, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    copies = sorted(folder.glob(f"{path.stem}-*{path.suffix}"))
    for old in copies[:-keep]:
        old.unlink(missing_ok=True)
    return target


def replace_atomically(path: Path, write: Callable[[Path], bool | None], backup_dir: Path,
                       keep: int) -> Path | None:
    """Write a new version of `path` with `write(temp)`; returns the backup made, if any
    (`keep` 0: no backup). `write` returns True when it has read back what it wrote itself (the
    part writer does, part by part); otherwise every member is inflated and checked here. A new
    version whose every part equals the old one's replaces nothing and uses up no backup: the
    file is left as it was, its modification time too."""
    remove_stale_temps(path)
    temp = temp_path(path)
    try:
        if write(temp) is not True:
            _check_readable(temp)
        if path.exists() and same_package(path, temp):
            return None
        _fsync(temp)
        ensure_not_open(path)
        saved = backup(path, backup_dir, keep) if path.exists() and keep else None
        try:
            os.replace(temp, path)
        except PermissionError:
            raise WorkbookBusy(t("lock.sharing", name=path.name)) from None
        _fsync_dir(path.parent)
        return saved
    finally:
        temp.unlink(missing_ok=True)


def same_package(old: Path, new: Path) -> bool:
    """Whether two packages hold the same parts with the same content (by name, size and CRC-32
    from their directories: nothing is decompressed)."""
    try:
        with zipfile.ZipFile(old) as a, zipfile.ZipFile(new) as b:
            return sorted((i.filename, i.file_size, i.CRC) for i in a.infolist()) == \
                sorted((i.filename, i.file_size, i.CRC) for i in b.infolist())
    except (OSError, zipfile.BadZipFile):
        return False


def _check_readable(temp: Path) -> None:
    try:
        with zipfile.ZipFile(temp) as archive:
            if archive.testzip() is not None:
                raise zipfile.BadZipFile("corrupt member")
    except zipfile.BadZipFile as error:
        raise CannotRun(t("save.corrupt", error=str(error))) from error


def _fsync(path: Path) -> None:
    with path.open("rb+") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
