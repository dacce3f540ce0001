"""Page benchmark: every page's first run, warm rerun and warm filter changes, at several scales.

    .venv/bin/python tools/bench.py                                  # scales 1 and 4, SQLite and PostgreSQL
    .venv/bin/python tools/bench.py --scale 1 --backend sqlite --runs 3
    .venv/bin/python tools/bench.py --no-browsers                    # without the Chromium runs
    .venv/bin/python tools/bench.py --only postgresql:25 --json /tmp/s25.json   # one pair, raw figures kept
    .venv/bin/python tools/bench.py --out docs/benchmarks.md         # also write the figures there

Each backend and scale is measured in a child process of its own (so that its peak memory is its
own): the demo city is built once into a SQLite file under --folder or a PostgreSQL database
`dashboard_bench_s<scale>` (reused afterwards), then every page runs under Streamlit's AppTest:

- first run: city scope, every cache empty (what the first viewer after a start pays, apart from
  the one-time import of the app's modules, which a run of the Data page does beforehand);
- warm rerun: the same view again (what every later viewer pays);
- district / street change: a district (then a street) not seen before, caches warm otherwise
  (the background warm-up is off, so this is what a view nobody has opened yet costs), in wall
  seconds and in the measuring process's CPU seconds;
- SQL: the time the database spent on the first run's statements (cursor execute to result);
- map: the bytes of the map's data the page sends at city scope (the SVG map component's, or
  pydeck's JSON), where it has a map.

It also times the Overview's headline figures computed by the project's queries against a naive
baseline that reads the whole tables with pandas and adds up in Python (both must agree), the
server's CPU seconds per visit with 1, 10 and 20 new browsers at once and for a returning browser,
the Grids page's city map drawn in Chromium (tools/bench_map.py's pixel test), and the load
average while it ran.
Figures, not a test: the machine is shared, so compare ratios from one run, not absolute times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

    from dashboard.navigation import PageSpec

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SESSIONS = (1, 10, 20)  # browsers at once in the concurrency run
POSTGRES_ADMIN = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def prepare(backend: str, scale: int, folder: Path) -> str:
    """The URL of a database holding the demo city at `scale`, built on first use."""
    from data_access.admin import create_database
    from data_access.db import make_writer_engine
    from data_access.demo import build_demo
    from data_access.queries.hierarchy import community_count
    from data_access.schema import has_schema, upgrade

    if backend == "sqlite":
        url = f"sqlite:///{folder / f'bench-s{scale}.sqlite3'}"
    else:
        name = f"dashboard_bench_s{scale}"
        url = _existing_postgres(name) or create_database(POSTGRES_ADMIN, name)
    engine = make_writer_engine(url)  # the build and upgrades write: the writers' timeout
    if not has_schema(engine) or community_count(engine) == 0:
        upgrade(engine)
        print(f"building the demo city at scale {scale} on {backend} …", file=sys.stderr)
        summary = build_demo(engine, scale=scale)
        print(f"built in {summary.seconds:.0f} s", file=sys.stderr)
        if backend == "postgresql":
            with engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
    else:
        upgrade(engine)
    engine.dispose()
    return url


def _existing_postgres(name: str) -> str | None:
    from sqlalchemy import text

    from data_access.admin import admin_engine

    engine = admin_engine(POSTGRES_ADMIN)
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).first()
    url = engine.url.set(database=name).render_as_string(hide_password=False)
    engine.dispose()
    return url if found else None


class LoadWatch:
    """The machine's 1-minute load average, read every 15 s while a backend is measured."""

    def __init__(self) -> None:
        import threading

        self.samples = [os.getloadavg()[0]]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(15):
            self.samples.append(os.getloadavg()[0])

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self.samples.append(os.getloadavg()[0])
        return {
            "min": min(self.samples),
            "median": statistics.median(self.samples),
            "max": max(self.samples),
        }


class SqlClock:
    """Adds up the time the database spends on each statement of an engine."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.seconds = 0.0
        self.statements = 0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, _cursor, _statement, _parameters, _context, _many) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn, _cursor, _statement, _parameters, _context, _many) -> None:
        self.seconds += time.perf_counter() - conn.info["bench_started"].pop()
        self.statements += 1

    def reset(self) -> None:
        self.seconds, self.statements = 0.0, 0


def run_page(url: str, page_path: str, state: dict[str, str]) -> AppTest:
    """One AppTest run of one page (made the default page) with the filters in `state`."""
    from streamlit.testing.v1 import AppTest

    from dashboard import navigation
    from dashboard.compat import scan_components_once, wait_on_run_end

    os.environ["DATABASE_URL"] = url
    if not _ORIGINAL_PAGES:
        _ORIGINAL_PAGES.append(navigation.PAGES)
    pages = _ORIGINAL_PAGES[0]
    chosen = next(spec for spec in pages if spec.path == page_path)
    navigation.PAGES = (chosen, *(spec for spec in pages if spec is not chosen))
    # Every AppTest of this process reuses the first one's look for installed components: a
    # server does it once, at its start; the bench times pages, not that scan. Nor AppTest's
    # wait, which polls every millisecond beside the page it times (dashboard/compat.py).
    scan_components_once()
    wait_on_run_end()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    return at


_ORIGINAL_PAGES: list[tuple[PageSpec, ...]] = []  # navigation.PAGES before run_page reorders it


def timed_cpu(run: Callable[[], object]) -> tuple[float, float]:
    """Wall seconds and this process's CPU seconds (every thread: the script run, SQLite, but not
    a database server) of run(): on a busy machine the CPU seconds are the steadier figure."""
    cpu = time.process_time()
    seconds, _ = timed(run)
    return seconds, time.process_time() - cpu


def timed(run: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def map_bytes(at) -> int | None:
    """The bytes of the page's maps: deck.gl's JSON, or the SVG map component's data."""
    charts = at.get("deck_gl_json_chart") + [
        element
        for element in at.get("bidi_component")
        if element.proto.component_name == MAP_COMPONENT
    ]
    if not charts:
        return None
    return sum(len(chart.proto.json.encode()) for chart in charts)


MAP_COMPONENT = "dashboard.grid_map"  # dashboard/map_view.py


def measure_backend(
    backend: str, scale: int, runs: int, folder: Path, browsers: bool = True
) -> dict[str, Any]:
    # No background warm-up: it would compute the views measured below while they are timed.
    os.environ["DASHBOARD_CACHE_WARM"] = "0"
    import streamlit as st

    from dashboard.navigation import PAGES
    from data_access.db import get_engine
    from data_access.queries.hierarchy import units

    url = prepare(backend, scale, folder)
    load = LoadWatch()
    engine = get_engine(url)
    clock = SqlClock(engine)
    table = units(engine)
    districts = table.loc[table["level"] == "district", "code"].tolist()
    streets = table.loc[table["level"] == "street", "code"].tolist()
    figures: dict[str, Any] = {
        "backend": backend,
        "scale": scale,
        "communities": int((table["level"] == "community").sum()),
        "pages": {},
    }
    run_page(url, "pages/data.py", {})  # imports the app's modules once
    for spec in PAGES:
        st.cache_data.clear()
        clock.reset()
        first, at = timed(partial(run_page, url, spec.path, {}))
        sql = clock.seconds
        errors = [str(e.value)[:200] for e in at.exception]
        warm = statistics.median(
            timed(partial(run_page, url, spec.path, {}))[0] for _ in range(runs)
        )
        district_runs, street_runs = [], []
        district_cpu, street_cpu = [], []
        for i in range(runs):
            district = districts[(i + 1) % len(districts)]
            seconds, cpu = timed_cpu(partial(run_page, url, spec.path, {"district": district}))
            district_runs.append(seconds)
            district_cpu.append(cpu)
            street = next(s for s in streets[i + 1 :] if s.startswith(district)) if i else None
            street = street or next(s for s in streets if s.startswith(district))
            seconds, cpu = timed_cpu(
                partial(run_page, url, spec.path, {"district": district, "street": street})
            )
            street_runs.append(seconds)
            street_cpu.append(cpu)
        figures["pages"][spec.url_path] = {
            "first_s": first,
            "sql_s": sql,
            "warm_s": warm,
            "district_s": statistics.median(district_runs),
            "street_s": statistics.median(street_runs),
            "district_cpu_s": statistics.median(district_cpu),
            "street_cpu_s": statistics.median(street_cpu),
            "map_bytes": map_bytes(at),
            "errors": errors,
        }
        print(f"  {backend} s{scale} {spec.url_path}: {first:.2f} s first", file=sys.stderr)
    figures["baseline"] = overview_baseline(engine, runs, scale)
    if browsers:
        figures["concurrency"] = [concurrency(url, sessions) for sessions in SESSIONS]
        figures["returning"] = returning_visits(url, runs)
        figures["map_draw"] = map_draw(url, runs)
    figures["load"] = load.stop()
    figures["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def overview_baseline(engine, runs: int, scale: int) -> dict[str, float]:
    """The Overview's headline figures by the project's queries and by a naive pandas pass."""
    from data_access.queries import burden, grids, staffing
    from data_access.queries.hierarchy import data_months
    from data_access.scope import Scope, month_end
    from data_access.settings import get_settings

    settings = get_settings()
    last = data_months(engine)[1]
    if last is None:
        raise SystemExit("the benchmark database holds no data")
    scope = Scope(None, month_end(last))

    def ours() -> tuple[int, int, int, int]:
        total = staffing.staffing_total(engine, scope, settings)
        staffing.staffing_by_unit(engine, scope, settings, level="district")
        grid_total = grids.grid_staffing_total(engine, scope)
        series = burden.monthly_series(engine, scope)
        return (
            int(total["counted_workers"]),
            int(total["resident_population"]),
            int(grid_total["staffed_grids"]),
            int(series.loc[series["period"] == series["period"].max(), "value"].sum()),
        )

    def naive() -> tuple[int, int, int, int]:
        return naive_overview(engine, scope, settings)

    ours_runs = [timed(ours) for _ in range(runs)]
    # Above a million burden rows the naive pass takes minutes: timed once.
    naive_runs = [timed(naive) for _ in range(runs if scale < 10 else 1)]
    ours_s = statistics.median(seconds for seconds, _ in ours_runs)
    naive_s = statistics.median(seconds for seconds, _ in naive_runs)
    agree = ours_runs[0][1] == naive_runs[0][1]
    return {"ours_s": ours_s, "naive_s": naive_s, "ratio": naive_s / ours_s, "agree": agree}


def naive_overview(engine, scope, settings) -> tuple[int, int, int, int]:
    """Counted workers, residents, staffed grids and the latest month's burden, from whole tables."""
    import pandas as pd

    with engine.connect() as connection:
        staff = pd.read_sql_table("staff_member", connection)
        population = pd.read_sql_table("community_population", connection)
        burden_rows = pd.read_sql_table("burden_record", connection)
    as_of = pd.Timestamp(scope.as_of)
    starts = pd.to_datetime(staff["start_date"])
    ends = pd.to_datetime(staff["end_date"])
    active = (starts <= as_of) & (ends.isna() | (ends > as_of))
    counted_roles = set(settings.counted_roles)
    counted = staff[active & staff["role"].isin(counted_roles)]
    latest = population[population["year"] <= scope.as_of.year].sort_values("year")
    latest = latest.groupby("community_code").tail(1)
    grid_workers = staff[active & staff["role"].isin({"grid_fulltime", "grid_parttime"})]
    periods = pd.to_datetime(burden_rows["period"])
    until = burden_rows[periods <= as_of]
    last = pd.to_datetime(until["period"]).max()
    return (
        len(counted),
        int(latest["resident_population"].sum()),
        int(grid_workers["grid_code"].dropna().nunique()),
        int(until.loc[pd.to_datetime(until["period"]) == last, "count"].sum()),
    )


def concurrency(url: str, sessions: int) -> dict[str, float]:
    """`sessions` browsers open the city Overview at once against one app process: the wall
    time until all are drawn, the server's CPU seconds per visit, and the visits that failed."""
    from playwright.sync_api import sync_playwright

    from dashboard.snapshot import CHROMIUM_ARGS, READY, chromium_path, free_port, wait_until_up

    port = free_port()
    env = dict(os.environ, DATABASE_URL=url, DASHBOARD_CACHE_WARM="0")
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py")]
    command += [f"--server.port={port}", "--server.headless=true"]
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path(), args=CHROMIUM_ARGS
            )
            warm = browser.new_page()  # the first visit fills the cache; not counted
            warm.goto(base + "/?lang=zh")
            warm.wait_for_selector(READY, state="attached", timeout=300_000)
            warm.close()
            cpu_before = _cpu_seconds(server.pid)
            started = time.perf_counter()
            pages = [browser.new_context().new_page() for _ in range(sessions)]
            for page in pages:
                page.goto(base + "/?lang=zh", wait_until="commit")
            failed = 0
            for page in pages:
                try:
                    page.wait_for_selector(READY, state="attached", timeout=300_000)
                    failed += page.locator('[data-testid="stException"]').count() > 0
                except Exception:  # a visit that never finished counts as failed
                    failed += 1
            wall = time.perf_counter() - started
            cpu = _cpu_seconds(server.pid) - cpu_before
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "sessions": sessions,
        "wall_s": wall,
        "cpu_per_visit_s": cpu / sessions,
        "failed": failed,
    }


class AppServer:
    """One app process on a free port, its caches not warmed in the background."""

    def __init__(self, url: str) -> None:
        from dashboard.snapshot import free_port, wait_until_up

        port = free_port()
        env = dict(os.environ, DATABASE_URL=url, DASHBOARD_CACHE_WARM="0")
        command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py")]
        command += [f"--server.port={port}", "--server.headless=true"]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.base = f"http://127.0.0.1:{port}"
        wait_until_up(self.base)

    def cpu(self) -> float:
        return _cpu_seconds(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def returning_visits(url: str, runs: int) -> dict[str, float]:
    """Server CPU seconds per visit to the city Overview from a browser that has been there
    before (Streamlit's scripts and fonts in its cache, as for a leader opening it daily)."""
    from playwright.sync_api import sync_playwright

    from dashboard.snapshot import CHROMIUM_ARGS, READY, chromium_path

    visits = 3 * runs
    server = AppServer(url)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path(), args=CHROMIUM_ARGS
            )
            context = browser.new_context()
            for counted in (False, True):
                before = server.cpu()
                for _ in range(visits if counted else 1):
                    page = context.new_page()
                    page.goto(server.base + "/?lang=zh")
                    page.wait_for_selector(READY, state="attached", timeout=300_000)
                    page.close()
            cpu = server.cpu() - before
            browser.close()
    finally:
        server.stop()
    return {"visits": visits, "cpu_per_visit_s": cpu / visits}


def map_draw(url: str, runs: int) -> dict[str, float]:
    """Seconds from opening the Grids page at city scope in Chromium (without a GPU) until its
    map is readable, by the map's pixels (tools/bench_map.py): cold (a new app process, nothing
    cached), a new browser on the warm server (median of `runs`, an empty browser cache each
    time) and a returning browser (median of `runs` visits from one browser profile, Streamlit's
    scripts in its cache, as for a leader opening it daily)."""
    from bench_map import BENCH_FLAGS, VIEWPORT, visit
    from playwright.sync_api import sync_playwright

    from dashboard.snapshot import CHROMIUM_ARGS, chromium_path

    server = AppServer(url)
    address = server.base + "/grids?lang=zh"

    def seconds(context: Any) -> float:
        drawn = visit(context.new_page(), address, "city", 300, 0.1).map_s
        return float("nan") if drawn is None else drawn

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path(), args=CHROMIUM_ARGS + BENCH_FLAGS
            )
            fresh = []
            for _ in range(runs + 1):
                context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
                fresh.append(seconds(context))
                context.close()
            returning = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
            seconds(returning)  # the first visit fills its cache
            again = [seconds(returning) for _ in range(runs)]
            returning.close()
            browser.close()
    finally:
        server.stop()
    return {
        "cold_s": fresh[0],
        "warm_s": statistics.median(fresh[1:]),
        "returning_s": statistics.median(again),
    }


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def markdown(results: list[dict[str, Any]], runs: int) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Measured {dt.date.today():%Y-%m-%d} by `tools/bench.py` (median of {runs} runs) on "
        f"{os.cpu_count()} cores, {_memory_gib():.0f} GiB, {platform.python_implementation()} "
        f"{platform.python_version()}, under Streamlit's AppTest (server-side time only; the "
        "browser's drawing is not included). The machine is shared: read ratios, not seconds.",
        "",
        "| backend | scale | communities | page | first run s | SQL s | warm rerun s | "
        "district change s (CPU s) | street change s (CPU s) | map bytes | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for page, f in result["pages"].items():
            lines.append(
                f"| {result['backend']} | {result['scale']} | {result['communities']:,} | {page} | "
                f"{f['first_s']:.2f} | {f['sql_s']:.2f} | {f['warm_s']:.2f} | "
                f"{f['district_s']:.2f} ({f.get('district_cpu_s', float('nan')):.2f}) | "
                f"{f['street_s']:.2f} ({f.get('street_cpu_s', float('nan')):.2f}) | "
                f"{_count(f['map_bytes'])} | {len(f['errors'])} |"
            )
    lines += [
        "",
        "Overview headline figures (workers, residents, staffed grids, latest burden), the",
        "project's queries against reading whole tables into pandas:",
        "",
        "| backend | scale | queries s | naive s | naive ÷ queries | same figures | peak RSS MiB |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        b = result["baseline"]
        lines.append(
            f"| {result['backend']} | {result['scale']} | {b['ours_s']:.3f} | "
            f"{b['naive_s']:.3f} | {b['ratio']:.1f}× | {'yes' if b['agree'] else 'NO'} | "
            f"{result['peak_rss_mib']:.0f} |"
        )
    if not any("concurrency" in result for result in results):  # run with --no-browsers
        return "\n".join(lines) + "\n"
    lines += [
        "",
        "Browsers opening the city Overview at once against one app process (cache warm):",
        "",
        "| backend | scale | sessions | all drawn after s | server CPU s per visit | failed |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        for run in result.get("concurrency", []):
            lines.append(
                f"| {result['backend']} | {result['scale']} | {run['sessions']} | "
                f"{run['wall_s']:.1f} | {run['cpu_per_visit_s']:.2f} | {run['failed']} |"
            )
    lines += [
        "",
        "A returning browser (scripts and fonts cached) opening the city Overview, and the Grids",
        "page's city map in Chromium until it is readable (cold: a new app process; new:",
        "a browser with an empty cache on the warm server; returning: one with Streamlit's files",
        "in its cache):",
        "",
        "| backend | scale | server CPU s per returning visit | map cold s | map new browser s | "
        "map returning browser s | load average min / median / max |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        if "returning" not in result:
            continue
        back, draw, load = result["returning"], result["map_draw"], result["load"]
        lines.append(
            f"| {result['backend']} | {result['scale']} | {back['cpu_per_visit_s']:.2f} | "
            f"{draw['cold_s']:.1f} | {draw['warm_s']:.1f} | "
            f"{draw.get('returning_s', float('nan')):.1f} | "
            f"{load['min']:.1f} / {load['median']:.1f} / {load['max']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def _count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _memory_gib() -> float:
    with open("/proc/meminfo", encoding="ascii") as handle:
        return int(handle.readline().split()[1]) / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, action="append", help="demo scale (repeatable)")
    parser.add_argument(
        "--backend", action="append", choices=["sqlite", "postgresql"], help="(repeatable)"
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="BACKEND:SCALE",
        help="measure just these (repeatable), e.g. postgresql:25; instead of --backend × --scale",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; medians are shown")
    parser.add_argument("--folder", type=Path, default=Path("/tmp"), help="for the SQLite files")
    parser.add_argument("--out", type=Path, help="write the Markdown tables to this file")
    parser.add_argument(
        "--browsers",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also the Chromium runs: browsers at once, a returning browser, the city map",
    )
    parser.add_argument("--json", type=Path, help="also keep the raw figures in this file")
    parser.add_argument("--one", nargs=2, metavar=("BACKEND", "SCALE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        result = measure_backend(
            args.one[0], int(args.one[1]), args.runs, args.folder, args.browsers
        )
        print(json.dumps(result))
        return 0
    results = []
    pairs = [(b, int(s)) for b, s in (only.split(":") for only in args.only or [])] or [
        (backend, scale)
        for backend in args.backend or ["sqlite", "postgresql"]
        for scale in args.scale or [1, 4]
    ]
    for backend, scale in pairs:
        command = [sys.executable, __file__, "--one", backend, str(scale)]
        child = subprocess.run(
            [*command, "--runs", str(args.runs), "--folder", str(args.folder)]
            + ([] if args.browsers else ["--no-browsers"]),
            stdout=subprocess.PIPE,
            text=True,
            check=False,
        )
        if child.returncode:
            print(f"{backend} scale {scale} failed (exit {child.returncode})", file=sys.stderr)
            continue
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
        if args.json:
            args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    report = markdown(results, args.runs)
    print(report)
    if args.out:
        args.out.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
