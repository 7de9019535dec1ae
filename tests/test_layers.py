"""The package layout is the architecture: every import of ``src/facebridge`` (module level, inside functions and
under ``TYPE_CHECKING`` alike) points down the layer order, so no two packages import each other.

Layers, lowest first (a package may import its own layer's package itself and any lower layer, nothing else):

0. the core modules at the package root (errors, paths, storage, vectors, checks, fingerprint): no package
1. images   2. faces   3. models   4. embeddings
5. protocols: pair lists, folds, metrics over embedding sets
6. extraction and maps: independent of each other (both may read protocols' person ids and pair lists)
7. experiments and cluster (maps and extraction on a Dask cluster): independent of each other
8. reports   9. cli (and ``__main__``)

Within experiments, its study subpackages must not import each other in a circle either; and experiments use maps'
public API only: the ``__all__`` of ``facebridge.maps`` and ``facebridge.maps.canonical``, so no module or name that
starts with an underscore.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = SRC / "facebridge"

CORE = "<core>"
LAYERS: list[set[str]] = [
    {CORE},
    {"images"},
    {"faces"},
    {"models"},
    {"embeddings"},
    {"protocols"},
    {"extraction", "maps"},
    {"experiments", "cluster"},
    {"reports"},
    {"cli"},
]
LEVEL = {pkg: i for i, layer in enumerate(LAYERS) for pkg in layer}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every import in ``path``, relative ones resolved."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.append((name, [alias.name for alias in node.names], node.lineno))
    return out


def unit(module: str) -> str:
    """The layer unit of a facebridge module: its top-level package, or CORE for a module at the root."""
    parts = module.split(".")
    if len(parts) == 1:
        return CORE
    if parts[1] == "__main__":
        return "cli"
    return parts[1] if (ROOT / parts[1]).is_dir() else CORE


def edges() -> list[tuple[str, str, list[str], str]]:
    """(importing module, imported module, names taken, file:line) for every import of facebridge in src."""
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        here = module_name(path)
        for target, names, line in imports(path):
            if target == "facebridge" or target.startswith("facebridge."):
                where = f"{path.relative_to(SRC)}:{line}"
                out.append((here, target, names, where))
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_every_package_has_a_layer():
    packages = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert packages <= set(LEVEL), f"packages without a layer in tests/test_layers.py: {packages - set(LEVEL)}"


def test_imports_point_down_the_layers():
    bad = []
    for here, target, _names, where in edges():
        src, dst = unit(here), unit(target)
        if src != dst and LEVEL[dst] >= LEVEL[src]:
            bad.append(f"{where}: {src} imports {target} ({dst} is not below {src})")
    assert not bad, "imports against the layer order:\n" + "\n".join(bad)


def test_no_import_cycle_between_packages():
    """Top-level packages, and the subpackages of each (experiments' studies, maps.canonical), import each other in
    no circle."""
    graph: dict[str, set[str]] = defaultdict(set)
    for here, target, _names, _where in edges():
        a, b = here.split("."), target.split(".")
        for depth in (2, 3):
            pa, pb = ".".join(a[:depth]), ".".join(b[:depth])
            same_parent = a[: depth - 1] == b[: depth - 1]
            if same_parent and pa != pb and (SRC / pa.replace(".", "/")).is_dir() and (
                SRC / pb.replace(".", "/")
            ).is_dir():
                graph[pa].add(pb)
    assert not cycles(graph), f"import cycles between packages: {cycles(graph)}"


def public_names(package: str) -> set[str]:
    """The ``__all__`` of a package's ``__init__.py``."""
    tree = ast.parse((SRC / package.replace(".", "/") / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    return set()


MAPS_API = ("facebridge.maps", "facebridge.maps.canonical")


def test_experiments_use_only_public_maps_api():
    """Experiments import from maps only what ``facebridge.maps`` (or ``facebridge.maps.canonical``) lists in
    ``__all__``: never an underscore module or name, nor a helper of one of maps' modules."""
    public = {package: public_names(package) for package in MAPS_API}
    bad = []
    for here, target, names, where in edges():
        if unit(here) != "experiments" or unit(target) != "maps":
            continue
        private = [p for p in target.split(".") if p.startswith("_")] + [n for n in names if n.startswith("_")]
        if private or target not in public or not set(names) <= public[target]:
            bad.append(f"{where}: from {target} import {', '.join(names)}")
    assert not bad, "experiments import maps names outside its public API:\n" + "\n".join(bad)


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
