"""Command line: python -m data_access init | demo | refresh | import | export | plan | users | accounts (docs/architecture.md §3, §4)."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import secrets
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from data_access import read_path
from data_access.access import Principal
from data_access.config import resolve_database, resolve_writer
from data_access.db import make_engine, make_writer_engine
from data_access.planner import RULES, SURPLUS_USES
from data_access.queries.hierarchy import community_count
from data_access.schema import has_schema, upgrade
from data_access.settings import get_settings

RECOMMENDED = "recommended"  # the plan command's default rule: the one compare_rules recommends

if TYPE_CHECKING:
    from data_access.importing import ImportReport, PartSummary


def _print_progress(fraction: float, phase: str) -> None:
    print(f"\r{fraction:6.1%}  {phase:<12}", end="", file=sys.stderr, flush=True)


def cmd_init(args: argparse.Namespace) -> int:
    engine = make_writer_engine(resolve_writer().url)
    upgrade(engine)
    print(f"schema up to date on {engine.url.render_as_string(hide_password=True)}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from data_access.demo import build_demo

    engine = make_writer_engine(resolve_writer().url)
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


def cmd_refresh(args: argparse.Namespace) -> int:
    from data_access.analyze import SUMMARY_TABLES, analyze_after_write
    from data_access.summaries import refresh_summaries

    engine = make_writer_engine(resolve_writer().url)
    upgrade(engine)
    started = time.perf_counter()
    with engine.begin() as connection:
        rows = refresh_summaries(connection, get_settings())
    read_path.forget()  # committed: read the summary states again
    analyze_after_write(engine, SUMMARY_TABLES, rows)
    print(
        f"summaries rebuilt from the raw tables in {time.perf_counter() - started:.1f} s: {rows} rows"
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from data_access.exports import export_table
    from data_access.files import csv_bytes

    try:
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else dt.date.today()
        engine = make_engine(resolve_database().url)
        scope, viewer = _account_scope(
            args.account, args.scope, f"export {args.table} {args.level}"
        )
        frame = export_table(
            engine, args.table, args.level, scope, as_of, get_settings(), viewer=viewer
        )
    except (ValueError, PermissionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    data = csv_bytes(frame)
    if args.out in (None, "-"):
        sys.stdout.buffer.write(data)
    else:
        Path(args.out).write_bytes(data)
        print(f"{len(frame)} rows written to {args.out}", file=sys.stderr)
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from data_access.files import csv_bytes
    from data_access.planner import PlanOptions, compare_rules
    from data_access.queries.staffing import population_by_year, staffing_by_unit
    from data_access.scope import Scope

    settings = get_settings()
    try:
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else dt.date.today()
        scope = Scope(args.scope, as_of)
        options = PlanOptions(
            posts=args.posts,
            departures=args.departures,
            growth=args.growth,
            surplus=args.surplus,
        )
        engine = make_engine(resolve_database().url)
        communities = staffing_by_unit(engine, scope, settings, level="community")
        if communities.empty:
            raise ValueError(f"no communities in scope {args.scope}")
        history = population_by_year(engine, scope)
        comparison = compare_rules(communities, options, settings, history, as_of.year)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rule = comparison.recommended if args.rule == RECOMMENDED else args.rule
    plan = comparison.plans[rule]
    data = csv_bytes(comparison.frame() if args.compare else plan.communities)
    if args.out in (None, "-"):
        sys.stdout.buffer.write(data)
    else:
        Path(args.out).write_bytes(data)
    now, after = plan.now, plan.after
    print(
        f"{plan.allocated} of {plan.posts} posts to "
        f"{int((plan.communities['added'] > 0).sum())} communities "
        f"({plan.unallocated} unallocated); per 10,000 {_one(now.per_10k)} -> "
        f"{_one(after.per_10k)}; gap {now.gap} -> {after.gap}; meeting the standard "
        f"{now.communities_meeting} -> {after.communities_meeting} of {after.communities_assessed}"
        f"; under {settings.minimum_workers} workers {now.below_minimum} -> {after.below_minimum}"
        f"\nrule {rule}; recommended {comparison.recommended} ({comparison.decided_by})",
        file=sys.stderr,
    )
    return 0


def _one(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _account_scope(
    account: str | None, scope: str | None, what: str
) -> tuple[str | None, Principal | None]:
    """The scope asked for, checked against --account (default: the account's own area), and
    the account (None without --account)."""
    if account is None:
        return scope, None
    from data_access import access
    from data_access.accounts import principal_by_name

    writer = make_engine(resolve_writer().url)
    principal = principal_by_name(writer, account)
    if principal is None:
        raise PermissionError(f"no enabled account named {account}")
    scope = scope if scope is not None else principal.scope_code
    access.check_code(principal, scope, writer, what)
    access.record(writer, what.split()[0], principal.name, scope or "city", what)
    return scope, principal


def cmd_users(args: argparse.Namespace) -> int:
    from data_access.admin import create_users

    passwords = {
        "reader": args.reader_password or os.environ.get("DASHBOARD_READER_PASSWORD"),
        "writer": args.writer_password or os.environ.get("DASHBOARD_WRITER_PASSWORD"),
    }
    missing = [role for role, password in passwords.items() if not password]
    reader_password, writer_password = passwords["reader"], passwords["writer"]
    if missing or not reader_password or not writer_password:
        print(f"error: no password for {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        create_users(
            args.admin_url,
            args.database,
            args.reader,
            reader_password,
            args.writer,
            writer_password,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        # The driver's first line only: SQLAlchemy's own text would repeat the statement.
        detail = str(getattr(exc, "orig", None) or type(exc).__name__).splitlines()[0]
        for password in passwords.values():
            detail = detail.replace(str(password), "***")
        print(f"error: {detail[:300]}", file=sys.stderr)
        return 1
    print(f"users {args.reader} (SELECT only) and {args.writer} ready on {args.database}")
    return 0


def _new_password(name: str) -> str:
    """DASHBOARD_ACCOUNT_PASSWORD, else asked twice without echo: never a command-line argument."""
    from getpass import getpass

    from data_access.accounts import AccountError

    password = os.environ.get("DASHBOARD_ACCOUNT_PASSWORD")
    if password:
        return password
    if not sys.stdin.isatty():
        raise AccountError("set DASHBOARD_ACCOUNT_PASSWORD or run in a terminal to be asked")
    password = getpass(f"password for {name}: ")
    if getpass("again: ") != password:
        raise AccountError("the two passwords differ")
    return password


def cmd_accounts(args: argparse.Namespace) -> int:
    from data_access import accounts

    engine = make_engine(resolve_writer().url)
    if not has_schema(engine):
        print("error: no schema; run `python -m data_access init` first", file=sys.stderr)
        return 2
    operator = accounts.OPERATOR  # the server's operator manages every account (docs/accounts.md)
    try:
        if args.action == "add":
            password = None if args.sso_only else _new_password(args.name)
            accounts.add_account(engine, args.name, args.scope, args.role, password, actor=operator)
            print(f"account {args.name} added: {args.role}, scope {args.scope}")
        elif args.action == "passwd":
            accounts.set_password(engine, args.name, _new_password(args.name), actor=operator)
            print(f"password of {args.name} changed")
        elif args.action == "disable":
            accounts.disable_account(engine, args.name, actor=operator)
            print(f"account {args.name} disabled")
        elif args.action == "enable":
            accounts.enable_account(engine, args.name, actor=operator)
            print(f"account {args.name} enabled")
        elif args.action == "unlock":
            accounts.unlock_account(engine, args.name, actor=operator)
            print(f"account {args.name} unlocked")
        elif args.action == "map":
            accounts.map_identity(engine, args.identity, args.name, actor=operator)
            print(f"identity {args.identity} signs in as {args.name}")
        else:
            frame = accounts.list_accounts(engine)
            print(frame.to_string(index=False) if len(frame) else "no accounts")
    except accounts.AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from data_access.importing.messages import text

    settings = get_settings()
    language = args.lang or settings.default_language
    try:
        return _import(args, language)
    except Exception:  # whatever it was: one sentence here, the traceback in the log
        incident = secrets.token_hex(4)
        logging.getLogger("data_access.import").exception("import failed: incident %s", incident)
        print(text(language, "import.unexpected", incident=incident), file=sys.stderr)
        return 1


def _import(args: argparse.Namespace, language: str) -> int:
    from data_access.importing import line, run_import, uploads_from_paths
    from data_access.importing.messages import text

    settings = get_settings()
    uploads, missing = uploads_from_paths([Path(p) for p in args.paths], settings.import_max_bytes)
    if missing:
        print(text(language, "import.cli.missing", paths=", ".join(missing)), file=sys.stderr)
        return 2
    engine = make_writer_engine(resolve_writer().url)
    if not has_schema(engine):
        print("error: no schema; run `python -m data_access init` first", file=sys.stderr)
        return 2
    scope_code, account = None, None
    if args.account:
        from data_access import access
        from data_access.accounts import principal_by_name

        principal = principal_by_name(engine, args.account)
        if principal is None:
            print(f"error: no enabled account named {args.account}", file=sys.stderr)
            return 2
        try:
            access.require_role(principal, "importer", "import", engine)
        except PermissionError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        scope_code, account = principal.scope_code, principal.name
    progress = _print_import_progress if sys.stderr.isatty() else None
    report = run_import(
        engine,
        uploads,
        max_bytes=settings.import_max_bytes,
        language=language,
        dry_run=args.check,
        progress=progress,
        account=account,
        scope_code=scope_code,
    )
    if progress:
        print(file=sys.stderr)
    if report.skipped:
        print(
            text(language, "import.cli.skipped", files=", ".join(report.skipped)), file=sys.stderr
        )
    if report.status == "failed":
        print(line(report.problems[0], language), file=sys.stderr)
        return 1
    if report.status == "checked":  # the preview: what a write would change, problems or not
        for text_line in preview_lines(report, language):
            print(text_line)
    if report.problems:
        n = report.total_problems or len(report.problems)
        print(text(language, "import.cli.refused", n=n), file=sys.stderr)
        for problem in report.problems:
            print(line(problem, language), file=sys.stderr)
        return 1
    if report.accepted:
        for part in report.parts:
            print(f"{part.file} [{part.kind}] {part.rows}: " + _accepted_detail(part, language))
    key = "import.cli.accepted" if report.accepted else "import.cli.checked"
    rows = sum(part.rows for part in report.parts)
    print(text(language, key, files=len(report.parts), rows=rows))
    return 0


def _accepted_detail(part: PartSummary, language: str) -> str:
    from data_access.importing.messages import text

    return text(
        language,
        "import.audit.accepted",
        inserted=part.inserted,
        updated=part.updated,
        unchanged=part.unchanged,
    )


def preview_lines(report: ImportReport, language: str) -> list[str]:
    """The preview of a check: per file its counts, then its first changed rows (before → after)
    and first new rows, indented."""
    from data_access.importing import SPECS
    from data_access.importing.changes import row_line
    from data_access.importing.messages import text

    lines = []
    for part in report.parts:
        if not part.compared:
            detail = text(language, "import.preview.not_compared")
        else:
            detail = text(
                language,
                "import.preview.counts",
                new=part.inserted,
                changed=part.updated,
                unchanged=part.unchanged,
                refused=part.refused,
            )
        lines.append(f"{part.file} [{part.kind}] {part.rows}: {detail}")
        spec = SPECS[part.kind]
        lines += ["  " + row_line(spec, row, language) for row in part.changed_rows]
        lines += ["  " + row_line(spec, row, language) for row in part.new_rows]
    return lines


def _print_import_progress(phase: str, done: int, total: int) -> None:
    print(f"\r{phase:<9} {done:>9,} / {total:,}", end="", file=sys.stderr, flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m data_access", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init", help="create or upgrade the schema").set_defaults(func=cmd_init)
    demo = commands.add_parser("demo", help="fill an empty database with the demo city")
    demo.add_argument("--scale", type=int, default=1, help="1 ≈ 400 communities; 10 ≈ 4,000")
    demo.add_argument("--seed", type=int, default=2024)
    demo.set_defaults(func=cmd_demo)
    commands.add_parser("refresh", help="rebuild every summary from the raw tables").set_defaults(
        func=cmd_refresh
    )
    load = commands.add_parser("import", help="import data files (all or nothing)")
    load.add_argument(
        "paths", nargs="+", metavar="PATH", help=".csv, .xlsx, .geojson, .zip or a folder"
    )
    load.add_argument("--lang", choices=("zh", "en"), help="language of the messages (default: zh)")
    load.add_argument(
        "--check",
        action="store_true",
        help="check everything and show what would change; write nothing",
    )
    load.add_argument("--account", help="import as this account: only rows inside its area")
    load.set_defaults(func=cmd_import)
    export = commands.add_parser("export", help="write a metrics table as CSV")
    export.add_argument("table", help="staffing, burden, grids, admission, ranking or premises")
    export.add_argument("--level", required=True, choices=("district", "street", "community"))
    export.add_argument("--scope", help="a district, street or community code (default: all)")
    export.add_argument("--as-of", help="YYYY-MM-DD (default: today)")
    export.add_argument("--out", help="output file (default: standard output)")
    export.add_argument("--account", help="export as this account: only inside its area")
    export.set_defaults(func=cmd_export)
    plan = commands.add_parser(
        "plan", help="allocate new community worker posts and write the allocation as CSV"
    )
    plan.add_argument("--posts", type=int, required=True, help="new posts to allocate")
    plan.add_argument(
        "--rule",
        default=RECOMMENDED,
        choices=(RECOMMENDED, *RULES),
        help="the allocation rule (default: the recommended one, docs/metrics.md)",
    )
    plan.add_argument(
        "--compare", action="store_true", help="write every rule's outcome instead of the plan"
    )
    plan.add_argument("--departures", type=int, default=0, help="departures expected (default 0)")
    plan.add_argument("--growth", action="store_true", help="next year's population from the trend")
    plan.add_argument("--surplus", default="unallocated", choices=SURPLUS_USES)
    plan.add_argument("--scope", help="a district, street or community code (default: all)")
    plan.add_argument("--as-of", help="YYYY-MM-DD (default: today)")
    plan.add_argument("--out", help="output file (default: standard output)")
    plan.set_defaults(func=cmd_plan)
    users = commands.add_parser(
        "users", help="create a SELECT-only reader and a writer on PostgreSQL or MySQL/MariaDB"
    )
    users.add_argument("--admin-url", required=True, help="a URL of a user that may create users")
    users.add_argument("--database", required=True, help="the dashboard's database name")
    users.add_argument("--reader", default="dashboard_reader")
    users.add_argument("--writer", default="dashboard_writer")
    users.add_argument("--reader-password", help="default: $DASHBOARD_READER_PASSWORD")
    users.add_argument("--writer-password", help="default: $DASHBOARD_WRITER_PASSWORD")
    users.set_defaults(func=cmd_users)
    _account_parser(commands)
    return parser


def _account_parser(commands: argparse._SubParsersAction) -> None:
    from data_access.models import ACCOUNT_ROLES

    accounts = commands.add_parser("accounts", help="sign-in accounts of the dashboard")
    actions = accounts.add_subparsers(dest="action", required=True)
    add = actions.add_parser(
        "add", help="a new account (password from $DASHBOARD_ACCOUNT_PASSWORD)"
    )
    add.add_argument("name")
    add.add_argument("--scope", required=True, help="city, or a district, street or community code")
    add.add_argument("--role", required=True, choices=ACCOUNT_ROLES)
    add.add_argument("--sso-only", action="store_true", help="no password: single sign-on only")
    for action, text in (
        ("passwd", "a new password (also lifts a lockout)"),
        ("disable", "the account can no longer sign in"),
        ("enable", "the account can sign in again"),
        ("unlock", "lift a lockout now, keeping the password"),
    ):
        actions.add_parser(action, help=text).add_argument("name")
    mapping = actions.add_parser("map", help="let a single sign-on subject or e-mail act as NAME")
    mapping.add_argument("identity")
    mapping.add_argument("name")
    actions.add_parser("list", help="every account, without passwords")
    accounts.set_defaults(func=cmd_accounts)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
