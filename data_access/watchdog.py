"""A database that stops answering mid-query becomes an error within seconds (docs/security.md).

Connect timeouts only cover connecting. Once a query is on its way, a dead network (a firewall
that drops packets, a VPN that went down) leaves the driver waiting for an answer for minutes,
and the page spins. TCP keepalives and tcp_user_timeout (db.py) catch a network that drops
packets; this watchdog also catches one that swallows them, and a server that stopped answering.

Every statement registers its connection's socket while it runs. A statement running longer
than `db_read_timeout_seconds` makes the watchdog ask the database, over a fresh connection,
whether it answers at all: if it does, the statement is merely slow and the server's own
statement timeout will end it; if it does not, the waiting sockets are shut down, the driver
raises a disconnect, and the page shows its outage message. No query is ever cut while the
database is reachable.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.pool import NullPool

from data_access.compat import Ping, wrap_ping

_log = logging.getLogger(__name__)
CHECK_EVERY = 0.5
_UNREACHABLE = (
    "timeout",
    "timed out",
    "refused",
    "unreachable",
    "no route",
    "lost connection",
    "can't connect",
    "could not connect",
    "closed the connection",
    "connection reset",
)


class _Running:
    __slots__ = ("engine", "fd", "limit", "started")

    def __init__(self, engine: Engine, fd: int, limit: float) -> None:
        self.engine, self.fd, self.limit, self.started = engine, fd, limit, time.monotonic()


class Watchdog:
    def __init__(self) -> None:
        self._running: dict[int, _Running] = {}
        self._probes: dict[str, Engine] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def enter(self, key: int, engine: Engine, fd: int | None, limit: float) -> None:
        if fd is None or fd < 0:
            return
        with self._lock:
            self._running[key] = _Running(engine, fd, limit)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._watch, name="db-watchdog", daemon=True)
                self._thread.start()

    def leave(self, key: int) -> None:
        with self._lock:
            self._running.pop(key, None)

    def _watch(self) -> None:
        while True:
            time.sleep(CHECK_EVERY)
            now = time.monotonic()
            with self._lock:
                overdue = [
                    (key, run)
                    for key, run in self._running.items()
                    if now - run.started > run.limit
                ]
            by_engine: dict[int, list[tuple[int, _Running]]] = {}
            for key, run in overdue:
                by_engine.setdefault(id(run.engine), []).append((key, run))
            for runs in by_engine.values():
                engine = runs[0][1].engine
                if self._answers(engine):
                    for _, run in runs:  # slow, not lost: look again after another period
                        run.started = time.monotonic()
                    continue
                _log.warning(
                    "database %s does not answer: %d waiting statement(s) given up",
                    engine.url.render_as_string(hide_password=True),
                    len(runs),
                )
                for key, run in runs:
                    self.leave(key)
                    _shut(run.fd)

    def _answers(self, engine: Engine) -> bool:
        address = engine.url.render_as_string(hide_password=False)
        probe = self._probes.get(address)
        if probe is None:
            probe = create_engine(
                engine.url, poolclass=NullPool, connect_args=engine_connect_args(engine)
            )
            self._probes[address] = probe
        try:
            with probe.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            # A server that answers with an error (too many connections, a dropped database)
            # still answers: only silence and refusals mean the network or server is gone.
            words = str(exc).lower()
            return not any(word in words for word in _UNREACHABLE)
        return True


def _shut(fd: int) -> None:
    """Shuts the socket down under the driver: its wait ends with a disconnect error."""
    with contextlib.suppress(OSError):
        duplicate = socket.socket(fileno=os.dup(fd))
        try:
            duplicate.shutdown(socket.SHUT_RDWR)
        finally:
            duplicate.close()  # closes the duplicate only; the driver's descriptor stays valid


WATCHDOG = Watchdog()
_CONNECT_ARGS: dict[int, dict[str, Any]] = {}


def engine_connect_args(engine: Engine) -> dict[str, Any]:
    return _CONNECT_ARGS.get(id(engine), {})


def socket_of(dbapi_connection: Any) -> int | None:
    """The socket of a psycopg or PyMySQL connection, or None."""
    with contextlib.suppress(Exception):
        if hasattr(dbapi_connection, "pgconn"):
            return int(dbapi_connection.pgconn.socket)
        sock = getattr(dbapi_connection, "_sock", None)
        if sock is not None:
            return int(sock.fileno())
    return None


def watch(engine: Engine, limit: float, connect_args: dict[str, Any]) -> None:
    """Registers every statement (and the pool's pings) of engine with the watchdog."""
    _CONNECT_ARGS[id(engine)] = dict(connect_args)

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, *args: Any) -> None:
        WATCHDOG.enter(id(cursor), engine, socket_of(conn.connection.dbapi_connection), limit)

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, *args: Any) -> None:
        WATCHDOG.leave(id(cursor))

    @event.listens_for(engine, "handle_error")
    def _error(context: Any) -> None:
        cursor = getattr(context, "cursor", None)  # none when a pool's ping failed
        if cursor is not None:
            WATCHDOG.leave(id(cursor))

    def watched(original_ping: Ping) -> Ping:
        def do_ping(dbapi_connection: Any) -> bool:
            key = id(dbapi_connection)
            WATCHDOG.enter(key, engine, socket_of(dbapi_connection), limit)
            try:
                return bool(original_ping(dbapi_connection))
            finally:
                WATCHDOG.leave(key)

        return do_ping

    wrap_ping(engine.dialect, watched)
