"""The load benchmark's report: the targets, a table for the terminal, a markdown section for a results file.

Memory is bytes in the figures and MB (10^6 bytes) in the tables; throughput is turns per second.
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from tools.bench.stats import RunResult

TARGET_RATIO = {"embedded": 1.0, "production": 1.3}
"""Stack turns/s ÷ bare Rasa turns/s, at least, per profile (issue 18)."""
TARGET_P95_MS = 300.0
"""p95 of a paced run (``--rate``: half of bare Rasa's maximum), both profiles (issue 18)."""
TARGET_CPU_MS_PER_TURN = 90.0
"""CPU of every process of the embedded stack together, per turn (issue 18)."""
TARGET_READY_S = 15.0
TARGET_EMBEDDED_MEMORY_BYTES = 1_200_000_000
"""1.2 GB (10^9 bytes) for every process of the embedded stack together (peak of the sampled sum)."""
TARGET_MEMORY_GROWTH = 0.05
"""Soak: "memory flat" means the total RSS grew by at most 5 % from the start of the window to its end."""
TARGET_USERS = 20
TARGET_CPUS = 2


@dataclass
class Target:
    """One target of issue 7: what, the measured value (as text), and whether it was met (None: not measured)."""

    name: str
    value: str
    met: bool | None


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value / 1e6:.0f}"


def _ms(value: float | None) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.0f}"


def evaluate_targets(results: Sequence[RunResult], soak: bool) -> list[Target]:
    """Issue 18's targets for these runs (the stack profiles against "bare rasa" when it ran).

    Closed loop: turns/s ≥ 1.0× bare (embedded) and ≥ 1.3× (production), CPU per turn of the embedded stack
    ≤ 90 ms, 0 lost, embedded memory ≤ 1.2 GB, start to ready ≤ 15 s. Paced (``--rate``, half of bare Rasa's
    maximum): p95 ≤ 300 ms, 0 errors, 0 lost, total memory grew ≤ 5 % over the window.
    """
    bare = next((r for r in results if r.label == "bare rasa"), None)
    targets: list[Target] = []
    for r in results:
        if r.label == "bare rasa":
            continue
        s = r.summary
        lost = s.get("lost", 0)
        if soak:
            p95 = s.get("p95_ms", math.nan)
            ok = None if math.isnan(p95) else p95 <= TARGET_P95_MS
            targets.append(Target(f"{r.label}: p95 ≤ {TARGET_P95_MS:.0f} ms", f"{_ms(p95)} ms", ok))
            errors = s.get("errors", 0)
            targets.append(Target(f"{r.label}: 0 errors", str(errors), errors == 0))
            targets.append(Target(f"{r.label}: 0 lost messages", str(lost), lost == 0))
            first, last = r.memory.get("total_window_first"), r.memory.get("total_window_last")
            if first and last:
                growth = (last - first) / first
                targets.append(
                    Target(
                        f"{r.label}: memory flat (≤ {TARGET_MEMORY_GROWTH:.0%} growth)",
                        f"{_mb(first)} → {_mb(last)} MB ({growth:+.1%})",
                        growth <= TARGET_MEMORY_GROWTH,
                    )
                )
            continue
        wanted = TARGET_RATIO.get(r.label, TARGET_RATIO["production"])
        if bare is not None and bare.summary.get("turns_per_s"):
            ratio = s.get("turns_per_s", 0.0) / bare.summary["turns_per_s"]
            targets.append(Target(f"{r.label}: ≥ {wanted:.1f}× bare throughput", f"{ratio:.2f}×", ratio >= wanted))
        targets.append(Target(f"{r.label}: 0 lost messages", str(lost), lost == 0))
        if r.label == "embedded":
            cpu = cpu_ms_per_turn(r)
            ok = None if math.isnan(cpu) else cpu <= TARGET_CPU_MS_PER_TURN
            targets.append(Target(f"embedded: CPU per turn ≤ {TARGET_CPU_MS_PER_TURN:.0f} ms", f"{_ms(cpu)} ms", ok))
            peak = r.memory.get("total_peak", 0)
            limit = f"{TARGET_EMBEDDED_MEMORY_BYTES / 1e9:.1f} GB"
            targets.append(
                Target(f"embedded: all processes ≤ {limit}", f"{_mb(peak)} MB", peak <= TARGET_EMBEDDED_MEMORY_BYTES)
            )
        if r.ready_s is not None:
            targets.append(
                Target(
                    f"{r.label}: start to ready ≤ {TARGET_READY_S:.0f} s",
                    f"{r.ready_s:.1f} s",
                    r.ready_s <= TARGET_READY_S,
                )
            )
    return targets


def cpu_ms_per_turn(r: RunResult) -> float:
    """CPU milliseconds all processes of a run used per measured turn (``nan`` without turns)."""
    cpu = sum(p.get("cpu_s") or 0.0 for p in r.memory.get("processes", []))
    turns = r.summary.get("turns", 0)
    return 1000.0 * cpu / turns if turns else math.nan


def _run_rows(r: RunResult) -> list[tuple[str, str]]:
    s = r.summary
    mode = f"{r.rate:g} turns/s in all" if r.rate else "closed loop"
    rasa = f"{r.rasa['mean_ms']:.0f} ms mean inside Rasa ({r.rasa['turns']:.0f} turns)" if r.rasa else "-"
    counts = ", ".join(
        f"{key.replace('_', ' ')} {s.get(key, 0)}"
        for key in ("conversations", "cases", "lookups", "handoffs", "empty_replies", "late_replies")
    )
    errors = ", ".join(f"{k} {v}" for k, v in sorted(s.get("errors_by_kind", {}).items())) or "none"
    off = ", ".join(f"{k} {v}" for k, v in sorted(s.get("off_script_by_step", {}).items())) or "none"
    return [
        ("users, window", f"{r.users} users, {r.duration_s:g} s, {mode}"),
        ("Rasa processes", str(r.processes)),
        ("start to ready", "-" if r.ready_s is None else f"{r.ready_s:.1f} s"),
        ("turns/s", f"{s.get('turns_per_s', math.nan):.2f} ({s.get('turns', 0)} turns)"),
        ("latency p50 / p95 / p99", f"{_ms(s.get('p50_ms'))} / {_ms(s.get('p95_ms'))} / {_ms(s.get('p99_ms'))} ms"),
        ("latency max", f"{_ms(s.get('max_ms'))} ms"),
        ("time inside Rasa", rasa),
        ("CPU per turn", f"{_ms(cpu_ms_per_turn(r))} ms (all processes of the run together)"),
        ("benchmark's own CPU", f"{s.get('client_cpu_pct', math.nan):.0f} % of one core"),
        ("errors", f"{s.get('errors', 0)} ({errors})"),
        ("lost / duplicated", f"{s.get('lost', 0)} / {s.get('duplicated', 0)}"),
        ("conversations", counts),
        ("off script", f"{s.get('off_script', 0)} ({off})"),
    ]


def _memory_rows(r: RunResult) -> list[tuple[str, ...]]:
    rows = []
    for p in r.memory.get("processes", []):
        cpu = "-" if p.get("cpu_pct") is None else f"{p['cpu_pct']:.0f}"
        rows.append((p["name"], str(p["pid"]), _mb(p["peak"]), _mb(p["window_first"]), _mb(p["last"]), cpu))
    m = r.memory
    rows.append(
        (
            "total (sum per sample)",
            "",
            _mb(m.get("total_peak")),
            _mb(m.get("total_window_first")),
            _mb(m.get("total_last")),
            "",
        )
    )
    return rows


MEMORY_HEADER = ("process", "pid", "peak MB", "window start MB", "last MB", "CPU % in window")


def _table(rows: Sequence[Sequence[str]], header: Sequence[str] | None = None) -> str:
    all_rows = [tuple(header)] if header else []
    all_rows += [tuple(row) for row in rows]
    widths = [max(len(row[i]) for row in all_rows) for i in range(len(all_rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in all_rows)


def render_table(results: Sequence[RunResult], targets: Sequence[Target]) -> str:
    """The readable report on stdout: one block per run, the comparison, the targets."""
    out = []
    for r in results:
        out.append(f"\n== {r.label} ==")
        out.append(_table(_run_rows(r)))
        out.append("")
        out.append(_table(_memory_rows(r), MEMORY_HEADER))
        steps = sorted(r.summary.get("steps", {}).items(), key=lambda item: -item[1]["p95_ms"])[:6]
        if steps:
            out.append("slowest steps (p95): " + ", ".join(f"{k} {_ms(v['p95_ms'])} ms" for k, v in steps))
        if r.summary.get("off_script_samples"):
            out.append("off-script samples:\n  " + "\n  ".join(r.summary["off_script_samples"][:6]))
        if r.summary.get("error_samples"):
            out.append("error samples:\n  " + "\n  ".join(r.summary["error_samples"][:6]))
        for name, problem in r.problems.items():
            out.append(f"log {name}: {problem['count']} error lines, e.g. {problem['first'][0]}")
        out.extend(f"note: {note}" for note in r.notes)
    if len(results) > 1:
        out.append("\n== side by side ==")
        rows = [
            (
                r.label,
                f"{r.summary.get('turns_per_s', math.nan):.2f}",
                _ms(r.summary.get("p95_ms")),
                str(r.summary.get("errors", 0)),
                str(r.summary.get("lost", 0)),
                _mb(r.memory.get("total_peak")),
                _ms(cpu_ms_per_turn(r)),
            )
            for r in results
        ]
        out.append(_table(rows, ("run", "turns/s", "p95 ms", "errors", "lost", "memory MB", "CPU ms/turn")))
        bare = next((r for r in results if r.label == "bare rasa"), None)
        if bare is not None and bare.summary.get("turns_per_s"):
            for r in results:
                if r is not bare:
                    ratio = r.summary.get("turns_per_s", 0) / bare.summary["turns_per_s"]
                    p95, bare_p95 = _ms(r.summary.get("p95_ms")), _ms(bare.summary.get("p95_ms"))
                    out.append(f"ratio {r.label} ÷ bare rasa: {ratio:.2f}× turns/s; p95 {p95} vs {bare_p95} ms")
    out.append("\n== targets ==")
    for t in targets:
        mark = "n/a" if t.met is None else "yes" if t.met else "NO"
        out.append(f"  [{mark:>3}] {t.name}: {t.value}")
    return "\n".join(out)


def machine_info() -> dict[str, Any]:
    """CPU model and count (``/proc/cpuinfo``), RAM (bytes), load average, Python and Rasa versions."""
    cpu_model, cpus = platform.processor() or "?", os.cpu_count() or 0
    with contextlib.suppress(OSError):
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        models = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
        cpu_model = models[0] if models else cpu_model
        cpus = len(models) or cpus
    ram = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        ram = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1]) * 1024
    try:
        rasa = version("rasa")
    except PackageNotFoundError:
        rasa = "?"
    return {
        "cpu_model": cpu_model,
        "cpus": cpus,
        "ram_bytes": ram,
        "load_average": list(os.getloadavg()),
        "python": platform.python_version(),
        "rasa": rasa,
    }


def render_markdown(
    results: Sequence[RunResult], targets: Sequence[Target], machine: dict[str, Any], command: str, when: datetime
) -> str:
    """A markdown section for a results file: date, machine, command, figures per run, targets."""
    lines = [
        f"## Load benchmark {when.strftime('%Y-%m-%d %H:%M')}",
        "",
        f"- Machine: {machine['cpu_model']}, {machine['cpus']} CPUs, {machine['ram_bytes'] / 2**30:.1f} GiB RAM, "
        f"load average at start {' / '.join(f'{x:.2f}' for x in machine['load_average'])}",
        f"- Python {machine['python']}, Rasa {machine['rasa']}",
        f"- Command: `{command}`",
        "",
        "| run | users | turns/s | p50 ms | p95 ms | p99 ms | errors | lost | duplicated | ready s | memory MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        s = r.summary
        ready = "-" if r.ready_s is None else f"{r.ready_s:.1f}"
        lines.append(
            f"| {r.label} | {r.users} | {s.get('turns_per_s', math.nan):.2f} | {_ms(s.get('p50_ms'))} | "
            f"{_ms(s.get('p95_ms'))} | {_ms(s.get('p99_ms'))} | {s.get('errors', 0)} | {s.get('lost', 0)} | "
            f"{s.get('duplicated', 0)} | {ready} | {_mb(r.memory.get('total_peak'))} |"
        )
    for r in results:
        lines += ["", f"### {r.label}: memory per process", "", "| " + " | ".join(MEMORY_HEADER) + " |"]
        lines.append("|" + "---|" * len(MEMORY_HEADER))
        lines += ["| " + " | ".join(row) + " |" for row in _memory_rows(r)]
        keys = ("time inside Rasa", "CPU per turn", "conversations", "off script", "errors")
        extra = [f"{k}: {v}" for k, v in _run_rows(r) if k in keys]
        steps = sorted(r.summary.get("steps", {}).items(), key=lambda item: -item[1]["p95_ms"])[:6]
        if steps:
            extra.append("slowest steps (p95): " + ", ".join(f"{k} {_ms(v['p95_ms'])} ms" for k, v in steps))
        extra += [f"note: {n}" for n in r.notes]
        lines += ["", *[f"- {e}" for e in extra]]
    lines += ["", "### Targets", ""]
    for t in targets:
        mark = "n/a" if t.met is None else "yes" if t.met else "**no**"
        lines.append(f"- {t.name}: {t.value} — {mark}")
    return "\n".join(lines) + "\n"
