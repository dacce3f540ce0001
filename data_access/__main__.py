"""Command line: python -m data_access init | demo (DESIGN §10)."""

from __future__ import annotations

import argparse
import sys

from data_access.config import resolve_database
from data_access.db import make_engine
from data_access.queries.hierarchy import community_count
from data_access.schema import has_schema, upgrade


def _print_progress(fraction: float, phase: str) -> None:
    print(f"\r{fraction:6.1%}  {phase:<12}", end="", file=sys.stderr, flush=True)


def cmd_init(args: argparse.Namespace) -> int:
    engine = make_engine(resolve_database().url)
    upgrade(engine)
    print(f"schema up to date on {engine.url.render_as_string(hide_password=True)}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from data_access.demo import build_demo

    engine = make_engine(resolve_database().url)
    upgrade(engine)
    if has_schema(engine) and community_count(engine) > 0:
        print(
            "the database already holds data; the demo city goes into an empty one", file=sys.stderr
        )
        return 2
    summary = build_demo(engine, scale=args.scale, seed=args.seed, progress=_print_progress)
    print(file=sys.stderr)
    print(
        f"demo city written in {summary.seconds:.1f} s: {summary.districts} districts, "
        f"{summary.streets} streets, {summary.communities} communities, {summary.grids} grids, "
        f"{summary.staff} staff, {summary.facilities} facilities, "
        f"{summary.burden_records} burden records"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m data_access", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init", help="create or upgrade the schema").set_defaults(func=cmd_init)
    demo = commands.add_parser("demo", help="fill an empty database with the demo city")
    demo.add_argument("--scale", type=int, default=1, help="1 ≈ 400 communities; 10 ≈ 4,000")
    demo.add_argument("--seed", type=int, default=2024)
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
