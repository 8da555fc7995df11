"""Start the real action server and Rasa server on free loopback ports.

Used by the live tests (REST, widget, channels, persistence). Each LiveAssistant
gets its own ports, SQLite tracker store and endpoints file, so tests can stop
and restart servers without touching a `make run` on the same machine.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
START_TIMEOUT = 180


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def model_path() -> Path:
    """The model for the current inputs; ASSISTANT_MODEL overrides it."""
    if os.environ.get("ASSISTANT_MODEL"):
        return Path(os.environ["ASSISTANT_MODEL"]).resolve()
    out = subprocess.run(
        [str(ROOT / "scripts" / "train_if_needed.sh"), "--print"],
        capture_output=True,
        text=True,
        check=True,
    )
    path = ROOT / out.stdout.strip()
    if not path.exists():
        raise RuntimeError(f"{path} is missing: run `make train` first")
    return path


def base_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    from runtime.http_limits import SANIC_LIMITS

    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONPATH=str(ROOT),
        **SANIC_LIMITS,  # as scripts/run.sh: body size and request timeouts
    )
    # Stored sender IDs are hashed with it (tests/conftest.py sets one per run).
    env.setdefault("SENDER_ID_KEY", secrets.token_hex(32))
    env.update(extra or {})
    return env


class LiveAssistant:
    """An action server + Rasa server pair on loopback."""

    def __init__(
        self,
        workdir: Path,
        credentials: str | None = None,
        cors: list[str] | None = None,
        env: dict[str, str] | None = None,
        endpoints_extra: str = "",
        model: Path | None = None,
        tracker_store: str = "",
    ) -> None:
        self.workdir = workdir
        self.model = model
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.actions_port = free_port()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = base_env(env)
        self.env.setdefault("ACTION_SERVER_TOKEN", secrets.token_hex(24))
        self.cors = cors or []
        # As scripts/run.sh: one allow-list, `--cors` for REST and CORS_ORIGINS for
        # Socket.IO (channels/socketio.py); `env` may still set its own.
        if "CORS_ORIGINS" not in (env or {}):
            self.env["CORS_ORIGINS"] = " ".join(self.cors)
        self.credentials = self.workdir / "credentials.yml"
        self.credentials.write_text(
            credentials or "channels.rest.ResilientRestInput:\n"
        )
        self.endpoints = self.workdir / "endpoints.yml"
        self.endpoints.write_text(
            "action_endpoint:\n"
            f"  url: http://127.0.0.1:{self.actions_port}/webhook\n"
            "  headers:\n    X-Action-Token: ${ACTION_SERVER_TOKEN}\n"
            "  enable_selective_domain: true\n"
            + (
                tracker_store
                or "tracker_store:\n"
                "  type: persistence.redacting.RedactingSQLTrackerStore\n"
                "  dialect: sqlite\n"
                f"  db: {self.workdir / 'conversations.db'}\n"
            )
            + endpoints_extra
        )
        self.actions: subprocess.Popen | None = None
        self.rasa: subprocess.Popen | None = None

    # --- processes -------------------------------------------------------------
    def _spawn(self, args: list[str], log_name: str, env: dict) -> subprocess.Popen:
        with open(self.workdir / log_name, "ab") as log:  # the child keeps its copy
            return subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def start_actions(self) -> None:
        self.actions = self._spawn(
            [str(VENV_BIN / "python"), "-m", "actions", "--port", str(self.actions_port)],
            "actions.log",
            self.env,
        )  # fmt: skip
        self._wait(f"http://127.0.0.1:{self.actions_port}/health", self.actions)

    def start_rasa(self) -> None:
        args = [
            str(VENV_BIN / "python"), "-m", "runtime", "run",
            "--model", str(self.model or model_path()),
            "--interface", "127.0.0.1", "--port", str(self.port),
            "--credentials", str(self.credentials),
            "--endpoints", str(self.endpoints),
        ]  # fmt: skip
        if self.cors:
            args += ["--cors", *self.cors]
        self.rasa = self._spawn(args, "rasa.log", self.env)
        self._wait(self.url + "/", self.rasa)

    def start(self) -> LiveAssistant:
        self.start_actions()
        self.start_rasa()
        return self

    @staticmethod
    def _stop(process: subprocess.Popen | None) -> None:
        if process and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def stop_rasa(self) -> None:
        self._stop(self.rasa)

    def stop_actions(self) -> None:
        self._stop(self.actions)

    def stop(self) -> None:
        self.stop_rasa()
        self.stop_actions()

    def _wait(self, url: str, process: subprocess.Popen) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited; see logs in {self.workdir}")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.3)
        raise RuntimeError(f"{url} not ready after {START_TIMEOUT}s")

    # --- talking to it -----------------------------------------------------------
    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple:
        request = urllib.request.Request(
            self.url + path, data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def send(
        self, sender: str, message: str, metadata: dict | None = None
    ) -> list[dict]:
        sent: dict[str, Any] = {"sender": sender, "message": message}
        if metadata is not None:
            sent["metadata"] = metadata
        status, body = self.post(
            "/webhooks/rest/webhook",
            json.dumps(sent).encode(),
            {"Content-Type": "application/json"},
        )
        assert status == 200, (status, body[:500])
        return json.loads(body)

    def stored_id(self, sender: str) -> str:
        """The sender ID as the stores keep it (a keyed hash, persistence/identity.py)."""
        from persistence.identity import stored_sender_id

        return stored_sender_id(sender, self.env["SENDER_ID_KEY"].encode())

    def tracker(self, sender: str) -> dict:
        """The stored conversation, read straight from the SQLite tracker store."""
        import sqlite3

        db = sqlite3.connect(self.workdir / "conversations.db")
        rows = db.execute(
            "select data from events where sender_id = ? order by id",
            (self.stored_id(sender),),
        ).fetchall()
        db.close()
        return {"events": [json.loads(r[0]) for r in rows]}
