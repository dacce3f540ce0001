"""Which cases the README command runs (tests/conftest.py): every test on SQLite and on one
server, alternating by test; the full run (.ci/run) keeps both servers."""

from __future__ import annotations

from types import SimpleNamespace

from tests import conftest


def case(name: str, backend: str) -> SimpleNamespace:
    return SimpleNamespace(
        nodeid=f"tests/test_x.py::{name}[{backend}]",
        originalname=name,
        name=f"{name}[{backend}]",
        callspec=SimpleNamespace(params={"backend": backend}),
    )


def test_a_test_keeps_its_sqlite_cases_and_one_servers_and_a_one_server_test_keeps_its_own():
    names = [f"test_{n}" for n in range(40)]
    cases = [case(n, b) for n in names for b in ("sqlite", "postgresql", "mariadb")]
    cases.append(case("test_postgresql_only", "postgresql"))
    kept, left_out = conftest._one_server_each(cases)  # type: ignore[arg-type]
    assert len(kept) + len(left_out) == len(cases) and len(left_out) == len(names)
    kept_names = {c.nodeid for c in kept}
    for name in names:
        server = conftest.server_of(f"tests/test_x.py::{name}")
        other = next(s for s in conftest.SERVERS if s != server)
        assert f"tests/test_x.py::{name}[sqlite]" in kept_names
        assert f"tests/test_x.py::{name}[{server}]" in kept_names
        assert f"tests/test_x.py::{name}[{other}]" not in kept_names
    assert "tests/test_x.py::test_postgresql_only[postgresql]" in kept_names
    # Both servers get a share of the tests.
    shares = [conftest.server_of(f"tests/test_x.py::{n}") for n in names]
    assert 10 <= shares.count("postgresql") <= 30
