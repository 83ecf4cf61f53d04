"""Command line: ``python -m bot <command>`` (``--help`` on each command says more)."""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
from collections.abc import Sequence

from sqlalchemy.exc import DBAPIError, OperationalError

from bot.cases.access import ROLES
from bot.core.settings import Settings
from bot.ops import admin
from bot.ops.bench_cli import add_bench_commands


def _cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.ops.supervisor import run

    return run(settings, args.only)


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from aiohttp import web

    from bot.core.internal_keys import with_internal_secrets
    from bot.store.migrate import require_schema
    from bot.web.app import create_app
    from bot.web.middleware import AccessLogger

    require_schema(settings.database_url)  # a fresh checkout: say how to create the database, not 500s later
    settings = with_internal_secrets(settings)  # set by the supervisor; else kept in the data directory
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None, access_log_class=AccessLogger)
    return 0


def _cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    from bot.ops.training import ensure_model

    ensure_model(settings.project_root, settings.model_cache_dir, force=args.force)
    return 0


def _cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from bot.store.migrate import upgrade

    upgrade(settings.database_url)
    print("database is up to date")
    return 0


def _cmd_plain_language(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.catalog import default_catalogs
    from bot.core.profile import load_profile
    from bot.ops.plain_language import gate

    table, ok = gate(default_catalogs(), load_profile(settings.profile_path))
    print(table)
    return 0 if ok else 1


def _cmd_language_sheet(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.catalog import default_catalogs
    from bot.core.profile import load_profile
    from bot.ops.language_sheet import is_current, update

    path = settings.project_root / "docs" / "languages.md"
    catalogs, profile = default_catalogs(), load_profile(settings.profile_path)
    if args.check:
        current = is_current(path, catalogs, profile)
        print(f"{path}: {'current' if current else 'out of date, run python -m bot language-sheet'}")
        return 0 if current else 1
    print(f"{path}: {'updated' if update(path, catalogs, profile) else 'already current'}")
    return 0


def _cmd_detect_language(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.langid import detect

    for line in sys.stdin:
        found = detect(line.rstrip("\n"))
        print(f"{found.language or '-'}\t{found.confidence:.3f}", flush=True)
    return 0


def _cmd_test_stories(args: argparse.Namespace, settings: Settings) -> int:
    from bot.ops.children import render_endpoints
    from bot.ops.training import ensure_model

    model = ensure_model(settings.project_root, settings.model_cache_dir)
    out = settings.project_root / "results"
    endpoints = render_endpoints(settings.with_overrides(rasa_token=settings.rasa_token or "unused"))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa",
            "test",
            "core",
            "--model",
            str(model),
            "--stories",
            "tests/test_stories.yml",
            "--fail-on-prediction-errors",
            "--out",
            str(out),
            "--endpoints",
            str(endpoints),
        ],
        cwd=settings.project_root,
        check=False,
    ).returncode


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m bot``."""
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Citizen-guidance assistant for Swedish municipalities. Settings come from environment "
        "variables (see README.md, 'Configuration').",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("run", help="migrate, train if needed, and run Rasa, the action server and the web app")
    p.add_argument(
        "--only",
        choices=("web", "rasa", "actions"),
        help="run only this part, for parts on separate hosts (docs/deployment.md): needs PostgreSQL and the "
        "shared secrets in the environment; web and actions migrate the database, rasa trains the model if needed",
    )
    p.set_defaults(func=_cmd_run)
    p = sub.add_parser("serve", help="run only the web app (the supervisor starts it for you)")
    p.set_defaults(func=_cmd_serve)
    p = sub.add_parser("train", help="train the Rasa model if its inputs changed (cached by their hash)")
    p.add_argument("--force", action="store_true", help="train even when a cached model exists")
    p.set_defaults(func=_cmd_train)
    p = sub.add_parser("migrate", help="create or upgrade the database schema")
    p.set_defaults(func=_cmd_migrate)
    p = sub.add_parser("plain-language", help="the plain-language gate: LIX, sentence length, officialese")
    p.set_defaults(func=_cmd_plain_language)
    p = sub.add_parser(
        "language-sheet",
        help="write the native speakers' review sheet (key texts of every language) in docs/languages.md",
    )
    p.add_argument("--check", action="store_true", help="only report whether docs/languages.md is current")
    p.set_defaults(func=_cmd_language_sheet)
    p = sub.add_parser(
        "detect-language", help="read one text per line on stdin, print '<code>\\t<confidence>' per line"
    )
    p.set_defaults(func=_cmd_detect_language)
    add_bench_commands(sub)
    p = sub.add_parser("test-stories", help="run the story tests (rasa test core) against the cached model")
    p.set_defaults(func=_cmd_test_stories)
    cases = sub.add_parser("cases", help="work with cases")
    cases_sub = cases.add_subparsers(dest="cases_command", required=True, metavar="SUBCOMMAND")
    p = cases_sub.add_parser("list", help="list the newest cases")
    p.add_argument("--json", action="store_true", help="print JSON (with each case's transcript)")
    p.add_argument("--transcripts", action="store_true", help="also print each case's conversation")
    p.add_argument("--full", action="store_true", help="print every field of each case, one per line")
    p.add_argument("--limit", type=int, default=50, help="how many cases (default 50)")
    p.set_defaults(func=admin.cases_list)
    retention = sub.add_parser("retention", help="remove personal data past the retention period")
    retention_sub = retention.add_subparsers(dest="retention_command", required=True, metavar="SUBCOMMAND")
    p = retention_sub.add_parser("run", help="anonymise closed cases and idle chats older than the profile's period")
    p.set_defaults(func=admin.retention_run)
    staff = sub.add_parser("staff", help="staff accounts of the staff console")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True, metavar="SUBCOMMAND")
    p = staff_sub.add_parser("add", help="add a staff member (password from a prompt, or stdin when piped)")
    p.add_argument("username", help="login name: a-z, 0-9, '.', '_', '-'")
    p.add_argument("--name", required=True, help="display name residents see, e.g. 'Anna Berg'")
    p.add_argument("--languages", required=True, help="languages the person handles cases in, e.g. sv,en,ar")
    p.add_argument("--role", choices=ROLES, default="case_officer", help="case_officer (default), supervisor or admin")
    p.add_argument("--departments", help="a case officer's departments: the profile's ids, e.g. school,waste")
    p.set_defaults(func=admin.staff)
    p = staff_sub.add_parser("edit", help="change name, languages, role or departments (ends the account's sessions)")
    p.add_argument("username")
    p.add_argument("--name", help="new display name")
    p.add_argument("--languages", help="new languages, e.g. sv,fi")
    p.add_argument("--role", choices=ROLES, help="new role: case_officer, supervisor or admin")
    p.add_argument("--departments", help="new departments (the profile's ids, comma-separated; '' for none)")
    p.set_defaults(func=admin.staff)
    p = staff_sub.add_parser("list", help="list staff accounts")
    p.set_defaults(func=admin.staff)
    p = staff_sub.add_parser("disable", help="disable an account (it can no longer log in; its sessions end)")
    p.add_argument("username")
    p.set_defaults(func=admin.staff)
    p = staff_sub.add_parser("enable", help="enable a disabled account again")
    p.add_argument("username")
    p.set_defaults(func=admin.staff)
    p = staff_sub.add_parser("password", help="set a new password (the account's sessions end)")
    p.add_argument("username")
    p.set_defaults(func=admin.staff)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code (1 with a one-line message on a known failure)."""
    from bot.core.profile import ProfileError
    from bot.ops.training import TrainingError
    from bot.store.db import safe_url
    from bot.store.migrate import SchemaMissing

    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        print(f"error: bad setting: {exc}", file=sys.stderr)
        return 1
    try:
        return int(args.func(args, settings) or 0)
    except SchemaMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (OperationalError, DBAPIError, ConnectionError) as exc:
        print(
            f"error: cannot reach the database at {safe_url(settings.database_url)} ({exc.__class__.__name__}): is the "
            "server running and does the database exist? `python -m bot migrate` creates the tables",
            file=sys.stderr,
        )
        return 1
    except ProfileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except TrainingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
