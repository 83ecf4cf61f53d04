"""``python -m bot bench`` (``make bench``): every run of the load benchmark, the report, the files written."""

from __future__ import annotations

import asyncio
import json
import shlex
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from bot.core.settings import Settings
from tools.bench.report import TARGET_CPUS, TARGET_USERS, evaluate_targets, machine_info, render_markdown, render_table
from tools.bench.runner import BenchOptions, run_bare, run_stack
from tools.bench.stats import RunResult

T = TypeVar("T")


async def _bench(options: BenchOptions, settings: Settings, model: Path, workdir: Path) -> list[RunResult]:
    profiles = ["embedded", "production"] if options.profile == "both" else [options.profile]
    results: list[RunResult] = []
    for profile in profiles:
        results.append(await run_stack(options, settings, profile, workdir))
    if options.baseline:
        results.append(await run_bare(options, settings, model, workdir))
    return results


def run_loop(coroutine: Any) -> Any:
    """Run ``coroutine`` to its end; the first Ctrl-C or SIGTERM cancels it (its cleanup still runs).

    Raises:
        asyncio.CancelledError: interrupted.
    """
    loop = asyncio.new_event_loop()
    task = loop.create_task(coroutine)

    def interrupt() -> None:
        if not task.cancelled() and not getattr(interrupt, "called", False):
            interrupt.called = True  # type: ignore[attr-defined]
            print("\n!! interrupted: stopping everything the benchmark started", file=sys.stderr, flush=True)
            task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, interrupt)
    try:
        return loop.run_until_complete(task)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()


def run_in_workdir(
    settings: Settings, prefix: str, measure: Callable[[Path, Path], Coroutine[Any, Any, T]]
) -> tuple[T, Path] | int:
    """Run ``measure(model, workdir)`` on the cached model in a new work directory, in a loop of its own.

    Returns the result and the work directory, or the exit code when the runs did not finish (130:
    interrupted, 1: a part failed to start; the work directory and its logs are kept and named).

    Raises:
        bot.ops.training.TrainingError: no model is cached for the current inputs (``python -m bot train``).
    """
    from bot.ops.training import TrainingError, cached_model

    model = cached_model(settings.project_root, settings.model_cache_dir)
    if model is None:
        raise TrainingError("no trained model for the current inputs: run `python -m bot train` (make train) first")
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    print(f">> model {model}; work dir {workdir}", flush=True)
    try:
        return run_loop(measure(model, workdir)), workdir
    except asyncio.CancelledError:
        print(f">> logs kept in {workdir}", file=sys.stderr)
        return 130
    except RuntimeError as exc:
        print(f"!! {exc}\n>> logs kept in {workdir}", file=sys.stderr)
        return 1


def main(options: BenchOptions, settings: Settings) -> int:
    """Run the benchmark, print the report, write ``--markdown``/``--json``; 0 when every target was met.

    The work directory (data directories and logs of every process) is removed at the end unless
    ``--keep`` was given or something went wrong (errors, lost messages, a failed start).

    Raises:
        bot.ops.training.TrainingError: no model is cached for the current inputs (``python -m bot train``).
    """
    when = datetime.now()
    machine = machine_info()
    ran = run_in_workdir(settings, "kommun-bench-", lambda model, workdir: _bench(options, settings, model, workdir))
    if isinstance(ran, int):
        return ran
    results, workdir = ran
    targets = evaluate_targets(results, soak=options.rate is not None)
    print(render_table(results, targets))
    cpus = machine["cpus"]
    if options.users != TARGET_USERS or cpus != TARGET_CPUS:
        print(
            f"note: the targets are for {TARGET_USERS} users on {TARGET_CPUS} CPUs; this run: "
            f"{options.users} users on {cpus} CPUs"
        )
    bare = next((r for r in results if r.label == "bare rasa" and r.summary.get("turns_per_s")), None)
    if options.rate is None and bare is not None:
        half = bare.summary["turns_per_s"] / 2  # issue 18: p95 at a paced load of half of bare Rasa's maximum
        print(
            f"paced run at half of bare Rasa's rate: python -m bot bench --profile both --no-baseline "
            f"--users {options.users} --rate {half:.1f} --duration 120"
        )
    if options.markdown:
        with options.markdown.open("a", encoding="utf-8") as out:
            out.write("\n" + render_markdown(results, targets, machine, options.command, when))
        print(f">> appended to {options.markdown}")
    if options.json_path:
        figures = {
            "date": when.isoformat(timespec="seconds"),
            "command": options.command,
            "machine": machine,
            "runs": [asdict(r) for r in results],
            "targets": [asdict(t) for t in targets],
        }
        options.json_path.write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")
        print(f">> wrote {options.json_path}")
    troubled = any(r.summary.get("errors") or r.summary.get("lost") or r.problems for r in results)
    if options.keep or troubled:
        print(f">> logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all(t.met is not False for t in targets) else 1


def command_line(argv: Sequence[str]) -> str:
    """The command as the user typed it, for the report: ``python -m bot bench …``."""
    return "python -m bot " + shlex.join(argv)
