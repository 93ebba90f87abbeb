"""A real IMAP server for the tests: Dovecot (Debian's dovecot-imapd) on a loopback port, with its
own configuration, a passwd-file login and a maildir in a throwaway folder.

Dovecot will not run mail processes as root: when the tests run as root the mailbox belongs to
`nobody` (and the login processes to Debian's dovenull/dovecot users); otherwise everything runs
as the current user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.tls import Certificate

USER, PASSWORD = "service@service.example.com", "imap-secret-1"


@dataclass(frozen=True)
class Imap:
    host: str
    port: int
    user: str
    password: str
    folder: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _accounts() -> tuple[str, str, str]:
    """(mail user, login user, internal user) Dovecot may run its processes as."""
    if os.geteuid() == 0:
        return "nobody", "dovenull", "dovecot"
    me = pwd.getpwuid(os.geteuid()).pw_name
    return me, me, me


def _config(folder: Path, port: int, cert: Certificate) -> str:
    mail_user, login_user, internal_user = _accounts()
    entry = pwd.getpwnam(mail_user)
    return f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = required
ssl_cert = <{cert.cert}
ssl_key = <{cert.key}
auth_mechanisms = plain
disable_plaintext_auth = yes
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = {min(entry.pw_uid, 100)}
mail_location = maildir:{folder}/mail/%n
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={entry.pw_uid} gid={entry.pw_gid} home={folder}/mail/%n
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


def stop(process: subprocess.Popen) -> None:
    """End a server the tests started: asked first, then made to."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def dovecot(cert: Certificate) -> Iterator[Imap]:
    if shutil.which("dovecot") is None:
        raise RuntimeError("Dovecot is not installed (Debian: apt-get install dovecot-imapd)")
    # Not under pytest's temporary folder: its 0700 folders would keep `nobody` out of the maildir.
    folder = Path(tempfile.mkdtemp(prefix="servicebook-dovecot-"))
    folder.chmod(0o755)
    mail_user = _accounts()[0]
    entry = pwd.getpwnam(mail_user)
    (folder / "mail").mkdir()
    os.chown(folder / "mail", entry.pw_uid, entry.pw_gid)
    (folder / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n", encoding="utf-8")
    port = free_port()
    conf = folder / "dovecot.conf"
    conf.write_text(_config(folder, port, cert), encoding="utf-8")
    process = subprocess.Popen(["dovecot", "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                log = (folder / "dovecot.log").read_text(errors="replace") if (folder / "dovecot.log").exists() else ""
                raise RuntimeError(f"dovecot stopped: {process.stdout.read().decode(errors='replace')}{log}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("dovecot did not start listening")
            time.sleep(0.05)
        yield Imap("127.0.0.1", port, USER, PASSWORD, folder)
    finally:
        stop(process)
        shutil.rmtree(folder, ignore_errors=True)
