"""The benchmark commands of ``python -m bot`` (``bench``, ``bench-*``): figures printed, nothing asserted.

The measuring code lives in ``tools/bench/``; this module only parses the command line and calls it.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.core.settings import Settings


def _cmd_bench_langid(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from tools.bench.langid import main as bench

    shared = Path(args.data) if args.data else settings.project_root.parent / "shared" / "data" / "langid"
    return bench(shared, settings.project_root / "tests")


def _cmd_bench_nlu(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from bot.ops.training import ensure_model
    from tools.bench.nlu import main as bench

    model = Path(args.model) if args.model else ensure_model(settings.project_root, settings.model_cache_dir)
    return bench(model, settings.project_root / "tests" / "nlu", thresholds=args.thresholds)


def _cmd_bench_dialogue(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from bot.ops.training import ensure_model
    from tools.bench.dialogue import main as bench

    ensure_model(settings.project_root, settings.model_cache_dir)
    languages = [code.strip() for code in args.languages.split(",")] if args.languages else None
    sets = Path(args.sets) if args.sets else None
    return bench(settings.project_root, languages, verbose=args.verbose, sets=sets)


def _cmd_bench_nlg(args: argparse.Namespace, settings: Settings) -> int:
    from tools.bench.nlg import main as bench

    return bench(settings.project_root, repeat=args.repeat)


def _cmd_bench_gateway(args: argparse.Namespace, settings: Settings) -> int:
    from tools.bench.gateway import main as bench

    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    return bench(settings, databases, args.conversations, args.pg_admin_dsn, args.profile)


# The bench options whose command-line argument has the same name and needs no conversion.
_BENCH_PASSED_AS_IS = (
    "profile",
    "users",
    "duration",
    "warmup",
    "rate",
    "turn_timeout",
    "baseline",
    "rasa_processes",
    "pg_admin_dsn",
    "redis_url",
    "redis_db",
    "seed",
    "keep",
    "growth",
    "growth_turns",
)


def _cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from tools.bench import growth_run, load
    from tools.bench.runner import BenchOptions

    options = BenchOptions(
        **{name: getattr(args, name) for name in _BENCH_PASSED_AS_IS},
        markdown=Path(args.markdown) if args.markdown else None,
        json_path=Path(args.json) if args.json else None,
        command=load.command_line(sys.argv[1:]),
    )
    if options.growth and args.in_process:
        from tools.bench import inprocess

        return inprocess.main(
            settings,
            inprocess.InProcessOptions(
                options.growth_turns, args.tracker_store, args.session_turns, args.cprofile, args.index
            ),
        )
    return (growth_run.main if options.growth else load.main)(options, settings)


def add_bench_commands(sub: Any) -> None:
    """Add the benchmark commands to ``sub`` (the ``add_subparsers()`` of :func:`bot.ops.cli.build_parser`)."""
    p = sub.add_parser("bench-langid", help="accuracy of language detection per language (prints a table)")
    p.add_argument("--data", help="folder with single-words/, word-pairs/, sentences/ (default ../shared/data/langid)")
    p.set_defaults(func=_cmd_bench_langid)
    p = sub.add_parser(
        "bench-dialogue", help="typed conversations and safety triage per language on the running stack (table)"
    )
    p.add_argument("--languages", help="comma-separated language codes (default: all with test sets)")
    p.add_argument("--verbose", action="store_true", help="print the transcript of every failed conversation")
    p.add_argument("--sets", help="folder with conversations/ and triage/ (default tests/dialogue)")
    p.set_defaults(func=_cmd_bench_dialogue)
    p = sub.add_parser("bench-nlu", help="intent accuracy and macro-F1 per language on tests/nlu/<lang>.yml")
    p.add_argument("--model", help="model file (default: the cached model of the current inputs)")
    p.add_argument(
        "--thresholds", action="store_true", help="print accuracy and nonsense accepted for other fallback thresholds"
    )
    p.set_defaults(func=_cmd_bench_nlu)
    p = sub.add_parser(
        "bench-nlg", help="one response rendered inside Rasa against one NLG callback, trackers of 20 and 180 turns"
    )
    p.add_argument("--repeat", type=int, default=200, help="renderings timed per tracker size (median printed)")
    p.set_defaults(func=_cmd_bench_nlg)
    p = sub.add_parser(
        "bench-gateway", help="the gateway's own CPU per resident turn and its stages, with a stand-in for Rasa"
    )
    p.add_argument("--conversations", type=int, default=20, help="conversations of 10 turns measured (default 20)")
    p.add_argument(
        "--database", choices=("sqlite", "postgresql", "both"), default="sqlite", help="case store (default sqlite)"
    )
    p.add_argument(
        "--pg-admin-dsn",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL connection that creates and drops the benchmark's database",
    )
    p.add_argument("--profile", action="store_true", help="also print cProfile's top functions (this thread)")
    p.set_defaults(func=_cmd_bench_gateway)
    p = sub.add_parser(
        "bench",
        help="load benchmark: simulated residents over the WebSocket gateway, side by side with bare rasa run",
    )
    p.add_argument(
        "--profile",
        choices=("embedded", "production", "both"),
        default="embedded",
        help="embedded (SQLite, no Redis; default), production (PostgreSQL, Redis, several Rasa processes) or both",
    )
    p.add_argument("--users", type=int, default=20, help="concurrent simulated residents (default 20)")
    p.add_argument("--duration", type=float, default=60.0, help="measured seconds per run (default 60)")
    p.add_argument("--warmup", type=float, default=10.0, help="seconds of load before the measurement (default 10)")
    p.add_argument(
        "--rate", type=float, help="turns/s in all, spread over the users (the soak); default: as fast as answered"
    )
    p.add_argument(
        "--turn-timeout", type=float, default=30.0, help="seconds until an unanswered message is lost (default 30)"
    )
    p.add_argument(
        "--baseline",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run the same model behind one bare `rasa run` REST webhook",
    )
    p.add_argument("--rasa-processes", type=int, help="Rasa processes of the production profile (default: CPU count)")
    p.add_argument(
        "--pg-admin-dsn",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL connection that creates and drops the production profile's database",
    )
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379", help="Redis server of the production profile")
    p.add_argument("--redis-db", type=int, default=11, help="Redis db number the production profile uses (default 11)")
    p.add_argument("--seed", type=int, default=1, help="seed of the conversation mix")
    p.add_argument("--markdown", metavar="FILE", help="append a markdown section with the figures to FILE")
    p.add_argument("--json", metavar="FILE", help="write the raw figures as JSON to FILE")
    p.add_argument("--keep", action="store_true", help="keep the work directory (data and logs of every process)")
    p.add_argument(
        "--growth",
        action="store_true",
        help="instead of the load: one resident's long conversation; median turn of turns 1–20 against the last 20",
    )
    p.add_argument(
        "--turns", dest="growth_turns", type=int, default=200, help="turns of the --growth conversation (default 200)"
    )
    p.add_argument(
        "--in-process",
        action="store_true",
        help="with --growth: Rasa's Agent in this process: CPU time per turn, the tracker store's read time",
    )
    p.add_argument(
        "--tracker-store",
        choices=("memory", "sqlite", "postgresql"),
        default="memory",
        help="with --in-process: Rasa's tracker store (default memory)",
    )
    p.add_argument(
        "--session-turns",
        type=int,
        default=0,
        help="with --in-process: start a new Rasa session every N turns, as the gateway does (default 0: never)",
    )
    p.add_argument("--cprofile", action="store_true", help="with --in-process: profile the first and last 20 turns")
    p.add_argument(
        "--index",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="with --in-process --tracker-store postgresql: index Rasa's events table as production does",
    )
    p.set_defaults(func=_cmd_bench)
