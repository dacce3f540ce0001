"""At most N report renders (headless Chromium) at once per app process; the others wait in line.

Three viewers pressing 截图 PNG at once used to start three browsers (27 processes). A render
takes a place in this queue first; while it waits the sidebar shows how many are ahead, and a
render that cannot start or finish within the deadline ends with a message (docs/security.md).
No Streamlit import: the snapshot command uses it too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class RenderTimeout(RuntimeError):
    """A render that could not start or finish within its deadline."""


class RenderQueue:
    def __init__(self, slots: int) -> None:
        self.slots = max(1, slots)
        self._condition = threading.Condition()
        self._running = 0
        self._line: list[int] = []  # tickets waiting, first in first out
        self._next_ticket = 0

    def status(self) -> tuple[int, int]:
        """(renders running, renders waiting) now."""
        with self._condition:
            return self._running, len(self._line)

    @contextmanager
    def slot(self, deadline: float) -> Iterator[float]:
        """Holds one render place; yields the seconds left of the deadline once it has one."""
        with self._condition:
            ticket = self._next_ticket
            self._next_ticket += 1
            self._line.append(ticket)
            try:
                while self._line[0] != ticket or self._running >= self.slots:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise RenderTimeout("no free render place before the deadline")
                    self._condition.wait(left)
            finally:
                self._line.remove(ticket)
                self._condition.notify_all()
            self._running += 1
        try:
            yield deadline - time.monotonic()
        finally:
            with self._condition:
                self._running -= 1
                self._condition.notify_all()


_QUEUES: dict[int, RenderQueue] = {}
_LOCK = threading.Lock()


def render_queue(slots: int) -> RenderQueue:
    """The process's queue for that many places (one per setting value)."""
    with _LOCK:
        return _QUEUES.setdefault(slots, RenderQueue(slots))
