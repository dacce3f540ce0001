"""Each private part of a library the project uses still works as the code expects.

The uses are in dashboard/compat.py and data_access/compat.py; a failure here names the one
that an upgrade changed (docs/architecture.md, compatibility).
"""

from __future__ import annotations

import threading
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import create_engine, text
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.elements.lib.pandas_styler_utils import marshall_styler
from streamlit.proto.ArrowData_pb2 import ArrowData as ArrowProto
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from dashboard import compat
from data_access.compat import Ping, wrap_ping


def test_st_dataframe_takes_the_cells_text_given_to_the_styler() -> None:
    styler = pd.DataFrame({"a": [1.5]}).style
    translated = {
        "body": [[{"id": "row0_col0", "display_value": "一点五"}]],
        "table_styles": [],
        "cellstyle": [],
    }
    compat.set_styler_cells(styler, translated)
    proto = ArrowProto()
    marshall_styler(proto, styler, "uuid")
    shown = convert_arrow_bytes_to_pandas_df(proto.styler.display_values)
    assert shown.iloc[0, 0] == "一点五"


def test_the_pages_directory_flag_is_read_once_and_cleared() -> None:
    kept = PagesManager.uses_pages_directory
    try:
        PagesManager.uses_pages_directory = True
        assert compat.take_pages_directory_flag() is True
        assert PagesManager.uses_pages_directory is False
        assert compat.take_pages_directory_flag() is False
    finally:
        PagesManager.uses_pages_directory = kept


def _report_script_run() -> None:
    import streamlit as st

    from dashboard import compat

    st.text(f"in run: {compat.in_script_run()}")


def test_a_page_run_is_told_from_the_servers_own_threads() -> None:
    at = AppTest.from_function(_report_script_run).run()
    assert [element.value for element in at.text] == ["in run: True"]
    seen: list[bool] = []
    worker = threading.Thread(target=lambda: seen.append(compat.in_script_run()))
    worker.start()
    worker.join()
    assert seen == [False]


def test_the_component_scan_runs_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.components.v2 import manifest_scanner

    scans: list[int] = []
    scan = manifest_scanner.scan_component_manifests

    def counted(*args: Any, **kwargs: Any) -> Any:
        scans.append(1)
        return scan(*args, **kwargs)

    monkeypatch.setattr(manifest_scanner, "scan_component_manifests", counted)
    compat.scan_components_once()
    compat.scan_components_once()
    for _ in range(3):
        assert not AppTest.from_function(_report_script_run).run().exception
    assert scans == [1]


def _sleep_then_write() -> None:
    import time

    import streamlit as st

    time.sleep(0.3)
    st.write("done")


def _sleep_long() -> None:
    import time

    time.sleep(2.0)


def test_an_apptest_waits_on_its_runs_end_event(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import local_script_runner

    monkeypatch.setattr(
        local_script_runner, "require_widgets_deltas", local_script_runner.require_widgets_deltas
    )
    wakes: list[int] = []
    slept = local_script_runner.time.sleep
    waiting = threading.get_ident()  # the test's thread: AppTest waits in it

    def counted(seconds: float) -> None:
        # time.sleep is the module's for every thread: count only AppTest's own polls.
        if threading.get_ident() == waiting and seconds <= 0.001:
            wakes.append(1)
        slept(seconds)

    compat.wait_on_run_end()
    compat.wait_on_run_end()  # once: the wait does not wrap itself
    monkeypatch.setattr(local_script_runner.time, "sleep", counted)
    at = AppTest.from_function(_sleep_then_write).run()
    monkeypatch.setattr(local_script_runner.time, "sleep", slept)
    # The whole run is seen (its end, not its start), and AppTest's loop did not poll through it
    # (without the wait it wakes about 300 times in these 0.3 s).
    assert not at.exception
    assert [element.value for element in at.markdown] == ["done"]
    assert len(wakes) <= 2
    # A run longer than the timeout still ends in AppTest's own timeout error.
    with pytest.raises(RuntimeError, match="timed out"):
        AppTest.from_function(_sleep_long, default_timeout=0.5).run()


def test_the_pools_pre_ping_goes_through_the_wrapper(tmp_path: Any) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'ping.sqlite3'}", pool_pre_ping=True)
    pinged: list[bool] = []

    def wrapper(original: Ping) -> Ping:
        def ping(dbapi_connection: Any) -> bool:
            answer = bool(original(dbapi_connection))
            pinged.append(answer)
            return answer

        return ping

    wrap_ping(engine.dialect, wrapper)
    for _ in range(2):  # the second checkout takes the pooled connection and pings it
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
    engine.dispose()
    assert pinged and all(pinged)


def test_a_zips_entries_are_counted_from_its_end_record_without_a_private_helper() -> None:
    import io
    import zipfile

    from data_access.importing.safezip import declared_entries

    def archive(members: int, comment: bytes = b"") -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as written:
            for number in range(members):
                written.writestr(f"{number}.csv", "a,b\n")
            written.comment = comment
        return buffer.getvalue()

    assert declared_entries(archive(0)) == 0
    assert declared_entries(archive(3, b"PK\x05\x06 in a comment")) == 3
    assert declared_entries(archive(70_000)) == 70_000  # the zip64 record's count
    assert declared_entries(b"not a zip at all") is None
    assert declared_entries(archive(2) + b"trailing bytes") == 2  # as zipfile takes it
    lying = bytearray(archive(2))
    end = lying.rfind(b"PK\x05\x06")
    lying[end + 10 : end + 12] = (60_000).to_bytes(2, "little")  # the total the record declares
    assert declared_entries(bytes(lying)) == 60_000
