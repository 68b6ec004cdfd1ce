"""HTTP quote throughput under gunicorn, against a trivial JSON endpoint of the same app.

Three quote answers are driven: `POST /api/v1/quotes` (every option with its breakdown, ~20 KB
on the synthetic cards), the same orders with `"view": "summary"` (the cheapest option per mode
and the recommended one, ~1 KB) and the Shopify callback (the cheapest option per mode, ~1 KB).

Starts the real server (`tms serve`: gunicorn, workers and threads from settings) on a
fresh SQLite database holding the synthetic cards, then drives it with wrk on loopback:
32 connections, 2 threads, 6 s per endpoint and round, five rounds alternating the
endpoints, same server, same run; medians are reported, the ratio as the median of the rounds'.
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

from bench.synthetic import random_order, random_shopify_rate, synthetic_documents

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
  return wrk.format("POST", "%(path)s",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(key)s"}, bodies[i])
end
"""
QUOTES = "/api/v1/quotes"
SHOPIFY = "/api/v1/integrations/shopify/rates"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_cpu_s(server_pid: int) -> float:
    """CPU seconds (user + system) used so far by the server's worker processes (Linux /proc)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == server_pid:  # ppid: a worker of this server
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _wrk(args: list[str], server_pid: int | None = None) -> dict[str, float]:
    cpu_before = _server_cpu_s(server_pid) if server_pid else 0.0
    out = subprocess.run(["wrk", *args], capture_output=True, text=True, check=True).stdout
    cpu_used = _server_cpu_s(server_pid) - cpu_before if server_pid else 0.0
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]

    def latency_ms(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_s": rate,
        "p50_ms": latency_ms("50"),
        "p99_ms": latency_ms("99"),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
        # The workers' CPU per answer: steadier than throughput on a shared machine.
        "server_cpu_us": round(cpu_used / max(requests, 1) * 1e6, 1),
    }


def _ensure_wrk() -> bool:
    if shutil.which("wrk"):
        return True
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], capture_output=True, check=False)
    return shutil.which("wrk") is not None


def run(duration_s: int = 6, connections: int = 32, rounds: int = 5) -> dict[str, Any]:
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
            orders = [random_order(rng, i) for i in range(1000)]
            scripts = {
                "quote": _script(tmp, "quote", orders, QUOTES, key),
                "summary": _script(tmp, "summary", [{**o, "view": "summary"} for o in orders], QUOTES, key),
                "shopify": _script(tmp, "shopify", [random_shopify_rate(rng) for _ in range(1000)], SHOPIFY, key),
            }
            common = ["-t2", f"-c{connections}", f"-d{duration_s}s", "--latency"]
            _wrk(["-t1", "-c4", "-d2s", "--latency", "-s", scripts["quote"], base])  # warm every worker's book
            # Alternate the endpoints, so a slow spell of a shared machine weighs on each alike.
            runs: dict[str, list[dict[str, float]]] = {"ping": [], **{name: [] for name in scripts}}
            for _ in range(rounds):
                runs["ping"].append(_wrk([*common, base + "/ping"], server.pid))
                for name, script in scripts.items():
                    runs[name].append(_wrk([*common, "-s", script, base], server.pid))
        finally:
            server.terminate()
            server.wait(timeout=30)
    trivial, quote, summary, shopify = (_median_run(runs[name]) for name in ("ping", "quote", "summary", "shopify"))
    row = {
        "connections": connections,
        "duration_s": duration_s,
        "rounds": rounds,
        "trivial": trivial,
        "quote": quote,
        "summary": summary,
        "shopify": shopify,
        "round_ratios": _ratios(runs["ping"], runs["quote"]),
        "summary_round_ratios": _ratios(runs["ping"], runs["summary"]),
        "shopify_round_ratios": _ratios(runs["ping"], runs["shopify"]),
    }
    # Each round's ratio compares runs a few seconds apart; their median resists a slow spell best.
    row["quote_vs_trivial"] = statistics.median(row["round_ratios"])
    row["summary_vs_trivial"] = statistics.median(row["summary_round_ratios"])
    row["shopify_vs_trivial"] = statistics.median(row["shopify_round_ratios"])
    print(
        f"\nHTTP under gunicorn, wrk on loopback, {connections} connections; "
        f"{rounds} alternating rounds of {duration_s} s per endpoint, medians of the rounds"
    )
    print(f"{'endpoint':<40} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>7} {'server CPU us/answer':>21}")
    endpoints = (
        ("GET /ping", trivial),
        (f"POST {QUOTES}", quote),
        (f"POST {QUOTES} (summary)", summary),
        (f"POST {SHOPIFY}", shopify),
    )
    for name, r in endpoints:
        print(
            f"{name:<40} {r['requests_per_s']:>7.0f} {r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} {r['non_2xx']:>7.0f}"
            f" {r['server_cpu_us']:>21.0f}"
        )
    for name, key in (
        ("quote", "round_ratios"),
        ("summary quote", "summary_round_ratios"),
        ("Shopify callback", "shopify_round_ratios"),
    ):
        ratios = ", ".join(f"{r:.0%}" for r in row[key])
        print(f"{name} throughput / trivial endpoint's: {statistics.median(row[key]):.0%} (rounds: {ratios})")
    return row


def _ratios(trivial: list[dict[str, float]], other: list[dict[str, float]]) -> list[float]:
    return [round(o["requests_per_s"] / t["requests_per_s"], 3) for t, o in zip(trivial, other, strict=True)]


def _script(tmp: str, name: str, bodies: list[dict[str, Any]], path: str, key: str) -> str:
    """A wrk script posting the bodies in turn to `path` with the key."""
    lines = Path(tmp) / f"{name}.txt"
    lines.write_text("\n".join(json.dumps(b) for b in bodies) + "\n")
    script = Path(tmp) / f"{name}.lua"
    script.write_text(WRK_SCRIPT % {"bodies": lines, "key": key, "path": path})
    return str(script)


def _median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """Each figure's median over the rounds (non-2xx answers are summed)."""
    row = {k: statistics.median(r[k] for r in runs) for k in ("requests_per_s", "p50_ms", "p99_ms", "server_cpu_us")}
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
