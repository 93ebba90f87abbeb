"""`servicebook schedule`: the nightly entry for Windows Task Scheduler, cron and systemd, and its
installation on this machine."""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from servicebook.errors import CannotRun
from servicebook.sidecar import Sidecar
from servicebook.text import t

MARK = "# servicebook:"


@dataclass(frozen=True)
class Schedule:
    workbook: Path
    hour: int
    minute: int

    @property
    def python(self) -> str:
        return sys.executable

    @property
    def name(self) -> str:
        return f"servicebook {self.workbook.stem}"

    @property
    def unit(self) -> str:
        """systemd unit name: ASCII, and unique per workbook path even for Chinese file names."""
        ascii_stem = re.sub(r"[^A-Za-z0-9_-]+", "", self.workbook.stem)[:20]
        digest = hashlib.sha1(str(self.workbook).encode("utf-8")).hexdigest()[:8]
        return "-".join(part for part in ("servicebook", ascii_stem, digest) if part)

    def windows(self) -> list[str]:
        command = f'"{self.python}" -m servicebook run "{self.workbook}"'
        return ["schtasks", "/Create", "/F", "/SC", "DAILY", "/ST", f"{self.hour:02d}:{self.minute:02d}",
                "/TN", self.name, "/TR", command]

    def cron(self) -> str:
        # The shell opens this file before servicebook runs: the folder must exist (see prepare()).
        out = Sidecar(self.workbook).folder / "logs" / "cron.out"
        command = f"{shlex.quote(self.python)} -m servicebook run {shlex.quote(str(self.workbook))}"
        line = f"{command} >> {shlex.quote(str(out))} 2>&1 {MARK}{self.workbook}"
        return f"{self.minute} {self.hour} * * * {_cron_escape(line)}"

    @property
    def cron_mark(self) -> str:
        """How this workbook's entry ends in the crontab (to replace it, never duplicate it)."""
        return _cron_escape(f"{MARK}{self.workbook}")

    def systemd(self) -> tuple[str, str]:
        # systemd.unit(5): % starts a specifier (%h, %n…) in Description and ExecStart; %% is a percent sign.
        name = self.workbook.name.replace("%", "%%")
        command = shlex.join([self.python, "-m", "servicebook", "run", str(self.workbook)]).replace("%", "%%")
        service = ("[Unit]\nDescription=servicebook nightly run for " + name + "\n\n[Service]\n"
                   "Type=oneshot\nExecStart=" + command + "\n")
        timer = ("[Unit]\nDescription=servicebook nightly run for " + name + "\n\n[Timer]\n"
                 f"OnCalendar=*-*-* {self.hour:02d}:{self.minute:02d}:00\nPersistent=true\n\n"
                 "[Install]\nWantedBy=timers.target\n")
        return service, timer


def _cron_escape(text: str) -> str:
    """crontab(5): an unescaped % ends the command and turns the rest into its standard input."""
    return text.replace("%", "\\%")


def prepare(schedule: Schedule) -> None:
    (Sidecar(schedule.workbook).folder / "logs").mkdir(parents=True, exist_ok=True)


def install(schedule: Schedule) -> str:
    """Install the entry for this platform: Task Scheduler on Windows, the user's crontab elsewhere."""
    if os.name == "nt":
        done = subprocess.run(schedule.windows(), capture_output=True, text=True)
        if done.returncode != 0:
            raise CannotRun(t("schedule.failed", error=(done.stderr or done.stdout).strip()))
        return t("schedule.installed_windows", name=schedule.name)
    crontab = shutil.which("crontab")
    if not crontab:
        raise CannotRun(t("schedule.no_crontab"))
    current = subprocess.run([crontab, "-l"], capture_output=True, text=True)
    lines = [line for line in (current.stdout if current.returncode == 0 else "").splitlines()
             if not line.endswith(schedule.cron_mark)]   # replace, never duplicate
    lines.append(schedule.cron())
    done = subprocess.run([crontab, "-"], input="\n".join(lines) + "\n", capture_output=True, text=True)
    if done.returncode != 0:
        raise CannotRun(t("schedule.failed", error=done.stderr.strip()))
    return t("schedule.installed_cron")
