"""Files made to hurt the import (issue 11): zip bombs and liars, endless workbooks, floods of
rows and problems, mixed encodings, numbers and dates out of every range.

Each case is a list of uploads and the problem key it must be refused with. They are built in
memory, in well under a second each, against the codes of tests/small_city.py. Run a case in a
memory-capped subprocess with `python -m tests.hostile_corpus URL CASE…` (prints JSON); the
benchmark tools/benchmark_import.py and tests/test_hostile.py do.
"""

from __future__ import annotations

import io
import json
import math
import os
import random
import resource
import struct
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from data_access.importing.readers import Upload
from data_access.importing.xlsx import MAX_OTHER_ELEMENTS, MAX_SHARED_STRINGS

COMMUNITY = "990101001001"  # of tests/small_city.py
COMMUNITIES = ("990101001001", "990101001002", "990101002001", "990101002002", "990102001001")
CATEGORIES = (
    "work_items", "certificates", "forms", "signboards", "mechanisms",
    "meetings", "inspections", "ledgers", "apps", "creation_tasks",
)  # fmt: skip
BURDEN_HEADER = "社区代码,类别,月份,数量\n"


class Limits(TypedDict, total=False):
    """Limits passed to run_import; a limit left out comes from the settings."""

    max_rows: int
    max_problems: int
    max_unzipped: int


class CaseResult(TypedDict, total=False):
    """What came of one case (run_cases, printed as JSON); a crashed run has only an error."""

    case: str
    status: str
    keys: list[str]
    audit: list[str]
    seconds: float
    peak_rss_mb: int
    input_mb: float
    error: str


# Small limits for the cases that test a cap: the cap, not the machine, must stop them.
TEST_LIMITS: Limits = {"max_rows": 50_000, "max_problems": 1000, "max_unzipped": 8 << 20}
MAX_BYTES = 50 << 20


@dataclass(frozen=True)
class Case:
    name: str
    key: str  # the problem the import is refused with ("" for an accepted import)
    build: Callable[[], list[Upload]]
    database: bool = False  # also run on PostgreSQL and MariaDB


def burden_csv(
    rows: int, start: int = 0, communities: tuple[str, ...] = COMMUNITIES, first_year: int = 2015
) -> bytes:
    """Valid burden rows, each a distinct (community, category, month) while they last."""
    lines = [BURDEN_HEADER]
    per_month = len(communities) * len(CATEGORIES)
    for index in range(start, start + rows):
        months, within = divmod(index, per_month)
        community, category = divmod(within, len(CATEGORIES))
        year, month = divmod(months, 12)
        lines.append(
            f"{communities[community]},{CATEGORIES[category]},"
            f"{first_year + year}-{month + 1:02d},{index % 50}\n"
        )
    return "".join(lines).encode()


def _zip(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def _patch_member(data: bytes, **fields: int) -> bytes:
    """Rewrites fields of the first member in both its local header and the central directory."""
    blob = bytearray(data)
    local = blob.find(b"PK\x03\x04")
    central = blob.find(b"PK\x01\x02")
    offsets = {  # (local offset, central offset, format)
        "flags": (6, 8, "<H"),
        "method": (8, 10, "<H"),
        "crc": (14, 16, "<I"),
        "compressed": (18, 20, "<I"),
        "size": (22, 24, "<I"),
    }
    for name, value in fields.items():
        at_local, at_central, fmt = offsets[name]
        struct.pack_into(fmt, blob, local + at_local, value)
        struct.pack_into(fmt, blob, central + at_central, value)
    return bytes(blob)


def _sheet_xml(rows: str, dimension: str = "A1:D2") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'
    ).encode()


def _row(number: int, *cells: tuple[str, str]) -> str:
    inner = "".join(
        f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>' for ref, value in cells
    )
    return f'<row r="{number}">{inner}</row>'


def xlsx(sheet: bytes, title: str = "减负台账", shared: bytes | None = None) -> bytes:
    """A minimal workbook of one sheet (and its shared strings), written by hand so that it can lie."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    return _zip(
        [
            (
                "[Content_Types].xml",
                b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                b'package/2006/content-types"/>',
            ),
            (
                "_rels/.rels",
                f'<Relationships xmlns="{package}"><Relationship Id="r1" Type="{rels}/'
                f'officeDocument" Target="xl/workbook.xml"/></Relationships>'.encode(),
            ),
            (
                "xl/workbook.xml",
                f'<workbook xmlns="{main}" xmlns:r="{rels}"><sheets><sheet name="{title}" '
                f'sheetId="1" r:id="rId1"/></sheets></workbook>'.encode(),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                f'<Relationships xmlns="{package}"><Relationship Id="rId1" Type="{rels}/'
                f'worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
                f'Type="{rels}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'.encode(),
            ),
            ("xl/worksheets/sheet1.xml", sheet),
            *([("xl/sharedStrings.xml", shared)] if shared is not None else []),
        ]
    )


def sprinkled(item: bytes, count: int, seed: int = 11) -> bytes:
    """count copies of an XML item with a random comment after every 16, so that deflate cannot
    squeeze them past the zip ratio cap: the elements, not the ratio, must stop them."""
    randoms = random.Random(seed)
    block = item * 16
    pieces = [block + b"<!--%08x-->" % randoms.getrandbits(32) for _ in range(count // 16)]
    return b"".join(pieces) + item * (count % 16)


def shared_strings_flood(count: int) -> bytes:
    """A workbook of `count` empty shared strings (the cap is MAX_SHARED_STRINGS)."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    shared = f'<sst xmlns="{main}">'.encode() + sprinkled(b"<si/>", count) + b"</sst>"
    return xlsx(_sheet_xml(_row(1, *_HEADER_CELLS)), shared=shared)


def sheet_junk_flood(count: int) -> bytes:
    """A sheet whose sheetData holds `count` elements that are not rows."""
    return xlsx(_sheet_xml(_row(1, *_HEADER_CELLS) + sprinkled(b"<x/>", count).decode()))


def boundary_geojson(vertices: int, code: str = COMMUNITY) -> bytes:
    """A valid boundary: one community's circle of `vertices` points, near 116.4 E 39.9 N."""
    step = 2 * math.pi / vertices
    points = [
        f"[{116.4 + 0.01 * math.cos(k * step):.12f},{39.9 + 0.01 * math.sin(k * step):.12f}]"
        for k in range(vertices)
    ]
    ring = ",".join([*points, points[0]])
    return (
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
        f'{{"code":"{code}"}},"geometry":{{"type":"Polygon","coordinates":[[{ring}]]}}}}]}}'
    ).encode()


def short_rows(count: int) -> bytes:
    """A burden CSV whose rows hold one cell each: four problems a row, and short."""
    return BURDEN_HEADER.encode() + b"1\n" * count


_HEADER_CELLS = (("A1", "社区代码"), ("B1", "类别"), ("C1", "月份"), ("D1", "数量"))


def _one(name: str, data: bytes) -> list[Upload]:
    return [Upload.of(name, data)]


def _csv(*lines: str, encoding: str = "utf-8") -> bytes:
    return (BURDEN_HEADER + "".join(line + "\n" for line in lines)).encode(encoding)


def _nested(depth: int) -> bytes:
    data = burden_csv(1)
    name = "burden.csv"
    for level in range(depth):
        data = _zip([(name, data)])
        name = f"level{level}.zip"
    return data


CASES: tuple[Case, ...] = (
    # Zips
    Case(
        "zip_liar",  # declares 1 KB, inflates to 40 MB: read to the declared size, CRC fails
        "zip_corrupt",
        lambda: _one(
            "liar.zip", _patch_member(_zip([("burden.csv", b"0" * (40 << 20))]), size=1000)
        ),
        database=True,
    ),
    Case(
        "zip_ratio_bomb",  # honest header, 40 MB of one byte
        "zip_bomb",
        lambda: _one(
            "bomb.zip", _zip([("burden.csv", BURDEN_HEADER.encode() + b"0" * (40 << 20))])
        ),
    ),
    Case(
        "zip_total_cap",  # each member compresses sanely, together they pass the archive's cap
        "zip_bomb",
        lambda: _one(
            "many.zip",
            _zip([(f"burden_{n}.csv", burden_csv(120_000, n * 120_000)) for n in range(3)]),
        ),
    ),
    Case(
        "zip_lzma",
        "zip_method",
        lambda: _one("lzma.zip", _zip([("burden.csv", burden_csv(3))], zipfile.ZIP_LZMA)),
    ),
    Case(
        "zip_unknown_method",
        "zip_method",
        lambda: _one("m99.zip", _patch_member(_zip([("burden.csv", burden_csv(3))]), method=99)),
    ),
    Case(
        "zip_encrypted",
        "zip_encrypted",
        lambda: _one("secret.zip", _patch_member(_zip([("burden.csv", burden_csv(3))]), flags=1)),
    ),
    Case(
        "zip_bad_crc",
        "zip_corrupt",
        lambda: _one("crc.zip", _patch_member(_zip([("burden.csv", burden_csv(3))]), crc=1)),
    ),
    Case("zip_nested_600", "zip_nested", lambda: _one("deep.zip", _nested(600))),
    Case(
        "zip_many_members",
        "zip_too_many_members",
        lambda: _one("crowd.zip", _zip([(f"x{n}.txt", b"") for n in range(12_000)])),
    ),
    # Workbooks
    Case(
        "xlsx_far_last_row",  # one cell in row 1,048,576: read in a blink, refused for the row
        "required",
        lambda: _one(
            "burden.xlsx",
            xlsx(
                _sheet_xml(
                    _row(1, *_HEADER_CELLS) + _row(1048576, ("A1048576", COMMUNITY)),
                    "A1:XFD1048576",
                )
            ),
        ),
    ),
    Case(
        "xlsx_far_column",
        "too_many_columns",
        lambda: _one(
            "burden.xlsx", xlsx(_sheet_xml(_row(1, *_HEADER_CELLS) + _row(2, ("XFD2", "1"))))
        ),
    ),
    Case(
        "xlsx_sheet_bomb",  # the sheet XML itself inflates past the cap
        "zip_bomb",
        lambda: _one(
            "burden.xlsx",
            xlsx(_sheet_xml(_row(1, *_HEADER_CELLS) + "<row/>" * 1_200_000, "A1:XFD1048576")),
        ),
    ),
    Case("xlsx_not_a_zip", "unreadable", lambda: _one("burden.xlsx", b"PK\x03\x04garbage" * 100)),
    Case(
        "xlsx_shared_strings",  # one more empty shared string than the cap: refused, none held
        "xlsx_shared_strings",
        lambda: _one("burden.xlsx", shared_strings_flood(MAX_SHARED_STRINGS + 1)),
    ),
    Case(
        "xlsx_junk_elements",  # elements that are not rows, one more than the cap
        "xlsx_elements",
        lambda: _one("burden.xlsx", sheet_junk_flood(MAX_OTHER_ELEMENTS + 1)),
    ),
    # CSV
    Case(
        "csv_row_flood",
        "too_many_rows",
        lambda: _one("burden.csv", burden_csv(60_000)),
    ),
    Case(
        "csv_problem_flood",  # 200,000 bad rows: 1,000 listed, the rest counted
        "more",
        lambda: _one("burden.csv", BURDEN_HEADER.encode() + b"x,y,z,w\n" * 40_000),
    ),
    Case(
        "csv_short_rows",  # rows of one cell: the file stops after MAX_SHORT_ROWS of them
        "short_rows_stop",
        lambda: _one("burden.csv", short_rows(200_000)),
    ),
    Case(
        "csv_column_flood",
        "too_many_columns",
        lambda: _one("burden.csv", BURDEN_HEADER.encode() + b"," * (20 << 20) + b"\n"),
    ),
    Case(
        "csv_mixed_encoding",  # UTF-8 rows, then GBK rows: GB18030 would read both, as mojibake
        "mixed_encoding",
        lambda: _one(
            "districts.csv",
            "区代码,区名称\n990101,东城区甲\n".encode() + "990102,西城区乙\n".encode("gbk"),
        ),
    ),
    Case(
        "month_0000",
        "date_out_of_range",
        lambda: _one("burden.csv", _csv(f"{COMMUNITY},forms,0000-07,1")),
        database=True,
    ),
    Case(
        "count_20_digits",
        "out_of_range",
        lambda: _one("burden.csv", _csv(f"{COMMUNITY},forms,2025-06,{'9' * 20}")),
        database=True,
    ),
    Case(
        "count_5000_digits",
        "out_of_range",
        lambda: _one("burden.csv", _csv(f"{COMMUNITY},forms,2025-06,{'9' * 5000}")),
    ),
    Case(
        "count_1e300",
        "out_of_range",
        lambda: _one("burden.csv", _csv(f"{COMMUNITY},forms,2025-06,1e300")),
    ),
    Case(
        "count_above_int32",
        "out_of_range",
        lambda: _one("burden.csv", _csv(f"{COMMUNITY},forms,2025-06,2147483648")),
    ),
    Case(
        "area_1e300",
        "out_of_range",
        lambda: _one(
            "communities.csv",
            "社区代码,社区名称,所属街道代码,面积（平方公里）\n"
            f"{COMMUNITY},一社区,990101001,1e300\n".encode(),
        ),
    ),
    Case(
        "nul_in_name",
        "nul_character",
        lambda: _one("districts.csv", "区代码,区名称\n990101,甲\x00区\n".encode()),
    ),
    Case(
        "geojson_nan",
        "geojson_parse",
        lambda: _one(
            "boundaries.geojson",
            b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
            b'{"code":"990101001001"},"geometry":{"type":"Polygon","coordinates":'
            b"[[[NaN,39],[116,39],[116,40],[NaN,39]]]}}]}",
        ),
    ),
    Case(
        "geojson_deep",
        "geojson_parse",
        lambda: _one("boundaries.geojson", b"[" * 200_000 + b"]" * 200_000),
    ),
    Case(
        "geometry_cell_deep",
        "geometry_parse",
        lambda: _one(
            "boundaries.csv",
            ("代码,边界（GeoJSON）\n" + COMMUNITY + ',"' + "[" * 100_000 + '"\n').encode(),
        ),
    ),
)
BY_NAME = {case.name: case for case in CASES}


def peak_rss_mb() -> int:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def run_cases(url: str, names: list[str], memory_mb: int | None) -> list[CaseResult]:
    """Imports each case into the database at url; what came of it, time and peak memory."""
    if memory_mb:
        limit = memory_mb << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from sqlalchemy import func, select

    from data_access.db import make_engine
    from data_access.importing import run_import
    from data_access.models import ImportBatch

    engine = make_engine(url)
    results: list[CaseResult] = []
    for name in names:
        with engine.connect() as connection:
            last = connection.execute(select(func.max(ImportBatch.id))).scalar() or 0
        if name.startswith("file:"):  # a file on disk, as the command line reads it
            path = Path(name.removeprefix("file:"))
            uploads = [Upload(path.name, path.read_bytes(), path.stat().st_size)]
            limits: Limits = {}  # the settings' own
        else:
            uploads = BY_NAME[name].build()
            limits = TEST_LIMITS
        started = time.perf_counter()
        report = run_import(engine, uploads, max_bytes=MAX_BYTES, language="en", **limits)
        seconds = time.perf_counter() - started
        with engine.connect() as connection:
            audit = list(
                connection.execute(
                    select(ImportBatch.status).where(ImportBatch.id > last).order_by(ImportBatch.id)
                ).scalars()
            )
        results.append(
            {
                "case": name,
                "status": report.status,
                "keys": sorted({p.key for p in report.problems}),
                "audit": audit,
                "seconds": round(seconds, 3),
                "peak_rss_mb": peak_rss_mb(),
                "input_mb": round(sum(u.size for u in uploads) / 2**20, 2),
            }
        )
        del uploads, report
    engine.dispose()
    return results


def main(argv: list[str]) -> int:
    url, *names = argv
    memory = int(os.environ.get("HOSTILE_MEMORY_MB", "1024"))
    print(json.dumps(run_cases(url, names or list(BY_NAME), memory)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
