"""Failures a user can act on. The command line turns them into a Chinese message and exit code 2."""

from __future__ import annotations


class CannotRun(Exception):
    """The command could not run: missing file, not a workbook, open in Excel, bad settings."""

    def __init__(self, message: str, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []


class WorkbookBusy(CannotRun):
    """The workbook is open in Excel (or another program) and must not be written."""


def explain(error: BaseException) -> str | None:
    """What a failure of the machine (a full disk, a read-only folder, a damaged state file) means
    to the user, in their words; None for anything else (a bug, reported as such)."""
    import errno
    import sqlite3

    from servicebook.text import t

    if isinstance(error, OSError):
        where = t("save.at", target=error.filename) if error.filename else ""
        if error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
            return t("save.disk_full", where=where)
        if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return t("save.no_write_permission", where=where)
        return None
    if isinstance(error, sqlite3.Error):
        text = str(error).lower()
        where = t("save.at", target="state.sqlite")
        if "full" in text:
            return t("save.disk_full", where=where)
        if "readonly" in text or "read-only" in text:
            return t("save.no_write_permission", where=where)
        if "malformed" in text or "not a database" in text:
            return t("state.damaged_midway")
        if "locked" in text:
            return t("state.busy")
    return None
