"""Benchmark of 1-D bin packing (solvers.binpacking) on the 160 Falkenauer instances of BPPLIB
(Delorme, Iori, Martello), copied into tests/solvers/data/bpplib-falkenauer with their optima.

Each instance gets `pack_1d(..., time_limit_s=10)`; every packing is re-verified by `check_1d`.
Per class: instances, how many reach the known optimum, how many are proven optimal, average gap
to the optimum in bins and in %, average and worst seconds.

Run: python -m bench.binpacking [class ...]     e.g. python -m bench.binpacking u120 t60
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from solvers.binpacking import check_1d, pack_1d

DATA = Path(__file__).resolve().parent.parent / "tests" / "solvers" / "data" / "bpplib-falkenauer"
CLASSES = ("u120", "u250", "u500", "u1000", "t60", "t120", "t249", "t501")
TIME_LIMIT_S = 10.0


def read_instance(path: Path) -> tuple[list[int], int]:
    numbers = [int(v) for v in path.read_text().split()]
    return numbers[2 : 2 + numbers[0]], numbers[1]


def optima() -> dict[str, int]:
    rows = (line.split("\t") for line in (DATA / "optima.tsv").read_text().splitlines())
    return {name: int(upper) for name, lower, upper in rows if lower == upper}


def run(classes: tuple[str, ...] = CLASSES, time_limit_s: float = TIME_LIMIT_S) -> list[dict[str, Any]]:
    """One row per instance; prints a table per class as it goes."""
    known = optima()
    rows: list[dict[str, Any]] = []
    print(f"Falkenauer instances, pack_1d with a {time_limit_s:g} s limit each")
    header = (
        f"{'class':>6} {'inst':>5} {'optimum':>8} {'proven':>7} {'gap bins':>9} {'gap %':>7} {'avg s':>7} {'max s':>7}"
    )
    print(header)
    for cls in classes:
        cls_rows = []
        for path in sorted(DATA.glob(f"Falkenauer_{cls}_*.txt")):
            sizes, capacity = read_instance(path)
            solution = pack_1d(sizes, capacity, time_limit_s=time_limit_s)
            problems = check_1d(sizes, capacity, solution)
            if problems:
                raise AssertionError(f"{path.stem}: {problems[:3]}")
            optimum = known[path.stem]
            cls_rows.append(
                {
                    "instance": path.stem,
                    "class": cls,
                    "items": len(sizes),
                    "capacity": capacity,
                    "optimum": optimum,
                    "bins": solution.count,
                    "lower_bound": solution.lower_bound,
                    "status": solution.status,
                    "seconds": round(solution.seconds, 3),
                }
            )
        rows.extend(cls_rows)
        print(_class_line(cls, cls_rows), flush=True)
    print(_class_line("all", rows))
    return rows


def _class_line(cls: str, rows: list[dict[str, Any]]) -> str:
    n = len(rows)
    if not n:
        return f"{cls:>6} {0:>5}"
    reached = sum(r["bins"] == r["optimum"] for r in rows)
    proven = sum(r["status"] == "optimal" for r in rows)
    gap_bins = sum(r["bins"] - r["optimum"] for r in rows) / n
    gap_pct = 100 * sum((r["bins"] - r["optimum"]) / r["optimum"] for r in rows) / n
    seconds = [r["seconds"] for r in rows]
    return (
        f"{cls:>6} {n:>5} {reached:>8} {proven:>7} {gap_bins:>9.2f} {gap_pct:>7.2f} "
        f"{sum(seconds) / n:>7.2f} {max(seconds):>7.2f}"
    )


if __name__ == "__main__":
    run(tuple(sys.argv[1:]) or CLASSES)
