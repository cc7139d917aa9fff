"""The project's import graph, read from the source with `ast`, and the cycles in it.

An edge A -> B means that loading module A runs `import B` (or `from B import ...`): a statement
at module level, in a class body or under a module-level `if`/`try`. An import inside a function
body runs later, when the function is called: it is an edge only when asked for (`deferred`),
because a cycle hidden that way still works only by the order things happen to be loaded in.
Imports under `if TYPE_CHECKING:` are never edges.
"""

import ast
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


def project_modules(root: Path, packages: list[str]) -> dict[str, Path]:
    """Every module of `packages` under `root`: dotted name -> file."""
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_statements(tree: ast.Module):
    """(statement, deferred) for every import: deferred when it sits in a function body and so
    runs only when the function is called. Type-only imports are left out."""
    pending = [(node, False) for node in tree.body]
    while pending:
        node, deferred = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, deferred
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            pending.extend((child, True) for child in ast.iter_child_nodes(node))
        elif isinstance(node, ast.If) and _is_type_checking(node):
            pending.extend((child, deferred) for child in node.orelse)
        else:
            pending.extend((child, deferred) for child in ast.iter_child_nodes(node))


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _targets(name: str, path: Path, node: ast.Import | ast.ImportFrom, modules) -> set[str]:
    """The project modules one import statement loads. Importing `a.b.c` loads `a` and `a.b`
    first, so they count too, except where they are the importer's own packages (being loaded
    already, they are not run again)."""
    own_packages = set(_with_parents(name))
    targets: set[str] = set()
    if isinstance(node, ast.Import):
        for alias in node.names:
            targets.update(set(_with_parents(alias.name)[:-1]) - own_packages)
            targets.add(alias.name)
    else:
        source = _absolute(name, path.name == "__init__.py", node)
        targets.update(set(_with_parents(source)[:-1]) - own_packages)
        submodules = {f"{source}.{alias.name}" for alias in node.names} & modules.keys()
        targets.update(submodules)
        if len(submodules) < len(node.names) or source not in own_packages:
            targets.add(source)  # names are read from `source` itself
    return {target for target in targets if target in modules} - {name}


@dataclass(frozen=True)
class Import:
    """One edge of the graph where it is written: `importer`'s line `line` loads `imported`."""

    importer: str
    imported: str
    path: Path
    line: int
    deferred: bool  # inside a function body


def imports(modules: dict[str, Path], *, deferred: bool = False,
            allowed: Callable[[str, str], bool] = lambda importer, imported: False,
            ) -> list[Import]:
    """Every import of a project module by a project module, with its file and line: those
    run when the importer is loaded; with `deferred`, also those its functions run, except the
    deferred ones `allowed(importer, imported)` says are the rule (a task importing its
    service)."""
    found = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, in_function in _import_statements(tree):
            if in_function and not deferred:
                continue
            for target in sorted(_targets(name, path, node, modules)):
                if not (in_function and allowed(name, target)):
                    found.append(Import(name, target, path, node.lineno, in_function))
    return sorted(found, key=lambda edge: (edge.importer, edge.line, edge.imported))


def import_graph(modules: dict[str, Path], *, deferred: bool = False,
                 allowed: Callable[[str, str], bool] = lambda importer, imported: False,
                 ) -> dict[str, set[str]]:
    """module -> the project modules it imports (see `imports`)."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for edge in imports(modules, deferred=deferred, allowed=allowed):
        graph[edge.importer].add(edge.imported)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected set of modules (two or more), as one path around it, e.g.
    ["a", "b", "a"]."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                connect(target)
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
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_path_around(graph, component) for component in components]


def _path_around(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """A shortest way from the component's first module back to itself, for the message."""
    members, start = set(component), component[0]
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & members):
                if target == start:
                    return paths[node] + [start]
                if target not in paths:
                    paths[target] = paths[node] + [target]
                    following.append(target)
        frontier = following
    return component
