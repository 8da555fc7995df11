"""The packages' imports point one way: transport → domain → storage, no cycles.

Read from the source (every import, those inside functions too), so a lazy
import can't hide an arrow pointing the wrong way.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

# Higher may import lower, never the reverse; one level never imports its peers.
LEVELS: dict[str, int] = {
    "persistence": 0,  # storage
    "clinic": 1,  # domain: settings, topics, answer decisions
    "safety": 1,  # domain: the safety detector, no Rasa
    "components": 2,  # the Rasa wrappers of the domain (NLU components)
    "channels": 3,  # transport
    "actions": 3,  # transport (the action server)
    "reporting": 3,  # reads storage, names topics
    "runtime": 4,  # wires everything at server start
}


def modules() -> dict[str, Path]:
    found = {}
    for package in LEVELS:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports(path: Path, name: str) -> Iterator[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                yield ".".join(base + ([node.module] if node.module else []))
            elif node.module:
                yield node.module
                for alias in node.names:  # "from pkg import module"
                    yield f"{node.module}.{alias.name}"


def graph() -> dict[str, set[str]]:
    known = modules()
    return {
        name: {target for target in imports(path, name) if target in known} - {name}
        for name, path in known.items()
    }


def test_arrows_point_down() -> None:
    wrong: list[tuple[str, str]] = []
    for source, targets in graph().items():
        top = source.split(".")[0]
        for target in targets:
            other = target.split(".")[0]
            if other != top and LEVELS[other] >= LEVELS[top]:
                wrong.append((source, target))
    assert not wrong, wrong


def test_no_import_cycle() -> None:
    edges = graph()
    cycles = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                cycles.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not cycles, cycles


def test_the_graph_is_read() -> None:
    edges = graph()
    assert "clinic.confidence" in edges["actions.faq"]
    assert "persistence.errors" in edges["channels.inbound"]
    assert "channels.inbound" in edges["channels.rest"]
