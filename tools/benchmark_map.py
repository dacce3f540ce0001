"""Bytes and build time of the grid map sent to the browser, for a city, district, street and community view.

    python tools/benchmark_map.py --scale 1 --scale 10 [--folder /tmp]

Builds the demo city at each scale into a SQLite file in --folder (reused when it exists; scale
10 takes about a minute), then for the whole city, one district, one street and one community
measures the time to fetch and prepare the geometry, the time to build the pydeck JSON, and its size as Streamlit sends it
(deck.to_json()), next to pydeck's own indented JSON and the gzip size for comparison.
Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pydeck.bindings.json_tools import serialize

from dashboard.grid_map import grid_map
from dashboard.i18n import text_in
from dashboard.map_data import DETAIL_LEVELS, load_map_data
from data_access.db import make_engine
from data_access.demo import DEMO_LAST_MONTH, build_demo
from data_access.figures.grids import unit_metrics
from data_access.queries.hierarchy import community_count
from data_access.schema import upgrade
from data_access.scope import Scope, month_end
from data_access.settings import get_settings

DISTRICT, STREET, COMMUNITY = "990101", "990101001", "990101001001"


def demo_engine(folder: Path, scale: int):
    path = folder / f"map_benchmark_scale{scale}.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    if community_count(engine) == 0:
        print(f"building the demo city at scale {scale} into {path} …", file=sys.stderr)
        build_demo(engine, scale=scale)
    return engine


def measure(engine, scope: Scope) -> dict[str, float]:
    settings = get_settings()
    text = text_in("zh")
    started = time.perf_counter()
    map_data = load_map_data(engine, scope, settings)
    values = None
    if scope.level not in DETAIL_LEVELS:
        values = unit_metrics(engine, scope, settings, map_data.unit_level)
    prepared = time.perf_counter()
    deck = grid_map(map_data, settings, text, values).deck
    sent = deck.to_json()
    built = time.perf_counter()
    layers = json.loads(sent)["layers"]
    return {
        "data_s": prepared - started,
        "deck_s": built - prepared,
        "bytes": len(sent.encode()),
        "indented_bytes": len(serialize(deck).encode()),
        "gzip_bytes": len(gzip.compress(sent.encode())),
        "objects": sum(len(layer.get("data") or []) for layer in layers),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, action="append", help="demo scale (repeatable)")
    parser.add_argument("--folder", type=Path, default=Path("/tmp"), help="where the demo files go")
    args = parser.parse_args(argv)
    as_of = month_end(DEMO_LAST_MONTH)
    header = f"{'scale':>5} {'view':<9} {'objects':>8} {'bytes':>11} {'indented':>11} {'gzip':>9} {'data s':>7} {'deck s':>7}"
    print(header)
    for scale in args.scale or [1, 10]:
        engine = demo_engine(args.folder, scale)
        views = (
            ("city", None),
            ("district", DISTRICT),
            ("street", STREET),
            ("community", COMMUNITY),
        )
        for view, code in views:
            m = measure(engine, Scope(code, as_of))
            print(
                f"{scale:>5} {view:<9} {m['objects']:>8,} {m['bytes']:>11,} "
                f"{m['indented_bytes']:>11,} {m['gzip_bytes']:>9,} {m['data_s']:>7.2f} {m['deck_s']:>7.2f}"
            )
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
