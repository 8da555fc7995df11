"""HTTP limits and small leaks, without a model: Sanic's config, the action
server and the demo server (tests/live/test_attacks_live.py replays the same
attacks against the full assistant)."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from sanic import Sanic
from sanic.config import Config

from channels.guard import MAX_BODY_BYTES
from runtime import http_limits as server
from tests.support.live import ROOT, free_port
from tests.support.wait import wait_for_http


def test_sanic_reads_the_limits_from_sanic_variables(monkeypatch) -> None:
    for key, value in server.SANIC_LIMITS.items():
        monkeypatch.setenv(key, value)
    config = Config()
    assert config.REQUEST_MAX_SIZE == MAX_BODY_BYTES
    assert config.REQUEST_TIMEOUT == server.REQUEST_TIMEOUT_SECONDS
    assert config.RESPONSE_TIMEOUT == server.RESPONSE_TIMEOUT_SECONDS


def test_every_way_of_starting_rasa_sets_the_limits() -> None:
    run_sh = (ROOT / "scripts" / "run.sh").read_text()
    dockerfile = (ROOT / "deploy" / "Dockerfile.rasa").read_text()
    for key, value in server.SANIC_LIMITS.items():
        assert f"export {key}=${{{key}:-{value}}}" in run_sh, key
        assert re.search(rf"\b{key}={value}\b", dockerfile), key
    from tests.support.live import base_env

    env = base_env()
    assert {k: env[k] for k in server.SANIC_LIMITS} == server.SANIC_LIMITS


def test_the_channel_lowers_sanic_defaults_to_the_ceilings() -> None:
    app = Sanic("limits_test_app")
    assert app.config.REQUEST_MAX_SIZE > MAX_BODY_BYTES  # Sanic's 100 MB
    app.config.REQUEST_TIMEOUT = 3  # lower values (from SANIC_*) are kept
    server.apply_limits(app)
    assert app.config.REQUEST_MAX_SIZE == MAX_BODY_BYTES
    assert app.config.REQUEST_TIMEOUT == 3
    assert app.config.RESPONSE_TIMEOUT == server.RESPONSE_TIMEOUT_SECONDS
    assert server.root in app.request_middleware
    server.apply_limits(app)  # idempotent
    assert list(app.request_middleware).count(server.root) == 1


def test_root_answers_without_a_version() -> None:
    root = asyncio.run(server.root(SimpleNamespace(path="/", method="GET")))
    assert root.body == b'{"status":"ok"}'
    other = SimpleNamespace(path="/webhooks/rest/webhook", method="POST")
    assert asyncio.run(server.root(other)) is None


def test_compose_and_helm_pass_the_sender_id_key() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())
    rasa_env = compose["services"]["rasa-1"]["environment"]
    assert rasa_env["SENDER_ID_KEY"].startswith("${SENDER_ID_KEY:?")
    values = yaml.safe_load((ROOT / "deploy" / "helm" / "values.yml").read_text())
    assert "SENDER_ID_KEY" in {e["name"] for e in values["extraEnv"]}
    assert "SENDER_ID_KEY=" in (ROOT / "deploy" / "env.example").read_text()


# --- processes ----------------------------------------------------------------------------
def request(url: str, method: str = "GET", headers: dict | None = None) -> tuple:
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def action_server() -> Iterator[tuple]:
    port, token = free_port(), secrets.token_hex(24)
    env = {**os.environ, "ACTION_SERVER_TOKEN": token, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "actions", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health", process, timeout=120)
        yield port, token
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_action_server_non_ascii_token_is_401(action_server) -> None:
    port, _ = action_server
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 2\r\nX-Action-Token: t\xc3\xa9st\xff\r\n\r\n{}"
        )
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]


def test_action_server_options_need_the_token_and_are_not_allowed(
    action_server,
) -> None:
    port, token = action_server
    url = f"http://127.0.0.1:{port}/webhook"
    assert request(url, "OPTIONS")[0] == 401
    cors = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    assert request(url, "OPTIONS", cors)[0] == 401
    assert request(url, "OPTIONS", {"X-Action-Token": token})[0] == 405
    assert request(f"http://127.0.0.1:{port}/health")[0] == 200


@pytest.fixture(scope="module")
def demo() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "serve_demo.py"), "--port", str(port),
         "--rasa", "http://127.0.0.1:5005", "--quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/", process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_demo_server_serves_only_what_the_page_loads(demo) -> None:
    from scripts.serve_demo import PAGE_FILES, WIDGET_DIR

    assert all((WIDGET_DIR / name).is_file() for name in PAGE_FILES)
    for path in ["/", "/index.html", *(f"/{name}" for name in PAGE_FILES)]:
        assert request(demo + path)[0] == 200, path
    page = {*PAGE_FILES, "index.html"}
    others = [p.name for p in Path(WIDGET_DIR).iterdir() if p.name not in page]
    assert "README.md" in others
    for path in [*(f"/{name}" for name in others), "/../README.md", "/%2e%2e/Makefile"]:
        status, headers, _ = request(demo + path)
        assert status == 404, path
        assert "Python" not in headers.get("Server", "")
