"""The processes of a benchmark run: started, sampled (RSS and CPU time), stopped, their logs read.

Memory is bytes; CPU time and intervals are seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import aiohttp

SAMPLE_INTERVAL_S = 0.5
"""How often the RSS of every process is sampled."""
READY_TIMEOUT_S = 300.0
"""How long a stack (or bare Rasa) may take to answer its health check before the benchmark gives up."""


def process_label(cmdline: Sequence[str], rasa_ports: dict[int, str]) -> str:
    """A readable name of one of the stack's processes from its command line.

    ``rasa_ports`` maps a Rasa server's port to its name ("Rasa server 1", …).
    """
    args = list(cmdline)
    joined = " ".join(args)
    if "multiprocessing" in joined:
        return "worker" if "spawn_main" in joined else "helper"
    if "rasa_sdk" in args or "bot.action_server" in args:
        return "action server"
    if ("rasa" in args or "bot.rasa_server" in args) and "run" in args:
        if "--port" in args and args.index("--port") + 1 < len(args):
            with contextlib.suppress(ValueError):
                return rasa_ports.get(int(args[args.index("--port") + 1]), "Rasa server")
        return "Rasa server"
    if "bot" in args and "serve" in args:
        return "web app"
    if "bot" in args and "run" in args:
        return "supervisor"
    return Path(args[0]).name if args else "?"


class MemorySampler:
    """Samples the RSS (and CPU time) of process trees every :data:`SAMPLE_INTERVAL_S` seconds.

    ``roots`` are the top processes (the supervisor, or bare Rasa and its action server); their
    children and children's children are found anew at every sample. Per process (name and pid): the
    peak, the first sample, the first sample of the measured window, the last sample, and the CPU
    seconds used in the window; for all of them together the peak of the sampled sum.
    """

    def __init__(self, roots: Sequence[int], rasa_ports: dict[int, str] | None = None) -> None:
        import psutil

        self._psutil = psutil
        self._roots = list(roots)
        self._rasa_ports = rasa_ports or {}
        self.processes: dict[tuple[int, float], dict[str, Any]] = {}
        self.totals: list[tuple[float, int]] = []
        self.window_index: int | None = None
        self.window_end_index: int | None = None
        self._handles: dict[tuple[int, float], Any] = {}

    def tree(self) -> list[Any]:
        """The live processes of every root's tree (``psutil.Process`` objects)."""
        procs = []
        for pid in self._roots:
            try:
                root = self._psutil.Process(pid)
                procs.append(root)
                procs.extend(root.children(recursive=True))
            except self._psutil.Error:
                continue
        return procs

    def sample(self, window: str = "") -> None:
        """Take one sample; ``window`` "start"/"end" also marks the measured window's first/last sample."""
        now = time.perf_counter()
        if window == "start":
            self.window_index = len(self.totals)
        if window == "end":
            self.window_end_index = len(self.totals)
        total = 0
        for proc in self.tree():
            try:
                with proc.oneshot():
                    key = (proc.pid, proc.create_time())
                    rss = proc.memory_info().rss
                    cpu = sum(proc.cpu_times()[:2])
                    entry = self.processes.get(key)
                    if entry is None:
                        label = process_label(proc.cmdline(), self._rasa_ports)
                        parent = next((e for e in self.processes.values() if e["pid"] == proc.ppid()), None)
                        if parent is not None and label.startswith(("worker", "helper")):
                            label = f"{parent['name']} {label}"
                        elif parent is not None and parent["name"] == label:  # a forked worker (Sanic)
                            label = f"{label} worker"
                        entry = {
                            "name": label,
                            "pid": proc.pid,
                            "peak": rss,
                            "first": rss,
                            "window_first": None,
                            "last": rss,
                            "cpu_window_start": None,
                            "cpu_window_end": None,
                            "cpu_last": cpu,
                        }
                        self.processes[key] = entry
                        self._handles[key] = proc
            except self._psutil.Error:
                continue
            entry["peak"] = max(entry["peak"], rss)
            entry["last"] = rss
            entry["cpu_last"] = cpu
            if entry["window_first"] is None and self.window_index is not None:
                entry["window_first"] = rss
                entry["cpu_window_start"] = cpu
            if window == "end":
                entry["cpu_window_end"] = cpu
            total += rss
        self.totals.append((now, total))

    async def run(self, stop: asyncio.Event) -> None:
        """Sample until ``stop`` is set."""
        while not stop.is_set():
            self.sample()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), SAMPLE_INTERVAL_S)

    def known(self) -> list[Any]:
        """Every process ever sampled (``psutil.Process``; the pid reuse-safe handles)."""
        return list(self._handles.values())

    def report(self, window_s: float) -> dict[str, Any]:
        """Per process and in total: bytes (peak, first, window_first, last), CPU seconds in the window."""
        rows = []
        for entry in sorted(self.processes.values(), key=lambda e: (e["name"], e["pid"])):
            start, end = entry["cpu_window_start"], entry["cpu_window_end"]
            if start is not None and end is None:
                end = entry["cpu_last"]
            cpu = (end - start) if start is not None and end is not None else None
            rows.append(
                {
                    "name": entry["name"],
                    "pid": entry["pid"],
                    "peak": entry["peak"],
                    "first": entry["first"],
                    "window_first": entry["window_first"],
                    "last": entry["last"],
                    "cpu_s": cpu,
                    "cpu_pct": 100.0 * cpu / window_s if cpu is not None and window_s > 0 else None,
                }
            )
        totals = [t for _, t in self.totals]
        window_first = self.totals[self.window_index][1] if self.window_index is not None else None
        window_last = self.totals[self.window_end_index][1] if self.window_end_index is not None else None
        return {
            "processes": rows,
            "total_peak": max(totals) if totals else 0,
            "total_first": totals[0] if totals else 0,
            "total_window_first": window_first,
            "total_window_last": window_last,
            "total_last": totals[-1] if totals else 0,
            "samples": len(totals),
        }


def kill_tree(procs: Iterable[Any]) -> int:
    """SIGKILL every process still alive (pid-reuse safe); returns how many were killed."""
    import psutil

    killed = 0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                proc.kill()
                killed += 1
    return killed


def popen(argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    """Start a process in its own session (the terminal's Ctrl-C reaches only the benchmark)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


async def stop_process(process: subprocess.Popen[bytes], sig: int, timeout: float) -> None:
    """Send ``sig`` to the process and wait for it (at most ``timeout`` s), then SIGKILL its group."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
        deadline = time.monotonic() + timeout
        while process.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)


def log_problems(logs: Path) -> dict[str, dict[str, Any]]:
    """Per log file: how many lines say ERROR or Traceback, and the first few of them."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(logs.glob("*.log")) if logs.is_dir() else []:
        lines = [
            line.strip()
            for line in path.read_text(errors="replace").splitlines()
            if " ERROR " in line or "Traceback" in line or line.startswith("!!")
        ]
        if lines:
            found[path.name] = {"count": len(lines), "first": [line[:240] for line in lines[:5]]}
    return found


async def web_metrics(http: aiohttp.ClientSession, url: str) -> dict[str, float]:
    """The web app's turn counters from ``/metrics`` (Rasa time per turn, Rasa errors); ``{}`` on failure."""
    try:
        async with http.get(f"{url}/metrics", timeout=aiohttp.ClientTimeout(total=5)) as response:
            if response.status != 200:
                return {}
            body = await response.text()
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return {}
    wanted = ("kommun_turn_seconds_sum", "kommun_turn_seconds_count", "kommun_rasa_errors_total", "kommun_turns_total")
    values = {}
    for line in body.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in wanted:
            with contextlib.suppress(ValueError):
                values[parts[0]] = float(parts[1])
    return values
