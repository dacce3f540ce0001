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


def test_objects_alive_after_new_imports_are_frozen_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc
    import sys
    import types

    calls: list[str] = []
    monkeypatch.setattr(memory.gc, "collect", lambda: calls.append("collect") or 0)
    monkeypatch.setattr(memory.gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(memory, "_frozen_with_modules", [len(sys.modules)])
    assert memory.freeze_long_lived() is False  # nothing imported since: nothing walked
    monkeypatch.setitem(sys.modules, "a_module_imported_later", types.ModuleType("later"))
    assert memory.freeze_long_lived() is True
    assert calls == ["collect", "freeze"]  # garbage collected first, then the rest frozen
    assert memory.freeze_long_lived() is False
    assert calls == ["collect", "freeze"]
    assert gc.isenabled()  # younger objects are still collected


def test_a_freeze_leaves_the_objects_alive_out_of_a_full_collection() -> None:
    import gc

    class Node:
        pass

    alive = Node()
    alive.me = alive  # a cycle, which only the collector could free
    memory._frozen_with_modules[0] = -1  # as if modules were imported since
    frozen_before = gc.get_freeze_count()
    assert memory.freeze_long_lived() is True
    assert gc.get_freeze_count() > frozen_before
    assert not any(o is alive for o in gc.get_objects())  # no longer walked
