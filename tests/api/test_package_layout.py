"""tracker/api/core/ is the plumbing every noun may use: it never imports a noun's module."""

from __future__ import annotations

import ast
from pathlib import Path

import tracker.api.core

CORE = Path(tracker.api.core.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_no_module_of_the_api_plumbing_imports_a_noun() -> None:
    nouns = {
        f"{path.relative_to(CORE.parents[1])}: {module}"
        for path in sorted(CORE.rglob("*.py"))
        for module in imported_modules(path)
        if module.startswith("tracker.api.") and not module.startswith("tracker.api.core")
    }
    assert not nouns, "move what a noun owns out of tracker/api/core/, or what it needs into it"
