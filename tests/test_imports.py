"""Dependencies point downward: no import circles, and nothing below the entry points imports one.

Read with `ast`, not by importing: every `import` in every module of `storefront` counts, the ones inside
functions too (a deferred import hides a circle from Python, not from a reader); only `if TYPE_CHECKING:` blocks
are left out. Entry points are the app factory and CLI, the JSON API (`storefront.api`), every feature's `views`
and the chat socket; features and core modules never import them, and one feature never imports another's
entry point (the factory wires them together).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "storefront"
FACTORY = {"storefront", "storefront.cli"}
# Reviewed exceptions, each with its reason.
ALLOWED = {
    # The unbound flask-smorest object is built in extensions.py like every other extension; api.base defines
    # only that subclass and imports nothing of the shop.
    ("storefront.extensions", "storefront.api.base"),
}


def module_names() -> dict[str, Path]:
    names = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


MODULES = module_names()


def _imports(name: str, path: Path) -> set[str]:
    """The storefront modules `name` imports anywhere in its body (a `from pkg import sub` names pkg.sub)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    base = ".".join(package[: len(package) - child.level + 1] + ([base] if base else []))
                for alias in child.names:
                    found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return {module for module in found if module in MODULES and module != name}


def import_graph() -> dict[str, set[str]]:
    return {name: _imports(name, path) for name, path in MODULES.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted, in a stable order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
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
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted(found)


def entry_point(name: str) -> bool:
    return (name in FACTORY or name == "storefront.api" or name.startswith("storefront.api.")
            or name.endswith(".views") or name == "storefront.support.sockets")


def feature_of(name: str) -> str:
    return ".".join(name.split(".")[:2])


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(importer, imported) pairs where something imports an entry point it may not."""
    wrong = []
    for importer, imported in sorted((a, b) for a, targets in graph.items() for b in targets):
        if not entry_point(imported) or importer in FACTORY or (importer, imported) in ALLOWED:
            continue
        if entry_point(importer) and feature_of(importer) == feature_of(imported):
            continue  # a feature's own entry points (api modules share api.base; support views mount the socket)
        wrong.append((importer, imported))
    return wrong


def test_the_graph_is_read_from_every_module():
    graph = import_graph()
    assert {"storefront", "storefront.outbound", "storefront.webhooks.delivery", "storefront.api.auth"} <= set(graph)
    assert "storefront.outbound" in graph["storefront.webhooks.delivery"]
    assert "storefront.cart.services" in graph["storefront.cart.guest"]


def test_there_are_no_import_circles():
    found = cycles(import_graph())
    assert found == [], "import circles: " + "; ".join(" ↔ ".join(component) for component in found)


def test_nothing_imports_an_entry_point_from_below():
    assert upward_imports(import_graph()) == []


def test_only_the_app_factory_imports_the_web_error_handlers():
    graph = import_graph()
    assert sorted(name for name, targets in graph.items() if "storefront.errors" in targets) == ["storefront"]


def test_the_checks_catch_what_they_claim():
    # A circle through a deferred import, and a service importing a view, on a made-up graph.
    graph = {"a.services": {"a.delivery"}, "a.delivery": {"a.services"}, "storefront.b.services": {"storefront.c.views"},
             "storefront.c.views": set()}
    assert cycles(graph) == [["a.delivery", "a.services"]]
    assert upward_imports(graph) == [("storefront.b.services", "storefront.c.views")]
    assert upward_imports({"storefront.b.views": {"storefront.c.views"}, "storefront.c.views": set()}) == [
        ("storefront.b.views", "storefront.c.views")]
