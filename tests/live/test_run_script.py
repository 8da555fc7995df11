"""`make run` as a user starts it: scripts/run.sh, the files it uses, its logs.

The other live tests write their own endpoints and credentials; this one
starts the product through the script `make run` calls (ports from the
environment, as the script documents) and reads both servers' output.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live import ROOT, free_port, model_path

pytestmark = pytest.mark.live

README_QUESTION = "how long does physical therapy take to work?"
READY_TIMEOUT = 300


class RunScript:
    def __init__(self, log: Path) -> None:
        self.log = log
        self.rasa_port = free_port()
        env = dict(os.environ)
        for key in ("ACTION_SERVER_TOKEN", "CORS_ORIGINS", "PYTHONPATH"):
            env.pop(key, None)  # as a new shell has them: unset
        env.update(
            RASA_PORT=str(self.rasa_port),
            ACTIONS_PORT=str(free_port()),
            DEMO_PORT=str(free_port()),
        )
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [str(ROOT / "scripts" / "run.sh"), str(model_path())],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if "Ready in" in self.output():
                return
            if self.process.poll() is not None:
                raise AssertionError(f"run.sh exited:\n{self.output()[-4000:]}")
            time.sleep(0.5)
        raise AssertionError(f"not ready in {READY_TIMEOUT}s:\n{self.output()[-4000:]}")

    def ask(self, message: str) -> list[dict]:
        body = json.dumps({"sender": "run-script-test", "message": message}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture(scope="module")
def run_script(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunScript]:
    run = RunScript(tmp_path_factory.mktemp("run") / "run.log")
    try:
        run.wait_ready()
        yield run
    finally:
        run.stop()


def test_readme_question_gets_answer_safety_note_and_referral(run_script) -> None:
    reply = run_script.ask(README_QUESTION)
    texts = [m.get("text", "") for m in reply]
    buttons = [b["title"] for m in reply for b in m.get("buttons", [])]
    assert "Sources:" in texts[0]  # the pt_timeline answer
    assert any("not medical advice" in t for t in texts)  # the safety note
    assert "Book a visit" in buttons and "Ask another question" in buttons


def test_start_up_prints_where_the_time_goes(run_script) -> None:
    output = run_script.output()
    assert "Start-up: imports" in output and "model load" in output


def test_no_error_or_traceback_in_either_server_log(run_script) -> None:
    # Replies with domain buttons, whose payloads once logged an interpolator
    # ERROR on every out-of-scope reply, and an emergency.
    for message in ("what is gout?", "what can you help me with?"):
        buttons = [b for m in run_script.ask(message) for b in m.get("buttons", [])]
        assert buttons and all("{{" not in b["payload"] for b in buttons), buttons
    run_script.ask("my face is drooping and my arm went weak")
    time.sleep(0.5)  # let the servers flush their log lines
    output = run_script.output()
    for bad in ("Traceback", " ERROR ", "401 Unauthorized", "status 401"):
        assert bad not in output, output[
            output.find(bad) - 2000 : output.find(bad) + 500
        ]


def test_endpoints_token_is_a_plain_scalar() -> None:
    """Rasa expands ${VAR} only in plain scalars: a quoted one is sent as is."""
    endpoints = (ROOT / "endpoints.yml").read_text()
    assert "X-Action-Token: ${ACTION_SERVER_TOKEN}\n" in endpoints


def test_not_ready_when_the_action_server_refuses_the_token(tmp_path: Path) -> None:
    from tests.support.live import LiveAssistant

    live = LiveAssistant(tmp_path)
    try:
        live.start_actions()
        live.env["ACTION_SERVER_TOKEN"] = "a-token-the-action-server-never-saw"
        live.start_rasa()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(live.url + "/webhooks/rest/ready", timeout=30)
        assert refused.value.code == 503
        assert "401" in json.loads(refused.value.read())["reason"]
    finally:
        live.stop()
