"""`servicebook reveal`: the real numbers behind a record's or a customer's masked phones, for a
person allowed to call back — from the vault beside the workbook, every look-up logged."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from servicebook.errors import CannotRun
from servicebook.sidecar import Sidecar
from servicebook.text import t
from servicebook.vault import KEY_FILE_VARIABLE, Revealed, Vault, audit, load_key, new_key, store_key
from servicebook.xlsx.read import ensure_workbook


@dataclass
class RevealReport:
    query: str
    found: list[Revealed]
    log: Path

    def as_json(self) -> dict:
        return {"query": self.query, "log": str(self.log),
                "numbers": [{"sheet": r.sheet, "record": r.row_key, "column": r.column, "masked": r.masked,
                             "number": r.number, "kept_at": r.kept_at} for r in self.found]}


def reveal(path: Path, query: str, via: str, now: datetime | None = None) -> RevealReport:
    ensure_workbook(path)
    key = load_key()
    if key is None:
        raise CannotRun(t("vault.no_key"))
    sidecar = Sidecar(path)
    query = query.strip()
    found = Vault(sidecar, key).reveal(query)
    return RevealReport(query, found, audit(sidecar, query, len(found), via, now or datetime.now()))


def make_key(file: Path | None) -> str:
    """A new vault key into the keyring, or into `file` (owner-only); refused when one exists."""
    existing = load_key()
    if existing is not None:
        raise CannotRun(t("vault.key_exists", where=KEY_FILE_VARIABLE if file else "keyring"))
    key = new_key()
    if file is None:
        try:
            store_key(key)
        except Exception as error:  # keyring backends raise their own types
            raise CannotRun(t("secret.no_keyring", error=type(error).__name__,
                              variable="SERVICEBOOK_VAULT_KEY")) from error
        return t("vault.key_created")
    file.parent.mkdir(parents=True, exist_ok=True)
    try:   # created readable by its owner only, never overwriting an existing key
        descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CannotRun(t("vault.key_exists", where=str(file))) from None
    with open(descriptor, "w", encoding="utf-8") as fh:
        fh.write(key + "\n")
    return t("vault.key_written", path=str(file))
