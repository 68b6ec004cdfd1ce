"""HTTP quote throughput under gunicorn, against a trivial JSON endpoint of the same app.

Starts the real server (`tms serve`: gunicorn, workers and threads from settings) on a
fresh SQLite database holding the synthetic cards, then drives it with wrk on loopback:
32 connections, 2 threads, 10 s per endpoint and round, three rounds alternating the two
endpoints, same server, same run; the medians are reported.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.synthetic import random_order, synthetic_documents

WRK_SCRIPT = """
local bodies = {}
local i = 0
init = function(args)
  local f = io.open("%(bodies)s", "r")
  for line in f:lines() do bodies[#bodies + 1] = line end
  f:close()
end
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", "/api/v1/quotes",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(key)s"}, bodies[i])
end
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wrk(args: list[str]) -> dict[str, float]:
    out = subprocess.run(["wrk", *args], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def latency_ms(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_s": rate,
        "p50_ms": latency_ms("50"),
        "p99_ms": latency_ms("99"),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
    }


def _ensure_wrk() -> bool:
    if shutil.which("wrk"):
        return True
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], capture_output=True, check=False)
    return shutil.which("wrk") is not None


def run(duration_s: int = 10, connections: int = 32, rounds: int = 3) -> dict[str, Any]:
    if not _ensure_wrk():
        print("\nHTTP benchmark skipped: wrk is not installed (apt-get install wrk)")
        return {"skipped": "wrk not installed"}
    tms = str(Path(sys.executable).parent / "tms")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TMS_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3"}
        subprocess.run([tms, "db", "upgrade"], env=env, check=True, capture_output=True)
        key = _load(env, tmp)
        port = _free_port()
        server = subprocess.Popen(
            [tms, "serve", "--bind", f"127.0.0.1:{port}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait(base + "/ping")
            rng = random.Random(5)
            bodies = Path(tmp) / "bodies.txt"
            bodies.write_text("\n".join(json.dumps(random_order(rng, i)) for i in range(1000)) + "\n")
            script = Path(tmp) / "quote.lua"
            script.write_text(WRK_SCRIPT % {"bodies": bodies, "key": key})
            common = ["-t2", f"-c{connections}", f"-d{duration_s}s", "--latency"]
            _wrk(["-t1", "-c4", "-d2s", "--latency", "-s", str(script), base])  # warm every worker's quote book
            # Alternate the two endpoints, so a slow spell of a shared machine weighs on both alike.
            trivial_runs, quote_runs = [], []
            for _ in range(rounds):
                trivial_runs.append(_wrk([*common, base + "/ping"]))
                quote_runs.append(_wrk([*common, "-s", str(script), base]))
        finally:
            server.terminate()
            server.wait(timeout=30)
    trivial, quote = _median_run(trivial_runs), _median_run(quote_runs)
    row = {
        "connections": connections,
        "duration_s": duration_s,
        "rounds": rounds,
        "trivial": trivial,
        "quote": quote,
        "quote_vs_trivial": round(quote["requests_per_s"] / trivial["requests_per_s"], 3),
        "round_ratios": [
            round(q["requests_per_s"] / t["requests_per_s"], 3) for t, q in zip(trivial_runs, quote_runs, strict=True)
        ],
    }
    print(
        f"\nHTTP under gunicorn, wrk on loopback, {connections} connections; "
        f"{rounds} alternating rounds of {duration_s} s per endpoint, medians"
    )
    print(f"{'endpoint':<20} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for name, r in (("GET /ping", trivial), ("POST /api/v1/quotes", quote)):
        print(f"{name:<20} {r['requests_per_s']:>9.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['non_2xx']:>8.0f}")
    ratios = ", ".join(f"{r:.0%}" for r in row["round_ratios"])
    print(f"quote throughput = {row['quote_vs_trivial']:.0%} of the trivial endpoint's (rounds: {ratios})")
    return row


def _median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """Each figure's median over the rounds (non-2xx answers are summed)."""
    row = {k: statistics.median(r[k] for r in runs) for k in ("requests_per_s", "p50_ms", "p99_ms")}
    row["non_2xx"] = sum(r["non_2xx"] for r in runs)
    return row


def _load(env: dict[str, str], tmp: str) -> str:
    """Store and activate the synthetic cards, create a checkout key; returns the key."""
    script = (
        "import json,sys\n"
        "from tms.bootstrap import build_container\n"
        "from tms.settings import load_settings\n"
        "from tms.services.rate_cards import store_rate_card\n"
        "from tms.services.access import create_api_key\n"
        "from carriers.readers import read_json\n"
        "c = build_container(load_settings())\n"
        "for d in json.load(open(sys.argv[1])):\n"
        "    store_rate_card(c.uow(), read_json(d), source_format='json', source_name='bench',\n"
        "                    uploaded_by='bench', activate=True, now=c.now())\n"
        "print(create_api_key(c.uow(), name='bench', role='checkout', now=c.now())[1])\n"
    )
    cards = Path(tmp) / "cards.json"
    cards.write_text(json.dumps(synthetic_documents()))
    out = subprocess.run(
        [sys.executable, "-c", script, str(cards)], env=env, check=True, capture_output=True, text=True
    )
    return out.stdout.strip().splitlines()[-1]


def _wait(url: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


if __name__ == "__main__":
    run()
