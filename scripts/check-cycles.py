#!/usr/bin/env python3
"""Fail on an import that breaks a crate's layering.

A module is a file directly under src/, or, inside a folder under src/, a
file or subfolder of that folder (`services/accounts`, `endpoints/token`).
Every `crate::a::b` path in a module's files is an edge to the module it
names. Three rules:

- no cycles among modules;
- `--layers a,b,c`: folders listed lowest first; a module may import only
  from its own layer or lower ones;
- `--apart f`: the modules inside folder f never import each other (the
  core's endpoints, the server's handlers).

Tests (code after the first `#[cfg(test)]` of a file, and files of
modules declared `#[cfg(test)] mod name;`) and comments (doc links) are
left out: a test may reach anywhere, and a doc link is not a
dependency.

    scripts/check-cycles.py crates/core/src --layers protocol,model,infra,services,endpoints --apart endpoints

Written by hand: it is a page, and the tools that draw module graphs
(cargo-modules and the like) need a nightly compiler or a build.
"""
import argparse
import pathlib
import re
import sys

PATH = re.compile(r"\bcrate::([a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)?)")
# `use crate::{a, b::c}` names several modules at once.
GROUP = re.compile(r"\bcrate::\{([^}]*)\}", re.S)


def node(src: pathlib.Path, parts: list[str]) -> str:
    """The module a path (relative to src, without `.rs`) belongs to."""
    if len(parts) > 1 and (src / parts[0]).is_dir():
        second = parts[1]
        return parts[0] if second == "mod" else f"{parts[0]}/{second}"
    return parts[0]


TEST_MOD = re.compile(r"#\[cfg\(test\)\]\s*(?:pub(?:\([a-z]+\))? )?mod ([a-z_][a-z0-9_]*);")


def test_only(src: pathlib.Path) -> set[pathlib.Path]:
    """Files of modules declared `#[cfg(test)] mod name;` (tests.rs, testkit)."""
    out = set()
    for f in src.rglob("*.rs"):
        here = f.parent if f.name in ("mod.rs", "lib.rs", "main.rs") else f.with_suffix("")
        for name in TEST_MOD.findall(f.read_text()):
            out |= {here / f"{name}.rs", here / name / "mod.rs"}
    return out


def graph(src: pathlib.Path) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    skip = test_only(src)
    for f in src.rglob("*.rs"):
        rel = list(f.relative_to(src).with_suffix("").parts)
        if rel in (["lib"], ["main"]) or f in skip:
            continue
        m = node(src, rel)
        text = f.read_text().split("#[cfg(test)]", 1)[0]
        text = "\n".join(l.split("//", 1)[0] for l in text.splitlines())
        paths = set(PATH.findall(text))
        for group in GROUP.findall(text):
            paths |= {p.strip() for p in group.split(",") if p.strip()}
        names = {node(src, p.split("::")[:2]) for p in paths}
        edges.setdefault(m, set()).update(n for n in names if n != m)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in edges:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def check(src: pathlib.Path, layers: list[str], apart: list[str]) -> list[str]:
    edges = graph(src)
    problems = []
    for comp in cycles(edges):
        problems.append(f"{src}: import cycle among {', '.join(comp)}")
        for m in comp:
            problems.append(f"    {m} -> {', '.join(sorted(edges[m] & set(comp)))}")
    rank = {name: i for i, name in enumerate(layers)}
    for m, targets in sorted(edges.items()):
        top = m.split("/")[0]
        for t in sorted(targets):
            ttop = t.split("/")[0]
            if top in rank and ttop in rank and rank[ttop] > rank[top]:
                problems.append(f"{src}: {m} imports {t}, a higher layer")
            if top in apart and ttop == top and "/" in m and "/" in t:
                problems.append(f"{src}: {m} imports {t}; modules of {top}/ stay apart")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", type=pathlib.Path)
    ap.add_argument("--layers", default="", help="folders, lowest layer first")
    ap.add_argument("--apart", default="", help="folders whose modules never import each other")
    a = ap.parse_args()
    split = lambda s: [x for x in s.split(",") if x]
    problems = check(a.src, split(a.layers), split(a.apart))
    for p in problems:
        print(p)
    if problems:
        print("move the item that closes each cycle, or is imported upward, to a lower layer", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
