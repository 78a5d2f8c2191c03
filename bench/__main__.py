"""Run every benchmark module in ``bench/`` (``python -m bench [NAME ...]``)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import time

import bench


def main(argv: list[str]) -> int:
    """Run the named benchmarks (all by default), each module's ``main()``, in name order.

    Each runs in a process of its own so its memory figures are not inflated by the ones
    before it (the pose benchmark alone leaves hundreds of MiB of interpreters behind).
    """
    names = argv or sorted(
        m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_")
    )
    failed = []
    for name in names:
        print(f"\n=== bench.{name} ===", flush=True)
        t0 = time.perf_counter()
        code = f"import bench.{name} as b; b.main()"
        if subprocess.run([sys.executable, "-c", code], check=False).returncode:
            failed.append(name)
        print(f"(bench.{name} took {time.perf_counter() - t0:.1f} s)", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
