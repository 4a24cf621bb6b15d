"""The cyclic garbage collector during jobs that build hundreds of thousands of objects (a 100,000-good list)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_running = 0  # big jobs running in this process (the in-process runner uses threads)
_was_enabled = True


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause automatic collection for the length of a big job, and resume it afterwards.

    Such a job allocates objects faster than it frees them, and that is what triggers collections: hundreds of
    young ones and a dozen full ones per 100,000 goods, each full one rescanning everything the process holds
    (Flask, SQLAlchemy, the app, the parsed goods). They find next to nothing to free, since the job's objects
    are alive until it ends and hold no reference cycles, yet cost 5–12 % of an import. Counted, so that with
    jobs on threads the collector resumes when the last one ends; a collector someone else disabled stays off.
    """
    global _running, _was_enabled
    with _lock:
        if _running == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0 and _was_enabled:
                gc.enable()
