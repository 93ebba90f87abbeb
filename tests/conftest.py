from __future__ import annotations

import os

import pytest

# Progress bars and colours are for people at a terminal, not for captured output.
os.environ.setdefault("NO_COLOR", "1")


@pytest.fixture
def cli(capsys):
    """Run the real `servicebook` entry point in-process: cli("validate", path) -> Result."""
    from tests.support.run import servicebook

    def run(*args):
        capsys.readouterr()
        return servicebook(*args, capsys=capsys)

    return run
