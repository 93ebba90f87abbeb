"""Is the workbook open in Excel? Owner files and sharing violations, checked before any write."""

from __future__ import annotations

import os
from pathlib import Path

from servicebook.errors import CannotRun, WorkbookBusy
from servicebook.text import t


def owner_files(path: Path) -> list[Path]:
    """Lock files Excel and LibreOffice keep beside a workbook they have open."""
    candidates = [path.with_name("~$" + path.name), path.with_name(f".~lock.{path.name}#")]
    # Word-style short owner names replace the first two characters of long names.
    if len(path.stem) > 2:
        candidates.append(path.with_name("~$" + path.name[2:]))
    return [p for p in candidates if p.exists()]


def owner_name(lock: Path) -> str | None:
    """The user name recorded in an owner file, when it can be read."""
    try:
        data = lock.read_bytes()[:512]
    except OSError:
        return None
    if lock.name.startswith(".~lock."):
        # LibreOffice: "user,host,profile,time," as text
        parts = data.decode("utf-8", errors="ignore").split(",")
        return parts[1].strip() or None if len(parts) > 1 else None
    if len(data) > 56 and data[54]:
        name = data[56 : 56 + 2 * data[54]].decode("utf-16-le", errors="ignore").strip("\x00 ")
        if name:
            return name
    if data and data[0]:
        for encoding in ("utf-8", "gbk", "latin-1"):
            try:
                return data[1 : 1 + data[0]].decode(encoding).strip() or None
            except UnicodeDecodeError:
                continue
    return None


def ensure_writable(path: Path) -> None:
    """Refuse a read-only folder or file up front, said as such (not as "open in Excel")."""
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise CannotRun(t("save.read_only_folder", folder=str(path.parent)))
    if path.exists() and not os.access(path, os.W_OK):
        raise CannotRun(t("save.read_only_file", name=path.name))


def ensure_not_open(path: Path) -> None:
    """Refuse, with a message saying what to do, when the workbook is open elsewhere."""
    locks = owner_files(path)
    if locks:
        user = owner_name(locks[0])
        who = t("lock.by_user", user=user) if user else ""
        program = "lock.libreoffice" if locks[0].name.startswith(".~lock.") else "lock.owner_file"
        raise WorkbookBusy(t(program, name=path.name, who=who, lock=locks[0].name))
    if path.exists():
        try:
            # On Windows this fails with a sharing violation while Excel holds the file.
            fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
        except PermissionError:
            if not os.access(path, os.W_OK):
                raise CannotRun(t("save.read_only_file", name=path.name)) from None
            raise WorkbookBusy(t("lock.sharing", name=path.name)) from None
        os.close(fd)
