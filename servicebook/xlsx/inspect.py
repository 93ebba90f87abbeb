"""What a file is, decided before anything reads it: a workbook we can read, or a clear refusal.

Every check here is cheap (a stat, a few header bytes, the first kilobytes of each XML part) and
runs before python-calamine or lxml sees the file, so that a folder or a pipe named `.xlsx` never
hangs a command, an encrypted or Strict workbook is named as such, and a part carrying a DTD
(entity expansion, external entities — never found in a workbook Excel wrote) is refused rather
than parsed.
"""

from __future__ import annotations

import os
import stat
import zipfile
import zlib
from pathlib import Path

from servicebook.errors import CannotRun
from servicebook.text import t
from servicebook.xlsx.xml import STRICT_NS

SUFFIXES = (".xlsx", ".xlsm")
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"     # an OLE compound file: .xls, or an encrypted .xlsx
ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")

PROLOG_BYTES = 1 << 16
XML_SUFFIXES = (".xml", ".rels", ".vml")


def ensure_workbook(path: Path) -> None:
    """Refuse, with the reason in the users' words, anything that is not a workbook we can read."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise CannotRun(t("open.missing", path=str(path))) from None
    except OSError as error:
        raise CannotRun(t("open.unreadable", path=str(path), error=error.strerror or str(error))) from None
    if stat.S_ISDIR(info.st_mode):
        raise CannotRun(t("open.is_folder", path=str(path)))
    if not stat.S_ISREG(info.st_mode):
        raise CannotRun(t("open.not_regular", path=str(path)))
    if path.suffix.lower() not in SUFFIXES:
        raise CannotRun(t("open.not_workbook", path=str(path)))
    try:
        with path.open("rb") as fh:
            head = fh.read(1 << 20)
    except PermissionError:
        raise CannotRun(t("open.no_permission", path=str(path))) from None
    if head.startswith(CFB_MAGIC):
        key = "open.encrypted" if ENCRYPTION_STREAM in head else "open.old_format"
        raise CannotRun(t(key, path=str(path)))
    if not zipfile.is_zipfile(path):
        raise CannotRun(t("open.not_workbook", path=str(path)))
    _check_parts(path)


def _check_parts(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" not in names:
                raise CannotRun(t("open.not_workbook", path=str(path)))
            for info in archive.infolist():
                if not info.filename.lower().endswith(XML_SUFFIXES):
                    continue
                try:
                    with archive.open(info) as member:
                        prolog = member.read(PROLOG_BYTES)
                except (zipfile.BadZipFile, zlib.error, EOFError):
                    continue   # damaged bytes: the part's reader says so, naming its sheet
                if has_declarations(prolog):
                    raise CannotRun(t("open.unsafe", path=str(path), part=info.filename))
                if info.filename == "xl/workbook.xml" and STRICT_NS in prolog:
                    raise CannotRun(t("open.strict", path=str(path)))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError) as error:
        raise CannotRun(t("open.unreadable", path=str(path), error=str(error))) from None


def has_declarations(prolog: bytes) -> bool:
    """True when an XML part declares a DTD (or anything else with `<!` before its root element):
    OOXML parts never do, and a DTD is how entity expansion and external entities get in."""
    if prolog[:2] in (b"\xff\xfe", b"\xfe\xff"):
        prolog = prolog.decode("utf-16", errors="ignore").encode("utf-8")
    position = 0
    while True:
        start = prolog.find(b"<", position)
        if start < 0:
            # No root element in the first 64 KB of a part: nothing Excel writes looks like that.
            return len(prolog) >= PROLOG_BYTES
        if prolog.startswith(b"<?", start):
            position = prolog.find(b"?>", start)
        elif prolog.startswith(b"<!--", start):
            position = prolog.find(b"-->", start)
        else:   # the root element, or a declaration (<!DOCTYPE …) before it
            return prolog.startswith(b"<!", start)
        if position < 0:
            return True
