"""One password read from the operating system's keyring, or None where there is none to read.

The lookup runs on a short thread of its own. keyring finds its backends on the first lookup and
keeps the traceback of each one that fails to import (keyring.backends.Windows traps its
ImportError on any other system) — and with it every frame that was on the importing thread's
stack, holding whatever those frames held when they ended. Asked from inside a run, that was the
masking step's plan of every phone number it changed, ~60 MB at 100,000 records, kept until the
process ended. A thread's stack starts with the thread: nothing of ours is kept.
"""

from __future__ import annotations

import queue
import threading


def stored_password(service: str, name: str) -> str | None:
    answer: queue.SimpleQueue[str | None] = queue.SimpleQueue()
    thread = threading.Thread(target=_look_up, args=(service, name, answer), name="servicebook-keyring")
    thread.start()
    thread.join()
    return answer.get()


def _look_up(service: str, name: str, answer: queue.SimpleQueue) -> None:
    # The password goes straight into the queue: a local here would outlive the lookup in the
    # frame keyring keeps.
    try:
        import keyring

        answer.put(keyring.get_password(service, name))
    except Exception:  # no usable keyring backend on this machine (a server without a desktop)
        answer.put(None)
