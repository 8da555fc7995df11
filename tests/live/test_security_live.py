"""Security defaults of the running servers (loopback only)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.live


def post(url: str, body: bytes, headers: dict) -> tuple:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def listening_addresses(port: int) -> set:
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_servers_listen_on_loopback_only(assistant):
    for port in (assistant.actions_port, assistant.port):
        # 0100007F is 127.0.0.1 in /proc/net/tcp's little-endian hex.
        assert listening_addresses(port) == {"0100007F"}, port


def test_action_server_requires_the_token(assistant):
    url = f"http://127.0.0.1:{assistant.actions_port}/webhook"
    tracker = {"sender_id": "security-test", "latest_message": {}, "events": []}
    call = json.dumps({"next_action": "action_not_sure", "tracker": tracker}).encode()
    json_type = {"Content-Type": "application/json"}
    assert post(url, call, json_type)[0] == 401
    assert post(url, call, {**json_type, "X-Action-Token": "wrong" * 8})[0] == 401
    token = assistant.env["ACTION_SERVER_TOKEN"]
    status, body = post(url, call, {**json_type, "X-Action-Token": token})
    assert status == 200
    assert json.loads(body)["responses"][0]["response"] == "utter_not_sure"


def test_action_server_errors_do_not_echo_the_conversation(assistant):
    url = f"http://127.0.0.1:{assistant.actions_port}/webhook"
    token = assistant.env["ACTION_SERVER_TOKEN"]
    secret = "my email is private@example.com"
    call = json.dumps({"next_action": "no_such_action", "tracker": {"x": secret}})
    status, body = post(
        url,
        call.encode(),
        {"Content-Type": "application/json", "X-Action-Token": token},
    )
    assert status >= 400
    assert b"private@example.com" not in body


def test_http_api_is_off(assistant):
    # Without --enable-api, Rasa's conversation API routes do not exist.
    status, _ = post(
        assistant.url + "/conversations/someone/messages",
        json.dumps({"text": "hi", "sender": "user"}).encode(),
        {"Content-Type": "application/json"},
    )
    assert status == 404  # the route does not exist
