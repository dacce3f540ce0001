"""The docs name only code that exists, and docs/architecture.md names every module.

A name in backticks in README.md or docs/*.md that looks like code is looked up:
- a file, `path/to/module.py` or a shorter tail of it (`queries/staffing.py`), must exist;
- `file.py:name` must define `name` in that file (a function, class or assignment, at any depth);
- `module.name` (a module of the project by its dotted path or its last part, like
  `cached.warm` or `data_access.db.read_frame`) must define `name` in that module, unless the
  text is a key of the UI catalogue (assets/i18n), which is written the same way.
"""

from __future__ import annotations

import ast
import json
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PACKAGES = ("data_access", "dashboard", "pages", "tools", "tests")
FILE_SUFFIXES = {"csv", "xlsx", "geojson", "json", "zip", "png", "pdf", "toml", "md", "txt"}
BACKTICKED = re.compile(r"`([^`\n]+)`")
FILE_REF = re.compile(r"^([A-Za-z0-9_./-]+\.py)(?::([A-Za-z_][A-Za-z0-9_]*))?(?:\(\))?$")
DOTTED_REF = re.compile(
    r"^([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)\.([A-Za-z_][A-Za-z0-9_]*)(?:\(\))?$"
)


def _python_files() -> list[Path]:
    files = [ROOT / "app.py"]
    for package in PACKAGES:
        files += sorted((ROOT / package).rglob("*.py"))
    return [path for path in files if ".venv" not in path.parts]


@cache
def _files_by_tail() -> dict[str, list[Path]]:
    """Every tail of every project file's path (`a/b/c.py`, `b/c.py`, `c.py`) → the files."""
    found: dict[str, list[Path]] = defaultdict(list)
    for path in _python_files():
        parts = path.relative_to(ROOT).parts
        for start in range(len(parts)):
            found["/".join(parts[start:])].append(path)
    return found


@cache
def _names_in(path: Path) -> frozenset[str]:
    """Every function, class and assigned name defined anywhere in a file."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return frozenset(names)


@cache
def _modules_by_dotted_tail() -> dict[str, list[Path]]:
    """`data_access.queries.staffing`, `queries.staffing` and `staffing` → the file(s)."""
    found: dict[str, list[Path]] = defaultdict(list)
    for path in _python_files():
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        for start in range(len(parts)):
            found[".".join(parts[start:])].append(path)
    return found


@cache
def _catalogue_keys() -> frozenset[str]:
    keys: set[str] = set()
    for path in (ROOT / "assets" / "i18n").glob("*.json"):
        keys.update(json.loads(path.read_text(encoding="utf-8")))
    return frozenset(keys)


def _problems(text: str, label: str) -> list[str]:
    """What is wrong with the code names in a document's text, each as `label:line: name: why`."""
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        for reference in BACKTICKED.findall(line):
            where = f"{label}:{number}: `{reference}`"
            file_match = FILE_REF.match(reference)
            if file_match:
                tail, name = file_match.groups()
                files = _files_by_tail().get(tail.removeprefix("./"), [])
                if not files:
                    problems.append(f"{where}: no such file")
                elif name and not any(name in _names_in(path) for path in files):
                    problems.append(f"{where}: {name} is not defined there")
                continue
            dotted = DOTTED_REF.match(reference)
            known_module = reference.removesuffix("()") in _modules_by_dotted_tail()
            if not dotted or known_module or reference in _catalogue_keys():
                continue
            module, name = dotted.groups()
            if name in FILE_SUFFIXES:  # a data file, like `grids.csv`
                continue
            files = _modules_by_dotted_tail().get(module, [])
            if files and not any(name in _names_in(path) for path in files):
                problems.append(f"{where}: {name} is not defined in {module}")
    return problems


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_every_code_name_in_the_docs_exists(doc: Path) -> None:
    assert _problems(doc.read_text(encoding="utf-8"), str(doc.relative_to(ROOT))) == []


def test_the_architecture_names_every_module() -> None:
    architecture = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = []
    for package in ("data_access", "dashboard", "pages"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if path.name == "__init__.py" or "versions" in relative.parts:
                continue
            tails = ["/".join(relative.parts[start:]) for start in range(len(relative.parts))]
            if not any(f"`{tail}" in architecture for tail in tails):
                missing.append(str(relative))
    assert missing == []


def test_the_lookup_finds_what_is_missing() -> None:
    """The check above can fail: a made-up file, function and module attribute are reported."""
    text = (
        "`data_access/queries/staffing.py:no_such_function` `data_access/no_such_module.py` "
        "`cached.no_such_wrapper` `data_access/db.py:read_frame` `auth.refused`\n"
    )
    assert _problems(text, "made_up.md") == [
        "made_up.md:1: `data_access/queries/staffing.py:no_such_function`: "
        "no_such_function is not defined there",
        "made_up.md:1: `data_access/no_such_module.py`: no such file",
        "made_up.md:1: `cached.no_such_wrapper`: no_such_wrapper is not defined in cached",
    ]
