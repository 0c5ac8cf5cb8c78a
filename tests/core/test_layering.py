"""The layering of docs/architecture.md, checked: every import of inr_studio (lazy, inside
functions, and type-checking ones included) goes to the same or a lower layer, with no circle;
no module is over the size limit and no block of more than 10 lines is repeated."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from paths import PACKAGE


#: Lowest first; a module may import its own layer and the ones before it (docs/architecture.md).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("inr_studio", "inr_studio.errors", "inr_studio.atomic", "inr_studio.device",
     "inr_studio.process"),
    ("inr_studio.imaging", "inr_studio.coords", "inr_studio.segmentation", "inr_studio.thumbmap",
     "inr_studio.tiling",
     "inr_studio.metrics", "inr_studio.edges", "inr_studio.resources"),
    ("inr_studio.models",),
    ("inr_studio.problem", "inr_studio.render", "inr_studio.checkpoint"),
    ("inr_studio.engine",),
    ("inr_studio.codec",),
    ("inr_studio.studies",),
    ("inr_studio.cli",),
    ("inr_studio.api",),
    ("inr_studio.ui",),
    ("inr_studio.__main__",),
)
MAX_LINES = 420
REPEAT_LINES = 11


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> int:
    best, depth = None, -1
    for i, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > depth:
                best, depth = i, len(name)
    assert best is not None, f"{module} is in no layer of docs/architecture.md"
    return best


def imports_of(path: Path, module: str) -> set[str]:
    """Every inr_studio module ``path`` imports, wherever the import statement stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("inr_studio"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("inr_studio"):
                continue
            for alias in node.names:  # ``from . import x`` imports the module x
                sub = f"{target}.{alias.name}"
                found.add(sub if (PACKAGE.parent / (sub.replace(".", "/") + ".py")).exists()
                          or (PACKAGE.parent / sub.replace(".", "/")).is_dir() else target)
    found.discard(module)
    return found


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p, module_name(p)) for p in PACKAGE.rglob("*.py")}


def test_imports_go_down_the_layers() -> None:
    wrong = []
    for module, targets in graph().items():
        for target in targets:
            if layer_of(target) > layer_of(module):
                wrong.append(f"{module} -> {target}")
    assert not wrong, "imports from a lower layer to a higher one:\n" + "\n".join(sorted(wrong))


def test_no_import_circle() -> None:
    g = graph()
    # A package's __init__ re-exporting its modules is not a circle with them; any other is.
    edges = {m: {t for t in ts if t in g and not (m.startswith(t + ".") and
                                                  g.get(t) is not None and m in g[t])}
             for m, ts in g.items()}
    state: dict[str, int] = defaultdict(int)
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state[nxt] == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt] if nxt in stack else [node, nxt])
            elif state[nxt] == 0:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in sorted(edges):
        if state[node] == 0:
            visit(node, [node])
    assert not cycles, "import circles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_layer_check_sees_lazy_and_type_checking_imports(tmp_path) -> None:
    f = tmp_path / "x.py"
    f.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..ui import app\n"
                 "def f():\n    from ..cli.main import main\n")
    assert imports_of(f, "inr_studio.engine.x") >= {"inr_studio.ui.app", "inr_studio.cli.main"}


def test_modules_are_small() -> None:
    big = [f"{p.relative_to(PACKAGE.parent)}: {n} lines" for p in PACKAGE.rglob("*.py")
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert not big, "modules over the size limit:\n" + "\n".join(big)


def test_no_repeated_block_of_more_than_ten_lines() -> None:
    seen: dict[tuple[str, ...], str] = {}
    repeats = []
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = [(i, ln.strip()) for i, ln in enumerate(path.read_text(encoding="utf-8")
                                                        .splitlines(), start=1)
                 if ln.strip() and not ln.strip().startswith("#")]
        for k in range(len(lines) - REPEAT_LINES + 1):
            window = tuple(t for _, t in lines[k:k + REPEAT_LINES])
            where = f"{path.relative_to(PACKAGE.parent)}:{lines[k][0]}"
            if window in seen and not seen[window].startswith(where.split(":")[0] + ":" + "x"):
                repeats.append(f"{where} repeats {seen[window]}")
            seen.setdefault(window, where)
    assert not repeats, "repeated blocks:\n" + "\n".join(repeats[:20])
