"""Run every benchmark module in ``bench/`` (``python -m bench [NAME ...]``)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import bench


def main(argv: list[str]) -> int:
    """Run the named benchmarks (all by default), each module's ``main()``, in name order."""
    names = argv or sorted(m.name for m in pkgutil.iter_modules(bench.__path__))
    for name in names:
        print(f"\n=== bench.{name} ===", flush=True)
        t0 = time.perf_counter()
        importlib.import_module(f"bench.{name}").main()
        print(f"(bench.{name} took {time.perf_counter() - t0:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
