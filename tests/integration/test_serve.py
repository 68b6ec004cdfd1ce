"""`tms serve` (gunicorn) lets requests with large headers reach the app, which answers them in its
own JSON, and past the documented sizes gunicorn refuses them itself. The server listens on a Unix
socket of the test's own directory."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tms.cli import MAX_HEADER_FIELD_BYTES, MAX_REQUEST_LINE_BYTES
from tms.persistence.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
STARTUP_S = 60  # how long the server may take to start on a busy machine (not a timing assertion)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("serve")
    url = f"sqlite:///{directory / 'tms.sqlite3'}"
    upgrade(url)
    address = directory / "tms.sock"
    env = {**os.environ, "TMS_DATABASE_URL": url, "TMS_SECRET_KEY": "a-test-secret"}
    tms = Path(sys.executable).parent / "tms"
    with (directory / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [str(tms), "serve", "--bind", f"unix:{address}", "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_S
        while not _answers(address):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the server did not start:\n" + (directory / "server.log").read_text()[-3000:])
            time.sleep(0.1)
        yield address
    finally:
        process.terminate()
        process.wait(timeout=30)


def _answers(address: Path) -> bool:
    try:
        return get(address, "/ping")[0] == 200
    except OSError:
        return False


def get(address: Path, target: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 GET over the Unix socket: its status, headers and body."""
    lines = [f"GET {target} HTTP/1.1", "Host: localhost", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    chunks = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(str(address))
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        try:
            while data := connection.recv(65536):
                chunks.append(data)
        except ConnectionResetError:  # a server refusing the request may close before reading all of it
            pass
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    answer_headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        answer_headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), answer_headers, body


def test_a_10_kb_authorization_header_reaches_the_app_and_gets_its_json_401(server: Path) -> None:
    status, headers, body = get(server, "/api/v1/rate-cards", {"Authorization": "Bearer tms_" + "x" * 10_000})
    assert status == 401
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["code"] == "unauthenticated"


def test_a_header_past_the_documented_size_is_refused_by_the_server(server: Path) -> None:
    status, _, _ = get(server, "/api/v1/rate-cards", {"Authorization": "Bearer " + "x" * MAX_HEADER_FIELD_BYTES})
    assert status == 431


def test_a_long_query_string_reaches_the_app_up_to_the_documented_request_line(server: Path) -> None:
    fits = "/ping?pad=" + "x" * (MAX_REQUEST_LINE_BYTES - 100)
    assert get(server, fits)[0] == 200
    assert get(server, fits + "x" * 200)[0] == 414
