"""The package uses Inspect's public API only: a private module (``inspect_ai._...`` or
``inspect_ai.<pkg>._...``) can change or vanish in any Inspect release, and the Inspect Evals
register refuses an evaluation that imports one."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def private_inspect_imports(source: str) -> list[str]:
    """Every ``inspect_ai`` module a piece of Python imports through a private part."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "inspect_ai" and any(part.startswith("_") for part in parts[1:]):
                found.append(name)
    return found


def test_the_check_sees_private_imports_in_every_form() -> None:
    source = (
        "import inspect_ai._util.error\n"
        "from inspect_ai.log._samples import sample_active\n"
        "def f():\n    from inspect_ai._util import error\n"
        "from inspect_ai.util import store\n"
        "import inspect_ai\n"
        "from ._private import x\n"
    )
    assert private_inspect_imports(source) == [
        "inspect_ai._util.error",
        "inspect_ai.log._samples",
        "inspect_ai._util",
    ]


def test_no_module_under_src_imports_a_private_inspect_module() -> None:
    modules = sorted(SRC.rglob("*.py"))
    assert len(modules) > 50  # the walk found the package
    offenders = {
        str(path.relative_to(SRC)): private
        for path in modules
        if (private := private_inspect_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
