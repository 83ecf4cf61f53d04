"""Training the Rasa model only when its inputs changed.

A model is cached under ``<model cache>/<hash>.tar.gz`` where the hash covers ``config.yml``,
``domain.yml``, every file under ``data/`` and the Rasa version. The cache lives outside the work
tree by default (``~/.cache/kommun-assistent/models``), so CI runs and fresh clones reuse it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

KEEP_MODELS = 5
"""How many cached models are kept (the newest by modification time)."""


class TrainingError(RuntimeError):
    """``rasa train`` failed (its output was shown on the terminal)."""


def model_inputs(project_root: Path) -> list[Path]:
    """Files that determine the model, in a stable order.

    Config, domain, all training data and the source of the project's own components named in
    ``config.yml`` (``bot.triage.TriageClassifier`` → ``bot/triage.py``: how a component trains and stores
    itself is part of the model).
    """
    files = [project_root / "config.yml", project_root / "domain.yml"]
    files += sorted(p for p in (project_root / "data").rglob("*") if p.is_file())
    files += own_component_sources(project_root)
    return files


def own_component_sources(project_root: Path) -> list[Path]:
    """Source files in ``project_root`` of the pipeline components and policies ``config.yml`` names by module path."""
    import yaml

    config = yaml.safe_load((project_root / "config.yml").read_text(encoding="utf-8")) or {}
    names = [str(item.get("name", "")) for key in ("pipeline", "policies") for item in config.get(key) or []]
    sources = {project_root.joinpath(*name.split(".")[:-1]).with_suffix(".py") for name in names if "." in name}
    return sorted(path for path in sources if path.is_file())


def inputs_hash(project_root: Path) -> str:
    """SHA-256 (first 20 hex digits) of the model inputs' relative paths and contents, and Rasa's version."""
    digest = hashlib.sha256(f"rasa=={version('rasa')}\n".encode())
    for path in model_inputs(project_root):
        digest.update(str(path.relative_to(project_root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def cached_model(project_root: Path, cache_dir: Path) -> Path | None:
    """The cached model for the current inputs, or ``None`` when it must be trained."""
    path = Path(cache_dir) / f"{inputs_hash(project_root)}.tar.gz"
    return path if path.is_file() else None


def ensure_model(project_root: Path, cache_dir: Path, force: bool = False) -> Path:
    """Return the model for the current inputs, training it first when it is not cached.

    Training runs ``python -m rasa train`` with its progress on the terminal and writes the model
    atomically, so an interrupted training never leaves a half-written model in the cache.

    Raises:
        TrainingError: training failed.
    """
    cache_dir = Path(cache_dir)
    key = inputs_hash(project_root)
    target = cache_dir / f"{key}.tar.gz"
    if target.is_file() and not force:
        print(f">> model is up to date ({target})", flush=True)
        os.utime(target)
        return target
    work = cache_dir / f"tmp-{key}-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    print(">> training the model (the training data, domain or config changed); this takes minutes", flush=True)
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "rasa",
                "train",
                "--config",
                "config.yml",
                "--domain",
                "domain.yml",
                "--data",
                "data",
                "--out",
                str(work),
                "--fixed-model-name",
                key,
            ],
            cwd=project_root,
            check=False,
        )
        if result.returncode != 0:
            raise TrainingError(f"rasa train exited with {result.returncode}")
        os.replace(work / f"{key}.tar.gz", target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _prune(cache_dir)
    print(f">> model trained: {target}", flush=True)
    return target


def _prune(cache_dir: Path) -> None:
    models = sorted(cache_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in models[KEEP_MODELS:]:
        old.unlink(missing_ok=True)
