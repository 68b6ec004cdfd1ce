"""The OpenAPI fuzz test unbounded: `python -m bench schemathesis` runs
tests/api/test_openapi_schemathesis.py with many more cases per operation than `make test` does
(TMS_FUZZ_EXAMPLES, 700 by default here) and random seeds, on the database TMS_TEST_DATABASE_URL
names (SQLite otherwise), and prints the cases run and the failures per operation.

`make test` runs the same test bounded (25 cases per operation, derandomized) to stay within minutes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
TEST = "tests/api/test_openapi_schemathesis.py"


def run() -> dict[str, Any]:
    examples = int(os.environ.get("TMS_FUZZ_EXAMPLES", "700"))
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "fuzz.json"
        env = {**os.environ, "TMS_FUZZ_EXAMPLES": str(examples), "TMS_FUZZ_RANDOM": "1", "TMS_FUZZ_REPORT": str(report)}
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", TEST, "-q", "-p", "no:cacheprovider"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        cases: dict[str, int] = json.loads(report.read_text()) if report.exists() else {}
    tail = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr.strip()[-500:]
    database = make_url(os.environ.get("TMS_TEST_DATABASE_URL", "sqlite://")).get_backend_name()
    print(f"\nschemathesis, unbounded: up to {examples} cases per operation, random seeds, on {database}")
    print(f"{'operation':<58} {'cases':>7}")
    for label, count in sorted(cases.items()):
        print(f"{label:<58} {count:>7}")
    total = sum(cases.values())
    print(f"{'total':<58} {total:>7}")
    print(f"{seconds:.0f} s; pytest: {tail}")
    if done.returncode != 0:
        print(done.stdout[-20000:])
    return {
        "examples_per_operation": examples,
        "database": database,
        "cases": total,
        "per_operation": cases,
        "seconds": round(seconds),
        "pytest": tail,
        "passed": done.returncode == 0,
    }
