"""`python -m tests.support.disk_limit ARGS`: `python -m servicebook ARGS` on a folder whose disk
fills up after SB_DISK_LIMIT bytes (see disk.py). Python-level writes under SB_DISK_ROOT are
counted; past the limit they fail with ENOSPC, as a full disk's do."""

from __future__ import annotations

import builtins
import errno
import io
import os
import runpy
import shutil
import sys

ROOT = os.path.realpath(os.environ["SB_DISK_ROOT"])
LIMIT = int(os.environ["SB_DISK_LIMIT"])
written = [0]


class _Counted:
    def __init__(self, inner, name: str):
        self._inner, self._name = inner, name

    def write(self, data):
        written[0] += len(data)
        if written[0] > LIMIT:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self._name)
        return self._inner.write(data)

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._inner.__exit__(*exc)

    def __iter__(self):
        return iter(self._inner)


_open = io.open


def _limited_open(file, mode="r", *args, **kwargs):
    handle = _open(file, mode, *args, **kwargs)
    if any(m in mode for m in "wax+") and isinstance(file, (str, bytes, os.PathLike)) \
            and os.path.realpath(os.fsdecode(file)).startswith(ROOT):
        return _Counted(handle, os.fsdecode(file))
    return handle


builtins.open = io.open = _limited_open
shutil._USE_CP_SENDFILE = False   # copies go through write() too
sys.argv = ["servicebook", *sys.argv[1:]]
runpy.run_module("servicebook", run_name="__main__")
