"""The package's layers, checked from its source: no import cycles, no import from a higher
layer into a lower one, and no imports inside functions (except heavy optional dependencies).

Layers, bottom to top (a module may import from its own layer and the ones below it):

    core -> stats -> model -> input -> engine -> jobs -> render -> cli | web

`cli` and a future `web` sit side by side on top: neither may import the other.
`advisor/__init__.py` (and `advisor/__main__.py`, if there is one) belong to no layer.

Every import counts, wherever it is written: at the top of a module, inside `if TYPE_CHECKING:`,
or inside a function; so does a "module:attribute" string naming a command imported when it runs
(advisor/cli/main.py's COMMANDS). The modules are read with `ast` from the installed package, so the test
checks what `pip install` ships.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import advisor

LAYERS: tuple[str, ...] = ("core", "stats", "model", "input", "engine", "jobs", "render", "cli")
# Layers on the same level that must not import each other (the future web front end beside the CLI).
SIBLINGS: dict[str, str] = {"web": "cli"}
# Outside the layers: the package itself (its __init__ only holds the version) and __main__.
UNLAYERED = {"advisor", "advisor.__main__"}

# Top-level packages that may be imported inside a function: heavy or optional dependencies,
# loaded only when the feature that needs them runs. numpy and scipy: 0.1-0.2 s of start-up; a
# one-video review imports neither (advisor.stats.betafn), a batch loads numpy when it is judged
# and scipy.special's compiled kernels alone (advisor.stats.special). difflib: only when a name
# is wrong (the "did you mean" hint).
LAZY_ALLOWED = {"pygal", "durable_rules_engine", "durable", "scipy", "numpy", "difflib",
                # the optional extra advisor[distributed]: only `--executor dask` loads it
                "dask", "distributed",
                # only `.xlsx` exports need it, and it (with the numpy it loads) is ~0.1 s of start-up
                "openpyxl"}

# Files that still import inside functions (or behind TYPE_CHECKING) because they are being
# rewritten elsewhere; their authors hoist the imports. This set must shrink to empty: remove a
# file from it as soon as it is clean (the test fails when a listed file has nothing left to hoist).
PENDING_HOIST: set[str] = set()

# Imports of advisor modules that may sit inside one function, by file: (file, imported module).
# `advisor serve` loads the web stack (Starlette, uvicorn, SQLAlchemy: ~0.3 s of imports) only when
# it runs, so `advisor --help` and every other command start as fast as before; the command
# module itself imports only click at its top (advisor/__main__.py adds it beside the CLI's).
# `advisor --version` names the active engine: advisor.engine (pydantic, the rule models) loads only
# for it, so `advisor --help` prints without them.
LAZY_ADVISOR: set[tuple[str, str]] = {("advisor/web/command.py", "advisor.web.server"),
                                      ("advisor/cli/main.py", "advisor.engine")}

# A command registered by name ("advisor.cli.review_cmd:review_command" in advisor/cli/main.py's
# COMMANDS, `serve` in advisor/__main__.py) is imported by importlib when it runs. Such a
# "module:attribute" string counts as an import of that module, where it is written: the layers and
# the cycles see it, and it may not sit inside a function any more than an import statement may.
LAZY_TARGET = re.compile(r"(advisor(?:\.\w+)+):\w+")

PACKAGE_DIR = Path(advisor.__file__).resolve().parent


@dataclass(frozen=True)
class Import:
    source: str  # importing module, dotted
    target: str  # imported advisor module, dotted
    file: str  # advisor/...py
    line: int
    in_function: bool
    top: str  # top-level package of what is imported (advisor, click, pygal, ...)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py")) if "__pycache__" not in p.parts}


def _resolve_relative(module: str, is_package: bool, level: int, name: str | None) -> str:
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def _lazy_target(node: ast.AST) -> str | None:
    """The module a "module:attribute" string constant names (see LAZY_TARGET), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        match = LAZY_TARGET.fullmatch(node.value)
        if match:
            return match.group(1)
    return None


def _function_lines(tree: ast.AST) -> set[int]:
    """Line numbers of import statements (and lazy targets) that sit inside a function body."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)) or _lazy_target(inner):
                    lines.add(inner.lineno)
    return lines


def _imports(modules: dict[str, Path]) -> list[Import]:
    out: list[Import] = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        nested = _function_lines(tree)
        file = path.relative_to(PACKAGE_DIR.parent).as_posix()
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            targets: list[str] = []
            if _lazy_target(node):
                targets = [_lazy_target(node)]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = (_resolve_relative(module, is_package, node.level, node.module) if node.level
                        else node.module or "")
                for alias in node.names:
                    candidate = f"{base}.{alias.name}"
                    # `from advisor.cli import review_cmd` imports the module advisor.cli.review_cmd.
                    targets.append(candidate if candidate in modules else base)
            else:
                continue
            for target in targets:
                top = target.split(".")[0]
                if top == "advisor":
                    # The nearest module that exists: `import advisor.x.y` of a name inside a module.
                    while target not in modules and "." in target:
                        target = target.rsplit(".", 1)[0]
                out.append(Import(module, target, file, node.lineno, node.lineno in nested, top))
    return out


def _layer(module: str) -> str | None:
    if module in UNLAYERED or module == "advisor":
        return None
    return module.split(".")[1] if module.count(".") >= 1 else None


def _rank(layer: str) -> int:
    return LAYERS.index(SIBLINGS.get(layer, layer))


MODULES = _modules()
IMPORTS = _imports(MODULES)


def test_every_module_has_a_known_layer():
    unknown = sorted({m for m in MODULES if _layer(m) is not None and _layer(m) not in LAYERS
                      and _layer(m) not in SIBLINGS})
    assert not unknown, f"modules outside every layer (add the layer to LAYERS): {unknown}"


def test_no_import_from_a_higher_layer():
    bad = []
    for imp in IMPORTS:
        if imp.top != "advisor":
            continue
        low, high = _layer(imp.source), _layer(imp.target)
        if low is None or high is None or low == high:
            continue
        if _rank(high) > _rank(low):
            bad.append(f"{imp.file}:{imp.line}: {imp.source} (layer {low}) imports {imp.target} (layer {high})")
        elif _rank(high) == _rank(low):
            bad.append(f"{imp.file}:{imp.line}: {imp.source} (layer {low}) imports its sibling layer {high} "
                       f"({imp.target})")
    assert not bad, "imports against the layering:\n" + "\n".join(bad)


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (as a list of modules, first == last), or None."""
    state: dict[str, int] = {}  # 1 on the path, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycles():
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for imp in IMPORTS:
        if imp.top == "advisor" and imp.target != imp.source:
            graph[imp.source].add(imp.target)
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_commands_registered_by_name_count_as_imports():
    """The lazily loaded commands are seen: the layer and cycle checks cover them too."""
    seen = {(imp.source, imp.target, imp.in_function) for imp in IMPORTS}
    assert ("advisor.cli.main", "advisor.cli.review_cmd", False) in seen
    assert ("advisor.cli.main", "advisor.cli.rules_cmd", False) in seen
    assert ("advisor.__main__", "advisor.web.command", False) in seen


def _lazy_imports(file: str) -> list[Import]:
    return [imp for imp in IMPORTS if imp.file == file and imp.in_function and imp.top not in LAZY_ALLOWED
            and (imp.file, imp.target) not in LAZY_ADVISOR]


def _type_checking_lines(file: str) -> list[int]:
    tree = ast.parse((PACKAGE_DIR.parent / file).read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)]


def test_imports_at_module_top():
    """Imports inside functions hide the real dependencies (and the cycles); only heavy optional
    packages are imported when used. TYPE_CHECKING blocks are loop-breakers: import the real thing."""
    bad = []
    for file in sorted({imp.file for imp in IMPORTS} | {p.relative_to(PACKAGE_DIR.parent).as_posix()
                                                        for p in MODULES.values()}):
        if file in PENDING_HOIST:
            continue
        for imp in _lazy_imports(file):
            bad.append(f"{file}:{imp.line}: imports {imp.target} inside a function")
        for line in _type_checking_lines(file):
            bad.append(f"{file}:{line}: an `if TYPE_CHECKING:` block")
    assert not bad, "hoist these imports to the top of the module:\n" + "\n".join(dict.fromkeys(bad))


def test_pending_hoist_only_names_files_that_still_need_it():
    done = sorted(f for f in PENDING_HOIST
                  if (PACKAGE_DIR.parent / f).is_file() and not _lazy_imports(f) and not _type_checking_lines(f))
    missing = sorted(f for f in PENDING_HOIST if not (PACKAGE_DIR.parent / f).is_file())
    assert not done, f"these files are hoisted now; remove them from PENDING_HOIST: {done}"
    assert not missing, f"PENDING_HOIST names files that do not exist: {missing}"
