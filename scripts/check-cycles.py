#!/usr/bin/env python3
"""Fail on an import cycle among the modules of a crate.

Reads every `crate::a::...` path in each module's files (a module is a file
directly under src/, or a folder under src/ with all it holds) and reports
every cycle of the graph "module A names module B". Tests (code after the
first `#[cfg(test)]` of a file) and comments (doc links) are left out: a
test may reach anywhere, and a doc link is not a dependency.

    scripts/check-cycles.py crates/core/src crates/server/src

Written by hand: it is forty lines, and the tools that draw module graphs
(cargo-modules and the like) need a nightly compiler or a build.
"""
import pathlib
import re
import sys

PATH = re.compile(r"\bcrate::([a-z_][a-z0-9_]*)")
# `use crate::{a, b::c}` names several modules at once.
GROUP = re.compile(r"\bcrate::\{([^}]*)\}", re.S)


def module_of(src: pathlib.Path, f: pathlib.Path) -> str:
    rel = f.relative_to(src)
    return rel.parts[0].removesuffix(".rs")


def graph(src: pathlib.Path) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for f in src.rglob("*.rs"):
        m = module_of(src, f)
        if m in ("lib", "main"):
            continue
        text = f.read_text().split("#[cfg(test)]", 1)[0]
        # Doc links and comments name modules without depending on them.
        text = "\n".join(l.split("//", 1)[0] for l in text.splitlines())
        names = set(PATH.findall(text))
        for group in GROUP.findall(text):
            names |= {p.strip().split("::")[0] for p in group.split(",") if p.strip()}
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


def main() -> int:
    bad = 0
    for arg in sys.argv[1:]:
        src = pathlib.Path(arg)
        edges = graph(src)
        for comp in cycles(edges):
            bad += 1
            inner = {m: sorted(edges[m] & set(comp)) for m in comp}
            print(f"{src}: import cycle among {', '.join(comp)}")
            for m, to in inner.items():
                print(f"    {m} -> {', '.join(to)}")
    if bad:
        print("move the item that closes each cycle to the lower layer", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
