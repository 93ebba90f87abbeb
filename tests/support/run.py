"""The real command line, run in-process (for speed) or as a subprocess (for exit codes and kills)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> dict:
        return json.loads(self.out)


def servicebook(*args: str, capsys=None) -> Result:
    """Run `servicebook ARGS` in this process through the real entry point."""
    from servicebook.cli import main

    saved = sys.argv
    sys.argv = ["servicebook", *map(str, args)]
    code = 0
    try:
        main()
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 2)
    finally:
        sys.argv = saved
    captured = capsys.readouterr() if capsys else None
    return Result(code, captured.out if captured else "", captured.err if captured else "")


def servicebook_process(*args: str, timeout: float = 300, env: dict | None = None) -> Result:
    """Run `python -m servicebook ARGS` as its own process."""
    done = subprocess.run([sys.executable, "-m", "servicebook", *map(str, args)], capture_output=True,
                          text=True, encoding="utf-8", timeout=timeout, env={**os.environ, **(env or {})})
    return Result(done.returncode, done.stdout, done.stderr)
