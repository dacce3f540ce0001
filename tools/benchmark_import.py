"""Peak memory and time of the import for every hostile case, the large hostile files and 50 MB
of valid burden rows.

Not a test: each case runs in a subprocess of its own (python -m tests.hostile_corpus), so that
its peak RSS is its own; the figures go into docs/security.md. Builds a SQLite city
of 1,400 communities in a temporary folder (or uses --url, which must hold that city), then:

    .venv/bin/python tools/benchmark_import.py                 # every case and 50 MB of rows
    .venv/bin/python tools/benchmark_import.py --mb 5 --cases zip_liar month_0000 --large

The large files are made by tests/hostile_corpus.py at full size and imported with the settings'
own limits: a CSV of a million one-cell rows, one of a million rows of four bad cells, workbooks
of 14 million shared strings and of 14 million elements besides rows, and a boundary of a
million vertices (--large none leaves them out).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from data_access.db import make_engine  # noqa: E402
from data_access.importing import Upload, run_import  # noqa: E402
from data_access.schema import upgrade  # noqa: E402
from tests.hostile_corpus import (  # noqa: E402
    BURDEN_HEADER,
    BY_NAME,
    CATEGORIES,
    COMMUNITIES,
    CaseResult,
    boundary_geojson,
    shared_strings_flood,
    sheet_junk_flood,
    short_rows,
)

LARGE = {  # file name → how it is made
    "short_rows/burden.csv": lambda: short_rows(1_000_000),
    "bad_cells/burden.csv": lambda: BURDEN_HEADER.encode() + b"1,a,b,c\n" * 1_000_000,
    "shared_strings/burden.xlsx": lambda: shared_strings_flood(14_000_000),
    "junk_elements/burden.xlsx": lambda: sheet_junk_flood(14_000_000),
    "vertices/boundaries.geojson": lambda: boundary_filling_the_cap(),
}


def boundary_filling_the_cap() -> bytes:
    """One community's outline with as many points as the boundaries file cap admits
    (import_max_geojson_mb): the import's most memory per byte."""
    from data_access.settings import get_settings

    cap = get_settings().import_max_geojson_bytes
    vertices = cap // 35  # each point is written in 35 bytes
    data = boundary_geojson(vertices)
    while len(data) > cap:
        vertices -= 1_000
        data = boundary_geojson(vertices)
    return data


STREETS = 14
PER_STREET = 100


def city_codes() -> tuple[str, ...]:
    return tuple(
        f"990101{street:03d}{community:03d}"
        for street in range(1, STREETS + 1)
        for community in range(1, PER_STREET + 1)
    )


def build_city(url: str) -> None:
    """The small city's codes plus 1,400 communities, imported through the import itself."""
    engine = make_engine(url)
    upgrade(engine)
    codes = city_codes()
    streets = sorted({code[:9] for code in (*codes, *COMMUNITIES)})
    districts = sorted({code[:6] for code in streets})
    files = {
        "districts.csv": "区代码,区名称\n" + "".join(f"{d},区{d}\n" for d in districts),
        "streets.csv": "街道代码,街道名称,所属区代码\n"
        + "".join(f"{s},街道{s},{s[:6]}\n" for s in streets),
        "communities.csv": "社区代码,社区名称,所属街道代码\n"
        + "".join(f"{c},社区{c},{c[:9]}\n" for c in sorted({*codes, *COMMUNITIES})),
    }
    uploads = [Upload.of(name, text.encode()) for name, text in files.items()]
    report = run_import(engine, uploads, max_bytes=50 << 20)
    assert report.accepted, report.problems[:5]
    engine.dispose()


def valid_rows(path: Path, megabytes: float) -> int:
    """Burden rows of the 1,400 communities, each key once, written until the size asked for."""
    codes = city_codes()
    limit = int(megabytes * 2**20) - 64
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        size = out.write(BURDEN_HEADER)
        # From January 2015 (burden_first_year): 50 MB reach about 110 months, before today's.
        for year in range(2015, 2070):
            for month in range(1, 13):
                for code in codes:
                    for category in CATEGORIES:
                        line = f"{code},{category},{year}-{month:02d},{rows % 50}\n"
                        if size + len(line) > limit:
                            return rows
                        size += out.write(line)
                        rows += 1
    return rows


def run(url: str, case: str, memory_mb: int) -> CaseResult:
    environment = {**os.environ, "HOSTILE_MEMORY_MB": str(memory_mb), "OPENBLAS_NUM_THREADS": "1"}
    # The valid file is a history of about 110 months, more than import_max_new_months.
    environment.setdefault("DASHBOARD_IMPORT_MAX_NEW_MONTHS", "1000")
    done = subprocess.run(
        [sys.executable, "-m", "tests.hostile_corpus", url, case],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        return {"case": case, "status": f"crashed ({done.returncode})", "error": done.stderr[-500:]}
    return json.loads(done.stdout)[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a database holding the benchmark city (default: new SQLite)")
    parser.add_argument("--mb", type=float, default=50.0, help="size of the valid burden file")
    parser.add_argument("--cases", nargs="*", default=list(BY_NAME), help="hostile cases to run")
    parser.add_argument("--memory-mb", type=int, default=0, help="RLIMIT_AS per case (0: none)")
    parser.add_argument(
        "--large", default="all", help="large files: all, none, or one (short_rows, vertices, …)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{folder}/city.sqlite3"
        if not args.url:
            build_city(url)
        valid = Path(folder) / "burden.csv"
        rows = valid_rows(valid, args.mb) if args.mb else 0
        cases = list(args.cases)
        names = {case: case for case in cases}
        for large in [name for name in LARGE if args.large in ("all", name.split("/")[0])]:
            path = Path(folder) / large
            path.parent.mkdir()
            path.write_bytes(LARGE[large]())
            cases.append(f"file:{path}")
            names[cases[-1]] = large.split("/")[0]
        if rows:
            cases.append(f"file:{valid}")
            names[cases[-1]] = f"valid burden, {rows:,} rows"
        print(
            f"{'case':<30}{'status':<10}{'MB in':>8}{'peak RSS MB':>13}{'seconds':>9}"
            f"{'MB/s':>7}  problems"
        )
        for case in cases:
            result = run(url, case, args.memory_mb)
            seconds = float(result.get("seconds", 0))
            megabytes = float(result.get("input_mb", 0))
            print(
                f"{names[case]:<30}{result['status']:<10}{megabytes:>8}"
                f"{result.get('peak_rss_mb', 0):>13}{seconds:>9}"
                f"{megabytes / seconds if seconds else 0:>7.2f}  "
                f"{', '.join(result.get('keys', [])) or result.get('error', '')}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
