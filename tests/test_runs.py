"""Which cases the README command runs (tests/conftest.py): every test on SQLite and on one
server, alternating by module; the full run (.ci/run) keeps both servers."""

from __future__ import annotations

from types import SimpleNamespace

from tests import conftest


def case(name: str, backend: str, module: str = "tests/test_x.py") -> SimpleNamespace:
    return SimpleNamespace(
        nodeid=f"{module}::{name}[{backend}]",
        originalname=name,
        name=f"{name}[{backend}]",
        callspec=SimpleNamespace(params={"backend": backend}),
    )


def test_a_test_keeps_its_sqlite_cases_and_one_servers_and_a_one_server_test_keeps_its_own():
    modules = [f"tests/test_{n}.py" for n in range(40)]
    cases = [case("test_it", b, m) for m in modules for b in ("sqlite", "postgresql", "mariadb")]
    cases.append(case("test_postgresql_only", "postgresql", modules[0]))
    if conftest.server_of(modules[0]) == "postgresql":
        cases.append(case("test_postgresql_only", "postgresql", modules[1]))
    kept, left_out = conftest._one_server_each(cases)  # type: ignore[arg-type]
    assert len(kept) + len(left_out) == len(cases) and len(left_out) == len(modules)
    kept_names = {c.nodeid for c in kept}
    for module in modules:
        server = conftest.server_of(module)
        other = next(s for s in conftest.SERVERS if s != server)
        assert f"{module}::test_it[sqlite]" in kept_names
        assert f"{module}::test_it[{server}]" in kept_names
        assert f"{module}::test_it[{other}]" not in kept_names
    # A test for one server runs on it, whichever server its module was given.
    only = [c.nodeid for c in cases if c.originalname == "test_postgresql_only"]
    assert only and all(nodeid in kept_names for nodeid in only)
    # Both servers get a share of the modules.
    shares = [conftest.server_of(m) for m in modules]
    assert 10 <= shares.count("postgresql") <= 30
