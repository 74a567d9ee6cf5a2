"""List the functions over a line limit (default 80) and the modules over 500 lines.

The developer guide asks for functions under ~80 lines and modules under ~500;
this is the measuring stick: ``python scripts/long_functions.py [src] [--max-lines 80]``.
A function counts from its ``def`` (decorators included) to its last line,
docstring included; nested functions are listed on their own as well.
Exit status 0 always: it reports, it does not judge.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

__all__ = ["long_functions", "long_modules", "main"]


def long_functions(root: Path, *, max_lines: int = 80) -> list[tuple[int, str, str]]:
    """``(lines, module path, qualified name)`` of every function longer than ``max_lines``, longest first."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found.extend((n, str(path), name) for n, name in _function_lengths(tree) if n > max_lines)
    return sorted(found, key=lambda f: (-f[0], f[1], f[2]))


def long_modules(root: Path, *, max_lines: int = 500) -> list[tuple[int, str]]:
    """``(lines, module path)`` of every module longer than ``max_lines``, longest first."""
    sizes = ((len(p.read_text(encoding="utf-8").splitlines()), str(p)) for p in sorted(root.rglob("*.py")))
    return sorted((s for s in sizes if s[0] > max_lines), reverse=True)


def _function_lengths(tree: ast.AST, prefix: str = ""):
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            yield node.end_lineno - first + 1, prefix + node.name
            yield from _function_lengths(node, prefix + node.name + ".")
        elif isinstance(node, ast.ClassDef):
            yield from _function_lengths(node, prefix + node.name + ".")


def main(argv: list[str] | None = None) -> int:
    """Print the long functions and modules under a source folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", type=Path, default=Path("src"))
    parser.add_argument("--max-lines", type=int, default=80)
    parser.add_argument("--max-module-lines", type=int, default=500)
    args = parser.parse_args(argv)
    for lines, path, name in long_functions(args.root, max_lines=args.max_lines):
        print(f"{lines:5d}  {path}:{name}")
    for lines, path in long_modules(args.root, max_lines=args.max_module_lines):
        print(f"{lines:5d}  {path} (module)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
