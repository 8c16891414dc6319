"""No import circle inside gpl/: every import of a gpl module, also one inside a function, is an edge."""

from __future__ import annotations

import ast
from pathlib import Path

import gpl

GPL_DIR = Path(gpl.__file__).parent


def _imported_gpl_modules(source: str) -> set[str]:
    """The gpl modules one module's source imports, wherever the import statement is (ast.walk)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "gpl")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module is not None:
            if node.module.split(".")[0] == "gpl":
                found.add(node.module)
        elif isinstance(node, ast.ImportFrom):  # a relative import would escape the check above
            raise AssertionError(f"relative import of {node.module!r}: write it as gpl.<module>")
    return found


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    """module => the gpl modules it imports (``gpl`` itself is the package's ``__init__``)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(package_dir.glob("*.py")):
        name = "gpl" if path.stem == "__init__" else f"gpl.{path.stem}"
        graph[name] = _imported_gpl_modules(path.read_text(encoding="utf-8")) - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a path (first module repeated at the end), or None if the graph is acyclic."""
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> list[str] | None:
        if module in visiting:
            return [*visiting[visiting.index(module):], module]
        if module in done:
            return None
        visiting.append(module)
        for target in sorted(graph.get(module, ())):
            cycle = visit(target)
            if cycle is not None:
                return cycle
        visiting.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module)
        if cycle is not None:
            return cycle
    return None


def test_the_cycle_finder_sees_a_function_level_circle() -> None:
    graph = {
        "gpl.a": _imported_gpl_modules("from gpl.b import f\n"),
        "gpl.b": _imported_gpl_modules("def g():\n    import gpl.a\n"),
    }
    assert find_cycle(graph) == ["gpl.a", "gpl.b", "gpl.a"]
    assert find_cycle({"gpl.a": {"gpl.b"}, "gpl.b": set()}) is None


def test_gpl_has_no_import_circle() -> None:
    graph = import_graph(GPL_DIR)
    assert {"gpl.pipeline", "gpl.mining", "gpl.teacher"} <= graph.keys()
    assert "gpl.mining" in graph["gpl.teacher"]  # the teacher builds its documents with mining's views
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or ())


def test_no_gpl_module_imports_the_package_init() -> None:
    # `from gpl import X` inside gpl/ would run __init__, which imports every stage: a circle in waiting.
    importers = [name for name, targets in import_graph(GPL_DIR).items() if "gpl" in targets]
    assert importers == []
