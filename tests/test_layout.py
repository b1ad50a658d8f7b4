"""The house rules of the package layout (README, "Architecture"): data flows down the folders and
never back up, modules stay small, and importing the package has no side effects."""

from __future__ import annotations

import ast
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import feedback_nlp

PACKAGE = Path(feedback_nlp.__file__).resolve().parent
MAX_LINES = 500

# Lowest first: a module may import its own floor or a lower one, never a higher one.
LAYERS = {
    "errors": 0, "schema": 0, "output": 0, "home": 0, "cache": 0, "settings": 0, "manifest": 0,
    "io": 1,
    "text": 2,
    "encoders": 3,
    "themes": 4,
    "analysis": 5,
    "report": 6,
    "runner": 7,
    "cli": 8,
    "__init__": 9, "__main__": 9,
}  # fmt: skip


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _floor(path_or_name: Path | str) -> int:
    """The layer of a module file, or of a dotted name under feedback_nlp."""
    if isinstance(path_or_name, Path):
        parts = path_or_name.relative_to(PACKAGE).with_suffix("").parts
    else:
        parts = tuple(path_or_name.split(".")[1:]) or ("__init__",)
    return LAYERS[parts[0]]


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) of every feedback_nlp import in a file, lazy ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{path}:{node.lineno}: relative import (use absolute ones)"
            if node.module == "feedback_nlp":  # from feedback_nlp import schema, __version__
                found += [(node.lineno, f"feedback_nlp.{a.name}") for a in node.names]
            elif node.module.startswith("feedback_nlp."):
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, a.name) for a in node.names if a.name.startswith("feedback_nlp")
            ]
    return found


def test_every_module_has_a_floor_and_stays_small():
    for path in _modules():
        _floor(path)  # a KeyError names a folder the layout does not know
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= MAX_LINES, f"{path.relative_to(PACKAGE)}: {lines} lines (> {MAX_LINES})"


def test_data_flows_down_the_folders_and_never_back_up():
    climbing = []
    for path in _modules():
        mine = _floor(path)
        for line, module in _imports(path):
            name = module.split(".")[1] if "." in module else "__init__"
            if name in ("model_files", "examples"):  # data packages, read with importlib
                continue
            if name == "__version__" or _floor(module) > mine:
                climbing.append(f"{path.relative_to(PACKAGE)}:{line} imports {module}")
    assert not climbing, "imports that climb:\n" + "\n".join(climbing)


def test_the_package_re_exports_without_shadowing_a_submodule():
    submodules = {m.name for m in pkgutil.iter_modules([str(PACKAGE)])}
    assert not submodules & set(feedback_nlp.__all__)
    for name in feedback_nlp.__all__:
        assert hasattr(feedback_nlp, name)


def test_importing_the_package_changes_no_environment_variable():
    code = (
        "import os; before = dict(os.environ); import feedback_nlp, feedback_nlp.cli; "
        "print(sorted(set(os.environ.items()) ^ set(before.items())))"
    )
    env = {k: v for k, v in os.environ.items() if "CACHE_CAPACITY" not in k}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "[]"
