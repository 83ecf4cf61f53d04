"""Memory and time of argon2 hashing in a burst: ``python -m tools.bench.hashing [--burst 20] [--markdown FILE]``.

Each case runs in a fresh Python process that first imports what the action server imports (rasa-sdk's
endpoint and the ``actions`` package), so its resident memory starts where the action server's does;
then ``--burst`` check codes are hashed at once from the event loop, the way ``action_submit_complaint``
files that many cases at the same moment. Printed per case: the RSS before the burst, the peak RSS
(``ru_maxrss``, the kernel's high-water mark of the process), their difference, the most hashes that
ran at once (:data:`bot.core.passwords.GATE`), the burst's wall time, and the CPU time of one hash
alone (median of 5). Times are indicative on a shared machine; the memory figures are not.

Cases: ``before`` — argon2-cffi's ``PasswordHasher()`` default (64 MiB, t=3, p=4) on the event loop's
default executor, as the action server hashed before issue 18; ``check code`` and ``staff password`` —
:func:`bot.core.passwords.run_hashing` with each profile (at most two at once).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CASES = ("before", "check code", "staff password")
MIB = 1024 * 1024


def _rss_bytes() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


async def _burst(case: str, size: int) -> dict[str, Any]:
    from argon2 import PasswordHasher

    from bot.core import passwords

    codes = [f"CODE-{index:04d}" for index in range(size)]
    if case == "before":
        hasher, counted = PasswordHasher(), passwords.HashingGate(len(codes))  # a gate that never holds back
        loop = asyncio.get_running_loop()

        def single(code: str) -> str:
            with counted.slot():
                return hasher.hash(code)

        work = [loop.run_in_executor(None, single, code) for code in codes]
    else:
        counted = passwords.GATE
        profile = passwords.CHECK_CODE if case == "check code" else passwords.STAFF_PASSWORD

        def single(code: str) -> str:
            return passwords.hash_secret(code, profile)

        work = [passwords.run_hashing(single, code) for code in codes]
    counted.reset_peak()
    started = time.perf_counter()
    await asyncio.gather(*work)
    wall = time.perf_counter() - started
    alone = []
    for code in codes[:5]:
        cpu = time.process_time()
        single(code)
        alone.append(time.process_time() - cpu)
    return {"wall_s": wall, "cpu_per_hash_s": statistics.median(alone), "at_once": counted.peak}


def child(case: str, size: int) -> dict[str, Any]:
    """One case in this process: import the action server's modules, hash ``size`` codes at once, measure."""
    import rasa_sdk.endpoint  # noqa: F401  (what the action server holds in memory)
    from rasa_sdk.executor import ActionExecutor

    ActionExecutor().register_package("actions")
    before = _rss_bytes()
    result = asyncio.run(_burst(case, size))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    return {"case": case, "burst": size, "rss_before": before, "rss_peak": peak, **result}


def run(case: str, size: int) -> dict[str, Any]:
    """Run :func:`child` for ``case`` in a fresh process and return its figures."""
    out = subprocess.run(
        [sys.executable, "-m", "tools.bench.hashing", "--child", case, "--burst", str(size)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(rows: list[dict[str, Any]]) -> str:
    """The figures as a Markdown table (MiB, seconds)."""
    lines = [
        "| case | RSS before (MiB) | peak RSS (MiB) | growth (MiB) | at once | burst wall (s) | CPU per hash (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['case']} | {row['rss_before'] / MIB:.0f} | {row['rss_peak'] / MIB:.0f} | "
            f"{(row['rss_peak'] - row['rss_before']) / MIB:.0f} | {row['at_once']} | {row['wall_s']:.2f} | "
            f"{row['cpu_per_hash_s'] * 1000:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Print the table of every case (and write it to ``--markdown``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=20, help="hashes started at once (default 20)")
    parser.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.burst)))
        return
    rows = [run(case, args.burst) for case in CASES]
    text = table(rows)
    print(f"{args.burst} argon2 hashes at once, {os.cpu_count()} CPUs (times indicative: shared machine)\n{text}")
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
