from __future__ import annotations

import os
import shutil
import tempfile

import pytest

# Progress bars and colours are for people at a terminal, not for captured output.
os.environ.setdefault("NO_COLOR", "1")


def pytest_configure(config):
    """Each run its own temporary folder. pytest's shared /tmp/pytest-of-<user> keeps only the
    three newest runs' folders and deletes older ones — a run still going among them included —
    so a third run started beside it would take its files away mid-test."""
    if not config.option.basetemp and not hasattr(config, "workerinput"):
        config.option.basetemp = tempfile.mkdtemp(prefix="servicebook-tests-")
        config._servicebook_basetemp = config.option.basetemp


def pytest_sessionfinish(session, exitstatus):
    folder = getattr(session.config, "_servicebook_basetemp", None)
    if folder and exitstatus == 0:   # a failed run's files stay, to look at
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def cli(capsys):
    """Run the real `servicebook` entry point in-process: cli("validate", path) -> Result."""
    from tests.support.run import servicebook

    def run(*args):
        capsys.readouterr()
        return servicebook(*args, capsys=capsys)

    return run


@pytest.fixture
def certificate(tmp_path, monkeypatch):
    """A throwaway CA and server certificate for loopback TLS servers, trusted by the clients."""
    from tests.support.tls import make_certificate

    cert = make_certificate(tmp_path / "tls")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert.cert))          # the SMTP client's CA store
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert.cert))     # requests' (EWS, Graph, msal, robots)
    return cert
