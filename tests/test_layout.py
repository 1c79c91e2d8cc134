"""The package's shape: one folder per line of the program, imports one way, no private name across folders.

Read from the source with ``ast`` (nothing is imported), so the test is fast and sees every import,
at module level and inside functions.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "explain"

#: Each folder (or top-level module) and the ones it may import from: the program's order, one way.
LAYERS = ("_core", "data", "model", "forward", "compile", "fit", "evaluation", "diagnosis", "cli")
#: figures draw results: they may use the core only, and only the command line uses them.
FIGURES_MAY_USE = {"_core", "errors", "figures"}
#: Imports a module may make inside a function: the heavy libraries, loaded when first needed.
LAZY_LIBRARIES = ("tensorflow", "keras", "matplotlib", "rich", "fcntl", "PIL")  # PIL: only to read picture files


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. "explain.forward.trace"
    target: str  # the imported module, e.g. "explain._core.checks"
    names: tuple[str, ...]  # the names taken from it (from-imports)
    line: int
    in_function: bool


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_package(name: str) -> bool:
    return (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists()


def _resolve(module: str, node: ast.ImportFrom, path: Path) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if path.name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports() -> Iterator[Import]:
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        in_function: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                in_function.update(id(n) for n in ast.walk(node) if n is not node)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(module, alias.name, (), node.lineno, id(node) in in_function)
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(module, node, path)
                names = tuple(a.name for a in node.names)
                # ``from explain.data import dataset`` imports the module explain.data.dataset
                submodules = [n for n in names if target.startswith("explain") and _is_package(target)
                              and (PACKAGE.parent / target.replace(".", "/") / f"{n}.py").exists()]  # fmt: skip
                for name in submodules:
                    yield Import(module, f"{target}.{name}", (), node.lineno, id(node) in in_function)
                rest = tuple(n for n in names if n not in submodules)
                if rest or not submodules:
                    yield Import(module, target, rest, node.lineno, id(node) in in_function)


IMPORTS = list(_imports())
MODULES = sorted({_module_name(p) for p in PACKAGE.rglob("*.py")})


def _folder(module: str) -> str:
    """``explain.forward.trace`` -> ``forward``; ``explain.model`` -> ``model``; ``explain`` -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _internal() -> list[Import]:
    return [i for i in IMPORTS if i.target == "explain" or i.target.startswith("explain.")]


def test_every_folder_says_what_it_is_in_one_line() -> None:
    folders = [p for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("__")]
    assert {p.name for p in folders} >= {*LAYERS, "figures"} - {"model"}
    for folder in folders:
        init = folder / "__init__.py"
        assert init.exists(), f"{folder.name}/ has no __init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc.splitlines()) >= 1, f"{folder.name}/__init__.py has no docstring"


def test_no_import_cycle() -> None:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for i in _internal():
        if i.target in graph and i.module != "explain":  # the package's lazy map names modules as strings
            graph[i.module].add(i.target)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycle = stack[stack.index(n) :] + [n]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in MODULES:
        if m not in state:
            visit(m)


def test_imports_run_one_way_in_the_programs_order() -> None:
    rank = {name: i for i, name in enumerate(LAYERS)}
    rank["errors"] = 0
    wrong = []
    for i in _internal():
        src, dst = _folder(i.module), _folder(i.target)
        if src in ("", "__main__") or src == dst or dst == "":
            continue
        if src == "figures":
            ok = dst in FIGURES_MAY_USE
        elif dst == "figures":
            ok = src == "cli"
        elif src == "errors":
            ok = False
        else:
            ok = rank[dst] <= rank[src]
        if not ok:
            wrong.append(f"{i.module}:{i.line} imports {i.target} ({src}/ may not use {dst}/)")
    assert not wrong, "\n".join(wrong)


def test_no_private_name_crosses_a_folder() -> None:
    wrong = []
    for i in _internal():
        if _folder(i.module) == _folder(i.target) or i.module == "explain":
            continue
        private_module = [p for p in i.target.split(".")[1:] if p.startswith("_") and p != "_core"]
        private_names = [n for n in i.names if n.startswith("_")]
        if private_module or private_names:
            wrong.append(f"{i.module}:{i.line} takes {private_names or i.target} from another folder")
    assert not wrong, "\n".join(wrong)


def test_imports_inside_functions_are_only_the_heavy_libraries() -> None:
    """TensorFlow, matplotlib and rich load when first needed; the command line loads each command's module
    when the command runs. Everything else is imported at the top of the module, where a reader sees it."""
    wrong = [
        f"{i.module}:{i.line} imports {i.target} inside a function"
        for i in IMPORTS
        if i.in_function
        and i.target.split(".")[0] not in LAZY_LIBRARIES
        and not (_folder(i.module) == "cli" and i.target.startswith("explain."))
    ]
    assert not wrong, "\n".join(wrong)


def test_the_core_imports_neither_tensorflow_nor_matplotlib_at_import_time() -> None:
    heavy = [
        f"{i.module}:{i.line} imports {i.target}"
        for i in IMPORTS
        if _folder(i.module) == "_core" and not i.in_function and i.target.split(".")[0] in LAZY_LIBRARIES
    ]
    assert not heavy, "\n".join(heavy)


def test_every_module_has_a_docstring() -> None:
    missing = [
        str(p.relative_to(PACKAGE.parent))
        for p in PACKAGE.rglob("*.py")
        if not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))
    ]
    assert not missing, missing
