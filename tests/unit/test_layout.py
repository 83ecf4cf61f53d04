"""The shape of the code: no import cycle inside bot/, no module over 400 lines, no class over 200.

The import graph is built from the source (the AST), every import counted wherever it stands: at the
top, inside a function or under ``TYPE_CHECKING``. ``from bot.x import y`` depends on ``bot.x.y`` when
that is a module, else on ``bot.x``; importing a module also runs its packages' ``__init__``. The line
limit holds for ``tools/`` and ``tests/helpers`` too; ``tests/helpers`` is imported by ``tools/``, never the
other way round, and ``bot/`` imports neither.
"""

import ast
from pathlib import Path

from bot.core.settings import PROJECT_ROOT

BOT = PROJECT_ROOT / "bot"
MAX_MODULE_LINES = 400
MAX_CLASS_LINES = 200


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(BOT.rglob("*.py")):
        parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imported_names(path: Path, name: str) -> set[str]:
    """Dotted names of the ``bot`` modules and packages a module imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return {n for n in names if n == "bot" or n.startswith("bot.")}


def import_graph() -> dict[str, set[str]]:
    known = modules()
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        edges = set()
        for target in imported_names(path, name):
            parts = target.split(".")
            # the module itself (or the nearest enclosing module a name belongs to), then its packages
            while ".".join(parts) not in known:
                parts.pop()
            for depth in range(1, len(parts) + 1):
                edges.add(".".join(parts[:depth]))
        edges.discard(name)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of module names (first = last), or ``None``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_graph_sees_imports_inside_functions_and_packages():
    graph = import_graph()
    assert "bot.web.keys" in graph["bot.web.app"]
    assert {"bot.web", "bot.web.app"} <= graph["bot.ops.cli"]  # `from bot.web.app import …` inside a function


def test_no_import_cycle_inside_bot():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_the_shared_core_imports_nothing_else_from_bot():
    graph = import_graph()
    for name, targets in graph.items():
        if name.startswith("bot.core"):
            outside = {t for t in targets if t != "bot" and not t.startswith("bot.core")}
            assert not outside, f"{name} imports {outside}"


def test_no_module_over_400_lines():
    shared = [*(PROJECT_ROOT / "tools").rglob("*.py"), *(PROJECT_ROOT / "tests" / "helpers").rglob("*.py")]
    paths = [*modules().values(), *shared]
    long = {
        str(path.relative_to(PROJECT_ROOT)): n
        for path in paths
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_no_class_over_200_lines():
    long = {}
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and (size := node.end_lineno - node.lineno + 1) > MAX_CLASS_LINES:
                long[f"{name}.{node.name}"] = size
    assert not long, f"classes over {MAX_CLASS_LINES} lines: {long}"


def top_level_imports(path: Path) -> set[str]:
    """The first part of every name a file imports, wherever the import stands."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names.add((node.module or "").split(".")[0])
    return names


def test_shared_helpers_point_one_way():
    """tools/ imports tests/helpers, never the other way round; bot/ and actions/ import neither tests/ nor helpers."""
    for folder in ("bot", "actions"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            assert "tests" not in top_level_imports(path), path
    for path in (PROJECT_ROOT / "tests" / "helpers").rglob("*.py"):
        assert "tools" not in top_level_imports(path), path
