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
