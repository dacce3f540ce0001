"""The layers of docs/architecture.md §1 hold: no import cycle among the project's modules, and
no import against the direction of the layers. Every `import` counts, those inside functions
too, read from the source with `ast` (import-linter is not among the dependencies)."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("data_access", "dashboard", "pages")
# The modules that write the summaries kept at write time: no query reads through them.
SUMMARY_WRITERS = ("data_access.summaries", "data_access.summary_writes")


def module_files() -> dict[str, Path]:
    """Dotted name → file of app.py and every module of the packages."""
    files = {"app": ROOT / "app.py"}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            files[".".join(parts)] = path
    return files


def imported_names(name: str, path: Path, known: Iterable[str]) -> set[str]:
    """Every module `name` imports, dotted: `from a import b` names a.b when that is a module."""
    modules = set(known)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {n for n in found if n in modules or n.split(".")[0] not in (*PACKAGES, "app")}


def edges(imports: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """Which project module runs which when imported. Importing a.b.c runs a and a.b first,
    unless they are packages of the importer itself (then they already run)."""
    graph: dict[str, set[str]] = {name: set() for name in imports}
    for name, targets in imports.items():
        own = {".".join(name.split(".")[:k]) for k in range(1, name.count(".") + 1)}
        for target in targets:
            if target not in imports:
                continue
            parts = target.split(".")
            runs = {".".join(parts[:k]) for k in range(1, len(parts) + 1)} - own - {name}
            graph[name] |= {module for module in runs if module in imports}
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module, or of one importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.fixture(scope="module")
def imports() -> dict[str, set[str]]:
    files = module_files()
    return {name: imported_names(name, path, files) for name, path in files.items()}


def _violations(
    imports: Mapping[str, set[str]], importer: str, forbidden: tuple[str, ...]
) -> list[str]:
    def inside(name: str, prefix: str) -> bool:
        return name == prefix or name.startswith(prefix + ".")

    return sorted(
        f"{name} imports {target}"
        for name, targets in imports.items()
        if inside(name, importer)
        for target in targets
        if any(inside(target, prefix) for prefix in forbidden)
    )


def test_the_modules_import_each_other_without_a_cycle(imports):
    assert len(imports) > 100  # every module was read
    assert cycles(edges(imports)) == []


def test_data_access_imports_neither_the_app_nor_streamlit(imports):
    assert _violations(imports, "data_access", ("dashboard", "pages", "streamlit", "app")) == []


def test_queries_import_neither_figures_nor_the_summary_writers(imports):
    forbidden = ("data_access.figures", *SUMMARY_WRITERS)
    assert _violations(imports, "data_access.queries", forbidden) == []
    # Nor does the module that tells them whether a summary answers.
    assert _violations(imports, "data_access.read_path", forbidden) == []


def test_dashboard_does_not_import_pages(imports):
    assert _violations(imports, "dashboard", ("pages", "app")) == []


def test_the_checks_find_what_they_look_for(tmp_path):
    """The checks on made-up modules: a cycle through an import inside a function, one through
    the package a module lives in, and an import against the layers."""
    (tmp_path / "data_access" / "summaries").mkdir(parents=True)
    sources = {
        "data_access/__init__.py": "",
        "data_access/outlines.py": "def f():\n    from data_access.summaries.writes import put\n",
        "data_access/summaries/__init__.py": "from .coverage import refresh\n",
        "data_access/summaries/coverage.py": "from data_access.outlines import f\n",
        "data_access/summaries/writes.py": "import pandas\n",
        "data_access/queries.py": "from data_access import summaries\nimport streamlit\n",
    }
    files = {}
    for relative, text in sources.items():
        path = tmp_path / relative
        path.write_text(text, encoding="utf-8")
        parts = list(Path(relative).with_suffix("").parts)
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    found = {name: imported_names(name, path, files) for name, path in files.items()}
    assert found["data_access.summaries"] == {"data_access.summaries.coverage"}
    assert found["data_access.outlines"] == {"data_access.summaries.writes"}
    # outlines → summaries.writes runs summaries/__init__ first → coverage → outlines.
    assert cycles(edges(found)) == [
        ["data_access.outlines", "data_access.summaries", "data_access.summaries.coverage"]
    ]
    assert _violations(found, "data_access.queries", ("data_access.summaries", "streamlit")) == [
        "data_access.queries imports data_access.summaries",
        "data_access.queries imports streamlit",
    ]
