"""The inbox folder beside the workbook: .eml and Outlook .msg files a person drops there (drag a
message out of Outlook, or save it from any mail program). Taken files move to 已处理."""

from __future__ import annotations

from pathlib import Path

from servicebook.mail.sources import TAKEN_FOLDER, UNREADABLE_FOLDER, Raw
from servicebook.mail.transports import Setup

KINDS = {".eml": "eml", ".msg": "msg"}


def inbox_of(sidecar_folder: Path) -> Path:
    return sidecar_folder / "inbox"


def from_settings(setup: Setup) -> FolderSource:
    return FolderSource(inbox_of(setup.folder))


def _free(target: Path) -> Path:
    """`target`, or the same name with a number when a file of that name is there already."""
    if not target.exists():
        return target
    for n in range(2, 10_000):
        candidate = target.with_name(f"{target.stem} ({n}){target.suffix}")
        if not candidate.exists():
            return candidate
    raise FileExistsError(target)


class FolderSource:
    name = "folder"

    def __init__(self, folder: Path):
        self.folder = folder

    def fetch(self) -> list[Raw]:
        if not self.folder.is_dir():
            return []
        files = [p for p in self.folder.iterdir() if p.is_file() and p.suffix.lower() in KINDS]
        files.sort(key=lambda p: (p.stat().st_mtime, p.name))
        return [Raw(p.name, p.name, p.read_bytes(), KINDS[p.suffix.lower()]) for p in files]

    def _move(self, keys: list[str], where: str) -> None:
        if not keys:
            return
        target = self.folder / where
        target.mkdir(exist_ok=True)
        for key in keys:
            source = self.folder / key
            if source.exists():
                source.replace(_free(target / key))

    def taken(self, keys: list[str]) -> None:
        self._move(keys, TAKEN_FOLDER)

    def set_aside(self, keys: list[str]) -> None:
        self._move(keys, UNREADABLE_FOLDER)

    def close(self) -> None:
        pass
