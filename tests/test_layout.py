"""The module boundaries of ../shared/STYLE.md §2, checked on the source (imports inside functions too).

- `retriever` imports no other project package; `chatbot` and `gpl` never import each other;
- chromadb is imported only in retriever/store.py, gradio only in chatbot/app.py;
- no module imports a module that imports it (no import circles, lazy imports included).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("retriever", "chatbot", "gpl", "tunetalk")
ALLOWED = {  # package -> the project packages it may import
    "retriever": set(),
    "chatbot": {"retriever"},
    "gpl": {"retriever"},
    "tunetalk": {"retriever", "chatbot", "gpl"},
}
ONLY_IN = {"chromadb": {"retriever/store.py"}, "gradio": {"chatbot/app.py"}, "gradio_client": set()}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it ("from a.b import c" gives a.b and a.b.c)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


SOURCES = {module_name(p): p for package in PACKAGES for p in sorted((REPO / package).rglob("*.py"))}


def project_edges() -> dict[str, set[str]]:
    """module -> the project modules it imports (a package's __init__ is left out as a target:
    importing `retriever` means its public surface, not a module that may import back)."""
    return {
        name: {m for m in imports_of(path) if m in SOURCES and m not in PACKAGES and m != name}
        for name, path in SOURCES.items()
    }


@pytest.mark.parametrize("package", PACKAGES)
def test_packages_import_only_what_they_may(package: str) -> None:
    wrong = []
    for name, path in SOURCES.items():
        if name.split(".")[0] != package:
            continue
        for imported in imports_of(path):
            target = imported.split(".")[0]
            if target in PACKAGES and target != package and target not in ALLOWED[package]:
                wrong.append(f"{path.relative_to(REPO)} imports {imported}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("library", sorted(ONLY_IN))
def test_third_party_libraries_stay_in_their_one_module(library: str) -> None:
    users = {
        str(path.relative_to(REPO))
        for path in SOURCES.values()
        if any(m == library or m.startswith(library + ".") for m in imports_of(path))
    }
    assert users <= ONLY_IN[library], sorted(users - ONLY_IN[library])


def find_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target):], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    return cycles


def test_no_import_circles() -> None:
    cycles = find_cycles(project_edges())
    assert not cycles, "import circles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_checker_sees_a_circle_and_a_wrong_import(tmp_path: Path) -> None:
    """The checks above can fail: a lazy import inside a function counts."""
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from chatbot.turn import take_turn\n    import gradio\n")
    assert {"chatbot.turn", "chatbot.turn.take_turn", "gradio"} <= imports_of(source)
    edges = project_edges()
    edges["retriever.encoder"] = {*edges["retriever.encoder"], "retriever.indexing"}  # the circle once here
    assert ["retriever.encoder", "retriever.indexing", "retriever.encoder"] in find_cycles(edges)
