"""`make bench`: run the benchmarks, print their tables, write bench/results.json.

python -m bench                 # everything
python -m bench quote http      # only some
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

SUITES = (
    "quote",
    "wsgi",
    "http",
    "uploads",
    "pickup",
    "assignment",
    "binpacking",
    "consolidation",
    "exact",
    "month",
    "delivery_learning",
    "replay",
    "schemathesis",
)
RESULTS = Path(__file__).resolve().parent / "results.json"


def main(argv: list[str]) -> None:
    chosen = argv or list(SUITES)
    unknown = set(chosen) - set(SUITES)
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {sorted(unknown)}; choose from {', '.join(SUITES)}")
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for name in chosen:
        module = importlib.import_module(f"bench.{name}")
        results[name] = {
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
            "result": module.run(),
        }
        RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nresults written to {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")


if __name__ == "__main__":
    main(sys.argv[1:])
