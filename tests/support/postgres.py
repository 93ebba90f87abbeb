"""A real PostgreSQL for the tests: Debian's server binaries, a throwaway cluster made with initdb
(password login, scram-sha-256), listening on a loopback port only. initdb and the server refuse
to run as root, so as root they run as `nobody`."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.dovecot import free_port, stop

USER, PASSWORD, DATABASE = "servicebook", "pg-secret-1", "postgres"


@dataclass(frozen=True)
class Postgres:
    port: int

    @property
    def url(self) -> str:
        """The address as 设置 holds it: no password."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{DATABASE}"


def _binaries() -> Path:
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "initdb").exists():
            return folder
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql)")


@contextlib.contextmanager
def postgres() -> Iterator[Postgres]:
    bin_dir = _binaries()
    user = "nobody" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="servicebook-postgres-"))
    folder.chmod(0o755)
    data, sockets = folder / "data", folder / "run"
    sockets.mkdir()
    pwfile = folder / "pw"
    pwfile.write_text(PASSWORD, encoding="utf-8")
    if user:
        entry = pwd.getpwnam(user)
        for path in (folder, sockets, pwfile):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    port = free_port()
    run = {"user": user, "capture_output": True, "text": True, "cwd": folder}
    made = subprocess.run([str(bin_dir / "initdb"), "-D", str(data), "-U", USER, f"--pwfile={pwfile}",
                           "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"], **run)
    if made.returncode:
        raise RuntimeError(made.stdout + made.stderr)
    server = subprocess.Popen([str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
                               "-k", str(sockets), "-c", "fsync=off"], user=user, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, cwd=folder)
    try:
        deadline = time.monotonic() + 30
        while subprocess.run([str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                             capture_output=True).returncode != 0:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"postgres did not start: {server.stdout.read().decode(errors='replace')}")
            time.sleep(0.1)
        yield Postgres(port)
    finally:
        stop(server)
        shutil.rmtree(folder, ignore_errors=True)
