"""The vault beside the workbook (`<工作簿名>.servicebook/vault.sqlite`): the real phone numbers the
workbook shows masked, encrypted (AES-256-GCM, from `cryptography`), so an agent allowed to call a
customer back can see the number, and nobody else can — not in the workbook, not in a backup made
after the number was masked, not in the folder beside it, not in a log.

The key is never in the workbook, the repository, a log or a backup. It comes from, in order: the
environment variable SERVICEBOOK_VAULT_KEY, the file named by SERVICEBOOK_VAULT_KEY_FILE (readable by
its owner only), or the operating system's keyring. Every reveal is logged — who, when, which
record — in `logs/reveal.log`, without the number.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import os
import sqlite3
import stat
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from servicebook.domain.masking import Secret
from servicebook.errors import CannotRun
from servicebook.keyring_lookup import stored_password
from servicebook.sidecar import Sidecar
from servicebook.text import t

KEY_VARIABLE = "SERVICEBOOK_VAULT_KEY"
KEY_FILE_VARIABLE = "SERVICEBOOK_VAULT_KEY_FILE"
KEYRING_SERVICE, KEYRING_NAME = "servicebook", "vault-key"
FILE = "vault.sqlite"
CHECK = b"servicebook vault key check"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS secrets (
    fingerprint TEXT PRIMARY KEY,      -- keyed hash of where and what: the same number kept once
    sheet TEXT NOT NULL, row_key TEXT NOT NULL, column_name TEXT NOT NULL, masked TEXT NOT NULL,
    nonce BLOB NOT NULL, sealed BLOB NOT NULL, kept_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS secrets_row ON secrets(row_key);
"""


def new_key() -> str:
    """A fresh key, as the text SERVICEBOOK_VAULT_KEY and the key file hold."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _decode(text: str, where: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode())
    except (ValueError, TypeError):
        key = b""
    if len(key) != 32:
        raise CannotRun(t("vault.bad_key", where=where))
    return key


def _from_file(path: Path) -> bytes:
    try:
        info = path.stat()
    except OSError:
        raise CannotRun(t("vault.no_key_file", path=str(path))) from None
    if os.name != "nt" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CannotRun(t("vault.key_file_open", path=str(path)))
    return _decode(path.read_text(encoding="utf-8"), str(path))


def load_key() -> bytes | None:
    """The vault key, or None when none is set up on this machine."""
    if os.environ.get(KEY_VARIABLE):
        return _decode(os.environ[KEY_VARIABLE], KEY_VARIABLE)
    if os.environ.get(KEY_FILE_VARIABLE):
        return _from_file(Path(os.environ[KEY_FILE_VARIABLE]))
    stored = stored_password(KEYRING_SERVICE, KEYRING_NAME)
    return _decode(stored, "keyring") if stored else None


def store_key(text: str) -> None:
    import keyring

    keyring.set_password(KEYRING_SERVICE, KEYRING_NAME, text)


@dataclass(frozen=True)
class Revealed:
    sheet: str
    row_key: str
    column: str
    masked: str
    number: str
    kept_at: str


class Vault:
    def __init__(self, sidecar: Sidecar, key: bytes):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self.sidecar, self.key = sidecar, key
        self.cipher = AESGCM(key)

    @property
    def path(self) -> Path:
        return self.sidecar.folder / FILE

    def _connect(self) -> sqlite3.Connection:
        self.sidecar.make_folder()
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(SCHEMA)
        check = hmac.new(self.key, CHECK, hashlib.sha256).hexdigest()
        found = db.execute("SELECT value FROM meta WHERE name = 'check'").fetchone()
        if found is None:
            db.execute("INSERT INTO meta VALUES ('check', ?)", (check,))
        elif not hmac.compare_digest(found[0], check):
            db.close()
            raise CannotRun(t("vault.wrong_key", path=str(self.path)))
        return db

    @staticmethod
    def _place(secret: Secret) -> bytes:
        return "\x1f".join((secret.sheet, secret.row_key, secret.column, secret.masked)).encode()

    def keep(self, secrets: Iterable[Secret], now: datetime) -> int:
        """Seal and keep `secrets` (one transaction); returns how many were new."""
        rows = []
        for secret in secrets:
            place = self._place(secret)
            fingerprint = hmac.new(self.key, place + b"\x1e" + secret.number.encode(), hashlib.sha256).hexdigest()
            nonce = os.urandom(12)
            sealed = self.cipher.encrypt(nonce, secret.number.encode(), place)
            rows.append((fingerprint, secret.sheet, secret.row_key, secret.column, secret.masked, nonce, sealed,
                         now.isoformat(sep=" ")))
        if not rows:
            return 0
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            before = db.total_changes
            db.executemany("INSERT OR IGNORE INTO secrets VALUES (?,?,?,?,?,?,?,?)", rows)
            added = db.total_changes - before
            db.execute("COMMIT")
        return added

    def reveal(self, query: str) -> list[Revealed]:
        """The numbers kept for a record (记录编号) or a customer (客户编号), newest first."""
        if not self.path.exists():
            return []
        from cryptography.exceptions import InvalidTag

        with closing(self._connect()) as db:
            rows = db.execute("SELECT sheet, row_key, column_name, masked, nonce, sealed, kept_at FROM secrets "
                              "WHERE row_key = ? OR row_key LIKE ? ORDER BY kept_at DESC",
                              (query, query.replace("%", "") + "@%")).fetchall()
        found = []
        for sheet, row_key, column, masked, nonce, sealed, kept_at in rows:
            place = "\x1f".join((sheet, row_key, column, masked)).encode()
            try:
                number = self.cipher.decrypt(nonce, sealed, place).decode()
            except InvalidTag:
                raise CannotRun(t("vault.damaged", path=str(self.path))) from None
            found.append(Revealed(sheet, row_key, column, masked, number, kept_at))
        return found


def audit(sidecar: Sidecar, query: str, found: int, via: str, now: datetime) -> Path:
    """Who looked up which record's numbers, and when (never the numbers)."""
    folder = sidecar.folder / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "reveal.log"
    try:
        who = getpass.getuser()
    except Exception:  # no user name to be had (a service account without one)
        who = "?"
    with target.open("a", encoding="utf-8") as log:
        log.write(t("vault.audit_line", when=now.strftime("%Y-%m-%d %H:%M:%S"), who=who, via=via, query=query,
                    found=found) + "\n")
    return target
