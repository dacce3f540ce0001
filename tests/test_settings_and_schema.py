"""Settings overrides, the database choice of docs/architecture.md §5, and the Alembic schema."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select

from data_access.__main__ import main
from data_access.config import EMBEDDED_DB_FILE, resolve_database
from data_access.db import make_engine
from data_access.models import Base
from data_access.queries.staffing import staffing_by_unit
from data_access.schema import MIGRATIONS_DIR, current_revision, head_revision, upgrade
from data_access.scope import Scope
from data_access.settings import SETTINGS, get_settings, load_settings
from tests.grid_city import build_grid_city
from tests.small_city import AS_OF, build_small_city

NO_FILE = Path("/nonexistent/secrets.toml")


def test_defaults_and_reasons():
    settings = load_settings(environ={}, secrets_file=NO_FILE)
    assert settings.standard_per_10k == 18.0
    assert settings.minimum_workers == 9
    assert settings.counted_roles == ("secretary", "committee", "staff", "grid_fulltime")
    assert all(setting.reason for setting in SETTINGS)


def test_environment_beats_secrets_file(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("[settings]\nstandard_per_10k = 20\ncount_grid_fulltime = false\n")
    settings = load_settings(environ={"DASHBOARD_STANDARD_PER_10K": "16.5"}, secrets_file=secrets)
    assert settings.standard_per_10k == 16.5
    assert settings.count_grid_fulltime is False
    assert settings.counted_roles == ("secretary", "committee", "staff")


def test_bad_setting_values_are_refused(tmp_path):
    with pytest.raises(ValueError, match="minimum_workers"):
        load_settings(environ={"DASHBOARD_MINIMUM_WORKERS": "nine"}, secrets_file=NO_FILE)
    with pytest.raises(ValueError, match="count_grid_fulltime"):
        load_settings(environ={"DASHBOARD_COUNT_GRID_FULLTIME": "maybe"}, secrets_file=NO_FILE)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("[settings]\nstandrad_per_10k = 20\n")
    with pytest.raises(ValueError, match="standrad_per_10k"):
        load_settings(environ={}, secrets_file=secrets)


def test_database_choice_order(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[connections.shared_db]\nurl = "postgresql+psycopg://r@h/db"\n')
    assert resolve_database({"DATABASE_URL": "sqlite:///x.db"}, secrets).source == "env"
    from_file = resolve_database({}, secrets)
    assert (from_file.source, from_file.url) == ("secrets", "postgresql+psycopg://r@h/db")
    embedded = resolve_database({}, NO_FILE)
    assert embedded.is_embedded
    assert embedded.url == f"sqlite:///{EMBEDDED_DB_FILE}"


def test_migration_matches_models_and_is_repeatable(new_database):
    engine = make_engine(new_database("schema"))
    upgrade(engine)
    upgrade(engine)  # a second upgrade is a no-op
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    indexes = {ix["name"] for ix in inspect(engine).get_indexes("burden_record")}
    assert "ix_burden_record_period_category_code_count" in indexes
    engine.dispose()


def test_init_command_creates_the_schema(new_database, monkeypatch, capsys):
    url = new_database("cli")
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["init"]) == 0
    assert "schema up to date" in capsys.readouterr().out
    assert inspect(make_engine(url)).has_table("staff_member")


SUMMARY_TABLES = (
    "burden_summary",
    "community_coverage",
    "grid_reach",
    "staffing_summary",
    "grid_staffing_summary",
    "unit_outline",
    "map_piece",
    "summary_state",
)


def _contents(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as connection:
        return {
            name: sorted(
                (tuple(row) for row in connection.execute(select(Base.metadata.tables[name]))),
                key=repr,
            )
            for name in SUMMARY_TABLES
        }


def test_upgrade_of_a_database_from_before_the_summaries_fills_them_as_a_fresh_build(
    new_database,
):
    old = make_engine(new_database("at_0004"))
    upgrade(old, "0004_admission")
    build_small_city(old, refresh=False)
    build_grid_city(old, refresh=False)
    upgrade(old)
    assert current_revision(old) == head_revision()
    fresh = make_engine(new_database("fresh"))
    upgrade(fresh)
    build_small_city(fresh)
    build_grid_city(fresh)
    upgraded, built = _contents(old), _contents(fresh)
    assert {name for name, rows in built.items() if not rows} == set()
    assert upgraded == built
    assert {row[0] for row in built["summary_state"]} == {
        "burden",
        "coverage",
        "staffing",
        "grid_staffing",
        "outlines",
    }
    # The figures the pages show, through the queries, are the fresh build's too.
    scope, settings = Scope("990101", AS_OF), get_settings()
    by_street = staffing_by_unit(old, scope, settings, level="street")
    pd.testing.assert_frame_equal(by_street, staffing_by_unit(fresh, scope, settings, "street"))
    assert by_street["counted_workers"].tolist() == [23, 50]  # tests/small_city.py
    old.dispose()
    fresh.dispose()


def test_migrations_define_their_own_tables():
    """A migration runs against the schema of its own revision: it never uses today's models
    or the code that fills the summaries (docs/architecture.md, schema and migrations)."""
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert "data_access" not in source.replace("data_access/", ""), path.name
