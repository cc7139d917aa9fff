"""claims sits above orders, payments and books and below checkout and storefront (STYLE.md):
none of its modules imports a higher app, not even inside a function."""

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.backend_independent

HIGHER = {"checkout", "storefront", "reports", "shanhuo"}
ROOT = Path(__file__).resolve().parents[2] / "claims"


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_claims_imports_no_app_above_it():
    files = [p for p in ROOT.rglob("*.py") if "migrations" not in p.parts]
    assert files
    wrong = {str(p.relative_to(ROOT)): _imported(p) & HIGHER for p in files}
    assert {k: v for k, v in wrong.items() if v} == {}
