"""Memory handed back after an import's steps (data_access/memory.py): only after real growth."""

from __future__ import annotations

import pytest

from data_access import memory


def test_memory_is_released_only_after_the_process_grew(monkeypatch: pytest.MonkeyPatch) -> None:
    collections: list[int] = []
    monkeypatch.setattr(memory.gc, "collect", lambda: collections.append(1) or 0)
    monkeypatch.setattr(memory, "_released_at", [0])
    memory.release_memory()  # the first release of a process always runs
    assert collections == [1]
    memory.release_memory()  # nothing grew: a full collection would cost ~0.1 s for nothing
    assert collections == [1]
    before = memory.resident_bytes()
    grown = bytearray(memory.RELEASE_AFTER_GROWTH_BYTES + 16 * 1024 * 1024)
    grown[::4096] = b"x" * len(grown[::4096])  # touched, so resident
    assert before is not None and (memory.resident_bytes() or 0) > before
    memory.release_memory()
    assert collections == [1, 1]
    del grown
